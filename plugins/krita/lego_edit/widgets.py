"""Small Qt widgets the docker is made of: a one-line label that elides (full text in its tooltip),
a section that folds away, and text boxes where Ctrl+Enter submits.

They keep the docker short: nothing here asks for more height when a message is long.
"""

from __future__ import annotations

from .qt_compat import Qt, QtCore, QtGui, QtWidgets

_SUBMIT_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


def _is_submit(event) -> bool:
    control = Qt.KeyboardModifier.ControlModifier
    return event.key() in _SUBMIT_KEYS and (event.modifiers() & control) == control


class ElidedLabel(QtWidgets.QLabel):
    """One line, cut with "\u2026" to the width it has; the whole text is its tooltip (and `full_text`)."""

    def __init__(self, text: str = "", parent=None) -> None:
        super().__init__(parent)
        self.full_text = ""
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(10)
        self.set_full_text(text)

    def set_full_text(self, text: str, tooltip: str | None = None) -> None:
        self.full_text = text or ""
        extra = f"\n\n{tooltip}" if tooltip and tooltip != self.full_text else ""
        self.setToolTip((self.full_text + extra).strip())
        self._elide()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        line = " ".join(self.full_text.split())
        width = max(self.width() - 2, 10)
        super().setText(self.fontMetrics().elidedText(line, Qt.TextElideMode.ElideRight, width))

    def minimumSizeHint(self):  # noqa: N802 (Qt's name)
        hint = super().minimumSizeHint()
        return QtCore.QSize(10, hint.height())


class Section(QtWidgets.QWidget):
    """A titled part that folds away: a flat arrow button and the body under it."""

    def __init__(self, title: str, body: QtWidgets.QWidget, expanded: bool = False, parent=None) -> None:
        super().__init__(parent)
        self.toggle = QtWidgets.QToolButton()
        self.toggle.setText(title)
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.body = body
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toggle)
        layout.addWidget(body)
        self.toggle.toggled.connect(self.set_expanded)
        self.toggle.setChecked(expanded)
        self.set_expanded(expanded)

    def set_expanded(self, expanded: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.body.setVisible(expanded)
        if self.toggle.isChecked() != expanded:
            self.toggle.setChecked(expanded)

    @property
    def expanded(self) -> bool:
        return self.toggle.isChecked()


class InstructionEdit(QtWidgets.QPlainTextEdit):
    """The instruction box: Enter is a new line, Ctrl+Enter submits (`submitted`)."""

    submitted = QtCore.pyqtSignal()

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if _is_submit(event):
            event.accept()
            self.submitted.emit()
            return
        super().keyPressEvent(event)

    def sizeHint(self):  # noqa: N802 (Qt's name)
        lines = 3
        return QtCore.QSize(200, self.fontMetrics().lineSpacing() * lines + 12)

    def minimumSizeHint(self):  # noqa: N802 (Qt's name)
        return QtCore.QSize(60, self.fontMetrics().lineSpacing() * 2 + 10)


class FeedbackEdit(QtWidgets.QLineEdit):
    """The feedback line: Enter does nothing by itself (no surprise re-plan); Ctrl+Enter submits."""

    submitted = QtCore.pyqtSignal()

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if _is_submit(event):
            event.accept()
            self.submitted.emit()
            return
        if event.key() in _SUBMIT_KEYS:
            event.accept()  # swallowed: the dock must not pass it on either
            return
        super().keyPressEvent(event)


def pixmap_from_png(data: bytes):
    """A QPixmap of PNG bytes (a history thumbnail); a null pixmap for none."""
    pixmap = QtGui.QPixmap()
    if data:
        pixmap.loadFromData(data, "PNG")
    return pixmap
