"""plugins/client: the module Krita and GIMP ship, against a real daemon on loopback."""

from __future__ import annotations

import ast
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from lego_edit.plugins.client import Client, ImageData, LegoError
from lego_edit.plugins.client import lego_client as module
from tests.daemon_util import (
    IDENTITY,
    config,
    noise,
    red_disk,
    registry_with_slow,
    running_server,
    slow_workflow,
)

ROOT = Path(__file__).resolve().parents[1]
CLIENT_FILE = ROOT / "plugins" / "client" / "lego_client.py"


@pytest.fixture(scope="module")
def server():
    with running_server(config(daemon={"heartbeat_timeout_s": 0.9}), registry=registry_with_slow()) as srv:
        yield srv


@pytest.fixture
def client(server):
    with Client(server.endpoint) as c:
        yield c


def test_the_module_needs_only_the_standard_library_and_pyzmq():
    source = CLIENT_FILE.read_text()
    tree = ast.parse(source, feature_version=(3, 10))  # Krita's Python may be 3.10
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert imported - set(sys.stdlib_module_names) == {"zmq"}
    script = (f"import sys; sys.path.insert(0, {str(CLIENT_FILE.parent)!r}); import lego_client; "
              "print([m for m in sys.modules if m.split('.')[0] in ('numpy', 'bricks', 'builder', 'daemon')])")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd="/")
    assert out.stdout.strip() == "[]"


SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin")


@pytest.mark.skipif(not SYSTEM_PYTHON or subprocess.run([SYSTEM_PYTHON or "false", "-c", "import zmq"],
                                                        capture_output=True).returncode != 0,
                    reason="no system python3 with pyzmq (Debian's python3-zmq, as Krita uses)")
def test_works_in_a_host_python_without_numpy(server):
    """Debian's python3 + python3-zmq, no numpy: the environment Krita's plugin runs in."""
    script = textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {str(CLIENT_FILE.parent)!r})
        import lego_client as lc
        c = lc.Client({server.endpoint!r})
        pixels = bytes([0, 0, 200, 255]) * 12          # 4 x 3 red, BGRA as Krita gives it
        seen = []
        r = c.edit("make it brighter", lc.ImageData.bgra(pixels, 4, 3), on_event=lambda e: seen.append(e.type),
                   timeout=30)
        layer = r.layers[0]
        print(json.dumps({{"numpy": "numpy" in sys.modules, "format": layer.format, "size": len(layer.tobytes()),
                          "pixel": list(layer.tobytes()[:4]), "seen": seen, "version": sys.version_info[:2]}}))
        c.close()
    """)
    out = subprocess.run([SYSTEM_PYTHON, "-c", script], capture_output=True, text=True, timeout=60, cwd="/")
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert not info["numpy"] and info["format"] == "BGRA8" and info["size"] == 48
    b, g, r, a = info["pixel"]
    assert r > 200 and a == 255  # brighter, still BGRA
    assert info["seen"][:2] == ["accepted", "plan"] and info["seen"][-1] == "result"


def test_non_blocking_pump_like_a_qt_timer(client):
    image = red_disk(96)
    rid = client.send_edit("make the red object blue", ImageData.rgba(image.tobytes(), 96, 96))
    events = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(e.id == rid and e.terminal for e in events):
        events.extend(client.poll(0))  # never blocks
        time.sleep(0.01)
    local = [e.type for e in events if e.id is None]
    assert local == ["connected"]
    mine = [e for e in events if e.id == rid]
    assert [e.type for e in mine[:2]] == ["accepted", "plan"] and mine[-1].type == "result" and mine[-1].terminal
    assert not any(e.terminal for e in mine[:-1])
    masks = [e.layer for e in mine if e.type == "layer" and e.layer.kind == "mask"]
    assert masks and masks[0].format == "GRAY8" and len(masks[0].data) == 96 * 96
    (final,) = mine[-1].layers
    out = np.frombuffer(final.data, np.uint8).reshape(96, 96, 4)
    disk = (image[..., 0] > 150) & (image[..., 1] < 80)
    assert out[disk][:, 2].mean() > out[disk][:, 0].mean()  # the red disk is now blue
    assert rid not in client.pending


def test_cancel_through_the_client(client):
    rid = client.send_run(slow_workflow(10), ImageData.rgba(noise(8, 8).tobytes(), 8, 8))
    events = []
    while not any(e.type == "progress" for e in events):
        events.extend(client.poll(1))
    client.cancel(rid)
    start = time.monotonic()
    while not any(e.id == rid and e.terminal for e in events):
        events.extend(client.poll(1))
    last = [e for e in events if e.id == rid][-1]
    assert last.type == "cancelled" and time.monotonic() - start < 1.5
    with pytest.raises(LegoError) as info:
        last.raise_for_error()
    assert info.value.code == "cancelled"


def test_blocking_helpers(client):
    seen = []
    result = client.edit("make the red object blue", ImageData.rgba(red_disk(64).tobytes(), 64, 64),
                         on_event=lambda e: seen.append(e.type))
    assert seen[0] == "accepted" and seen[-1] == "result"
    assert result.plan["workflow"]["pipeline"][0]["model"] == "RES"
    assert any(layer.kind == "mask" for layer in result.intermediates)
    assert result.layers[0].format == "RGBA8" and result.executed
    again = client.edit(None, replan_of=result.events[0].id, feedback=["don't use SOS"])
    assert again.cached == result.executed  # nothing changed, nothing ran
    image = noise(5, 7)
    through = client.run(IDENTITY, ImageData.rgba(image.tobytes(), 7, 5))
    assert through.layers[0].tobytes() == image.tobytes()
    bad = {"process": "x", "pipeline": [{"step": 1, "model": "NOPE", "input": {}, "output": {}},
                                        {"result": "[step1[image]]"}]}
    with pytest.raises(LegoError) as info:
        client.run(bad, ImageData.rgba(image.tobytes(), 7, 5))
    assert info.value.code == "invalid_workflow" and info.value.header["problems"]
    assert client.status()["state"] in ("idle", "busy")
    assert {b["name"] for b in client.bricks()} >= {"RES", "SLOW"}
    assert client.ping()["type"] == "pong"


def test_heartbeats_keep_a_long_job_alive(client, server):
    """The daemon forgets clients silent for 0.9 s; a 2 s job survives because poll() pings."""
    assert client.hello()["heartbeat_s"] == 0.9 and client.heartbeat_s == pytest.approx(0.3)
    result = client.run(slow_workflow(2.0), ImageData.rgba(noise(8, 8).tobytes(), 8, 8), timeout=20)
    assert result.executed == [1]


def test_image_descriptors_check_sizes():
    data = bytes(4 * 6)
    assert ImageData.bgra(data, 3, 2).descriptor(2) == {"frame": 2, "width": 3, "height": 2, "format": "BGRA8"}
    assert ImageData.gray(bytes(6), 3, 2).pixels == 6
    with pytest.raises(ValueError, match="needs 24 bytes"):
        ImageData.rgba(data[:-1], 3, 2)
    with pytest.raises(ValueError, match="not a PNG"):
        ImageData.png(b"GIF89a" + bytes(30))
    with pytest.raises(ValueError, match="unknown pixel format"):
        ImageData(data, 3, 2, "RGB8")


def test_too_large_is_refused_before_sending(client, server):
    client.hello()
    limit = client.server["limits"]["max_pixels"]
    side = int(limit ** 0.5) + 1
    with pytest.raises(LegoError) as info:
        client.send_edit("x", ImageData.gray(bytes(side * side), side, side))
    assert info.value.code == "too_large"


def test_default_endpoint_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("LEGO_EDIT_ENDPOINT", raising=False)
    assert module.default_endpoint() == "tcp://127.0.0.1:5588"
    monkeypatch.setenv("LEGO_EDIT_ENDPOINT", "tcp://127.0.0.1:6000")
    assert Client().endpoint == "tcp://127.0.0.1:6000"
    assert isinstance(Client().fileno(), int)


def test_reconnects_after_the_daemon_dies_and_comes_back(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    endpoint = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "c"), XDG_STATE_HOME=str(tmp_path / "s"))
    script = textwrap.dedent(f"""
        from lego_edit.daemon.cli.serve import serve_until_signalled
        from lego_edit.daemon.service.server import Server
        from tests.daemon_util import config, registry_with_slow
        server = Server(config(), registry=registry_with_slow())
        server.bind({endpoint!r})
        print("ready", flush=True)
        serve_until_signalled(server)
    """)

    def start():
        proc = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        return proc

    first = start()
    client = Client(endpoint, heartbeat_s=0.1, timeout_s=0.6)
    try:
        first_instance = client.hello()["instance"]
        rid = client.send_run(slow_workflow(30), ImageData.rgba(noise(8, 8).tobytes(), 8, 8))
        events = []
        while not any(e.type == "progress" for e in events):
            events.extend(client.poll(1))
        first.send_signal(signal.SIGKILL)  # a crash: nobody says goodbye
        first.wait()
        start_wait = time.monotonic()
        while not any(e.type == "disconnected" for e in events):
            events.extend(client.poll(0.1))
            assert time.monotonic() - start_wait < 5
        failed = [e for e in events if e.id == rid][-1]
        assert failed.type == "error" and failed.get("code") == "disconnected" and failed.terminal
        assert not client.connected
        second = start()
        try:
            again = []
            while not any(e.type == "connected" for e in again):
                again.extend(client.poll(0.1))
                assert time.monotonic() - start_wait < 15
            assert client.hello()["instance"] != first_instance
            assert client.run(IDENTITY, ImageData.rgba(bytes(4), 1, 1)).layers[0].tobytes() == bytes(4)
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(10) == 0
    finally:
        client.close()
        for p in (first,):
            if p.poll() is None:
                p.kill()


def test_no_daemon_is_reported_once_and_only_the_callers_requests_fail():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"tcp://127.0.0.1:{s.getsockname()[1]}"  # nothing listens here
    client = Client(dead, heartbeat_s=0.05, timeout_s=0.3)
    try:
        events = []
        end = time.monotonic() + 1.2  # four timeouts: the socket is rebuilt each time
        while time.monotonic() < end:
            events.extend(client.poll(0.05))
        assert [e.type for e in events] == ["disconnected"]  # the module's own hellos and pings stay quiet
        rid = client.send_status()
        while not any(e.id == rid for e in events):
            events.extend(client.poll(0.05))
            assert time.monotonic() < end + 2
        failed = events[-1]
        assert failed.type == "error" and failed.get("code") == "disconnected" and failed.terminal
        assert rid not in client.pending
    finally:
        client.close()
