"""The daemon warms its Builder's rules planner on a thread of its own as it starts serving.

The planner's imports and first-use tables cost most of a second; without the warm-up the first
client's plan paid for them, and every other client's ping waited behind it. Real daemons on
loopback: one in a fresh interpreter (nothing of the planner loaded before it starts), and in-process
ones with a model Builder configured (nothing of a model may load or be asked) and with a warm-up
that fails (logged; the daemon serves on).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from lego_edit.bricks import default_registry
from lego_edit.bricks.registry import Registry
from lego_edit.builder import Builder, BuilderConfig
from tests.daemon_util import Raw, config, running_server

REPO = Path(__file__).resolve().parents[1]

FRESH_DAEMON = r"""
import json, logging, sys, time
from tests.daemon_util import Raw, config, make_server

server = make_server(config(daemon={"workers": 1}))
loaded_before = "lego_edit.builder.rules" in sys.modules
took = []

class Took(logging.Handler):
    def emit(self, record):
        if record.getMessage().startswith("builder warmed up"):
            took.append(record.getMessage())

logging.getLogger("lego_edit.daemon").addHandler(Took())
logging.getLogger("lego_edit.daemon").setLevel(logging.INFO)
start = time.perf_counter()
server.start("tcp://127.0.0.1:0")
start_s = time.perf_counter() - start
warm_at_start = server.warmed.is_set()
raw = Raw(server.endpoint)
pong = raw.ping_ok()
warmed = server.warmed.wait(60)
warm_s = time.perf_counter() - start
loaded_after = "lego_edit.builder.rules" in sys.modules
start = time.perf_counter()
raw.send({"id": "p", "type": "plan", "instruction": "upscale it 4x"})
events = raw.until_terminal("p", timeout=30)
plan_s = time.perf_counter() - start
raw.close()
server.stop()
print(json.dumps({"loaded_before": loaded_before, "warm_at_start": warm_at_start, "pong": pong, "warmed": warmed,
                  "loaded_after": loaded_after, "start_s": start_s, "warm_s": warm_s, "plan_s": plan_s,
                  "events": [header for header, _ in events], "log": took}))
"""


def test_a_fresh_daemon_serves_at_once_and_its_first_plan_finds_the_planner_loaded():
    proc = subprocess.run([sys.executable, "-c", FRESH_DAEMON], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"\nfresh daemon: bound and serving in {seen['start_s'] * 1000:.0f} ms, warmed up "
          f"{seen['warm_s'] * 1000:.0f} ms after start, first plan {seen['plan_s'] * 1000:.0f} ms")
    assert seen["loaded_before"] is False  # the daemon's own imports do not load the planner
    assert seen["warm_at_start"] is False and seen["pong"] is True  # serving while the warm-up still ran
    assert seen["warmed"] is True and seen["loaded_after"] is True
    assert len(seen["log"]) == 1 and "the rules planner is loaded in" in seen["log"][0]
    plan = seen["events"][-1]
    assert plan["type"] == "plan", seen["events"]
    assert [s["model"] for s in plan["workflow"]["pipeline"] if "model" in s] == ["UPSCALE"]
    # what the first plan no longer pays: it takes a fraction of what the warm-up took
    assert seen["plan_s"] < seen["warm_s"] / 2


class _Endpoint(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that only counts what it is asked."""

    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    do_POST = do_GET  # noqa: N815

    def log_message(self, *args) -> None:
        pass


def test_a_model_builder_warms_only_the_rules_planner(tmp_path):
    """backend auto with both model Builders configured: the warm-up plans with the rules planner and
    neither loads the local model nor asks the OpenAI-compatible endpoint anything."""
    from lego_edit.builder import planner

    http = ThreadingHTTPServer(("127.0.0.1", 0), _Endpoint)
    threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    model = tmp_path / "vlm"
    model.mkdir()
    (model / "config.json").write_text("{}")  # it would count as a local model folder, if anyone looked
    base_url = f"http://127.0.0.1:{http.server_address[1]}/v1"
    registry = default_registry()
    builder = Builder(registry, BuilderConfig(backend="auto", local_model=str(model), openai_base_url=base_url,
                                              openai_model="tiny-model"))
    try:
        with running_server(config(), registry=registry, builder=builder) as server:
            assert server.warmed.wait(60)
            raw = Raw(server.endpoint)
            try:
                assert raw.ping_ok()
            finally:
                raw.close()
    finally:
        http.shutdown()
        http.server_close()
    assert _Endpoint.hits == []
    assert builder._models == {}
    assert not [key for key in planner._probes if key[1] in (str(model), base_url)]


class _BrokenWarmUp(Builder):
    def warm_up(self) -> float:
        raise RuntimeError("the planner's tables are unreadable")


def test_a_failing_warm_up_is_logged_and_the_daemon_serves_on(caplog):
    registry = default_registry()
    with caplog.at_level(logging.INFO, logger="lego_edit.daemon"):
        with running_server(config(daemon={"workers": 1}), registry=registry,
                            builder=_BrokenWarmUp(registry)) as server:
            assert server.warmed.wait(60)
            raw = Raw(server.endpoint)
            try:
                assert raw.ping_ok()
                raw.send({"id": "p", "type": "plan", "instruction": "make it brighter"})
                plan = raw.until_terminal("p", timeout=30)[-1][0]
            finally:
                raw.close()
            assert server.status()["workers"]["alive"] == 1
    assert plan["type"] == "plan"
    assert [s["model"] for s in plan["workflow"]["pipeline"] if "model" in s] == ["FLUX-BRIGHT"]
    failures = [r for r in caplog.records if "warm-up failed" in r.getMessage()]
    assert len(failures) == 1 and failures[0].levelno == logging.WARNING
    assert "RuntimeError: the planner's tables are unreadable" in failures[0].getMessage()


def test_warm_up_survives_a_catalog_that_cannot_plan_it():
    """A registry without the brick the warm-up instruction needs: the planner refuses, and that is
    a warm-up all the same (nothing raised)."""
    seconds = Builder(Registry([]), BuilderConfig(backend="rules")).warm_up()
    assert isinstance(seconds, float) and seconds >= 0
