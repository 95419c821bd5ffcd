"""The Lego Edit docker in GUI Krita under Xvfb, driven through its own buttons and keys.

One Krita runs one scenario (tests/krita_driver_gui.py, installed as a test-only pykrita plugin
beside the real one): no daemon at first, Start daemon, Cancel, a refusal, a named object with no
model (the docker asks for a selection), preview then Discard, Apply then one Ctrl+Z, a queue of
three edits (one cancelled from its row), Ctrl+Enter, save and reopen with the history, an edit in a
second document then Re-plan back in the first, and a document closed while its edit runs. The
tests below each check one part of what it reported. Screenshots of the docker and of the window
(Krita's default layout) are kept in build/artifacts/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.net import free_port
from tests.test_krita import (
    ROOT,
    SIZE,
    TESTS,
    Daemon,
    bgra_to_rgb,
    enable_in_kritarc,
    install_plugin,
    krita_env,
    strongly_red,
)

pytestmark = pytest.mark.krita

XVFB_RUN = shutil.which("xvfb-run")
KRITA = shutil.which("krita")
if XVFB_RUN is None or KRITA is None:
    pytest.skip("GUI Krita needs krita and xvfb-run (apt-get install krita xvfb xauth)", allow_module_level=True)
ARTIFACTS = ROOT / "build" / "artifacts"
INSTRUCTION = "remove the red ball"
FEEDBACK = "don't use FLUX-INPAINT"


def install_test_driver(home: Path) -> None:
    pykrita = home / ".local" / "share" / "krita" / "pykrita"
    (pykrita / "lego_edit_testdriver").mkdir(parents=True, exist_ok=True)
    shutil.copy(TESTS / "krita_driver_gui.py", pykrita / "lego_edit_testdriver" / "__init__.py")
    (pykrita / "lego_edit_testdriver.desktop").write_text(
        "[Desktop Entry]\nType=Service\nServiceTypes=Krita/PythonPlugin\nX-KDE-Library=lego_edit_testdriver\n"
        "X-Python-2-Compatible=false\nName=Lego Edit test driver\nComment=drives the Lego Edit docker in tests\n")
    enable_in_kritarc(home, "lego_edit_testdriver")


def _pid_in(path: Path) -> int | None:
    text = path.read_text().strip() if path.exists() else ""
    return int(text) if text.isdigit() else None


def _running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie waiting for its reaper counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def _ended_within(pid: int | None, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while pid is not None and _running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return pid is not None and not _running(pid)


def _stop_pid(path: Path) -> None:
    """The daemon the docker started (its own session, so not in Krita's process group)."""
    pid = _pid_in(path)
    if pid is not None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    from PIL import Image

    from lego_edit.bricks.samples import red_ball_photo

    folder = tmp_path_factory.mktemp("photo")
    image, truth = red_ball_photo(SIZE)
    Image.fromarray(image).save(folder / "photo.png")
    return {"path": folder / "photo.png", "image": image, "truth": truth > 127}


@pytest.fixture(scope="module")
def gui(tmp_path_factory, photo):
    home = tmp_path_factory.mktemp("krita-gui-home")
    install_plugin(home)
    install_test_driver(home)
    out = tmp_path_factory.mktemp("gui")
    endpoint = f"tcp://127.0.0.1:{free_port()}"  # nothing listens: the docker's Start daemon button starts it
    running = Daemon(home).start()  # one that runs before Krita does; the docker uses it at the end
    spec = {"photo": str(photo["path"]), "out": str(out), "instruction": INSTRUCTION, "feedback": FEEDBACK,
            "timeout": 200, "other_endpoint": running.endpoint}
    (out / "spec.json").write_text(json.dumps(spec))
    env = krita_env(home)
    # the daemon the docker starts is this checkout's `lego-edit`, found on PATH after the system's Python
    env["PATH"] += os.pathsep + str(Path(sys.executable).parent)
    env.update(LEGO_EDIT_TEST_SPEC=str(out / "spec.json"), LEGO_EDIT_ENDPOINT=endpoint, TMPDIR=str(out))
    proc = subprocess.Popen([XVFB_RUN, "-a", "-s", "-screen 0 1400x900x24", KRITA, "--nosplash"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, cwd=out)
    lifetime: dict = {}
    try:
        output, _ = proc.communicate(timeout=240)
        # Krita has quit: the daemon its docker started ends with it, the one running before is left alone
        lifetime["krita_exit"] = proc.returncode  # 0: no crash on the way out (scratch documents closed first)
        lifetime["started_ended"] = _ended_within(_pid_in(out / "daemon.pid"), 10.0)
        lifetime["running_alive"] = running.proc.poll() is None
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        pytest.fail("GUI Krita did not quit: " + output.decode(errors="replace")[-3000:])
    finally:
        _stop_pid(out / "daemon.pid")
        running.stop()
    log = output.decode(errors="replace")
    (out / "krita.log").write_text(log)
    report_path = out / "report.json"
    assert report_path.exists(), f"the test driver wrote no report (exit {proc.returncode}):\n{log[-4000:]}"
    report = json.loads(report_path.read_text())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name in report.get("screenshots", []):
        shutil.copy(out / name, ARTIFACTS / f"krita-{name}")
    assert report["ok"], json.dumps({k: v for k, v in report.items() if k != "steps"}, indent=1)[-5000:] \
        + "\n".join(report["steps"][-8:])
    return {"report": report, "out": out, "log": log, "endpoint": endpoint, "lifetime": lifetime,
            "other_endpoint": running.endpoint}


def test_the_docker_starts_the_daemon_and_fits_the_default_layout(gui):
    report = gui["report"]
    docker = report["docker"]
    assert docker["title"] == "Lego Edit" and docker["class"] == "LegoEditDocker"
    assert all(docker["widgets"].values()), docker["widgets"]
    assert docker["backends"] == ["", "auto", "rules", "local", "openai"]
    assert docker["sources"] == ["visible", "layer"], "edits chain on the visible image by default"
    assert docker["placements"] == ["above", "top", "group"]
    assert docker["endpoint"] == gui["endpoint"] and docker["address_field"] == gui["endpoint"][len("tcp://"):]
    assert docker["minimum_height"] <= 250, docker
    assert "still a smudge where the ball was" in docker["feedback_hint"]
    assert "RES" not in docker["feedback_hint"] and "FLUX" not in docker["feedback_hint"]
    assert report["bad_address"]["endpoint"] == gui["endpoint"], "a bad address leaves the endpoint alone"
    assert "port" in report["bad_address"]["note"]
    assert report["down"]["start_visible"] and report["down"]["label"].startswith("No daemon at 127.0.0.1:")
    assert report["daemon_pid"], report
    assert report["connected"]["edit_enabled"] and not report["connected"]["start_visible"]
    assert report["connected"]["limit"] == 4, "the daemon's per-client queue limit, from its hello"
    assert report["selection_checked_without_selection"] is False
    assert (ARTIFACTS / "krita-docker.png").stat().st_size > 0 and (ARTIFACTS / "krita-window.png").exists()
    print(f"screenshots: {ARTIFACTS / 'krita-docker.png'} {ARTIFACTS / 'krita-window.png'}")
    assert (gui["out"] / "lego-edit-serve.log").exists(), "the daemon the docker started logs in Krita's temp folder"


def test_cancel_refusal_and_a_request_for_a_selection(gui):
    report = gui["report"]
    assert report["cancel_enabled_while_running"] is True
    cancelled = report["cancelled"]
    assert cancelled["state"] == "cancelled" and cancelled["layers"] == 1 and cancelled["progress"] == 0, cancelled
    refused = report["refused"]
    assert refused["state"] == "failed" and "Traceback" not in refused["message"]
    select = report["select_first"]
    assert select["message"].startswith("Lego Edit cannot find \u201cblue cup\u201d"), select
    assert "Select it on the canvas" in select["message"] and "d04040" not in select["error_style"]
    recent = report["applied"]["recent"]
    assert INSTRUCTION in recent and "qwertyuiop zxcvb" not in recent and "remove the blue cup" not in recent


def test_preview_then_discard_leaves_the_document_and_its_undo_stack_as_they_were(gui, photo):
    report = gui["report"]
    before, users, preview = report["before"], report["users"], report["preview"]
    assert users["undo_index"] == users["undo_index_before"] + 1, "the user's own action: one undo entry"
    assert len(users["tree"]) == len(before["tree"]) + 1 and users["crc"] == before["crc"], users["tree"]
    assert preview["state"] == "done" and preview["buttons"] is True and preview["progress"] == 1000
    top = preview["tree"][0]
    assert top["name"] == "Lego Edit preview: remove the red ball" and top["locked"], preview["tree"]
    assert preview["created"][1] == "result" and preview["created"][-1] == "mask: red ball", preview["created"]
    assert "after step 1 (finding red ball)" in preview["created"], preview["created"]
    assert not any("RES" in name or "FLUX" in name or "INPAINT" in name for name in preview["created"])
    assert preview["max_gap_s"] < 1.0 and preview["docker_ticks"] >= 2, preview
    assert preview["shown_crc"] != users["crc"], "the canvas shows the preview (the add recomposed the image)"
    assert "refreshProjection" not in preview["timings"], "no second, whole-image refresh"
    assert preview["undo_index"] == users["undo_index"] + 1, "the preview is one command"
    result = np.frombuffer((gui["out"] / "preview_result.raw").read_bytes(), np.uint8).reshape(SIZE, SIZE, 4)
    assert strongly_red(bgra_to_rgb(result))[photo["truth"]].mean() < 0.02
    discarded = report["discarded"]
    assert discarded["by_undo"] is True, "taken back by Krita's own Undo, not removed as a new command"
    assert discarded["tree"] == users["tree"] and discarded["crc"] == users["crc"], discarded
    assert discarded["undo_index"] == users["undo_index"], "Discard leaves the undo stack where it was"
    assert discarded["buttons"] is False
    undone = report["ctrl_z_after_discard"]
    assert undone["tree"] == before["tree"] and undone["crc"] == before["crc"], "Ctrl+Z undid the user's layer"
    assert undone["undo_index"] == users["undo_index_before"]


def test_apply_is_one_undo_step(gui):
    report = gui["report"]
    before, applied = report["before"], report["applied"]
    assert applied["tree"][0]["name"] == "Lego Edit: remove the red ball" and not applied["tree"][0]["locked"]
    assert applied["crc"] != before["crc"]
    index0, index1, index2 = applied["undo_index"]
    assert index1 == index0 + 1, "the preview is one command"
    assert index2 == index1, "Apply itself adds nothing to the undo stack"
    undone = report["undone"]
    assert undone["tree"] == before["tree"] and undone["crc"] == before["crc"], (undone, before)
    assert report["redone"]["tree"] == applied["tree"]
    assert applied["history"] == 1
    assert applied["active"] == "Background", "the result never becomes the layer the next edit reads"


def test_quitting_krita_ends_the_daemon_it_started_and_only_that_one(gui):
    other = gui["report"]["other_daemon"]
    assert other["endpoint"] == gui["other_endpoint"] and other["connected"] == "connected", other
    assert other["started_still"], "the daemon the docker started was still running before the quit"
    assert gui["lifetime"] == {"krita_exit": 0, "started_ended": True, "running_alive": True}, gui["lifetime"]
    assert "Segmentation fault" not in gui["log"], gui["log"][-2000:]


def test_a_queued_edit_runs_after_the_first(gui):
    report = gui["report"]
    assert report["edit_enabled_while_running"] is True
    assert report["queue_shown"]["rows"] == 2 and "4 at a time" in report["queue_shown"]["label"]
    queue = report["queue"]
    first, second, third = queue["first"], queue["second"], queue["third"]
    assert first["state"] == second["state"] == "done", queue
    assert second["finished_at"] > first["finished_at"]
    assert queue["rows_with_three"] == 3 and third["state"] == "cancelled"
    assert queue["previews"] == 2
    names = [row["name"] for row in report["after_queue"]["tree"] if row["depth"] == 0]
    assert names[:3] == ["Lego Edit: make the image darker", "Lego Edit: make the image brighter",
                         "Lego Edit: remove the red ball"], names
    assert report["after_queue"]["history"] == 3
    assert report["ctrl_enter_started"] is True and report["enter_in_feedback_started"] is False
    variation = report["variation"]
    assert variation["state"] == "done" and variation["previews"] == 1, variation
    assert not variation["new_job"] and variation["jobs_added"] == 0, variation  # offline: nothing re-run
    assert variation["message"].startswith("No variation: every step of this edit ran on a deterministic brick")
    assert re.search(r"^seed \d+$", variation["details"], re.M), variation["details"]  # the daemon's seed shown


def test_the_history_survives_save_and_reopen(gui):
    report = gui["report"]
    assert report["saved"] is True
    reopened = report["reopened"]
    assert len(reopened["history"]) == 3 and all(reopened["icons"]), reopened
    assert reopened["history"][0].startswith("make the image darker"), "newest first"
    assert reopened["history"][-1].startswith(INSTRUCTION)


def test_replan_edits_the_document_on_screen(gui):
    report = gui["report"]
    replan = report["replan"]
    assert replan["state"] == "done" and replan["doc_is_first"] is True, replan
    assert report["replan_of"] == "make the image brighter", "the last edit of this document (the Ctrl+Enter one)"
    assert replan["tree"][0]["name"] == f"Lego Edit: make the image brighter ({FEEDBACK})", replan["tree"]
    assert replan["other_unchanged"] is True
    assert not any("FLUX" in name for name in replan["created"][1:]), "layers named by what they hold"


def test_closing_a_document_mid_edit_cancels_it_quietly(gui):
    report = gui["report"]
    closed = report["closed"]
    assert closed["code"] == "closed" and closed["dialogs"] == [], closed
    assert report["daemon_jobs_after_close"] == {"running": 0, "queued": 0}, report["daemon_jobs_after_close"]
    print(f"the daemon was idle {report['daemon_idle_after_close_s']} s after the close")
    assert "Traceback" not in gui["log"] and "AttributeError" not in gui["log"], gui["log"][-3000:]
