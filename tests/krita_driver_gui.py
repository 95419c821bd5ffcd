"""A test-only pykrita plugin ("lego_edit_testdriver") that drives the Lego Edit docker in GUI Krita.

tests/test_krita_gui.py installs this file as pykrita/lego_edit_testdriver/__init__.py in a
temporary HOME, next to the real plugin, and starts `xvfb-run krita --nosplash` with
LEGO_EDIT_TEST_SPEC naming a JSON spec. Once the main window exists it runs `scenario()`, a
generator that presses the docker's own buttons (and keys) as a user would and yields between
steps, so Krita's event loop keeps running; a 10 ms timer measures that it keeps ticking. What it
saw goes into report.json (and screenshots beside it); then Krita quits through file_quit.
"""

from __future__ import annotations

import json
import os
import time
import traceback
import zlib

from krita import Krita, QTimer  # the krita module re-exports the Qt binding Krita runs on

SPEC = os.environ.get("LEGO_EDIT_TEST_SPEC")
WIDGETS = ["instruction_edit", "recent_combo", "edit_button", "cancel_button", "progress", "status_label",
           "connection_label", "start_button", "selection_check", "source_combo", "masks_check", "backend_combo",
           "endpoint_edit", "feedback_edit", "replan_button", "apply_button", "discard_button", "variation_button",
           "queue_list", "history_list", "placement_combo", "stop_button"]


def _tree(node, depth=0):
    rows = []
    for child in reversed(list(node.childNodes())):
        rows.append({"name": child.name(), "type": child.type(), "visible": child.visible(), "depth": depth,
                     "locked": child.locked()})
        if child.type() == "grouplayer":
            rows.extend(_tree(child, depth + 1))
    return rows


def _qt():
    from lego_edit.qt_compat import QtCore, QtGui, QtWidgets

    return QtCore, QtGui, QtWidgets


class Driver:
    def __init__(self, spec_path: str) -> None:
        with open(spec_path, encoding="utf-8") as fh:
            self.spec = json.load(fh)
        self.out = self.spec["out"]
        self.report: dict = {"steps": [], "ok": False}
        self.started = time.monotonic()
        self.deadline = self.started + self.spec.get("timeout", 150)
        self.finished = False
        self.window = None
        self.docker = None
        self.last_tick = time.monotonic()
        self.max_gap = 0.0
        self.beat = QTimer()  # the heartbeat: if anything blocked the event loop, the gap between ticks shows it
        self.beat.timeout.connect(self.on_beat)
        self.beat.start(10)
        self.script = self.scenario()
        self.timer = QTimer()
        self.timer.timeout.connect(self.step)
        self.timer.start(50)

    def log(self, text: str) -> None:
        self.report["steps"].append(f"{time.monotonic() - self.started:6.2f}s {text}")
        with open(os.path.join(self.out, "progress.json"), "w", encoding="utf-8") as fh:  # where it got to
            json.dump(self.report, fh, indent=1, default=str)

    def on_beat(self) -> None:
        now = time.monotonic()
        self.max_gap = max(self.max_gap, now - self.last_tick)
        self.last_tick = now

    def step(self) -> None:
        if self.finished:
            return
        try:
            if time.monotonic() > self.deadline:
                raise TimeoutError(f"timed out; last step: {self.report['steps'][-1:]}")
            next(self.script)
        except StopIteration:
            self.report["ok"] = True
            self.finish()
        except Exception:
            self.report["traceback"] = traceback.format_exc()
            self.finish()

    # -- helpers --------------------------------------------------------------------------------------
    def wait(self, condition, what: str, timeout: float = 60.0):
        self.log(f"waiting: {what}")
        limit = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > limit:
                raise TimeoutError(f"waited {timeout} s for {what}")
            yield

    def pause(self, seconds: float):
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            yield

    def snapshot(self, doc) -> dict:
        doc.refreshProjection()
        doc.waitForDone()
        data = bytes(doc.pixelData(0, 0, doc.width(), doc.height()))
        return {"tree": _tree(doc.rootNode()), "crc": zlib.crc32(data), "bytes": len(data)}

    def undo_state(self):
        """(rows, current row) of Krita's Undo History list: the commands (after an "<empty>" row) and the
        stack's index (how many of them are done; the rows after it are redo entries)."""
        from lego_edit.qt_compat import QtWidgets

        docks = [d for d in Krita.instance().dockers() if d.objectName() == "History"]
        views = docks[0].findChildren(QtWidgets.QListView) if docks else []
        if not views:
            return None, None
        return views[0].model().rowCount(), views[0].selectionModel().currentIndex().row()

    def open_photo(self, path=None):
        doc = Krita.instance().openDocument(path or self.spec["photo"])
        self.window.addView(doc)
        Krita.instance().setActiveDocument(doc)
        return doc

    def show(self, doc):
        for view in self.window.views():
            if view.document() == doc:
                self.window.showView(view)
                view.setVisible()
        Krita.instance().setActiveDocument(doc)

    def key(self, widget, key, ctrl=False):
        """A key press and release as the focused widget gets them. Krita's application-wide input filter
        takes synthetic key events sent through the application, so they go to the widget's own event()."""
        QtCore, QtGui, _ = _qt()
        mods = QtCore.Qt.KeyboardModifier.ControlModifier if ctrl else QtCore.Qt.KeyboardModifier.NoModifier
        widget.setFocus()
        for kind in (QtCore.QEvent.Type.KeyPress, QtCore.QEvent.Type.KeyRelease):
            widget.event(QtGui.QKeyEvent(kind, key, mods))

    def edit(self, text):
        docker = self.docker
        docker.instruction_edit.setPlainText(text)
        docker.edit_button.click()
        return docker.job

    def wait_job(self, job, what, timeout=60.0):
        yield from self.wait(lambda: job.done, what, timeout)

    def dialogs(self):
        _, _, QtWidgets = _qt()
        return [w.windowTitle() or type(w).__name__ for w in QtWidgets.QApplication.topLevelWidgets()
                if w.isVisible() and isinstance(w, (QtWidgets.QMessageBox, QtWidgets.QDialog))]

    def screenshot(self, widget, name: str) -> None:
        try:
            widget.grab().save(os.path.join(self.out, name))
            self.report.setdefault("screenshots", []).append(name)
        except Exception as exc:
            self.log(f"screenshot failed: {exc}")

    def job_report(self, job):
        return {"state": job.state, "status": job.status, "error": str(job.error) if job.error else None,
                "code": job.session.failure.code if job.session.failure else None,
                "created": [n.name() for n in job.created], "position": job.session.position,
                "finished_at": job.finished_at, "fraction": job.fraction}

    # -- the scenario -----------------------------------------------------------------------------------
    def scenario(self):
        app = Krita.instance()
        yield from self.wait(lambda: app.activeWindow() is not None and app.activeWindow().qwindow() is not None
                             and app.activeWindow().qwindow().isVisible(), "the main window", 60)
        self.window = app.activeWindow()
        self.window.qwindow().setGeometry(0, 0, 1400, 900)  # Krita's default layout on the whole screen (no WM)
        doc = self.open_photo()
        yield from self.wait(lambda: any(d.objectName() == "lego_edit_docker" for d in app.dockers()), "the docker", 20)
        docker = self.docker = next(d for d in app.dockers() if d.objectName() == "lego_edit_docker")
        docker.show()
        docker.raise_()
        yield from self.pause(0.5)
        self.report["docker"] = {
            "title": docker.windowTitle(), "class": type(docker).__name__,
            "widgets": {name: hasattr(docker, name) for name in WIDGETS},
            "backends": [docker.backend_combo.itemData(i) for i in range(docker.backend_combo.count())],
            "sources": [docker.source_combo.itemData(i) for i in range(docker.source_combo.count())],
            "placements": [docker.placement_combo.itemData(i) for i in range(docker.placement_combo.count())],
            "endpoint": docker.endpoint(), "address_field": docker.endpoint_edit.text(),
            "minimum_height": docker.minimumSizeHint().height(), "minimum_height_set": docker.minimumHeight(),
            "height": docker.height(), "floating": docker.isFloating(),
            "feedback_hint": docker.feedback_edit.placeholderText()}
        yield from self.wait(lambda: docker._connection == "down", "the docker to see no daemon", 20)
        self.report["down"] = {"label": docker.connection_label.full_text,
                               "start_visible": docker.start_button.isVisible(),
                               "edit_enabled": docker.edit_button.isEnabled()}
        # a bad address is refused in words, and the old endpoint stays
        endpoint = docker.endpoint()
        docker.endpoint_edit.setText("localhost:99999")
        docker._endpoint_changed()
        self.report["bad_address"] = {"note": docker.endpoint_note.full_text, "endpoint": docker.endpoint()}
        docker.endpoint_edit.setText(endpoint[len("tcp://"):])
        docker._endpoint_changed()
        docker.start_button.click()
        proc = docker.daemon_process
        self.report["daemon_pid"] = proc.pid if proc is not None else None
        with open(os.path.join(self.out, "daemon.pid"), "w") as fh:  # for the test's clean-up, whatever happens
            fh.write(str(proc.pid if proc is not None else ""))
        yield from self.wait(lambda: docker._connection == "connected", "the started daemon", 40)
        self.report["connected"] = {"label": docker.connection_label.full_text,
                                    "start_visible": docker.start_button.isVisible(),
                                    "edit_enabled": docker.edit_button.isEnabled(),
                                    "limit": docker.workspace.limit}
        self.report["selection_checked_without_selection"] = docker.selection_check.isChecked()
        before = self.snapshot(doc)
        self.report["before"] = before

        # 1. Edit, then Cancel at once: nothing added, the progress bar back at 0
        job = self.edit(self.spec["instruction"])
        self.report["cancel_enabled_while_running"] = docker.cancel_button.isEnabled()
        docker.cancel_button.click()
        yield from self.wait_job(job, "the cancel")
        yield from self.pause(0.2)
        self.report["cancelled"] = dict(self.job_report(job), progress=docker.progress.value(),
                                        layers=len(list(doc.rootNode().childNodes())),
                                        message=docker.status_label.full_text)

        # 2. a refusal and a named object without a model: neither is kept in Recent
        job = self.edit("qwertyuiop zxcvb")
        yield from self.wait_job(job, "the refusal")
        yield from self.pause(0.1)
        self.report["refused"] = dict(self.job_report(job), message=docker.status_label.full_text)
        job = self.edit("remove the blue cup")
        yield from self.wait_job(job, "the selection request")
        yield from self.pause(0.1)
        self.report["select_first"] = dict(self.job_report(job), message=docker.status_label.full_text,
                                           error_style=docker.status_label.styleSheet())

        # 3. the user's own action (an empty layer added, one undo entry), then preview and Discard: the
        # document and its undo stack as they were, and Ctrl+Z undoes the user's action, not the preview
        index0 = self.undo_state()[1]
        app.action("add_new_paint_layer").trigger()
        yield from self.pause(0.5)
        users = self.snapshot(doc)
        index_user = self.undo_state()[1]
        self.max_gap = 0.0
        ticks0 = docker.ticks
        job = self.edit(self.spec["instruction"])
        yield from self.wait_job(job, "the first preview", 60)
        yield from self.pause(0.2)
        doc.waitForDone()  # no refreshProjection here: what the canvas shows must already hold the preview
        shown_crc = zlib.crc32(bytes(doc.pixelData(0, 0, doc.width(), doc.height())))
        self.report["preview"] = dict(self.job_report(job), tree=_tree(doc.rootNode()),
                                      buttons=docker.preview_row.isVisible(), max_gap_s=round(self.max_gap, 3),
                                      docker_ticks=docker.ticks - ticks0, progress=docker.progress.value(),
                                      timings={k: round(v, 3) for k, v in job.timings.items()},
                                      shown_crc=shown_crc, undo_index=self.undo_state()[1])
        result = job.created[1]
        with open(os.path.join(self.out, "preview_result.raw"), "wb") as fh:
            fh.write(bytes(result.pixelData(0, 0, doc.width(), doc.height())))
        docker.discard_button.click()
        yield from self.pause(0.5)
        self.report["users"] = dict(users, undo_index=index_user, undo_index_before=index0)
        self.report["discarded"] = dict(self.snapshot(doc), buttons=docker.preview_row.isVisible(),
                                        undo_index=self.undo_state()[1], by_undo=job.discarded_by_undo)
        app.action("edit_undo").trigger()  # the user's Ctrl+Z right after Discard
        yield from self.pause(0.5)
        self.report["ctrl_z_after_discard"] = dict(self.snapshot(doc), undo_index=self.undo_state()[1])
        rows0 = self.undo_state()[1]

        # 4. the edit again, Apply, one Ctrl+Z: exactly as before
        job = self.edit(self.spec["instruction"])
        yield from self.wait_job(job, "the second preview", 60)
        rows1 = self.undo_state()[1]
        docker.apply_button.click()
        yield from self.pause(0.3)
        rows2 = self.undo_state()[1]
        applied = self.snapshot(doc)
        self.report["applied"] = dict(self.job_report(job), tree=applied["tree"], crc=applied["crc"],
                                      undo_index=[rows0, rows1, rows2], history=docker.history_list.count(),
                                      recent=[docker.recent_combo.itemData(i)
                                              for i in range(docker.recent_combo.count())],
                                      active=doc.activeNode().name() if doc.activeNode() else None)
        yield from self.pause(0.5)  # the canvas repaints what the projection now holds
        self.screenshot(docker, "docker.png")
        self.screenshot(self.window.qwindow(), "window.png")
        self.show(doc)
        app.action("edit_undo").trigger()
        yield from self.pause(0.5)
        self.report["undone"] = self.snapshot(doc)
        app.action("edit_redo").trigger()
        yield from self.pause(0.5)
        self.report["redone"] = self.snapshot(doc)

        # 5. the queue: a second edit while the first runs; both finish, in order; Apply both
        first = self.edit("make the image brighter")
        self.report["edit_enabled_while_running"] = docker.edit_button.isEnabled()
        second = self.edit("make the image darker")
        # Rows are read before Krita's event loop runs again: the offline edits finish within one tick, and
        # only the loop's poll of the daemon can mark one done.
        self.report["queue_shown"] = {"rows": docker.queue_list.count(), "label": docker.queue_label.full_text}
        # a job in the queue can be cancelled from its own row
        third = self.edit("make the image warmer")
        rows = docker.queue_list.count()
        docker.cancel_job(third)
        yield from self.wait(lambda: first.done and second.done and third.done, "the queued edits", 90)
        self.report["queue"] = {"first": self.job_report(first), "second": self.job_report(second),
                                "third": self.job_report(third), "rows_with_three": rows,
                                "previews": len(docker.workspace.state(doc).previews)}
        docker.apply_button.click()
        yield from self.pause(0.2)
        docker.apply_button.click()
        yield from self.pause(0.2)
        self.report["after_queue"] = {"tree": _tree(doc.rootNode()), "history": docker.history_list.count()}

        # 6. Ctrl+Enter runs an edit; Enter in the feedback box does not re-plan
        QtCore = _qt()[0]
        docker.feedback_edit.setText("too strong")
        count = len(docker.workspace.state(doc).jobs)
        self.key(docker.feedback_edit, QtCore.Qt.Key.Key_Return)
        self.report["enter_in_feedback_started"] = len(docker.workspace.state(doc).jobs) != count
        docker.feedback_edit.clear()
        docker.instruction_edit.setPlainText("make the image brighter")
        newest = docker.job
        self.key(docker.instruction_edit, QtCore.Qt.Key.Key_Return, ctrl=True)
        self.report["ctrl_enter_started"] = docker.job is not newest
        yield from self.wait_job(docker.job, "the Ctrl+Enter edit", 60)
        # Next variation: offline every step is deterministic, so the preview stays, nothing is sent, said so
        shown = docker.job
        jobs_before = len(docker.workspace.state(doc).jobs)
        docker.variation_button.click()
        yield from self.pause(0.5)
        self.report["variation"] = dict(self.job_report(docker.job), new_job=docker.job is not shown,
                                        jobs_added=len(docker.workspace.state(doc).jobs) - jobs_before,
                                        previews=len(docker.workspace.state(doc).previews),
                                        message=docker.status_label.full_text, details=shown.details)
        docker.discard_button.click()

        # 7. save with its history, reopen: the history is back
        kra = os.path.join(self.out, "edited.kra")
        doc.setBatchmode(True)
        self.report["saved"] = bool(doc.saveAs(kra))
        doc.setBatchmode(False)
        import shutil

        copy = os.path.join(self.out, "reopened.kra")  # another file: the saved one is still open here
        shutil.copy(kra, copy)
        reopened = self.open_photo(copy)
        yield from self.pause(0.5)
        docker.canvasChanged(None)
        yield
        items = [docker.history_list.item(i) for i in range(docker.history_list.count())]
        self.report["reopened"] = {"history": [item.text() for item in items],
                                   "icons": [not item.icon().isNull() for item in items],
                                   "tree": _tree(reopened.rootNode())}

        # 8. two documents: an edit in another, then Re-plan back on the first edits the first
        other = self.open_photo()
        yield from self.pause(0.3)
        job = self.edit(self.spec["instruction"])
        yield from self.wait_job(job, "the edit in the other document", 60)
        docker.apply_button.click()
        other_tree = _tree(other.rootNode())
        self.show(reopened)
        yield from self.pause(0.3)
        docker.canvasChanged(None)
        self.report["switched_status"] = docker.status_label.full_text
        self.show(doc)
        yield from self.pause(0.3)
        docker.canvasChanged(None)
        docker.feedback_edit.setText(self.spec["feedback"])
        self.report["replan_of"] = docker.workspace.state(doc).last.instruction
        docker.replan_button.click()
        job = docker.job
        yield from self.wait_job(job, "the re-plan", 60)
        docker.apply_button.click()
        yield from self.pause(0.2)
        self.report["replan"] = dict(self.job_report(job), doc_is_first=job.doc == doc,
                                     tree=_tree(doc.rootNode()), other_unchanged=_tree(other.rootNode()) == other_tree)

        # 9. close a document while its edit runs: cancelled quietly, the daemon's job ends
        victim = self.open_photo()
        victim.scaleImage(2048, 2048, 72, 72, "Bicubic")  # big enough that the daemon is still at it
        victim.waitForDone()
        yield from self.pause(0.3)
        job = self.edit("remove the noise from the photo")
        yield from self.wait(lambda: job.request_id is not None, "the edit to be sent", 20)
        victim.setModified(False)  # no "save changes?" dialog: the close itself is what is tested
        victim.close()
        yield from self.pause(1.5)
        self.report["closed"] = dict(self.job_report(job), dialogs=self.dialogs(),
                                     docker_status=docker.status_label.full_text)
        closed_at = time.monotonic()
        jobs = self.daemon_jobs()
        while isinstance(jobs, dict) and jobs.get("running") and time.monotonic() - closed_at < 15:
            yield from self.pause(0.5)  # the daemon's bricks notice a cancel between their own slices of work
            jobs = self.daemon_jobs()
        self.report["daemon_jobs_after_close"] = jobs
        self.report["daemon_idle_after_close_s"] = round(time.monotonic() - closed_at + 1.5, 2)
        self.report["tree"] = _tree(doc.rootNode())

        # 10. the docker now uses a daemon that was running before Krita (the test's): when Krita quits, the
        # daemon this docker started goes, that one stays
        other = self.spec.get("other_endpoint")
        if other:
            docker.endpoint_edit.setText(other[len("tcp://"):])
            docker._endpoint_changed()
            yield from self.wait(lambda: docker._connection == "connected" and docker.endpoint() == other,
                                 "the daemon that was already running", 20)
            started = docker.daemon_process
            self.report["other_daemon"] = {"endpoint": docker.endpoint(), "connected": docker._connection,
                                           "started_still": started.pid if started is not None
                                           and started.poll() is None else None}

    def daemon_jobs(self):
        try:
            from lego_edit.lego_edit_client import Client

            with Client(self.docker.endpoint(), keepalive=False) as client:
                return client.status(timeout=3.0).get("jobs")
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"

    # -- the end ------------------------------------------------------------------------------------
    def finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        self.timer.stop()
        self.beat.stop()
        with open(os.path.join(self.out, "report.json"), "w", encoding="utf-8") as fh:
            json.dump(self.report, fh, indent=1, default=str)
        for doc in Krita.instance().documents():
            doc.setModified(False)  # no "save changes?" dialog on the way out
        QTimer.singleShot(200, lambda: Krita.instance().action("file_quit").trigger())


if SPEC:
    _driver = Driver(SPEC)
