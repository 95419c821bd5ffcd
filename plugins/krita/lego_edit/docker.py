"""The "Lego Edit" docker: instruction, Edit/Cancel, progress, preview (Apply / Discard / Next
variation), feedback, the queue, the document's history, and folded-away settings and details.

Nothing here blocks Krita: requests are sent at once, the client is polled from a QTimer (fast while
a job runs, slow when idle), and pixels are read and written a strip per slice of a tick. Each edit
is bound to its document (client/workspace.py keeps what belongs to which); the work itself is
api.EditJob, the code path scripts use too. The panel is short: one-line messages (the whole text
in the tooltip), and everything but the edit itself folds away, inside a scroll area.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import tempfile
import time

from krita import DockWidget, Krita

from . import api, pixels
from .qt_compat import QtCore, QTimer, QtWidgets
from .widgets import ElidedLabel, FeedbackEdit, InstructionEdit, Section, pixmap_from_png

try:
    from .lego_edit_client import address, daemon_launch, edit_history, plain_words
    from .lego_edit_client.workspace import Placement, Workspace
except ImportError:  # no client vendored (api says so when an edit starts)
    address = daemon_launch = edit_history = plain_words = None  # type: ignore[assignment]
    Placement = Workspace = None  # type: ignore[assignment,misc]

SETTINGS = "lego_edit"
MAX_RECENT = 15
BUSY_MS, IDLE_MS = 40, 400
PIXELS_MS = 5  # while pixels are read or written: short slices, with Krita's own events between them
WORK_BUDGET_S = 0.012  # pixel work per tick: the UI stays responsive while a large result is written
CONNECT_GRACE_S = 2.0  # how long "Connecting..." shows before "not running"
HISTORY_ANNOTATION = "lego_edit_history"
BACKENDS = [("Daemon default", ""), ("Auto (a model if reachable, else rules)", "auto"), ("Rules (offline)", "rules"),
            ("Local model", "local"), ("OpenAI-compatible", "openai")]
SOURCES = [("Visible image", "visible"), ("Active layer", "layer")]
FEEDBACK_HINT = ("What to change, e.g. \u201cstill a smudge where the ball was\u201d, \u201cyou missed the "
                 "handle\u201d, \u201ctoo strong\u201d \u2014 Ctrl+Enter re-plans")


def read_setting(name: str, default: str = "") -> str:
    try:
        return Krita.instance().readSetting(SETTINGS, name, default)
    except Exception:
        return default


def write_setting(name: str, value: str) -> None:
    try:
        Krita.instance().writeSetting(SETTINGS, name, value)
    except Exception:
        pass


class LegoEditDocker(DockWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Lego Edit")
        self.setObjectName("lego_edit_docker")
        self.client = None
        self.client_since = 0.0
        self.workspace = Workspace() if Workspace is not None else None
        self.job: api.EditJob | None = None  # the newest edit started here (any document)
        self.daemon_process: subprocess.Popen | None = None
        self.daemon_log = os.path.join(tempfile.gettempdir(), "lego-edit-serve.log")
        self.ticks = 0  # timer ticks so far (tests read it to see the UI loop running)
        self._had_selection: bool | None = None
        self._connection = "connecting"
        self._shown_doc = None
        self._replan_entry = None  # a history entry Re-plan starts from (set by "Re-plan from")
        self._endpoint = api.resolve_endpoint(read_setting("endpoint", ""))
        self._build_ui()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self.timer.start(IDLE_MS)
        # plain functions, not this widget's methods: Krita deletes its dockers before it says it is closing,
        # and a connection to a deleted QObject's method is dropped without a word
        app = QtWidgets.QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(lambda: self._quitting())
        try:  # Krita says it is closing before Qt's aboutToQuit (which may come after plugins are gone)
            notifier = Krita.instance().notifier()
            notifier.setActive(True)
            notifier.applicationClosing.connect(lambda: self._closing())
        except Exception:
            pass
        atexit.register(self._quitting)
        self._refresh()

    # -- UI ---------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        W = QtWidgets
        content = W.QWidget()
        layout = W.QVBoxLayout(content)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(3)

        conn = W.QHBoxLayout()
        self.connection_label = ElidedLabel("Connecting\u2026")
        self.start_button = W.QPushButton("Start daemon")
        self.start_button.setToolTip("Run `lego-edit serve` in the background (stopped again when Krita quits)")
        self.start_button.clicked.connect(self.start_daemon)
        self.start_button.setVisible(False)
        conn.addWidget(self.connection_label, 1)
        conn.addWidget(self.start_button)
        layout.addLayout(conn)

        self.recent_combo = W.QComboBox()
        self.recent_combo.setToolTip("Recent instructions")
        self.recent_combo.setSizeAdjustPolicy(W.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.recent_combo.setMinimumContentsLength(8)
        self.recent_combo.activated.connect(self._recent_chosen)
        layout.addWidget(self.recent_combo)
        self.instruction_edit = InstructionEdit()
        self.instruction_edit.setPlaceholderText("Describe the edit, e.g. \u201cremove the red ball\u201d "
                                                 "(Ctrl+Enter runs it)")
        self.instruction_edit.setMaximumHeight(72)
        self.instruction_edit.submitted.connect(self.start_edit)
        layout.addWidget(self.instruction_edit)

        buttons = W.QHBoxLayout()
        self.edit_button = W.QPushButton("Edit")
        self.edit_button.setToolTip("Run the instruction (Ctrl+Enter); edits queue while others run")
        self.edit_button.clicked.connect(self.start_edit)
        self.cancel_button = W.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_edit)
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)

        self.progress = W.QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        layout.addWidget(self.progress)
        self.status_label = ElidedLabel("")
        layout.addWidget(self.status_label)

        self.preview_row = W.QWidget()
        row = W.QHBoxLayout(self.preview_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.apply_button = W.QPushButton("Apply")
        self.apply_button.setToolTip("Keep the result (one Ctrl+Z takes it back)")
        self.apply_button.clicked.connect(self.apply_preview)
        self.discard_button = W.QPushButton("Discard")
        self.discard_button.setToolTip("Remove the preview; the document stays as it was")
        self.discard_button.clicked.connect(self.discard_preview)
        self.variation_button = W.QPushButton("Next variation")
        self.variation_button.setToolTip("Discard this preview and run the same edit again")
        self.variation_button.clicked.connect(self.next_variation)
        for button in (self.apply_button, self.discard_button, self.variation_button):
            row.addWidget(button)
        layout.addWidget(self.preview_row)

        fb = W.QHBoxLayout()
        self.feedback_edit = FeedbackEdit()
        self.feedback_edit.setPlaceholderText(FEEDBACK_HINT)
        self.feedback_edit.setToolTip(FEEDBACK_HINT)
        self.feedback_edit.submitted.connect(self.replan)
        self.replan_button = W.QPushButton("Re-plan")
        self.replan_button.setToolTip("Re-plan the last edit of this document with the feedback")
        self.replan_button.clicked.connect(self.replan)
        fb.addWidget(self.feedback_edit, 1)
        fb.addWidget(self.replan_button)
        layout.addLayout(fb)

        self.queue_label = ElidedLabel("")
        layout.addWidget(self.queue_label)
        self.queue_list = W.QListWidget()
        self.queue_list.setMaximumHeight(70)
        layout.addWidget(self.queue_list)

        history = W.QWidget()
        hl = W.QVBoxLayout(history)
        hl.setContentsMargins(0, 0, 0, 0)
        self.history_list = W.QListWidget()
        self.history_list.setIconSize(QtCore.QSize(48, 48))
        self.history_list.setMaximumHeight(120)
        hl.addWidget(self.history_list)
        hb = W.QHBoxLayout()
        self.history_show = W.QPushButton("Show/hide")
        self.history_show.setToolTip("Show or hide this result's layers, to compare")
        self.history_show.clicked.connect(self.history_toggle)
        self.history_reapply = W.QPushButton("Re-apply")
        self.history_reapply.setToolTip("Run this edit again on the image as it is now")
        self.history_reapply.clicked.connect(self.history_reapply_edit)
        self.history_replan = W.QPushButton("Re-plan from")
        self.history_replan.setToolTip("Start a re-plan from this edit: write the feedback, then Re-plan")
        self.history_replan.clicked.connect(self.history_replan_from)
        for button in (self.history_show, self.history_reapply, self.history_replan):
            hb.addWidget(button)
        hl.addLayout(hb)
        self.history_section = Section("History", history)
        layout.addWidget(self.history_section)

        options = W.QWidget()
        form = W.QFormLayout(options)
        form.setContentsMargins(0, 0, 0, 0)
        self.source_combo = W.QComboBox()
        for label, value in SOURCES:
            self.source_combo.addItem(label, value)
        self._select_data(self.source_combo, read_setting("source", "visible"))
        form.addRow("Edit", self.source_combo)
        self.placement_combo = W.QComboBox()
        for place in (Placement or ()):
            self.placement_combo.addItem(place.label, place.value)
        self._select_data(self.placement_combo, read_setting("placement", "above"))
        form.addRow("Result", self.placement_combo)
        self.selection_check = W.QCheckBox("Use the selection as the mask")
        form.addRow(self.selection_check)
        self.masks_check = W.QCheckBox("Keep the masks as hidden layers")
        self.masks_check.setChecked(read_setting("show_masks", "true") == "true")
        form.addRow(self.masks_check)
        self.backend_combo = W.QComboBox()
        for label, value in BACKENDS:
            self.backend_combo.addItem(label, value)
        self._select_data(self.backend_combo, read_setting("backend", ""))
        form.addRow("Planner", self.backend_combo)
        self.endpoint_edit = W.QLineEdit(address.address_of(self._endpoint) if address else self._endpoint)
        self.endpoint_edit.setPlaceholderText("127.0.0.1:5588")
        self.endpoint_edit.setToolTip("Where the daemon listens, as host:port. Empty: $LEGO_EDIT_ENDPOINT, else the "
                                      "daemon's config.toml, else 127.0.0.1:5588")
        self.endpoint_edit.editingFinished.connect(self._endpoint_changed)
        form.addRow("Daemon", self.endpoint_edit)
        self.endpoint_note = ElidedLabel("")
        form.addRow(self.endpoint_note)
        daemon_row = W.QHBoxLayout()
        self.settings_start = W.QPushButton("Start daemon")
        self.settings_start.clicked.connect(self.start_daemon)
        self.stop_button = W.QPushButton("Stop daemon")
        self.stop_button.clicked.connect(self.stop_daemon)
        daemon_row.addWidget(self.settings_start)
        daemon_row.addWidget(self.stop_button)
        form.addRow(daemon_row)
        self.settings_section = Section("Settings", options)
        layout.addWidget(self.settings_section)

        self.details_text = W.QPlainTextEdit()
        self.details_text.setReadOnly(True)
        self.details_text.setMaximumHeight(120)
        self.details_section = Section("Details (the plan and its bricks)", self.details_text)
        layout.addWidget(self.details_section)
        layout.addStretch(1)

        scroll = W.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(W.QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        self.scroll = scroll
        self._load_recent()
        self.setWidget(scroll)

    @staticmethod
    def _select_data(combo, value) -> None:
        index = combo.findData(value)
        if index >= 0:
            combo.setCurrentIndex(index)

    def _load_recent(self) -> None:
        try:
            recent = json.loads(read_setting("recent", "[]"))
        except ValueError:
            recent = []
        self.recent = [r for r in recent if isinstance(r, str)][:MAX_RECENT]
        self.recent_combo.clear()
        self.recent_combo.addItem("Recent instructions\u2026" if self.recent else "No recent instructions", "")
        for text in self.recent:
            self.recent_combo.addItem(text if len(text) < 60 else text[:57] + "\u2026", text)

    def _remember(self, text: str) -> None:
        self.recent = [text] + [r for r in self.recent if r != text]
        del self.recent[MAX_RECENT:]
        write_setting("recent", json.dumps(self.recent))
        self._load_recent()

    def _recent_chosen(self, index: int) -> None:
        text = self.recent_combo.itemData(index)
        if text:
            self.instruction_edit.setPlainText(text)
        self.recent_combo.setCurrentIndex(0)

    # -- the document on screen -------------------------------------------------------------------
    def _doc(self):
        try:
            return Krita.instance().activeDocument()
        except Exception:
            return None

    def _state(self, doc=None, create: bool = True):
        doc = doc if doc is not None else self._doc()
        if doc is None or self.workspace is None:
            return None
        state = self.workspace.state(doc) if create else self.workspace.find(doc)
        if state is not None and not state.history_loaded:
            state.history_loaded = True
            state.history = self._read_history(doc)
        return state

    def _refresh(self) -> None:
        """Show the state of the document on screen (its message, progress, preview, history)."""
        state = self._state() if self._doc() is not None else None
        running = state.running if state is not None else []
        busy_here = bool(running)
        connected = self._connection == "connected"
        can_submit = self.workspace is None or self.workspace.can_submit
        self.edit_button.setEnabled(connected and can_submit)
        self.cancel_button.setEnabled(busy_here)
        self.replan_button.setEnabled(connected and can_submit and (
            (state is not None and state.last is not None) or self._replan_entry is not None))
        self.start_button.setVisible(self._connection == "down")
        alive = self.daemon_process is not None and self.daemon_process.poll() is None
        self.start_button.setEnabled(not alive)
        self.settings_start.setEnabled(self._connection != "connected" and not alive)
        self.stop_button.setEnabled(self._connection == "connected" or alive)
        if state is None:
            self.status_label.set_full_text("" if self._doc() is not None else "Open an image to edit it.")
            self.progress.setValue(0)
            self.preview_row.setVisible(False)
        else:
            job = running[-1] if running else None
            self.progress.setValue(int(job.fraction * 1000) if job is not None else
                                   (1000 if state.preview is not None else 0))
            self.status_label.set_full_text(job.status if job is not None else state.message,
                                            job.details if job is not None else None)
            self.status_label.setStyleSheet("color: #d04040;" if state.error and job is None else "")
            self.preview_row.setVisible(state.preview is not None)
            shown = job or state.preview or state.last
            if shown is not None and shown.details:
                self.details_text.setPlainText(shown.details)
        self._fill_queue()
        if self._shown_doc is None or state is None or not self._same_doc(self._shown_doc, self._doc()):
            self._shown_doc = self._doc()
            self._fill_history()

    @staticmethod
    def _same_doc(a, b) -> bool:
        try:
            return a is not None and b is not None and a == b
        except Exception:
            return False

    def _fill_queue(self) -> None:
        jobs = self.workspace.running if self.workspace is not None else []
        self.queue_label.set_full_text(self.workspace.queue_text() if self.workspace is not None else "")
        self.queue_label.setVisible(bool(jobs))
        self.queue_list.setVisible(bool(jobs))
        if [self.queue_list.item(i).data(QtCore.Qt.ItemDataRole.UserRole) for i in range(self.queue_list.count())] \
                == [id(job) for job in jobs]:
            for i, job in enumerate(jobs):
                self.queue_list.itemWidget(self.queue_list.item(i)).findChild(ElidedLabel).set_full_text(
                    self._queue_text(job))
            return
        self.queue_list.clear()
        for job in jobs:
            item = QtWidgets.QListWidgetItem()
            item.setData(QtCore.Qt.ItemDataRole.UserRole, id(job))
            row = QtWidgets.QWidget()
            line = QtWidgets.QHBoxLayout(row)
            line.setContentsMargins(2, 0, 2, 0)
            line.addWidget(ElidedLabel(self._queue_text(job)), 1)
            cancel = QtWidgets.QToolButton()
            cancel.setText("\u2715")
            cancel.setToolTip("Cancel this edit")
            cancel.clicked.connect(lambda _=False, j=job: self.cancel_job(j))
            line.addWidget(cancel)
            item.setSizeHint(row.sizeHint())
            self.queue_list.addItem(item)
            self.queue_list.setItemWidget(item, row)

    @staticmethod
    def _queue_text(job) -> str:
        return f"{job.instruction or 're-plan'} \u2014 {job.status}"

    # -- history ------------------------------------------------------------------------------------
    def _read_history(self, doc) -> list:
        if edit_history is None:
            return []
        try:
            return edit_history.decode(bytes(doc.annotation(HISTORY_ANNOTATION)))
        except Exception:
            return []

    def _write_history(self, state) -> None:
        from .qt_compat import QtCore as Core

        try:
            state.doc.setAnnotation(HISTORY_ANNOTATION, "Lego Edit history",
                                    Core.QByteArray(edit_history.encode(state.history)))
        except Exception as exc:
            state.say(f"The history could not be kept in the document: {exc}", error=True)

    def _fill_history(self) -> None:
        self.history_list.clear()
        state = self._state(create=False)
        entries = state.history if state is not None else []
        for index, entry in reversed(list(enumerate(entries))):
            item = QtWidgets.QListWidgetItem(f"{entry.instruction}\n{entry.plan} \u00b7 {entry.when[-5:]}")
            item.setToolTip(entry.text)
            item.setIcon(QtWidgets.QApplication.style().standardIcon(
                QtWidgets.QStyle.StandardPixmap.SP_FileIcon) if not entry.thumbnail else _icon(entry.thumbnail))
            item.setData(QtCore.Qt.ItemDataRole.UserRole, index)
            self.history_list.addItem(item)
        self.history_section.toggle.setText(f"History ({len(entries)})" if entries else "History")

    def _history_entry(self):
        state = self._state(create=False)
        item = self.history_list.currentItem()
        if state is None or item is None:
            return None, None
        index = item.data(QtCore.Qt.ItemDataRole.UserRole)
        return state, state.history[index] if 0 <= index < len(state.history) else None

    def history_toggle(self) -> None:
        state, entry = self._history_entry()
        if entry is None:
            return
        node = _find_named(state.doc.rootNode(), entry.layer)
        if node is None:
            state.say("That result's layers are no longer in the document; Re-apply runs the edit again.")
        else:
            node.setVisible(not node.visible())
            state.doc.refreshProjection()
        self._refresh()

    def history_reapply_edit(self) -> None:
        state, entry = self._history_entry()
        if entry is not None:
            self._run(state.doc, entry.instruction, feedback=list(entry.feedback))

    def history_replan_from(self) -> None:
        state, entry = self._history_entry()
        if entry is None:
            return
        self._replan_entry = entry
        self.instruction_edit.setPlainText(entry.instruction)
        self.feedback_edit.setFocus()
        state.say(f"Write what to change about \u201c{entry.instruction}\u201d, then Re-plan.")
        self._refresh()

    # -- Krita hooks ------------------------------------------------------------------------------
    def canvasChanged(self, canvas) -> None:  # noqa: N802 (Krita's name)
        self._sync_selection()
        self._refresh()
        doc = self._doc()
        if doc is not None:  # the scratch document the results are assembled in, made now rather than mid-edit
            QTimer.singleShot(300, lambda: api.warm_scratch(doc))

    def _sync_selection(self) -> None:
        """"Use the selection" follows whether a selection exists; the user may still change it between."""
        try:
            has = pixels.has_selection(self._doc())
        except Exception:
            has = False
        if has != self._had_selection:
            self._had_selection = has
            self.selection_check.setChecked(has)

    # -- the client loop --------------------------------------------------------------------------
    def endpoint(self) -> str:
        """The Daemon field (host:port), else $LEGO_EDIT_ENDPOINT, the daemon's config.toml, the default."""
        return self._endpoint

    def _endpoint_changed(self) -> None:
        text = self.endpoint_edit.text()
        try:
            chosen = address.endpoint_from_address(text) if address is not None else text.strip()
        except ValueError as exc:
            self.endpoint_note.set_full_text(str(exc))
            self.endpoint_note.setStyleSheet("color: #d04040;")
            return
        self.endpoint_note.set_full_text("")
        endpoint = api.resolve_endpoint(chosen)
        # only a choice of the user's is kept: the environment and config.toml are read afresh each start
        write_setting("endpoint", "" if endpoint == api.configured_endpoint() else endpoint)
        if endpoint == self._endpoint:
            return
        self._endpoint = endpoint
        if self.client is not None and not (self.workspace and self.workspace.running):
            self.client.close()
            self.client = None

    def _ensure_client(self):
        if self.client is None:
            try:
                self.client = api.make_client(self.endpoint(), heartbeat_s=2.0, timeout_s=8.0)
                self.client.fileno()  # creates the socket and sends hello
            except api.LegoEditError as exc:
                self._set_connection("broken", str(exc))
                return None
            except Exception as exc:  # a malformed endpoint, typically
                self._set_connection("broken", f"Cannot use {self.endpoint()}: {exc}")
                self.client = None
                return None
            self.client_since = time.monotonic()
            self._set_connection("connecting", f"Connecting to {self._address()}\u2026")
        return self.client

    def _address(self) -> str:
        return address.address_of(self.endpoint()) if address is not None else self.endpoint()

    def _set_connection(self, state: str, text: str) -> None:
        self._connection = state
        self.connection_label.set_full_text(text)
        self._refresh()

    def _tick(self) -> None:
        self.ticks += 1
        try:
            self._poll()
        except Exception as exc:  # never a traceback out of a timer
            state = self._state(create=False)
            if state is not None:
                state.say(f"Lego Edit: {type(exc).__name__}: {exc}", error=True)
            self._refresh()
        running = self.workspace.running if self.workspace is not None else []
        interval = PIXELS_MS if any(job.busy for job in running) else BUSY_MS if running else IDLE_MS
        if self.timer.interval() != interval:
            self.timer.setInterval(interval)

    def _poll(self) -> None:
        self._sync_selection()
        self._drop_closed_documents()
        if self.daemon_process is not None and self.daemon_process.poll() is not None:
            code = self.daemon_process.returncode
            self.daemon_process = None
            if self._connection != "connected":
                self.connection_label.set_full_text(f"The daemon exited (status {code}); see {self.daemon_log}")
        client = self._ensure_client()
        if client is None:
            return
        for event in client.poll(0):
            if event.type == "connected":
                version = client.server.get("server_version") or ""
                limit = (client.server.get("limits") or {}).get("max_queued_per_client")
                if self.workspace is not None:
                    self.workspace.limit = limit if isinstance(limit, int) and limit > 0 else None
                self._set_connection("connected", f"Connected to the daemon at {self._address()}"
                                     + (f" (lego-edit {version})" if version else ""))
            elif event.type == "disconnected":
                self._set_connection("down", f"No daemon at {self._address()}")
            elif event.type == "hello" and self.workspace is not None:
                limit = (event.get("limits") or {}).get("max_queued_per_client")
                self.workspace.limit = limit if isinstance(limit, int) and limit > 0 else None
            elif event.id is not None and self.workspace is not None and self.workspace.job(event.id) is not None:
                self.workspace.job(event.id).handle(event)
            elif event.type == "error" and event.get("code") == "unsupported_version":
                self._fatal(event.get("message", ""))
        if self._connection == "connecting" and time.monotonic() - self.client_since > CONNECT_GRACE_S:
            self._set_connection("down", f"No daemon at {self._address()}")
        self._work(client)

    def _work(self, client) -> None:
        """Pixel work for this tick (reading a source, writing a result), then send what is read."""
        if self.workspace is None:
            return
        deadline = time.monotonic() + WORK_BUDGET_S
        for job in self.workspace.running:
            if job.busy and time.monotonic() < deadline:
                job.work(max(deadline - time.monotonic(), 0.001))
            if job.request_id is None and job.ready and not job.done:
                try:
                    job.start(client)
                except api.LegoEditError as exc:
                    job.fail_locally(exc.code, str(exc))
        self._refresh()

    def _drop_closed_documents(self) -> None:
        """A closed document's edits are cancelled quietly: no dialog, no traceback, nothing touched."""
        if self.workspace is None:
            return
        for state in list(self.workspace.states):
            if api.document_is_open(state.doc):
                continue
            for job in self.workspace.forget(state):
                if job.request_id is not None and self.client is not None:
                    try:
                        self.client.cancel(job.request_id)
                    except Exception:
                        pass
                job.fail_locally(api.CLOSED, "the document was closed")
            self._shown_doc = None

    def _fatal(self, message: str) -> None:
        QtWidgets.QMessageBox.warning(self, "Lego Edit", "The daemon and this plugin do not speak the same protocol "
                                      f"version. Install matching versions.\n\n{message}")

    # -- the daemon -------------------------------------------------------------------------------
    def start_daemon(self) -> None:
        if daemon_launch is None:
            return
        # `serve` listens where config.toml says (it does not read $LEGO_EDIT_ENDPOINT): say so when that differs
        environ = {k: v for k, v in os.environ.items() if k != "LEGO_EDIT_ENDPOINT"}
        endpoint = self.endpoint() if self.endpoint() != api.configured_endpoint(environ) else None
        configured = read_setting("daemon_command") or None
        launch = daemon_launch.start_daemon(endpoint, self.daemon_log,
                                            executable=configured if configured and os.path.isfile(configured)
                                            else None, ends_with_host=True)
        if launch.process is None:
            self.connection_label.set_full_text(launch.error)
            self.status_label.set_full_text(launch.error)
            return
        self.daemon_process = launch.process
        self.client_since = time.monotonic() + 3.0  # give it a moment before saying "not running" again
        self._set_connection("connecting", f"Starting the daemon (log: {self.daemon_log})\u2026")

    def stop_daemon(self) -> None:
        """Stop the daemon this docker started, else ask the one at the endpoint to stop (`lego-edit stop`)."""
        if self.daemon_process is not None and self.daemon_process.poll() is None:
            self.daemon_process.terminate()
            return
        exe = daemon_launch.find_daemon_executable(read_setting("daemon_command") or None) if daemon_launch else None
        if exe is None:
            self.connection_label.set_full_text("The `lego-edit` program was not found: stop the daemon from its "
                                                "tray icon or with `lego-edit stop`.")
            return
        try:
            subprocess.Popen([exe, "stop", "--endpoint", self.endpoint()], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=daemon_launch.daemon_env(),
                             start_new_session=True)
        except OSError as exc:
            self.connection_label.set_full_text(f"Could not run {exe} stop: {exc}")

    def _closing(self) -> None:
        """Krita is closing: the scratch documents are closed while Krita still can, then the daemon goes."""
        api.close_scratch()
        self._quitting()

    def _quitting(self) -> None:
        """Krita quits: a daemon this docker started goes with it."""
        if self.daemon_process is not None and self.daemon_process.poll() is None:
            self.daemon_process.terminate()
            try:
                self.daemon_process.wait(3)
            except subprocess.TimeoutExpired:
                self.daemon_process.kill()
                self.daemon_process.wait(1)

    # -- edits ------------------------------------------------------------------------------------
    def _options(self) -> dict:
        return {"visible_image": self.source_combo.currentData() == "visible",
                "use_selection": self.selection_check.isChecked(),
                "show_masks": self.masks_check.isChecked(),
                "backend": self.backend_combo.currentData() or None,
                "placement": self.placement_combo.currentData() or "above"}

    def _begin(self, job: api.EditJob, state) -> bool:
        client = self._ensure_client()
        if client is None:
            return False
        if not self.workspace.can_submit:
            state.say(f"{self.workspace.limit} edits are already running or waiting, the daemon's limit for one "
                      "client: wait for one to finish.", error=True)
            self._refresh()
            return False
        try:
            job.read_later()
        except api.LegoEditError as exc:
            state.say(str(exc), error=True)
            self._refresh()
            return False
        try:
            job.active_before = state.doc.activeNode()
        except Exception:
            job.active_before = None
        self.workspace.add(state.doc, job)
        self.job = job
        if job.ready:
            try:
                job.start(client)
            except api.LegoEditError as exc:
                job.fail_locally(exc.code, str(exc))
        self.timer.setInterval(BUSY_MS)
        self._refresh()
        return True

    def _run(self, doc, instruction, *, feedback=(), node=None, **overrides) -> bool:
        state = self._state(doc)
        options = self._options()
        options.update(overrides)
        if not options["visible_image"] and node is None:
            node = pixels.source_node(doc)
            if node is not None and node.type() == "grouplayer" and not pixels.is_result_group(node):
                state.say(f"Editing the group \u201c{node.name()}\u201d as it is shown.")
        try:
            job = api.EditJob(doc, instruction, feedback=feedback, node=node, preview=True,
                              on_update=self._job_updated, **options)
        except api.LegoEditError as exc:
            state.say(str(exc), error=True)
            self._refresh()
            return False
        return self._begin(job, state)

    def start_edit(self) -> bool:
        text = self.instruction_edit.toPlainText().strip()
        doc = self._doc()
        if doc is None:
            self.status_label.set_full_text("Open an image first.")
            return False
        state = self._state(doc)
        if not text:
            state.say("Write an instruction first.", error=True)
            self._refresh()
            return False
        write_setting("backend", self.backend_combo.currentData() or "")
        write_setting("show_masks", "true" if self.masks_check.isChecked() else "false")
        write_setting("source", self.source_combo.currentData() or "visible")
        write_setting("placement", self.placement_combo.currentData() or "above")
        self._replan_entry = None
        return self._run(doc, text)

    def replan(self) -> bool:
        """Re-plan the last edit of the document on screen (or the history entry chosen) with the feedback."""
        feedback = self.feedback_edit.text().strip()
        doc = self._doc()
        state = self._state(doc) if doc is not None else None
        if state is None:
            return False
        last, entry = state.last, self._replan_entry
        if not feedback or (last is None and entry is None):
            state.say("Run an edit first, then write what to change.", error=True)
            self._refresh()
            return False
        if entry is not None:  # from the history: a fresh edit that carries all the feedback
            ok = self._run(doc, entry.instruction, feedback=list(entry.feedback) + [feedback])
        elif last.plan is not None and last.source is not None:  # the daemon remembers it: no pixels again
            options = self._options()
            options.update(visible_image=last.visible_image, use_selection=last.use_selection,
                           placement=getattr(last.placement, "value", last.placement))
            try:
                job = api.EditJob(doc, None, replan=last, feedback=feedback, preview=True,
                                  on_update=self._job_updated, **options)
            except api.LegoEditError as exc:
                state.say(str(exc), error=True)
                return False
            ok = self._begin(job, state)
        else:  # it was never planned (refused): a fresh edit that carries the feedback
            ok = self._run(doc, last.instruction, feedback=last.all_feedback + [feedback],
                           node=last.source.node if last.source is not None else None)
        if ok:
            self.feedback_edit.clear()
            self._replan_entry = None
        return ok

    def _forgotten(self, job: api.EditJob) -> bool:
        """A re-plan the daemon cannot match (it was restarted since): run it afresh, feedback included."""
        error = job.error
        if job.replan is None or error is None or error.code != "bad_request" or "replan_of" not in error.message:
            return False
        last = job.replan
        return self._run(job.doc, last.instruction, feedback=job.all_feedback, visible_image=last.visible_image,
                         use_selection=last.use_selection,
                         node=last.source.node if last.source is not None else None)

    def cancel_job(self, job) -> None:
        if job.done:
            return
        if job.request_id is None or self.client is None:
            job.fail_locally("cancelled", "cancelled")
            return
        try:
            self.client.cancel(job.request_id)
        except Exception as exc:
            job.fail_locally("disconnected", f"the cancel could not be sent: {exc}")
            return
        state = self.workspace.owner(job)
        if state is not None:
            state.say("Cancelling\u2026")

    def cancel_edit(self) -> None:
        """Cancel the newest running edit of the document on screen."""
        state = self._state(create=False)
        if state is not None and state.running:
            self.cancel_job(state.running[-1])
        self._refresh()

    def _job_updated(self, job: api.EditJob) -> None:
        if not job.done or self.workspace is None:
            return
        state = self.workspace.owner(job)
        if state is None or job.state == api.CLOSED:
            return
        if self._forgotten(job):
            self.workspace.finished(job, preview=False, replannable=False)
            return
        failure = job.session.failure
        if job.state == api.DONE:
            self.workspace.finished(job, preview=True, replannable=job.plan is not None)
            self._remember(job.instruction or "")
            variation = getattr(job, "variation_of", None)
            if variation is not None and variation == job.digest:
                state.say("The same result again: these bricks give one answer for this edit. Write feedback "
                          "(\u201ctoo strong\u201d, \u201cyou missed the handle\u201d) to change it.")
            else:
                state.say(f"{job.status}. Preview on the canvas: Apply keeps it, Discard removes it.")
            QTimer.singleShot(0, lambda: self._restore_active(job))
        elif failure is not None and failure.code == api.CLOSED:
            return
        elif job.state == api.CANCELLED:
            self.workspace.finished(job, preview=False, replannable=False)
            state.say("Cancelled.")
        else:
            self.workspace.finished(job, preview=False, replannable=job.source is not None)
            request = failure.selection_sentence if failure is not None and not job.sent_mask else None
            state.say(request or job.status, error=request is None)
        self._refresh()

    def _restore_active(self, job) -> None:
        """Keep the layer the user had active: a new result never becomes the layer the next edit reads."""
        before = getattr(job, "active_before", None)
        if before is None or not api.document_is_open(job.doc):
            return
        try:
            job.doc.setActiveNode(before)
        except Exception:
            pass

    # -- the preview ----------------------------------------------------------------------------
    def _preview(self):
        state = self._state(create=False)
        if state is None:
            return None, None
        while state.preview is not None and not state.preview.group_present():
            self.workspace.resolved(state.preview)  # removed meanwhile (an undo, the user)
        return state, state.preview

    def apply_preview(self) -> bool:
        state, job = self._preview()
        if job is None or not job.apply():
            self._refresh()
            return False
        self.workspace.resolved(job)
        if edit_history is not None:
            entry = edit_history.HistoryEntry(instruction=job.instruction or "", plan=plain_words.plan_words(
                job.session.plan), feedback=tuple(job.all_feedback), layer=job.group.name(), thumbnail=job.thumbnail)
            state.history.append(entry)
            self._write_history(state)
        state.say(f"Applied \u201c{job.instruction}\u201d (one Ctrl+Z takes it back).")
        self._fill_history()
        self._refresh()
        return True

    def discard_preview(self) -> bool:
        state, job = self._preview()
        if job is None:
            return False
        job.discard()
        self.workspace.resolved(job)
        state.say("Discarded: the document is as it was.")
        self._refresh()
        return True

    def next_variation(self) -> bool:
        state, job = self._preview()
        if job is None:
            return False
        sentence = job.session.variation_sentence
        if sentence is not None:  # no step depends on the seed: the preview stays, nothing is sent
            state.say(sentence)
            self._refresh()
            return False
        digest = job.digest
        job.discard()
        self.workspace.resolved(job)
        node = job.source.node if job.source is not None else None
        ok = self._run(job.doc, job.instruction, node=node, visible_image=job.visible_image,
                       use_selection=job.use_selection, variation=job)
        if ok and self.job is not None:
            self.job.variation_of = digest  # an older daemon reports no seeds: then the digest tells a repeat
        return ok


def _icon(png: bytes):
    from .qt_compat import QtGui

    return QtGui.QIcon(pixmap_from_png(png))


def _find_named(node, name: str):
    for child in node.childNodes():
        if child.name() == name:
            return child
        if child.type() == "grouplayer":
            found = _find_named(child, name)
            if found is not None:
                return found
    return None
