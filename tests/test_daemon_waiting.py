"""`accepted` says whether a job waits for a worker that other clients' jobs hold, so a host can say
"waiting for the daemon" instead of "planning" while nothing happens: a real daemon with one worker."""

from __future__ import annotations

import threading

import numpy as np

from lego_edit.bricks.registry import Brick, Port, Registry
from lego_edit.bricks.values import ValueType
from lego_edit.plugins.client.session import EditSession, Phase
from tests.daemon_util import Raw, config, image_desc, running_server

RELEASE = threading.Event()
STARTED = threading.Event()


def _hold(ctx, image):
    STARTED.set()
    while not RELEASE.wait(0.02):
        ctx.raise_if_cancelled()
    return {"image": image.copy()}


def hold_brick() -> Brick:
    brick = Brick("HOLD", "test brick: holds its worker until released", (Port("image", ValueType.IMAGE),),
                  (Port("image", ValueType.IMAGE),))
    brick.backend("test")(_hold)
    return brick


WORKFLOW = {"process": "hold", "pipeline": [
    {"step": 1, "model": "HOLD", "input": {"image": "init[image]"}, "output": {"image": "step1[image]"}},
    {"result": "[step1[image]]"}]}
PIXELS = np.zeros((8, 8, 4), np.uint8).tobytes()


def run(raw: Raw, request_id: str) -> None:
    raw.send({"id": request_id, "type": "run", "workflow": WORKFLOW, "image": image_desc(8, 8)}, PIXELS)


def test_a_job_behind_another_clients_job_is_accepted_as_waiting():
    RELEASE.clear()
    STARTED.clear()
    with running_server(config(daemon={"workers": 1}), registry=Registry([hold_brick()])) as server:
        first, second = Raw(server.endpoint), Raw(server.endpoint)
        try:
            run(first, "a")
            accepted = first.first("a")
            assert accepted["type"] == "accepted" and accepted["waiting"] is False  # the worker was free
            assert STARTED.wait(10)
            run(second, "b")
            behind = second.first("b")
            assert behind["type"] == "accepted" and behind["position"] == 0 and behind["waiting"] is True
            session = EditSession("hold")  # what the hosts' session makes of it
            session.feed(behind)
            assert session.phase is Phase.QUEUED and session.status.startswith("Waiting for the daemon")
            RELEASE.set()
            assert first.until_terminal("a")[-1][0]["type"] == "result"
            assert second.until_terminal("b")[-1][0]["type"] == "result"
        finally:
            RELEASE.set()
            first.close()
            second.close()
