"""A test-only pykrita plugin ("lego_edit_testdriver") that drives the Lego Edit docker in GUI Krita.

tests/test_krita_gui.py installs this file as pykrita/lego_edit_testdriver/__init__.py in a
temporary HOME, next to the real plugin, and starts `xvfb-run krita --nosplash` with
LEGO_EDIT_TEST_SPEC naming a JSON spec. Once the main window exists it opens the photo, finds
the docker, checks its widgets, presses "Start daemon" (no daemon runs at the endpoint yet), runs an
edit and a re-plan through the docker's own buttons while a 10 ms timer measures that the UI keeps
ticking, grabs a screenshot, writes report.json and quits through the file_quit action.
Everything is driven from timers: nothing here blocks Krita's event loop either.
"""

from __future__ import annotations

import json
import os
import time
import traceback

from krita import Krita, QTimer  # the krita module re-exports the Qt binding Krita runs on

SPEC = os.environ.get("LEGO_EDIT_TEST_SPEC")
WIDGETS = ["instruction_edit", "recent_combo", "edit_button", "cancel_button", "progress", "status_label",
           "connection_label", "start_button", "selection_check", "source_combo", "masks_check", "backend_combo",
           "endpoint_edit", "feedback_edit", "replan_button"]


def _tree(node, depth=0):
    rows = []
    for child in reversed(list(node.childNodes())):
        rows.append({"name": child.name(), "type": child.type(), "visible": child.visible(), "depth": depth})
        if child.type() == "grouplayer":
            rows.extend(_tree(child, depth + 1))
    return rows


class Driver:
    def __init__(self, spec_path: str) -> None:
        with open(spec_path, encoding="utf-8") as fh:
            self.spec = json.load(fh)
        self.out = self.spec["out"]
        self.report: dict = {"steps": [], "ok": False}
        self.started = time.monotonic()
        self.deadline = self.started + self.spec.get("timeout", 100)
        self.state = self.wait_window
        self.state_since = time.monotonic()
        self.ticks = 0
        self.last_tick = time.monotonic()
        self.max_gap = 0.0
        self.job_ticks = None
        self.docker = None
        self.doc = None
        self.finished = False
        # the heartbeat: if anything blocked the event loop, the gap between two ticks shows it
        self.beat = QTimer()
        self.beat.timeout.connect(self.on_beat)
        self.beat.start(10)
        self.timer = QTimer()
        self.timer.timeout.connect(self.step)
        self.timer.start(100)

    def log(self, text: str) -> None:
        self.report["steps"].append(f"{time.monotonic() - self.started:6.2f}s {text}")

    def on_beat(self) -> None:
        now = time.monotonic()
        if self.job_ticks is not None:
            self.max_gap = max(self.max_gap, now - self.last_tick)
            self.job_ticks += 1
        self.last_tick = now

    def goto(self, state) -> None:
        self.log(f"-> {state.__name__}")
        self.state = state
        self.state_since = time.monotonic()

    def step(self) -> None:
        if self.finished:
            return
        try:
            if time.monotonic() > self.deadline:
                raise TimeoutError(f"timed out in {self.state.__name__}")
            self.state()
        except Exception:
            self.report["traceback"] = traceback.format_exc()
            self.finish()

    # -- states -------------------------------------------------------------------------------------
    def wait_window(self) -> None:
        window = Krita.instance().activeWindow()
        if window is None or window.qwindow() is None or not window.qwindow().isVisible():
            return
        self.window = window
        self.doc = Krita.instance().openDocument(self.spec["photo"])
        window.addView(self.doc)
        Krita.instance().setActiveDocument(self.doc)
        self.log("photo opened")
        self.goto(self.find_docker)

    def find_docker(self) -> None:
        docks = [d for d in Krita.instance().dockers() if d.objectName() == "lego_edit_docker"]
        if not docks:
            if time.monotonic() - self.state_since > 10:
                self.report["dockers"] = [d.objectName() for d in Krita.instance().dockers()]
                raise LookupError("no Lego Edit docker")
            return
        docker = self.docker = docks[0]
        docker.show()
        docker.raise_()
        self.report["docker"] = {"title": docker.windowTitle(), "class": type(docker).__name__,
                                 "widgets": {name: hasattr(docker, name) for name in WIDGETS},
                                 "backends": [docker.backend_combo.itemData(i)
                                              for i in range(docker.backend_combo.count())],
                                 "sources": [docker.source_combo.itemText(i)
                                             for i in range(docker.source_combo.count())],
                                 "endpoint": docker.endpoint()}
        self.goto(self.wait_down)

    def wait_down(self) -> None:
        docker = self.docker
        if docker._connection != "down":
            return
        self.report["down"] = {"label": docker.connection_label.text(),
                               "start_visible": docker.start_button.isVisible(),
                               "edit_enabled": docker.edit_button.isEnabled()}
        docker.start_button.click()
        proc = docker.daemon_process
        self.report["daemon_pid"] = proc.pid if proc is not None else None
        with open(os.path.join(self.out, "daemon.pid"), "w") as fh:  # for the test's clean-up, whatever happens
            fh.write(str(proc.pid if proc is not None else ""))
        self.report["start_status"] = docker.status_label.text()
        self.goto(self.wait_connected)

    def wait_connected(self) -> None:
        docker = self.docker
        if docker._connection != "connected":
            return
        self.report["connected"] = {"label": docker.connection_label.text(),
                                    "start_visible": docker.start_button.isVisible(),
                                    "edit_enabled": docker.edit_button.isEnabled()}
        self.report["selection_checked_without_selection"] = docker.selection_check.isChecked()
        docker.instruction_edit.setPlainText(self.spec["instruction"])
        # first an edit cancelled at once: Edit then Cancel, as fast as a user cannot
        docker.edit_button.click()
        self.report["cancel_enabled_while_running"] = docker.cancel_button.isEnabled()
        docker.cancel_button.click()
        self.goto(self.wait_cancelled)

    def wait_cancelled(self) -> None:
        docker = self.docker
        if docker.job is None or not docker.job.done:
            return
        self.report["cancelled"] = {"state": docker.job.state, "status": docker.status_label.text(),
                                    "layers": len(list(self.doc.rootNode().childNodes()))}
        self.job_ticks, self.max_gap, self.last_tick = 0, 0.0, time.monotonic()
        self.docker_ticks = docker.ticks
        docker.edit_button.click()
        self.job = docker.job
        self.progress_seen = set()
        self.report["edit_started"] = self.job is not None
        self.log(f"edit clicked: {docker.status_label.text()}")
        self.goto(self.wait_edit)

    def _watch(self, key: str, next_state) -> None:
        docker = self.docker
        self.progress_seen.add(docker.progress.value())
        self.report.setdefault(f"{key}_statuses", [])
        status = docker.status_label.text()
        if not self.report[f"{key}_statuses"] or self.report[f"{key}_statuses"][-1] != status:
            self.report[f"{key}_statuses"].append(status)
        job = docker.job
        if job is None or not job.done:
            return
        self.report[key] = {"state": job.state, "status": status, "error": str(job.error) if job.error else None,
                            "created": [n.name() for n in job.created], "progress": docker.progress.value(),
                            "progress_seen": sorted(self.progress_seen), "ui_ticks": self.job_ticks,
                            "max_gap_s": round(self.max_gap, 3), "seconds": round(time.monotonic() - self.state_since, 3),
                            "docker_ticks": docker.ticks - self.docker_ticks,
                            "buttons": {"edit": docker.edit_button.isEnabled(),
                                        "cancel": docker.cancel_button.isEnabled(),
                                        "replan": docker.replan_button.isEnabled()}}
        if job.state == "done":
            result = job.created[1]
            data = bytes(result.pixelData(0, 0, self.doc.width(), self.doc.height()))
            name = f"{key}_result.raw"
            with open(os.path.join(self.out, name), "wb") as fh:
                fh.write(data)
            self.report[key]["result_file"] = name
        self.job_ticks = None
        next_state()

    def wait_edit(self) -> None:
        self._watch("edit", self.after_edit)

    def after_edit(self) -> None:
        docker = self.docker
        self.report["recent"] = [docker.recent_combo.itemData(i) for i in range(docker.recent_combo.count())]
        self.screenshot("docker.png")
        docker.feedback_edit.setText(self.spec["feedback"])
        self.job_ticks, self.max_gap, self.last_tick = 0, 0.0, time.monotonic()
        self.docker_ticks = docker.ticks
        self.progress_seen = set()
        docker.replan_button.click()
        self.log(f"re-plan clicked: {docker.status_label.text()}")
        self.goto(self.wait_replan)

    def wait_replan(self) -> None:
        self._watch("replan", self.done)

    def done(self) -> None:
        self.report["tree"] = _tree(self.doc.rootNode())
        self.report["ok"] = True
        self.finish()

    # -- the end ------------------------------------------------------------------------------------
    def screenshot(self, name: str) -> None:
        try:
            self.window.qwindow().grab().save(os.path.join(self.out, name))
            self.report.setdefault("screenshots", []).append(name)
        except Exception as exc:
            self.log(f"screenshot failed: {exc}")

    def finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        self.timer.stop()
        self.beat.stop()
        if self.doc is not None and "tree" not in self.report:
            try:
                self.report["tree"] = _tree(self.doc.rootNode())
            except Exception:
                pass
        with open(os.path.join(self.out, "report.json"), "w", encoding="utf-8") as fh:
            json.dump(self.report, fh, indent=1)
        for doc in Krita.instance().documents():
            doc.setModified(False)  # no "save changes?" dialog on the way out
        QTimer.singleShot(200, lambda: Krita.instance().action("file_quit").trigger())


if SPEC:
    _driver = Driver(SPEC)
