"""Taking a preview back with Krita's own Undo, so Discard leaves the undo stack as it was.

Krita's Python API has no access to a document's undo stack, and removing a node through it
(`Node.remove`) records a "Remove Layer" command and waits for the whole image to be recomposed.
While the preview's "Add Layer" is still the newest command, Krita's Undo takes it back instead:
the stack is back where it was before the edit (the add becomes a redo entry, which the next
command drops), and Krita runs the undo as a background stroke, so the UI does not wait.

What the newest command is comes from Krita's Undo History docker: its list shows the active
document's stack, one row per command after an "<empty>" row, and its current row is the stack's
index. A `Mark` is that state taken just before the add; the add (pushed to the stack when Krita
has run it, possibly a tick later) makes it `(current + 2 rows, current + 1)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UNDO_ACTION = "edit_undo"
HISTORY_DOCKER = "History"


@dataclass(frozen=True)
class Mark:
    """The undo stack as the History docker shows it: the number of rows and the current row."""

    rows: int
    current: int

    def after_one_push(self) -> Mark:
        """The stack once one more command is pushed (any redo entries are dropped by the push)."""
        return Mark(self.current + 2, self.current + 1)


def _is_active(doc: Any) -> bool:
    try:
        from krita import Krita

        active = Krita.instance().activeDocument()
        return active is not None and doc is not None and active == doc
    except Exception:
        return False


def _history_view() -> Any:
    try:
        from krita import Krita

        from .qt_compat import QtWidgets

        for dock in Krita.instance().dockers():
            if dock.objectName() == HISTORY_DOCKER:
                views = dock.findChildren(QtWidgets.QListView)
                if views and views[0].model() is not None and views[0].selectionModel() is not None:
                    return views[0]
    except Exception:
        pass
    return None


def current(doc: Any) -> Mark | None:
    """The undo stack of `doc` now, or None when it cannot be seen (not the active document, no History docker)."""
    if not _is_active(doc):
        return None
    view = _history_view()
    if view is None:
        return None
    return Mark(view.model().rowCount(), view.selectionModel().currentIndex().row())


def undo_newest(doc: Any, before: Mark | None) -> bool:
    """Undo the one command pushed since `before` if it is still the newest; False (nothing done) otherwise.

    Ambiguous states are refused: a stack at Krita's undo limit drops its oldest command on a push,
    which leaves the rows as they were, so a push cannot be told from no push there."""
    if before is None:
        return False
    now = current(doc)
    if now is None or now != before.after_one_push():
        return False
    try:
        from krita import Krita

        action = Krita.instance().action(UNDO_ACTION)
        if action is None:
            return False
        action.trigger()
    except Exception:
        return False
    return True
