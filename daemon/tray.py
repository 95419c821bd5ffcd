"""`lego-edit tray`: a tray icon that shows the daemon's state and starts, stops and inspects it.

The icon is a small Lego brick drawn with Pillow, coloured by state: grey stopped, green idle,
amber busy, red error. The state comes from the daemon's own `status` reply, polled every few
seconds, so the icon also reflects a daemon started elsewhere (a terminal, autostart).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger("lego_edit.tray")

STATES = ("stopped", "idle", "busy", "error")
COLOURS = {"stopped": (128, 128, 128), "idle": (46, 160, 67), "busy": (230, 160, 20), "error": (210, 40, 40)}


class TrayUnavailable(RuntimeError):
    """pystray is missing, or there is no tray to put an icon in."""


def draw_icon(state: str, size: int = 64):
    """A Lego brick (body and two studs) in the state's colour; a white mark for busy and error."""
    from PIL import Image, ImageDraw

    colour = COLOURS[state]
    dark = tuple(int(c * 0.7) for c in colour)
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    s = size / 64
    for x in (12, 36):  # studs
        d.rounded_rectangle([x * s, 10 * s, (x + 16) * s, 22 * s], radius=3 * s, fill=colour, outline=dark,
                            width=max(1, int(2 * s)))
    d.rounded_rectangle([4 * s, 20 * s, 60 * s, 56 * s], radius=6 * s, fill=colour, outline=dark,
                        width=max(1, int(3 * s)))
    white = (255, 255, 255, 255)
    if state == "busy":
        for i, x in enumerate((18, 32, 46)):
            d.ellipse([(x - 4) * s, 34 * s, (x + 4) * s, 42 * s], fill=white if i != 1 else (255, 255, 255, 160))
    elif state == "error":
        d.rectangle([29 * s, 26 * s, 35 * s, 42 * s], fill=white)
        d.rectangle([29 * s, 46 * s, 35 * s, 51 * s], fill=white)
    elif state == "stopped":
        d.rectangle([18 * s, 35 * s, 46 * s, 41 * s], fill=white)
    return img


def open_path(path: Path) -> None:
    """Show a file or folder with the desktop's default program."""
    if sys.platform == "win32":
        os.startfile(str(path))  # noqa: S606 - the user's own file
    elif sys.platform == "darwin":
        subprocess.Popen(["open", str(path)])
    else:
        subprocess.Popen(["xdg-open", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class DaemonControl:
    """Start, stop and ask the daemon at one endpoint; a daemon the tray started is its child process."""

    def __init__(self, cfg: Any, endpoint: str, config_file: str | None = None, *, status_timeout: float = 1.5) -> None:
        self.cfg, self.endpoint, self.config_file = cfg, endpoint, config_file
        self.status_timeout = status_timeout
        self.process: subprocess.Popen | None = None

    def status(self) -> dict[str, Any] | None:
        from lego_edit.daemon.control import query_status

        return query_status(self.cfg, self.endpoint, self.status_timeout)

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        cmd = [sys.executable, "-m", "lego_edit.daemon", "serve", "--endpoint", self.endpoint]
        if self.config_file:
            cmd += ["--config", self.config_file]
        log.info("starting the daemon: %s", " ".join(cmd))
        self.process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, start_new_session=True)

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: the daemon cancels its jobs and tells its clients
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            return
        from lego_edit.daemon.control import stop_daemon

        stop_daemon(self.cfg, self.endpoint, timeout)

    def failure(self) -> str | None:
        """Why the daemon the tray started exited, if it failed."""
        if self.process is None or self.process.poll() in (None, 0):
            return None
        err = self.process.stderr.read().decode("utf-8", "replace").strip() if self.process.stderr else ""
        self.process.stderr = None
        return err.splitlines()[-1] if err else f"the daemon exited with status {self.process.returncode}"


class TrayApp:
    """The icon, its menu and a thread that polls the daemon. `icon_factory` is pystray.Icon unless a test
    passes another; `opener` shows files (the desktop's default program)."""

    def __init__(self, control: DaemonControl, *, icon_factory: Callable[..., Any] | None = None,
                 opener: Callable[[Path], None] = open_path, interval: float = 2.0) -> None:
        import pystray

        self.pystray = pystray
        self.control = control
        self.opener = opener
        self.interval = interval
        self.state = "stopped"
        self.detail = "not running"
        self.last_status: dict[str, Any] | None = None
        self._stop = threading.Event()
        factory = icon_factory or pystray.Icon
        self.icon = factory("lego-edit", draw_icon(self.state), "Lego Edit: stopped", menu=self.menu())

    # -- state ----------------------------------------------------------------------------------
    def refresh(self) -> str:
        failure = self.control.failure()  # a start that just failed: no need to ask anyone
        status = None if failure else self.control.status()
        if status is not None:
            self.last_status = status
            jobs = status.get("jobs", {})
            state = "busy" if status.get("state") == "busy" else "idle"
            detail = f"{jobs.get('running', 0)} running, {jobs.get('queued', 0)} queued" if state == "busy" \
                else "idle"
        elif failure:
            state, detail = "error", failure
        elif self.state == "error":
            state, detail = self.state, self.detail  # keep showing what went wrong until a start or a stop
        else:
            state, detail = "stopped", "not running"
        self._show(state, detail)
        return state

    def _show(self, state: str, detail: str) -> None:
        changed = state != self.state
        self.state, self.detail = state, detail
        self.icon.title = f"Lego Edit: {detail}"
        if changed:
            self.icon.icon = draw_icon(state)
        try:
            self.icon.update_menu()
        except NotImplementedError:  # the dummy backend has no menu to update
            pass

    def running(self) -> bool:
        return self.state in ("idle", "busy")

    # -- menu -----------------------------------------------------------------------------------
    def menu(self):
        Item, Menu = self.pystray.MenuItem, self.pystray.Menu
        return Menu(
            Item(lambda item: f"Daemon: {self.detail}", None, enabled=False),
            Menu.SEPARATOR,
            Item("Start daemon", self.on_start, enabled=lambda item: not self.running()),
            Item("Stop daemon", self.on_stop, enabled=lambda item: self.running()),
            Item("Show status", self.on_status),
            Item("Open log", self.on_open_log),
            Item("Open config folder", self.on_open_config),
            Menu.SEPARATOR,
            Item("Quit", self.on_quit),
        )

    def on_start(self, icon: Any = None, item: Any = None) -> None:
        try:
            self.control.start()
            self._show("stopped", "starting...")
        except OSError as exc:
            self._show("error", f"cannot start: {exc}")
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not self._stop.is_set():
            if self.refresh() in ("idle", "busy", "error"):
                return
            time.sleep(0.1)

    def on_stop(self, icon: Any = None, item: Any = None) -> None:
        try:
            self.control.stop()
        except Exception as exc:  # a CliError from stop_daemon, or the process refusing to die
            self._show("error", f"cannot stop: {exc}")
            return
        self._show("stopped", "not running")

    def status_text(self) -> str:
        status = self.control.status()
        if status is None:
            return f"No daemon is answering at {self.control.endpoint}."
        jobs = status.get("jobs", {})
        return (f"{status.get('state')} at {status.get('endpoint')} (pid {status.get('pid')}): "
                f"{jobs.get('running', 0)} running, {jobs.get('queued', 0)} queued, {status.get('clients', 0)} "
                f"client(s); builder {status.get('builder')}")

    def on_status(self, icon: Any = None, item: Any = None) -> str:
        text = self.status_text()
        try:
            self.icon.notify(text, "Lego Edit")
        except NotImplementedError:
            self.icon.title = f"Lego Edit: {text}"
        return text

    def on_open_log(self, icon: Any = None, item: Any = None) -> None:
        path = self.control.cfg.log_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
        self.opener(path)

    def on_open_config(self, icon: Any = None, item: Any = None) -> None:
        folder = self.control.cfg.dir
        folder.mkdir(parents=True, exist_ok=True)
        self.opener(folder)

    def on_quit(self, icon: Any = None, item: Any = None) -> None:
        """Quit the tray; a daemon the tray started keeps running (plugins may be using it)."""
        self._stop.set()
        self.icon.stop()

    # -- loop -----------------------------------------------------------------------------------
    def _poll(self, icon: Any) -> None:
        icon.visible = True
        while not self._stop.is_set():
            try:
                self.refresh()
            except Exception:
                log.exception("status poll failed")
            self._stop.wait(self.interval)

    def run(self) -> None:
        self.icon.run(setup=self._poll)


def run_tray(cfg: Any, endpoint: str, config_file: str | None = None) -> int:
    try:
        app = TrayApp(DaemonControl(cfg, endpoint, config_file))
    except ImportError as exc:
        raise TrayUnavailable(f"the tray needs pystray: pip install 'lego-edit[tray]' ({exc})") from None
    except Exception as exc:  # pystray's X backend raises Xlib errors when there is no display
        raise TrayUnavailable(f"no system tray available here: {type(exc).__name__}: {exc}") from None
    app.run()
    return 0
