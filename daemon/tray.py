"""`lego-edit tray`: a tray icon that shows the daemon's state and starts, stops and inspects it.

The icon is a small Lego brick drawn with Pillow, coloured by state: grey stopped, green idle,
amber busy, red error. The state comes from the daemon's own `status` reply, polled every few
seconds, so the icon also reflects a daemon started elsewhere (a terminal, autostart).

A menu needs pystray's AppIndicator or GTK backend, which need PyGObject. pip cannot install that
into a virtual environment without a compiler, but the desktop's own Python usually has it
(python3-gi): `use_system_gi()` loads the system's `gi` package when it was built for this Python, so
a pip-installed tray has its menu too. Where only the plain X backend is left (no menus there), a
click on the icon opens a small control window (tray_window.py) with the same actions.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shlex
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from lego_edit.daemon.tray_window import ControlWindow, tk_available

log = logging.getLogger("lego_edit.tray")

STATES = ("stopped", "idle", "busy", "error")
COLOURS = {"stopped": (128, 128, 128), "idle": (46, 160, 67), "busy": (230, 160, 20), "error": (210, 40, 40)}


SYSTEM_SITE_DIRS = ("/usr/lib/python3/dist-packages", f"/usr/lib/python3.{sys.version_info.minor}/site-packages",
                    f"/usr/lib64/python3.{sys.version_info.minor}/site-packages",
                    f"/usr/local/lib/python3.{sys.version_info.minor}/dist-packages")


class TrayUnavailable(RuntimeError):
    """pystray is missing, or there is no tray to put an icon in."""


def use_system_gi(dirs: Iterable[str] = SYSTEM_SITE_DIRS) -> str | None:
    """Make `import gi` work: this Python's own gi, else the system's if its binary module fits this Python.

    Only the `gi` package is taken from the system folder (not the folder itself on sys.path), so no
    other system package can shadow the environment's own. Returns gi's folder, or None."""
    try:
        import gi

        return os.path.dirname(gi.__file__ or "")
    except ImportError:
        pass
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    for folder in dirs:
        package = Path(folder) / "gi"
        if not (package / "__init__.py").is_file() or not (package / f"_gi{suffix}").is_file():
            continue
        spec = importlib.util.spec_from_file_location("gi", package / "__init__.py",
                                                      submodule_search_locations=[str(package)])
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        sys.modules["gi"] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # built for another Python after all: leave it
            del sys.modules["gi"]
            log.info("the system's gi at %s does not load here: %s", package, exc)
            continue
        log.info("using the system's PyGObject from %s for the tray menu", package)
        return str(package)
    return None


def _typelib(namespace: str, version: str) -> bool:
    try:
        import gi

        gi.require_version(namespace, version)
        return True
    except (ImportError, ValueError):
        return False


def status_notifier_host() -> bool:
    """Whether the session bus has a StatusNotifier watcher (GNOME with AppIndicator, KDE, most panels)."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False  # asking would start a bus (dbus-launch) just to hear there is none
    try:
        from gi.repository import Gio, GLib

        bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        reply = bus.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner",
                              GLib.Variant("(s)", ("org.kde.StatusNotifierWatcher",)), GLib.VariantType("(b)"),
                              Gio.DBusCallFlags.NONE, 1000, None)
        return bool(reply.unpack()[0])
    except Exception:  # no gi, no session bus
        return False


def choose_backend() -> str:
    """pystray's backend for this Linux desktop: AppIndicator where a StatusNotifier host listens, else GTK
    (an XEmbed tray, with a menu), else the plain X one (no menu: a click opens the control window)."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") or use_system_gi() is None:
        return "xorg"  # pystray's GTK and AppIndicator backends need gi and a session bus
    indicator = _typelib("AyatanaAppIndicator3", "0.1") or _typelib("AppIndicator3", "0.1")
    if indicator and _typelib("Gtk", "3.0") and status_notifier_host():
        return "appindicator"
    if _typelib("Gtk", "3.0"):
        return "gtk"
    return "xorg"


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


OPEN_COMMAND_ENV = "LEGO_EDIT_OPEN_COMMAND"  # a program to show the log and the config folder with


def open_path(path: Path) -> None:
    """Show a file or folder with $LEGO_EDIT_OPEN_COMMAND, else the desktop's default program."""
    command = os.environ.get(OPEN_COMMAND_ENV)
    if command:
        subprocess.Popen([*shlex.split(command), str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elif sys.platform == "win32":
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

    def alive(self) -> bool:
        """The daemon this tray started is still running, whether or not it answers yet."""
        return self.process is not None and self.process.poll() is None

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
        if sys.platform.startswith("linux") and not os.environ.get("PYSTRAY_BACKEND"):
            os.environ["PYSTRAY_BACKEND"] = choose_backend()
        import pystray

        self.pystray = pystray
        self.control = control
        self.opener = opener
        self.interval = interval
        self.state = "stopped"
        self.detail = "not running"
        self.last_status: dict[str, Any] | None = None
        self._stop = threading.Event()
        self.window = ControlWindow(self)
        factory = icon_factory or pystray.Icon
        try:
            self.icon = factory("lego-edit", draw_icon(self.state), "Lego Edit: stopped", menu=self.menu())
        except Exception as exc:
            if icon_factory is not None or os.environ.get("PYSTRAY_BACKEND") not in ("gtk", "appindicator"):
                raise
            # a GTK backend that cannot start here (no session bus, say): the plain X icon and its window
            log.warning("the %s tray backend failed (%s); using the plain X one", os.environ["PYSTRAY_BACKEND"], exc)
            from pystray import _xorg

            self.icon = _xorg.Icon("lego-edit", draw_icon(self.state), "Lego Edit: stopped", menu=self.menu())
        self._listen_for_clicks()

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
        elif self.control.alive():
            # our daemon is loading, or too busy to answer within the poll: it still runs, and Stop stays offered
            state = self.state if self.state in ("idle", "busy") else "stopped"
            detail = "starting..." if state == "stopped" else "not answering"
        else:
            state, detail = "stopped", "not running"
        self._show(state, detail)
        return state

    def _listen_for_clicks(self) -> None:
        """pystray's plain X icon dispatches button presses but never asks X for them (0.19): ask here."""
        window = getattr(self.icon, "_window", None)
        if type(self.icon).__module__ != "pystray._xorg" or window is None:
            return
        try:
            from Xlib import X

            window.change_attributes(event_mask=X.ExposureMask | X.StructureNotifyMask | X.ButtonPressMask)
            self.icon._display.flush()
        except Exception as exc:  # another pystray: its own event mask stands
            log.warning("cannot listen for clicks on the tray icon: %s", exc)

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
        return self.state in ("idle", "busy") or self.control.alive()

    # -- menu -----------------------------------------------------------------------------------
    def menu(self):
        Item, Menu = self.pystray.MenuItem, self.pystray.Menu
        return Menu(
            # the default item: a click on the icon. Backends without menus (plain X) have only this.
            Item("Controls\u2026", self.on_controls, default=True),
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

    @property
    def has_menu(self) -> bool:
        return bool(getattr(self.icon, "HAS_MENU", False))

    def on_controls(self, icon: Any = None, item: Any = None) -> None:
        """The control window (state, Start/Stop, log, config); the status as a message where Tk is missing."""
        if tk_available():
            self.window.show()
            if self.window.error is None:
                return
            log.warning("no control window: %s", self.window.error)
        self.on_status()

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
        except Exception:  # no notifications here (the dummy backend, a session without a notification daemon)
            self.icon.title = f"Lego Edit: {text}"
        return text

    def on_open_log(self, icon: Any = None, item: Any = None) -> None:
        path = self.control.cfg.log_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
        self._open(path)

    def on_open_config(self, icon: Any = None, item: Any = None) -> None:
        folder = self.control.cfg.dir
        folder.mkdir(parents=True, exist_ok=True)
        self._open(folder)

    def _open(self, path: Path) -> None:
        try:
            self.opener(path)
        except OSError as exc:  # no xdg-open, say
            self._show(self.state, f"cannot open {path}: {exc}")

    def on_quit(self, icon: Any = None, item: Any = None) -> None:
        """Quit the tray; a daemon the tray started keeps running (plugins may be using it)."""
        self._stop.set()
        self.window.close()
        try:
            self.icon.stop()
        except Exception as exc:  # pystray's GTK backend hides its notification over D-Bus, which may be absent
            log.info("the tray icon stopped with: %s", exc)

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
        log.info("tray backend %s (%s)", type(self.icon).__module__,
                 "with a menu" if self.has_menu else "no menu: a click opens the control window")
        try:
            self.icon.run(setup=self._poll)
        except Exception as exc:
            if not self._stop.is_set():
                raise
            # quitting: pystray's GTK backend withdraws its notification over D-Bus, which may not be there
            log.info("the tray icon stopped with: %s", exc)


def run_tray(cfg: Any, endpoint: str, config_file: str | None = None) -> int:
    try:
        app = TrayApp(DaemonControl(cfg, endpoint, config_file))
    except ImportError as exc:
        raise TrayUnavailable(f"the tray needs pystray: pip install 'lego-edit[tray]' ({exc})") from None
    except Exception as exc:  # pystray's X backend raises Xlib errors when there is no display
        raise TrayUnavailable(f"no system tray available here: {type(exc).__name__}: {exc}") from None
    app.run()
    return 0
