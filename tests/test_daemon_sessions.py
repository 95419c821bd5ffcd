"""Sessions and their bookkeeping, over real loopback sockets: who counts as a client, what a client's
plans may cost the others, a `run` workflow refused before it is accepted, per-item feedback limits,
and a CURVE key revoked while its connection is open."""

from __future__ import annotations

import time

import numpy as np
import pytest

from lego_edit.daemon import keys
from lego_edit.daemon.service.plans import PlanRecord, PlanStore
from lego_edit.daemon.service.protocol import MAX_FEEDBACK_CHARS
from tests.daemon_util import (
    IDENTITY,
    Raw,
    config,
    image_desc,
    noise,
    registry_with_slow,
    running_server,
    slow_workflow,
)


def _status(raw: Raw, rid: str = "s") -> dict:
    raw.send({"id": rid, "type": "status"})
    return raw.first(rid)


# -- one-off clients are not sessions --------------------------------------------------------------

def test_clients_that_ask_once_and_leave_are_forgotten():
    with running_server(config()) as server:
        for n in range(20):  # what `lego-edit status` does, twenty times
            one_off = Raw(server.endpoint)
            try:
                assert _status(one_off, f"s{n}")["type"] == "status"
            finally:
                one_off.close()
        watcher = Raw(server.endpoint)
        session = Raw(server.endpoint)
        try:
            session.send({"id": "h", "type": "hello", "versions": [1]})
            assert session.first("h")["type"] == "hello"
            deadline = time.monotonic() + 5
            while len(server.clients) > 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _status(watcher)["clients"] == 1  # the session; not the twenty, nor the watcher itself
            assert len(server.clients) <= 2
        finally:
            watcher.close()
            session.close()


def test_a_client_with_an_accepted_job_is_a_session_until_it_goes_silent():
    with running_server(config(daemon={"heartbeat_timeout_s": 1.0})) as server:
        raw = Raw(server.endpoint)
        try:
            raw.send({"id": 1, "type": "run", "workflow": IDENTITY, "image": image_desc(4, 4)}, bytes(64))
            assert raw.until_terminal(1)[-1][0]["type"] == "result"
            assert server.status()["clients"] == 1
            deadline = time.monotonic() + 5
            while server.status()["clients"] and time.monotonic() < deadline:
                time.sleep(0.1)
            assert server.status()["clients"] == 0  # silent past the heartbeat: forgotten
        finally:
            raw.close()


# -- a run workflow is checked before it is accepted ------------------------------------------------

@pytest.mark.parametrize("workflow, expect", [
    ({"process": "p", "pipeline": [{"step": 1, "model": "NO-SUCH-BRICK", "input": {"image": "init[image]"},
                                    "output": {"image": "step1[image]"}}, {"result": "[step1[image]]"}]},
     "NO-SUCH-BRICK"),
    ({"process": "p", "pipeline": [{"result": "[init[mask]]"}]}, "mask"),  # no mask was sent
    ("{this is not a workflow", "cannot be read"),
])
def test_an_invalid_run_workflow_is_refused_without_accepted(workflow, expect):
    with running_server(config()) as server:
        raw = Raw(server.endpoint)
        try:
            raw.send({"id": "w", "type": "run", "workflow": workflow, "image": image_desc(4, 4)}, bytes(64))
            replies = raw.until_terminal("w")
            assert [h["type"] for h, _ in replies] == ["error"]
            header = replies[0][0]
            assert header["code"] == "invalid_workflow" and expect in header["message"]
            if not isinstance(workflow, str):
                assert header["problems"] and all({"severity", "message"} <= set(p) for p in header["problems"])
            assert server.scheduler.counts()["queued"] == 0
            raw.send({"id": "ok", "type": "run", "workflow": IDENTITY, "image": image_desc(4, 4)}, bytes(64))
            assert raw.until_terminal("ok")[-1][0]["type"] == "result"
        finally:
            raw.close()


# -- bounded feedback ------------------------------------------------------------------------------

def test_each_feedback_item_has_a_length_limit():
    with running_server(config()) as server:
        raw = Raw(server.endpoint)
        try:
            ok = "keep the sky " + "x" * (MAX_FEEDBACK_CHARS - 14)
            raw.send({"id": "long", "type": "plan", "instruction": "remove the red ball",
                      "feedback": [ok + "yy"]})
            header = raw.first("long")
            assert (header["type"], header["code"]) == ("error", "bad_request")
            assert str(MAX_FEEDBACK_CHARS) in header["message"]
            raw.send({"id": "fits", "type": "plan", "instruction": "remove the red ball", "feedback": [ok]})
            assert raw.first("fits")["type"] == "accepted"  # within the limit: planned (or refused) as usual
            raw.until_terminal("fits")
        finally:
            raw.close()


# -- the plan store is fair between clients ----------------------------------------------------------

def _record(nbytes: int) -> PlanRecord:
    return PlanRecord("remove the ball", [], None, {"image": np.zeros(nbytes, np.uint8)}, "RGBA8")


def test_one_clients_big_images_cost_that_client_first():
    store = PlanStore(per_client=8, max_bytes=1000)
    store.put(b"b", "b1", _record(200))
    for n in range(5):
        store.put(b"a", f"a{n}", _record(300))
    assert store.held_bytes <= 1000
    assert store.get(b"b", "b1").inputs  # the small client keeps its image
    assert store.held_by(b"a") <= 800 and store.get(b"a", "a4").inputs
    assert not store.get(b"a", "a0").inputs and store.get(b"a", "a0").instruction  # pixels gone, plan kept


def test_clients_that_are_gone_lose_their_plans_before_live_ones():
    live = {b"victim"}
    store = PlanStore(per_client=2, max_bytes=10_000, max_clients=4, is_live=live.__contains__)
    store.put(b"victim", "v", _record(10))
    for n in range(70):  # seventy connections, each leaving after one request
        store.put(f"c{n}".encode(), "x", _record(10))
    assert store.get(b"victim", "v") is not None and store.get(b"victim", "v").inputs
    store = PlanStore(per_client=2, max_bytes=100, is_live=live.__contains__)
    store.put(b"gone", "g", _record(60))
    store.put(b"victim", "v", _record(60))
    assert store.get(b"victim", "v").inputs and not store.get(b"gone", "g").inputs


def test_a_big_client_does_not_evict_another_clients_replan_image_over_sockets():
    image = noise(64, 64)
    small = image_desc(64, 64)
    with running_server(config(limits={"plans_memory_mb": 1})) as server:  # 1 MiB: 64 of these 16 KiB images
        victim, hog = Raw(server.endpoint), Raw(server.endpoint)
        try:
            victim.send({"id": "v", "type": "run", "workflow": IDENTITY, "image": small}, image.tobytes())
            assert victim.until_terminal("v")[-1][0]["type"] == "result"
            big = noise(256, 256)  # 256 KiB each: five of them exceed the budget by themselves
            for n in range(5):
                hog.send({"id": n, "type": "run", "workflow": IDENTITY, "image": image_desc(256, 256)},
                         big.tobytes())
                assert hog.until_terminal(n)[-1][0]["type"] == "result"
            assert server.plans.held_bytes <= 1 << 20
            victim.send({"id": "again", "type": "edit", "replan_of": "v", "instruction": "make it brighter"})
            replies = victim.until_terminal("again")
            assert replies[-1][0]["type"] == "result", replies[-1][0]  # its image was still kept
        finally:
            victim.close()
            hog.close()


# -- CURVE: revoking a key cuts its open connection ---------------------------------------------------

def test_revoking_a_key_cancels_its_jobs_and_refuses_its_open_connection(tmp_path):
    cfg = config(tmp_path, daemon={"curve": "always"})
    server_pair, _, _ = keys.ensure_keys(cfg.keys_dir)
    laptop, admin = keys.new_pair(), keys.new_pair()
    keys.allow(cfg.keys_dir, laptop.public, "laptop")
    keys.allow(cfg.keys_dir, admin.public, "admin")

    def connect(pair):
        return Raw(server.endpoint, curve_serverkey=server_pair.public.encode(),
                   curve_publickey=pair.public.encode(), curve_secretkey=pair.secret.encode())

    with running_server(cfg, registry=registry_with_slow()) as server:
        user, watcher = connect(laptop), connect(admin)
        try:
            user.send({"id": "long", "type": "run", "workflow": slow_workflow(30), "image": image_desc(4, 4)},
                      bytes(64))
            assert user.first("long")["type"] == "accepted"
            deadline = time.monotonic() + 5
            while _status(watcher)["jobs"]["running"] == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert keys.revoke(cfg.keys_dir, laptop.public)
            deadline = time.monotonic() + 2
            while _status(watcher)["jobs"]["running"] and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _status(watcher)["jobs"] == {"running": 0, "queued": 0}
            user.send({"id": "p", "type": "ping"})
            header = user.first("p")
            assert (header["type"], header["code"]) == ("error", "unauthorized")
            assert _status(watcher, "s2")["type"] == "status"  # the other key is served as before
        finally:
            user.close()
            watcher.close()


# -- a step that needs the user's selection says so in fields ------------------------------------------

def test_an_object_offline_rules_cannot_find_is_answered_with_needs_selection():
    from tests.daemon_util import red_disk

    image = red_disk(96)
    with running_server(config()) as server:
        raw = Raw(server.endpoint)
        try:
            raw.send({"id": "cat", "type": "edit", "instruction": "remove the cat", "backend": "rules",
                      "image": image_desc(96, 96)}, image.tobytes())
            end = raw.until_terminal("cat")[-1][0]
            assert (end["type"], end["code"], end["brick"]) == ("error", "brick_failed", "RES"), end
            assert (end["needs"], end["subject"]) == ("selection", "cat")
            raw.send({"id": "ball", "type": "edit", "instruction": "make the red ball blue", "backend": "rules",
                      "image": image_desc(96, 96)}, image.tobytes())
            assert "needs" not in raw.until_terminal("ball")[-1][0]  # found by the rules: no request to select
        finally:
            raw.close()
