"""The tray on a real X desktop: Xvfb, a real XEmbed system tray (trayer), the mouse through xdotool.

- As the installer's autostart entry starts it (the pip-installed `lego-edit tray`, with a session
  bus): the icon has a GTK menu (the system's PyGObject, loaded by the tray); Start daemon, Stop
  daemon and Open log are clicked in it.
- With the plain X backend only (no session bus, so no GTK tray): a click on the icon opens the
  control window, whose Start, Stop and Open log buttons are clicked.

Each checks the daemon really starts and stops (its `status`) and that Open log opens the log.
Screenshots (artifacts): $LEGO_EDIT_ARTIFACTS/tray (default /tmp/lego-edit-artifacts/tray).
Packages: .ci/setup-tray.sh.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lego_edit.daemon.tray_window import BUTTONS
from tests.net import free_port, lego_edit_command
from tests.xvfb_screen import screenshot

ARTIFACTS = Path(os.environ.get("LEGO_EDIT_ARTIFACTS", "/tmp/lego-edit-artifacts")) / "tray"
MENU_ITEMS = {"start": 67, "stop": 92, "log": 142, "quit": 193}  # y of each item in GTK's menu (Adwaita)
TOOLS = ("Xvfb", "trayer", "xdotool", "dbus-run-session")

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X desktop"),
    pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS),
                       reason=f"needs {', '.join(TOOLS)} (run .ci/setup-tray.sh)"),
    # found, not imported: importing pystray picks its backend, which needs a display
    pytest.mark.skipif(importlib.util.find_spec("pystray") is None or importlib.util.find_spec("Xlib") is None,
                       reason="needs pystray (lego-edit[tray])"),
]


class Desktop:
    def __init__(self, display: str, fbdir: Path) -> None:
        self.display, self.fbdir = display, fbdir

    def xdo(self, *args: str, check: bool = True) -> str:
        proc = subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": self.display}, capture_output=True,
                              text=True, timeout=30)
        if check and proc.returncode != 0:
            raise AssertionError(f"xdotool {' '.join(args)}: {proc.returncode} {proc.stderr}")
        return proc.stdout.strip()

    def find(self, pattern: str, timeout: float = 20, min_height: int = 0) -> tuple[int, int, int, int]:
        """(x, y, width, height) of a visible window whose title matches `pattern`."""
        deadline = time.monotonic() + timeout
        while True:
            for window in self.xdo("search", "--onlyvisible", "--name", pattern, check=False).split():
                geometry = self.xdo("getwindowgeometry", "--shell", window, check=False)
                values = dict(line.split("=", 1) for line in geometry.splitlines() if "=" in line)
                if values and int(values["HEIGHT"]) >= min_height:
                    return int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"])
            assert time.monotonic() < deadline, f"no window {pattern!r}"
            time.sleep(0.2)

    def click(self, x: int, y: int, button: int = 1) -> None:
        self.xdo("mousemove", str(x), str(y), "click", str(button))

    def shot(self, name: str) -> Path:
        return screenshot(self.fbdir, ARTIFACTS / name)


@pytest.fixture
def desktop(tmp_path):
    fbdir = tmp_path / "fb"
    fbdir.mkdir()
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-nolisten", "tcp", "-screen", "0", "800x600x24",
                             "-fbdir", str(fbdir)], pass_fds=(write,), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        display = ":" + pipe.readline().strip()
    tray = subprocess.Popen(["trayer", "--edge", "top", "--align", "left", "--widthtype", "request", "--height", "32",
                             "--transparent", "false", "--SetDockType", "false"], env={**os.environ, "DISPLAY": display},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        desktop = Desktop(display, fbdir)
        desktop.find("^panel$")  # trayer is up and owns the tray before any icon looks for one
        time.sleep(0.5)
        yield desktop
    finally:
        for proc in (tray, xvfb):
            proc.terminate()
            proc.wait(10)


def user(tmp_path: Path, display: str) -> tuple[dict[str, str], str, Path, Path]:
    """(environment, endpoint, log file, opened-files record) of a user with their own config."""
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    log, record = tmp_path / "daemon.log", tmp_path / "opened.txt"
    config = tmp_path / "config.toml"
    config.write_text(f'[daemon]\nendpoint = "{endpoint}"\nlog_file = "{log}"\n')
    recorder = tmp_path / "record.py"
    recorder.write_text(f"import sys\nopen({str(record)!r}, 'a').write(sys.argv[1] + '\\n')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEGO_EDIT_", "PYSTRAY", "DBUS_SESSION"))}
    env.update(DISPLAY=display, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / ".config"),
               LEGO_EDIT_CONFIG=str(config), LEGO_EDIT_OPEN_COMMAND=f"{sys.executable} {recorder}")
    return env, endpoint, log, record


def daemon_state(endpoint: str) -> str | None:
    from lego_edit.plugins.client import Client, LegoError

    with Client(endpoint, keepalive=False) as client:
        try:
            return client.status(timeout=0.5)["state"]
        except LegoError:
            return None


def until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def stop(proc: subprocess.Popen, endpoint: str) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    if daemon_state(endpoint) is not None:  # a daemon a failed test left behind
        subprocess.run([*lego_edit_command(), "stop", "--endpoint", endpoint], capture_output=True, timeout=30)


def autostart_command(env: dict[str, str]) -> list[str]:
    """`lego-edit install --autostart` for this user, and the command its .desktop entry runs."""
    proc = subprocess.run([*lego_edit_command(), "install", "--gimp", "--no-pyzmq", "--autostart"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    entry = Path(env["XDG_CONFIG_HOME"]) / "autostart" / "lego-edit-tray.desktop"
    line = next(line for line in entry.read_text().splitlines() if line.startswith("Exec="))
    return shlex.split(line[len("Exec="):].replace("\\\\", "\\"))


def test_autostart_tray_has_a_menu_with_the_controls(tmp_path, desktop):
    env, endpoint, log, record = user(tmp_path, desktop.display)
    command = autostart_command(env)
    assert command[-1] == "tray"
    proc = subprocess.Popen(["dbus-run-session", "--", *command], env=env, stdout=subprocess.DEVNULL,
                            stderr=open(tmp_path / "tray.log", "wb"))
    try:
        icon = desktop.find("^Lego Edit: ")
        centre = (icon[0] + icon[2] // 2, icon[1] + icon[3] // 2)

        def choose(item: str, shot: str | None = None) -> None:
            time.sleep(1.0)  # the last menu has closed and the tray has shown its new state
            desktop.click(*centre, button=3)
            x, y, _, _ = desktop.find("^lego-edit$", min_height=150)
            time.sleep(0.5)
            if shot:
                desktop.shot(shot)
            desktop.xdo("mousemove", str(x + 60), str(y + MENU_ITEMS[item]))  # hover first, as a hand does
            time.sleep(0.3)
            desktop.xdo("click", "1")

        choose("start", "tray-menu.png")
        until(lambda: daemon_state(endpoint) == "idle", 30, "Start daemon did not start it")
        desktop.find("^Lego Edit: idle$", timeout=30)  # the tray has seen it too (its menu offers Stop now)
        choose("stop")
        until(lambda: daemon_state(endpoint) is None, 30, "Stop daemon did not stop it")
        desktop.find("^Lego Edit: not running$", timeout=30)
        choose("log")
        until(lambda: record.exists() and str(log) in record.read_text(), 10, "Open log opened nothing")
        choose("quit")
        assert proc.wait(15) == 0, (tmp_path / "tray.log").read_text()
    finally:
        stop(proc, endpoint)


def test_plain_x_tray_opens_the_control_window(tmp_path, desktop):
    env, endpoint, log, record = user(tmp_path, desktop.display)
    proc = subprocess.Popen([sys.executable, "-m", "lego_edit.daemon", "--log-level", "info", "tray"], env=env,
                            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "tray.log", "wb"))
    try:
        try:  # a loaded CI machine can take a while to start Python, pystray and the icon's window
            icon = desktop.find("^Lego Edit: ", timeout=45)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the tray's log: {(tmp_path / 'tray.log').read_text()[-2000:]}") from None
        # The icon's window can exist before it takes clicks; a user clicks again (Controls only ever shows the window).
        deadline = time.monotonic() + 45
        while True:
            desktop.click(icon[0] + icon[2] // 2, icon[1] + icon[3] // 2)
            try:
                x, y, _, _ = desktop.find("^Lego Edit daemon$", timeout=5)
                break
            except AssertionError as exc:
                if time.monotonic() > deadline:
                    raise AssertionError(f"{exc}; the tray's log: {(tmp_path / 'tray.log').read_text()[-2000:]}") from None
        time.sleep(0.5)
        desktop.shot("tray-controls.png")

        def press(name: str) -> None:
            bx, by, bw, bh = BUTTONS[name]
            desktop.click(x + bx + bw // 2, y + by + bh // 2)

        press("start")
        until(lambda: daemon_state(endpoint) == "idle", 30, "Start did not start the daemon")
        time.sleep(1.0)  # the window's state follows within its refresh
        press("stop")
        until(lambda: daemon_state(endpoint) is None, 30, "Stop did not stop the daemon")
        press("log")
        until(lambda: record.exists() and str(log) in record.read_text(), 10, "Open log opened nothing")
    finally:
        stop(proc, endpoint)
    assert "pystray._xorg" in (tmp_path / "tray.log").read_text()
