"""The "Lego Edit" docker: instruction, Edit/Cancel, progress, connection state, options, feedback.

Nothing here blocks Krita: requests are sent at once and the client is polled from a QTimer (fast
while a job runs, slow when idle). The work itself is api.EditJob, the code path scripts use too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from krita import DockWidget, Krita

from . import api, pixels
from .qt_compat import QtCore, QTimer, QtWidgets

SETTINGS = "lego_edit"
MAX_RECENT = 15
BUSY_MS, IDLE_MS = 40, 400
CONNECT_GRACE_S = 2.0  # how long "Connecting..." shows before "not running"
BACKENDS = [("Daemon default", ""), ("Auto (a model if reachable, else rules)", "auto"), ("Rules (offline)", "rules"),
            ("Local model", "local"), ("OpenAI-compatible", "openai")]
SOURCES = [("Active layer", "layer"), ("Visible image", "visible")]


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


def find_daemon_executable() -> str | None:
    """The `lego-edit` command: a configured path, PATH, then the usual per-user install places."""
    configured = read_setting("daemon_command")
    if configured and os.path.isfile(configured):
        return configured
    found = shutil.which("lego-edit")
    if found:
        return found
    home = os.path.expanduser("~")
    names = ["lego-edit.exe", "lego-edit"] if sys.platform == "win32" else ["lego-edit"]
    places = [os.path.join(home, ".local", "bin"), os.path.join(home, ".local", "pipx", "venvs", "lego-edit", "bin"),
              "/usr/local/bin", "/opt/homebrew/bin"]
    appdata = os.environ.get("APPDATA")
    if appdata:
        places += [os.path.join(appdata, "Python", "Scripts")]
    for place in places:
        for name in names:
            candidate = os.path.join(place, name)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return None


def daemon_env() -> dict:
    """Krita's environment without what points a Python at Krita's own (embedded, bundled) one."""
    env = dict(os.environ)
    drop = ["PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONEXECUTABLE"]
    if env.get("APPIMAGE") or env.get("APPDIR"):  # the AppImage's libraries are not the daemon's
        drop += ["LD_LIBRARY_PATH", "LD_PRELOAD", "QT_PLUGIN_PATH", "PYTHONNOUSERSITE"]
    for name in drop:
        env.pop(name, None)
    return env


class LegoEditDocker(DockWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Lego Edit")
        self.setObjectName("lego_edit_docker")
        self.client = None
        self.client_since = 0.0
        self.job: api.EditJob | None = None
        self.last_job: api.EditJob | None = None
        self.daemon_process: subprocess.Popen | None = None
        self.daemon_log = os.path.join(tempfile.gettempdir(), "lego-edit-serve.log")
        self.ticks = 0  # timer ticks so far (tests read it to see the UI loop running)
        self._had_selection: bool | None = None
        self._connection = "connecting"
        self._build_ui()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self.timer.start(IDLE_MS)
        self._update_buttons()

    # -- UI ---------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        W = QtWidgets
        root = W.QWidget(self)
        layout = W.QVBoxLayout(root)
        layout.setContentsMargins(4, 4, 4, 4)

        conn = W.QHBoxLayout()
        self.connection_label = W.QLabel("Connecting\u2026")
        self.connection_label.setWordWrap(True)
        self.start_button = W.QPushButton("Start daemon")
        self.start_button.setToolTip("Run `lego-edit serve` in the background")
        self.start_button.clicked.connect(self.start_daemon)
        self.start_button.setVisible(False)
        conn.addWidget(self.connection_label, 1)
        conn.addWidget(self.start_button)
        layout.addLayout(conn)

        self.recent_combo = W.QComboBox()
        self.recent_combo.setToolTip("Recent instructions")
        self.recent_combo.activated.connect(self._recent_chosen)
        layout.addWidget(self.recent_combo)
        self.instruction_edit = W.QPlainTextEdit()
        self.instruction_edit.setPlaceholderText("Describe the edit, e.g. \u201cremove the red ball\u201d")
        self.instruction_edit.setMaximumHeight(80)
        layout.addWidget(self.instruction_edit)

        buttons = W.QHBoxLayout()
        self.edit_button = W.QPushButton("Edit")
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
        layout.addWidget(self.progress)
        self.status_label = W.QLabel("")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status_label)

        options = W.QGroupBox("Options")
        form = W.QFormLayout(options)
        self.selection_check = W.QCheckBox("Use the selection as the mask")
        form.addRow(self.selection_check)
        self.source_combo = W.QComboBox()
        for label, value in SOURCES:
            self.source_combo.addItem(label, value)
        form.addRow("Source", self.source_combo)
        self.masks_check = W.QCheckBox("Show intermediate masks")
        self.masks_check.setChecked(read_setting("show_masks", "true") == "true")
        form.addRow(self.masks_check)
        self.backend_combo = W.QComboBox()
        for label, value in BACKENDS:
            self.backend_combo.addItem(label, value)
        self._select_data(self.backend_combo, read_setting("backend", ""))
        form.addRow("Builder", self.backend_combo)
        self.endpoint_edit = W.QLineEdit(read_setting("endpoint", "") or api.configured_endpoint())
        self.endpoint_edit.setToolTip("Where the daemon listens (ZeroMQ endpoint). Empty: $LEGO_EDIT_ENDPOINT, "
                                      "else the daemon's config.toml, else tcp://127.0.0.1:5588")
        self.endpoint_edit.editingFinished.connect(self._endpoint_changed)
        form.addRow("Daemon", self.endpoint_edit)
        layout.addWidget(options)

        feedback = W.QGroupBox("Feedback on the last edit")
        fb = W.QHBoxLayout(feedback)
        self.feedback_edit = W.QLineEdit()
        self.feedback_edit.setPlaceholderText("e.g. still a smudge, you missed the shadow, too strong, keep her face")
        self.feedback_edit.returnPressed.connect(self.replan)
        self.replan_button = W.QPushButton("Re-plan")
        self.replan_button.clicked.connect(self.replan)
        fb.addWidget(self.feedback_edit, 1)
        fb.addWidget(self.replan_button)
        layout.addWidget(feedback)
        layout.addStretch(1)

        self._load_recent()
        self.setWidget(root)

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

    def _update_buttons(self) -> None:
        busy = self.job is not None and not self.job.done
        connected = self._connection == "connected"
        self.edit_button.setEnabled(not busy and connected)
        self.cancel_button.setEnabled(busy)
        self.replan_button.setEnabled(not busy and connected and self.last_job is not None)
        self.start_button.setVisible(self._connection == "down")
        self.start_button.setEnabled(self.daemon_process is None or self.daemon_process.poll() is not None)

    def _show_status(self, text: str, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet("color: #d04040;" if error else "")

    def _set_connection(self, state: str, text: str) -> None:
        self._connection = state
        self.connection_label.setText(text)
        self._update_buttons()

    # -- Krita hooks ------------------------------------------------------------------------------
    def canvasChanged(self, canvas) -> None:  # noqa: N802 (Krita's name)
        self._sync_selection()

    def _sync_selection(self) -> None:
        """"Use the selection" follows whether a selection exists; the user may still change it between."""
        try:
            has = pixels.has_selection(Krita.instance().activeDocument())
        except Exception:
            has = False
        if has != self._had_selection:
            self._had_selection = has
            self.selection_check.setChecked(has)

    # -- the client loop --------------------------------------------------------------------------
    def endpoint(self) -> str:
        """The Daemon field, else $LEGO_EDIT_ENDPOINT, the daemon's config.toml, the default."""
        return api.resolve_endpoint(self.endpoint_edit.text())

    def _endpoint_changed(self) -> None:
        endpoint = self.endpoint()
        # only a choice of the user's is kept: the environment and config.toml are read afresh each start
        write_setting("endpoint", "" if endpoint == api.configured_endpoint() else endpoint)
        if self.client is not None and self.client.endpoint != endpoint and (self.job is None or self.job.done):
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
            self._set_connection("connecting", f"Connecting to {self.endpoint()}\u2026")
        return self.client

    def _tick(self) -> None:
        self.ticks += 1
        try:
            self._poll()
        except Exception as exc:  # never a traceback out of a timer
            if self.job is not None and not self.job.done:
                self.job.fail_locally(api.HOST_ERROR, f"{type(exc).__name__}: {exc}")
            else:
                self._show_status(f"Lego Edit: {type(exc).__name__}: {exc}", error=True)
        busy = self.job is not None and not self.job.done
        interval = BUSY_MS if busy else IDLE_MS
        if self.timer.interval() != interval:
            self.timer.setInterval(interval)

    def _poll(self) -> None:
        self._sync_selection()
        if self.daemon_process is not None and self.daemon_process.poll() is not None:
            code = self.daemon_process.returncode
            self.daemon_process = None
            if self._connection != "connected":
                self._show_status(f"The daemon exited (status {code}); see {self.daemon_log}", error=True)
        client = self._ensure_client()
        if client is None:
            return
        for event in client.poll(0):
            if event.type == "connected":
                version = client.server.get("server_version") or ""
                self._set_connection("connected", f"Connected to {client.endpoint}"
                                     + (f" (lego-edit {version})" if version else ""))
            elif event.type == "disconnected":
                self._set_connection("down", f"No daemon at {client.endpoint}")
            elif event.id is not None and self.job is not None and event.id == self.job.request_id:
                self.job.handle(event)
            elif event.type == "error" and event.get("code") == "unsupported_version":
                self._fatal(event.get("message", ""))
        if self._connection == "connecting" and time.monotonic() - self.client_since > CONNECT_GRACE_S:
            self._set_connection("down", f"No daemon at {client.endpoint}")

    def _fatal(self, message: str) -> None:
        QtWidgets.QMessageBox.warning(self, "Lego Edit", "The daemon and this plugin do not speak the same protocol "
                                      f"version. Install matching versions.\n\n{message}")

    # -- actions ----------------------------------------------------------------------------------
    def start_daemon(self) -> None:
        exe = find_daemon_executable()
        if exe is None:
            self._show_status("`lego-edit` was not found on PATH. Install it (pip install lego-edit) or run "
                              "`lego-edit serve` yourself.", error=True)
            return
        args = [exe, "serve"]
        # `serve` listens where config.toml says (it does not read $LEGO_EDIT_ENDPOINT): say so when that differs
        environ = {k: v for k, v in os.environ.items() if k != "LEGO_EDIT_ENDPOINT"}
        if self.endpoint() != api.configured_endpoint(environ):
            args += ["--endpoint", self.endpoint()]
        try:
            log = open(self.daemon_log, "ab")
        except OSError:
            log = subprocess.DEVNULL
        kwargs = {"stdin": subprocess.DEVNULL, "stdout": log, "stderr": log, "close_fds": True, "env": daemon_env()}
        if sys.platform == "win32":
            kwargs["creationflags"] = 0x00000008 | 0x00000200  # DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP
        else:
            kwargs["start_new_session"] = True  # outlives Krita; not killed by a Ctrl-C in its terminal
        try:
            self.daemon_process = subprocess.Popen(args, **kwargs)
        except OSError as exc:
            self._show_status(f"Could not start {exe}: {exc}", error=True)
            return
        finally:
            if log is not subprocess.DEVNULL:
                log.close()
        self.client_since = time.monotonic() + 3.0  # give it a moment before saying "not running" again
        self._set_connection("connecting", f"Starting the daemon ({os.path.basename(exe)} serve)\u2026")
        self._show_status(f"Daemon log: {self.daemon_log}")

    def _options(self) -> dict:
        return {"visible_image": self.source_combo.currentData() == "visible",
                "use_selection": self.selection_check.isChecked(),
                "show_masks": self.masks_check.isChecked(),
                "backend": self.backend_combo.currentData() or None}

    def _begin(self, job: api.EditJob) -> bool:
        client = self._ensure_client()
        if client is None:
            return False
        try:
            job.start(client)
        except api.LegoEditError as exc:
            self._show_status(str(exc), error=True)
            return False
        self.job = job
        self.progress.setValue(0)
        self._job_updated(job)
        self.timer.setInterval(BUSY_MS)
        return True

    def start_edit(self) -> bool:
        text = self.instruction_edit.toPlainText().strip()
        if not text:
            self._show_status("Write an instruction first.", error=True)
            return False
        doc = Krita.instance().activeDocument()
        if doc is None:
            self._show_status("Open an image first.", error=True)
            return False
        write_setting("backend", self.backend_combo.currentData() or "")
        write_setting("show_masks", "true" if self.masks_check.isChecked() else "false")
        try:
            job = api.EditJob(doc, text, on_update=self._job_updated, **self._options())
        except api.LegoEditError as exc:
            self._show_status(str(exc), error=True)
            return False
        self._remember(text)
        return self._begin(job)

    def replan(self) -> bool:
        feedback = self.feedback_edit.text().strip()
        last = self.last_job
        if not feedback or last is None:
            self._show_status("Run an edit first, then write what to change.", error=True)
            return False
        options = self._options()
        options.update(visible_image=last.visible_image, use_selection=last.use_selection)
        if last.plan is not None:  # the daemon remembers it: re-plan without sending the pixels again
            job = api.EditJob(last.doc, None, replan=last, feedback=feedback, on_update=self._job_updated,
                              **options)
        else:  # it was never planned (refused): a fresh edit that carries the feedback
            job = api.EditJob(last.doc, last.instruction, feedback=feedback, node=last.source.node if last.source else None,
                              on_update=self._job_updated, **options)
        if self._begin(job):
            self.feedback_edit.clear()
            return True
        return False

    def _forgotten(self, job: api.EditJob) -> bool:
        """A re-plan the daemon cannot match (it was restarted since): run it afresh, feedback included."""
        error = job.error
        if job.replan is None or error is None or error.code != "bad_request" or "replan_of" not in error.message:
            return False
        last = job.replan
        fresh = api.EditJob(job.doc, last.instruction, feedback=job.all_feedback, visible_image=last.visible_image,
                            use_selection=last.use_selection, show_masks=job.show_masks, backend=job.backend,
                            node=last.source.node if last.source is not None else None, on_update=self._job_updated)
        return self._begin(fresh)

    def cancel_edit(self) -> None:
        if self.job is None or self.job.done or self.client is None:
            return
        try:
            self.client.cancel(self.job.request_id)
        except Exception as exc:
            self.job.fail_locally("disconnected", f"the cancel could not be sent: {exc}")
            return
        self._show_status("Cancelling\u2026")

    def _job_updated(self, job: api.EditJob) -> None:
        if job is not self.job:
            return
        self.progress.setValue(int(job.fraction * 1000))
        if job.state == api.FAILED:
            self._show_status(job.status, error=True)
        else:
            self._show_status(job.status)
        if job.session.plan is not None:
            self.status_label.setToolTip(job.session.plan.text[:2000])
        if job.done:
            if self._forgotten(job):
                return
            if job.source is not None:
                self.last_job = job
            if job.state == api.DONE:
                names = ", ".join(n.name() for n in job.created[1:3])
                self._show_status(f"{job.status}: added \u201c{job.created.group.name()}\u201d ({names}\u2026)")
        self._update_buttons()
