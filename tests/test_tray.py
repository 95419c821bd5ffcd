"""The tray, driven through pystray's dummy backend: icon states, menu actions, a daemon it starts and stops."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("PYSTRAY_BACKEND", "dummy")  # before pystray is imported: no display needed
pystray = pytest.importorskip("pystray")

from lego_edit.daemon.config import load  # noqa: E402
from lego_edit.daemon.tray import COLOURS, STATES, DaemonControl, TrayApp, draw_icon  # noqa: E402
from tests.daemon_util import Raw, config, image_desc, noise, registry_with_slow, running_server, slow_workflow  # noqa: E402
from tests.net import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]



def test_each_state_has_its_own_brick_icon():
    seen = set()
    for state in STATES:
        icon = draw_icon(state)
        assert icon.size == (64, 64) and icon.mode == "RGBA"
        assert icon.getpixel((0, 63))[3] == 0  # transparent around the brick
        body = icon.getpixel((8, 30))[:3]
        assert body == COLOURS[state]
        seen.add(icon.tobytes())
    assert len(seen) == len(STATES)
    assert draw_icon("idle", 22).size == (22, 22)  # small tray sizes too


def items(app):
    return {str(item): item for item in app.icon.menu.items if str(item)}


def test_tray_follows_a_running_daemon_and_its_menu(tmp_path):
    cfg = config(tmp_path)
    opened = []
    with running_server(cfg, registry=registry_with_slow()) as server:
        app = TrayApp(DaemonControl(cfg, server.endpoint, status_timeout=0.3), opener=opened.append)
        assert app.state == "stopped"
        assert app.refresh() == "idle" and app.icon.title == "Lego Edit: idle"
        menu = items(app)
        assert list(menu)[:2] == ["Controls\u2026", "Daemon: idle"] and menu["Controls\u2026"].default
        assert not menu["Start daemon"].enabled and menu["Stop daemon"].enabled
        menu["Show status"](app.icon)  # the dummy backend cannot notify: the text goes to the tooltip
        assert app.icon.title.startswith(f"Lego Edit: idle at {server.endpoint} (pid {os.getpid()})")

        raw = Raw(server.endpoint)
        raw.send({"id": 1, "type": "run", "workflow": slow_workflow(1.0), "image": image_desc(4, 4)},
                 noise(4, 4).tobytes())
        raw.recv()  # accepted
        assert app.refresh() == "busy" and "1 running" in app.icon.title
        assert app.icon.icon.getpixel((8, 30))[:3] == COLOURS["busy"]
        raw.until_terminal(1)
        raw.close()

        menu["Open log"](app.icon)
        menu["Open config folder"](app.icon)
        assert opened == [cfg.log_path, cfg.dir] and cfg.log_path.exists()
    assert app.refresh() == "stopped"
    assert items(app)["Start daemon"].enabled


def test_tray_starts_and_stops_its_own_daemon(tmp_path):
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    cfg_file = tmp_path / "config.toml"
    cfg_file.write_text(f'[daemon]\nendpoint = "{endpoint}"\nlog_file = "{tmp_path / "daemon.log"}"\n')
    cfg = load(cfg_file)
    control = DaemonControl(cfg, endpoint, str(cfg_file), status_timeout=0.3)
    app = TrayApp(control, opener=lambda p: None)
    assert app.refresh() == "stopped"
    items(app)["Start daemon"](app.icon)
    try:
        assert app.state == "idle", app.detail
        assert control.process.poll() is None
        assert app.status_text().startswith(f"idle at {endpoint} (pid {control.process.pid})")
        items(app)["Stop daemon"](app.icon)
        assert app.state == "stopped" and control.process.returncode == 0
        assert "stopped" in (tmp_path / "daemon.log").read_text()
    finally:
        if control.process.poll() is None:
            control.process.kill()


def test_a_started_daemon_that_does_not_answer_can_still_be_stopped(tmp_path):
    """A poll that times out (a daemon loading, or a machine under load) never takes Stop away."""
    import subprocess

    cfg = config(tmp_path)
    control = DaemonControl(cfg, f"tcp://127.0.0.1:{free_port()}", status_timeout=0.2)  # nobody answers here
    app = TrayApp(control, opener=lambda p: None)
    control.process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert app.refresh() == "stopped" and app.detail == "starting..."
        assert items(app)["Stop daemon"].enabled and not items(app)["Start daemon"].enabled
        app._show("idle", "idle")  # it answered once, then a poll timed out
        assert app.refresh() == "idle" and app.detail == "not answering"
        items(app)["Stop daemon"](app.icon)
        assert control.process.returncode is not None and app.state == "stopped"
        assert items(app)["Start daemon"].enabled and not items(app)["Stop daemon"].enabled
    finally:
        if control.process.poll() is None:
            control.process.kill()


def test_a_daemon_that_cannot_start_shows_the_error(tmp_path):
    cfg_file = tmp_path / "config.toml"
    cfg_file.write_text(f'[daemon]\nlog_file = "{tmp_path / "daemon.log"}"\n')
    cfg = load(cfg_file)
    control = DaemonControl(cfg, f"tcp://0.0.0.0:{free_port()}", str(cfg_file), status_timeout=0.3)  # no keys
    app = TrayApp(control, opener=lambda p: None)
    items(app)["Start daemon"](app.icon)
    assert app.state == "error" and "requires CURVE keys" in app.detail
    assert app.icon.icon.getpixel((8, 30))[:3] == COLOURS["error"]
    assert app.refresh() == "error"  # stays visible until the user acts
    items(app)["Quit"](app.icon)
    assert app._stop.is_set()


def test_tray_command_without_a_tray_says_why(tmp_path):
    import subprocess

    env = dict(os.environ, PYSTRAY_BACKEND="nonexistent", XDG_CONFIG_HOME=str(tmp_path))
    out = subprocess.run([sys.executable, "-m", "lego_edit.daemon", "tray"], env=env, capture_output=True, text=True,
                         timeout=30, cwd=ROOT)
    assert out.returncode == 1 and "tray" in out.stderr and "Traceback" not in out.stderr
