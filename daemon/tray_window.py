"""The tray's control window: the daemon's state, Start, Stop, Open log, Open config folder.

Where the tray has no menu (pystray's plain X backend, a desktop without a GTK or AppIndicator
tray API), a click on the icon opens this window instead; where there is a menu, its "Controls…"
item opens it too. Tk from the standard library, in a thread of its own (every Tk call stays in
that thread); the buttons run the tray's own actions in worker threads so the window never blocks.

The buttons sit at fixed places (`BUTTONS`), so a desktop test can click them with the mouse.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

TITLE = "Lego Edit daemon"
SIZE = (300, 170)
# name -> (x, y, width, height) in the window
BUTTONS = {"start": (10, 60, 135, 32), "stop": (155, 60, 135, 32), "log": (10, 100, 135, 32),
           "config": (155, 100, 135, 32)}
CLOSE = (200, 135, 90, 28)
REFRESH_MS = 500


def tk_available() -> bool:
    try:
        import tkinter  # noqa: F401
    except ImportError:
        return False
    return True


class ControlWindow:
    """One window at a time; `show()` raises it when it is already open."""

    def __init__(self, app: Any, run_action: Callable[[Callable[[], Any]], None] | None = None) -> None:
        self.app = app
        self.run_action = run_action or (lambda action: threading.Thread(target=action, daemon=True).start())
        self._thread: threading.Thread | None = None
        self._root: Any = None
        self._lock = threading.Lock()
        self.error: str | None = None

    @property
    def open(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def show(self) -> None:
        with self._lock:
            if self.open:
                root = self._root
                if root is not None:
                    root.after(0, root.deiconify)
                    root.after(0, root.lift)
                return
            ready = threading.Event()
            self._thread = threading.Thread(target=self._main, args=(ready,), name="lego-edit-controls", daemon=True)
            self._thread.start()
        ready.wait(10)

    def close(self) -> None:
        root = self._root
        if root is not None:
            try:
                root.after(0, root.destroy)
            except RuntimeError:  # the Tk thread is already gone
                pass

    def _main(self, ready: threading.Event) -> None:
        try:
            import tkinter as tk
        except ImportError as exc:
            self.error = f"no Tk here: {exc}"
            ready.set()
            return
        try:
            root = tk.Tk(className="lego-edit-controls")
        except tk.TclError as exc:  # no display
            self.error = f"cannot open a window: {exc}"
            ready.set()
            return
        self._root = root
        root.title(TITLE)
        root.geometry(f"{SIZE[0]}x{SIZE[1]}+80+80")
        root.resizable(False, False)
        state = tk.StringVar(root, value="")
        tk.Label(root, textvariable=state, anchor="w", justify="left", wraplength=SIZE[0] - 20).place(
            x=10, y=8, width=SIZE[0] - 20, height=46)
        actions = {"start": ("Start daemon", self.app.on_start), "stop": ("Stop daemon", self.app.on_stop),
                   "log": ("Open log", self.app.on_open_log), "config": ("Open config", self.app.on_open_config)}
        buttons = {}

        def command(action: Callable[[], Any]) -> Callable[[], None]:
            return lambda: self.run_action(action)

        for name, (text, action) in actions.items():
            x, y, w, h = BUTTONS[name]
            buttons[name] = tk.Button(root, text=text, command=command(action))
            buttons[name].place(x=x, y=y, width=w, height=h)
        x, y, w, h = CLOSE
        tk.Button(root, text="Close", command=root.destroy).place(x=x, y=y, width=w, height=h)

        def refresh() -> None:
            running = self.app.running()
            state.set(f"Daemon: {self.app.detail}\nat {self.app.control.endpoint}")
            buttons["start"].configure(state="disabled" if running else "normal")
            buttons["stop"].configure(state="normal" if running else "disabled")
            root.after(REFRESH_MS, refresh)

        refresh()
        ready.set()
        try:
            root.mainloop()
        finally:
            self._root = None
