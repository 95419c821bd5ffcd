"""PyQt5 (Krita 5) or PyQt6 (Krita 6) behind one import: `from .qt_compat import QtCore, QtGui, QtWidgets`.

The binding is the one Krita itself loaded (its `krita` module imports it before any plugin), so a
system that has both never gets a second Qt in the process. Enums are used in their scoped form
(`Qt.AlignmentFlag.AlignLeft`), which PyQt5 5.11+ and PyQt6 both accept.
"""

from __future__ import annotations

import importlib
import sys


def _binding() -> str:
    for name in ("PyQt6", "PyQt5"):
        if f"{name}.QtCore" in sys.modules:
            return name
    try:  # nothing loaded yet (a unit test outside Krita): ask Krita which Qt it is built on
        from krita import Krita  # noqa: F401  (importing krita loads its binding)
    except ImportError:
        pass
    for name in ("PyQt6", "PyQt5"):
        if f"{name}.QtCore" in sys.modules:
            return name
    for name in ("PyQt5", "PyQt6"):
        try:
            importlib.import_module(f"{name}.QtCore")
            return name
        except ImportError:
            continue
    raise ImportError("Lego Edit needs PyQt5 (Krita 5) or PyQt6 (Krita 6)")


BINDING = _binding()
QT6 = BINDING == "PyQt6"
QtCore = importlib.import_module(f"{BINDING}.QtCore")
QtGui = importlib.import_module(f"{BINDING}.QtGui")
QtWidgets = importlib.import_module(f"{BINDING}.QtWidgets")

Qt = QtCore.Qt
QTimer = QtCore.QTimer
QSocketNotifier = QtCore.QSocketNotifier
# QAction moved from QtWidgets (Qt 5) to QtGui (Qt 6).
QAction = getattr(QtGui, "QAction", None) or QtWidgets.QAction


def exec_(obj, *args):
    """`exec()` on PyQt6, `exec_()` on PyQt5 (dialogs, menus, event loops)."""
    method = getattr(obj, "exec", None) or obj.exec_
    return method(*args)


def process_events(ms: int = 0) -> None:
    """Let Qt handle pending events (used by the blocking scripting API while it waits)."""
    app = QtCore.QCoreApplication.instance()
    if app is not None:
        if ms:
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, ms)
        else:
            app.processEvents()
