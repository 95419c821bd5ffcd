"""The GIMP 3 dialog, used as a painter would: real GIMP GUI under Xvfb, driven with xdotool.

One GIMP session (tests/gimp_dialog_batch.py) opens the photo in an image window and runs the
plug-in interactively against a real daemon on the host. Meanwhile this test, through the keyboard:
presses Edit with no daemon (the dialog says so at once, no GIMP error box), starts a slow edit (a 4x
upscale: seconds of work in bands of rows, whatever the planner has loaded) and presses Cancel edit
(the daemon must report 0 running within 2 s, and no preview comes), sends an instruction the planner
refuses (its sentence shows in the dialog, which stays open), edits, waits for the preview, Discards
it, types feedback and Re-plans, Applies that; then queues, behind another client's long denoise of
noise: a first, a second and a third edit, the third cancelled from the queue (Alt+3) while it
waits; the first two land in turn and are Applied; then it closes the dialog. Then four Ctrl+Z in
the image window: each of the first three takes back exactly one applied edit (pixels and layer
tree), the fourth changes nothing (the discard, the cancels and the refusal left no undo step).
The .xcf saved in between keeps the three edits in its history.

Before all that, no daemon runs: the dialog says so, and its Start daemon runs `lego-edit serve`
(a stand-in in the chroot's ~/.local/bin records the call; the test then starts the real daemon on
the host) and the dialog connects by itself.

Screenshots (artifacts): $LEGO_EDIT_ARTIFACTS/gimp (default /tmp/lego-edit-artifacts/gimp):
gimp-dialog-no-daemon.png, gimp-dialog-connected.png, gimp-dialog-refused.png, gimp-dialog-preview.png,
gimp-dialog-queue.png, gimp-dialog-history.png.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.net import free_port
from tests.test_gimp import (
    INSTRUCTION,
    REPO,
    ROOT,
    SELECTION,
    inside,
    install_plugin,
    red_fraction,
    start_daemon,
    truth,
    user_env,
)
from tests.xvfb_screen import screenshot

ARTIFACTS = Path(os.environ.get("LEGO_EDIT_ARTIFACTS", "/tmp/lego-edit-artifacts")) / "gimp"
FEEDBACK = "there's still a smudge"  # a correction the offline planner understands
FIRST = f"Lego Edit: {INSTRUCTION} ({FEEDBACK})"
SLOW = "upscale it 4x"  # 1024 -> 4096 px: seconds of Lanczos in bands of rows, cancellable between them
BLOCKER = "remove the noise from the photo"  # on the blocker's random noise: a denoise that really runs
WARMER = "make it warmer"  # the first of the queue: waits for another client's edit, then runs and lands
QUEUED = "make it brighter"  # sent behind WARMER: waits for it, then runs and lands
WARMER_GROUP, QUEUED_GROUP = f"Lego Edit: {WARMER}", f"Lego Edit: {QUEUED}"
DROPPED = INSTRUCTION  # sent third and cancelled while it waits: leaves nothing (it would add mask channels)
BLOCKER_SIZE = 2048  # another client's denoise of noise this size holds the daemon's worker for many seconds
MESSAGE_BOX = ("GIMP Message", "Error", "Execution error", "Warning")  # what GIMP titles an error box
GIMP_TIMEOUT_S = 240
UNDOS = ("undo1", "undo2", "undo3", "undo4")

pytestmark = [
    pytest.mark.gimp,
    pytest.mark.skipif(not (ROOT / "usr/bin/gimp-3.0").exists(), reason=f"no GIMP 3 chroot at {ROOT}"),
    pytest.mark.skipif(not (ROOT / "usr/bin/xdotool").exists(), reason="no xdotool in the chroot"),
    pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chroot needs root"),
]


def start_xvfb(fbdir: Path):
    read, write = os.pipe()
    proc = subprocess.Popen(["chroot", str(ROOT), "Xvfb", "-displayfd", str(write), "-nolisten", "tcp", "-screen", "0",
                             "1280x1024x24", "-fbdir", inside(fbdir)], pass_fds=(write,), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    assert number.isdigit(), "Xvfb did not start"
    return proc, f":{number}"


class Driver:
    """xdotool in the chroot, on one display; every step is logged for the failure message."""

    def __init__(self, display: str, fbdir: Path):
        self.display, self.fbdir, self.log = display, fbdir, []

    def xdo(self, *args: str, timeout: float = 60) -> str:
        cmd = ["chroot", str(ROOT), "env", "-i", "PATH=/usr/bin:/bin", f"DISPLAY={self.display}", "timeout",
               str(int(timeout)), "xdotool", *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 10)
        self.log.append(f"xdotool {' '.join(args)} -> {proc.returncode} {proc.stdout.strip()} {proc.stderr.strip()}")
        if proc.returncode != 0:
            raise AssertionError("\n".join(self.log))
        return proc.stdout.strip()

    def window(self, title: str, timeout: float = 60) -> str:
        """The id of the visible window whose whole title is `title` (waits for it)."""
        pattern = "^" + title.replace("(", "\\(").replace(")", "\\)") + "$"
        return self.xdo("search", "--sync", "--onlyvisible", "--name", pattern, timeout=timeout).split()[0]

    def keys(self, window: str, *keys: str) -> None:
        self.xdo("windowfocus", "--sync", window, "key", "--clearmodifiers", "--delay", "30", *keys)

    def type(self, window: str, text: str) -> None:
        self.xdo("windowfocus", "--sync", window, "type", "--delay", "5", text)

    def titles(self) -> list[str]:
        """The titles of every visible window (no xdotool error when there is none)."""
        cmd = ["chroot", str(ROOT), "env", "-i", "PATH=/usr/bin:/bin", f"DISPLAY={self.display}", "xdotool", "search",
               "--onlyvisible", "--name", "."]
        ids = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.split()
        return [self.xdo("getwindowname", window) for window in ids]

    def shot(self, name: str) -> Path:
        return screenshot(self.fbdir, ARTIFACTS / name)


def wait_for(path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} did not appear"
        time.sleep(0.1)


def jobs(client) -> dict:
    return client.status(timeout=2.0)["jobs"]


def drive(driver: Driver, endpoint: str, work: Path, result: dict) -> None:
    """Everything a user does, in order; `result` gets the measurements (or the failure)."""
    from lego_edit.plugins.client import Client, ImageData

    out = work / "out"
    result["endpoint"] = endpoint
    try:
        # 0. no daemon yet: Edit says so at once in the dialog (no GIMP error box); its Start daemon runs
        # `lego-edit serve` (the chroot's stand-in records the call; the test starts the real daemon on the
        # host, where lego-edit lives)
        dialog = driver.window("Lego Edit", timeout=90)
        driver.xdo("windowmove", dialog, "700", "0")  # no window manager: off the image window's canvas
        time.sleep(2.5)  # past the dialog's grace for the first hello
        driver.type(dialog, INSTRUCTION)
        driver.keys(dialog, "Return")
        time.sleep(0.5)
        result["titles_no_daemon"] = driver.titles()
        result["shot_no_daemon"] = str(driver.shot("gimp-dialog-no-daemon.png"))
        driver.keys(dialog, "alt+s")
        wait_for(work / "start-request", 10)
        result["start_argv"] = (work / "start-request").read_text().split()
        config = work / "daemon.toml"  # one worker: another client's edit makes the dialog's edits wait
        config.write_text("[daemon]\nworkers = 1\n")
        result["daemon"] = start_daemon(endpoint, work, config=config)
        with Client(endpoint) as client:
            deadline = time.monotonic() + 15
            while client.status(timeout=2.0)["clients"] < 2:  # this test's client and the dialog's
                assert time.monotonic() < deadline, "the dialog never connected to the started daemon"
                time.sleep(0.2)
            time.sleep(0.5)
            result["shot_connected"] = str(driver.shot("gimp-dialog-connected.png"))

            # 1. a slow edit, cancelled: the daemon's job ends within 2 s
            driver.keys(dialog, "alt+i", "ctrl+a")
            driver.type(dialog, SLOW)
            driver.keys(dialog, "Return")
            driver.window("Lego Edit (working)", timeout=10)
            deadline = time.monotonic() + 20
            while jobs(client)["running"] == 0:
                assert time.monotonic() < deadline, "the slow edit never ran"
                time.sleep(0.05)
            running_since = time.monotonic()
            driver.keys(dialog, "alt+c")
            start = time.monotonic()
            while jobs(client)["running"] or jobs(client)["queued"]:
                assert time.monotonic() - start < 10, "the daemon kept running the cancelled job"
                time.sleep(0.05)
            result["cancel_s"] = time.monotonic() - start
            result["slow_ran_s"] = time.monotonic() - running_since
            try:  # a slow edit that finished before its cancel arrived would show its preview instead
                driver.window("Lego Edit", timeout=10)
            except AssertionError:
                raise AssertionError(f"after Cancel edit the dialog is not idle: {driver.titles()}") from None

            # 1b. an instruction the planner refuses: its sentence in the dialog, which stays open
            driver.keys(dialog, "alt+i", "ctrl+a")
            driver.type(dialog, "flibber the wobble")
            driver.keys(dialog, "alt+e")
            time.sleep(1.5)  # a refusal is answered in milliseconds: no "(working)" to wait for
            driver.window("Lego Edit", timeout=30)
            result["titles_refused"] = driver.titles()
            result["shot_refused"] = str(driver.shot("gimp-dialog-refused.png"))

            # 2. edit, preview, discard
            driver.keys(dialog, "alt+i", "ctrl+a")
            driver.type(dialog, INSTRUCTION)
            driver.keys(dialog, "alt+e")
            driver.window("Lego Edit (preview)", timeout=60)
            time.sleep(0.5)
            result["shot_preview"] = str(driver.shot("gimp-dialog-preview.png"))
            # 2a. Next variation of an offline plan: no step depends on the seed, so the dialog says so and
            # sends nothing (the preview stays; a variation sent would take it off while it runs)
            driver.keys(dialog, "alt+n")
            seen = []
            for _ in range(15):
                seen.extend(driver.titles())
                time.sleep(0.1)
            result["titles_variation"] = seen
            result["jobs_variation"] = jobs(client)
            result["shot_no_variation"] = str(driver.shot("gimp-dialog-no-variation.png"))
            driver.keys(dialog, "alt+d")
            driver.window("Lego Edit", timeout=10)

            # 3. feedback on the discarded edit, Re-plan, apply
            driver.keys(dialog, "alt+f")
            driver.type(dialog, FEEDBACK)
            driver.keys(dialog, "alt+r")
            driver.window("Lego Edit (preview)", timeout=60)
            driver.keys(dialog, "alt+a")
            driver.window("Lego Edit", timeout=10)

            # 4. a queue: another client's long edit holds the daemon's one worker (as Krita's might), so
            # the dialog's WARMER, QUEUED and DROPPED all wait; DROPPED is cancelled from the queue (Alt+3);
            # then the other edit is cancelled and WARMER runs, then QUEUED
            with Client(endpoint) as other:
                noise = np.random.default_rng(0).integers(0, 256, (BLOCKER_SIZE, BLOCKER_SIZE, 4), dtype=np.uint8)
                noise[..., 3] = 255
                blocker = other.send_edit(BLOCKER, ImageData.rgba(noise.tobytes(), BLOCKER_SIZE, BLOCKER_SIZE),
                                          reply_format="RGBA8")
                deadline = time.monotonic() + 20
                while jobs(client)["running"] == 0:
                    assert time.monotonic() < deadline, "the other client's edit never ran"
                    time.sleep(0.05)
                result["retyped"] = []
                for count, instruction in enumerate((WARMER, QUEUED, DROPPED), start=1):
                    # xdotool's keys into GIMP on a machine this busy sometimes lose characters (the
                    # mangled instruction is refused at once): type it again until the daemon holds it
                    for _attempt in range(3):
                        driver.keys(dialog, "alt+i", "ctrl+a")
                        driver.type(dialog, instruction)
                        time.sleep(0.3)
                        driver.keys(dialog, "alt+e")
                        deadline = time.monotonic() + 3
                        while (seen := jobs(client))["queued"] < count and time.monotonic() < deadline:
                            time.sleep(0.05)
                        if seen["queued"] >= count:
                            break
                        result["retyped"].append(instruction)
                    assert seen == {**seen, "running": 1, "queued": count}, f"the edits never queued: {seen}"
                result["shot_queue"] = str(driver.shot("gimp-dialog-queue.png"))
                start = time.monotonic()
                driver.keys(dialog, "alt+3")
                while (seen := jobs(client))["queued"] > 2:
                    assert time.monotonic() - start < 10, f"the daemon kept the cancelled queued edit: {seen}"
                    time.sleep(0.05)
                result["cancel_queued_s"] = time.monotonic() - start
                result["after_queued_cancel"] = seen
                other.cancel(blocker)
                deadline = time.monotonic() + 10
                while not any(event.type == "cancelled" for event in other.poll(0.1)):
                    assert time.monotonic() < deadline, "the other client's edit was never cancelled"
            driver.window("Lego Edit (preview 1 of 2)", timeout=60)  # WARMER shown, QUEUED finished behind it
            driver.keys(dialog, "alt+a")
            driver.window("Lego Edit (preview)", timeout=10)  # QUEUED's turn
            driver.keys(dialog, "alt+a")
            driver.window("Lego Edit", timeout=10)
            time.sleep(0.5)
            result["shot_history"] = str(driver.shot("gimp-dialog-history.png"))
            result["final_jobs"] = jobs(client)
            driver.keys(dialog, "alt+l")

        # 5. four undos in the image window
        for step in UNDOS:
            wait_for(out / f"{step}.ready", 60)
            # the image window's title names the image's size (GIMP's welcome window may be up too)
            canvas = next(w for w in driver.xdo("search", "--onlyvisible", "--name", "GIMP$").split()
                          if "1024x1024" in driver.xdo("getwindowname", w))
            driver.keys(canvas, "ctrl+z")
            time.sleep(1.0)
            (out / f"{step}.done").touch()
        result["ok"] = True
    except Exception as exc:  # reported by the test, with the xdotool log
        result["error"] = f"{type(exc).__name__}: {exc}"
        try:
            result["shot_failure"] = str(driver.shot("gimp-dialog-failure.png"))
        except Exception:  # the screen is gone too: the log says enough
            pass
        for step in UNDOS:  # let the batch end instead of waiting for its timeout
            (out / f"{step}.done").touch()


@pytest.fixture(scope="module")
def dialog_run():
    (ROOT / "tmp").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="lego-edit-dialog-", dir=ROOT / "tmp"))
    home, out, fbdir = work / "home", work / "out", work / "fb"
    for folder in (home, out, fbdir):
        folder.mkdir()
    daemon = xvfb = None
    try:
        install_plugin(home)
        gimprc = home / ".config/GIMP/3.0/gimprc"
        gimprc.write_text("(show-welcome-dialog no)\n(check-updates no)\n(restore-session no)\n")
        rgba, _ = truth()
        Image.fromarray(rgba[..., :3]).save(work / "photo.png")
        shutil.copy(REPO / "tests" / "gimp_dialog_batch.py", work / "batch.py")
        endpoint = f"tcp://127.0.0.1:{free_port()}"
        (work / "job.json").write_text(json.dumps({"photo": inside(work / "photo.png"), "out": inside(out),
                                                   "selection": SELECTION}))
        stand_in = home / ".local/bin/lego-edit"  # what Start daemon finds in ~/.local/bin
        stand_in.parent.mkdir(parents=True)
        stand_in.write_text(f'#!/bin/sh\necho "$@" > {inside(work / "start-request")}\n')
        stand_in.chmod(0o755)
        xvfb, display = start_xvfb(fbdir)
        driver = Driver(display, fbdir)
        result: dict = {}
        thread = threading.Thread(target=drive, args=(driver, endpoint, work, result), daemon=True)
        thread.start()
        code = (f"import sys; sys.argv = ['batch', {inside(work / 'job.json')!r}]; "
                f"exec(open({inside(work / 'batch.py')!r}).read())")
        env = user_env(home)
        gimp_log = open(work / "gimp.log", "wb")
        proc = subprocess.Popen(["chroot", str(ROOT), "env", "-i", "PATH=/usr/bin:/bin", f"HOME={inside(home)}",
                                 "LANG=C.UTF-8", f"DISPLAY={display}", f"LEGO_EDIT_ENDPOINT={endpoint}",
                                 "gimp-3.0", "-d", "-f", "-s", "--batch-interpreter=python-fu-eval", "-b", code,
                                 "--quit"], stdout=gimp_log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
        deadline = time.monotonic() + GIMP_TIMEOUT_S
        while proc.poll() is None and time.monotonic() < deadline and "error" not in result:
            time.sleep(0.2)
        if proc.poll() is None and "error" in result:
            time.sleep(2)  # the driver failed: GIMP would wait for it forever
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        gimp_log.close()
        output = (work / "gimp.log").read_text(errors="replace")
        thread.join(30)
        daemon = result.get("daemon")
        log = (f"GIMP exit {proc.returncode}\n--- output\n{output[-6000:]}\n--- driver\n{result}\n"
               + "\n".join(driver.log[-30:]))
        assert result.get("ok"), log
        assert (out / "report.json").exists(), log
        report = json.loads((out / "report.json").read_text())
        result["out"] = out
        yield report, result, log
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(10)
        if daemon is not None:
            daemon.terminate()
            try:
                daemon.wait(10)
            except subprocess.TimeoutExpired:
                daemon.kill()
        if not os.environ.get("LEGO_EDIT_KEEP_GIMP_RUN"):
            shutil.rmtree(work, ignore_errors=True)


def history(state):
    from lego_edit.plugins.client.edit_history import decode

    return decode(base64.b64decode(state["history"])) if state["history"] else []


def names(layers):
    return [layer["name"] for layer in layers]


def test_start_daemon_runs_lego_edit_serve_and_the_dialog_connects(dialog_run):
    _, result, _ = dialog_run
    assert result["start_argv"][:1] == ["serve"]
    assert result["start_argv"][1:] in ([], ["--endpoint", result["endpoint"]])


def test_cancel_stops_the_daemon_job_within_2_s(dialog_run):
    _, result, _ = dialog_run
    print(f"\nCancel edit -> 0 running in the daemon: {result['cancel_s']:.2f} s (the slow edit stopped "
          f"{result['slow_ran_s']:.2f} s after it was seen running); a queued edit cancelled: "
          f"{result['cancel_queued_s']:.2f} s; instructions retyped: {result['retyped']}")
    assert result["cancel_s"] < 2.0


def test_discard_and_apply_each_edit_as_one_undo_step(dialog_run):
    report, _, log = dialog_run
    states = report["states"]
    before, closed = states["before"], states["closed"]
    assert report["status"] == "success", log
    # the discarded preview and the cancelled edits left nothing; the applied edits are top-level groups
    assert names(closed["layers"]) == [QUEUED_GROUP, WARMER_GROUP, FIRST, "Background"]
    # GIMP keeps layer names unique in an image: the second "result" is "result #1"
    assert [names(group["children"]) for group in closed["layers"][:3]] == [["result #2"], ["result #1"], ["result"]]
    assert closed["layers"][3] == before["layers"][0]  # the source layer's pixels untouched
    # the re-plan grew the mask: both masks are about the red ball (the cancelled DROPPED added none)
    assert sorted(name for name, _ in closed["channels"]) == ["mask: red ball", "mask: red ball (2)"]
    # each Ctrl+Z takes back exactly the newest applied edit, pixels and layer tree: then the image as it was
    undo1, undo2, undo3, undo4 = (states[step] for step in UNDOS)
    assert undo1["layers"] == closed["layers"][1:] and undo1["channels"] == closed["channels"]
    assert undo2["layers"] == closed["layers"][2:] and undo2["channels"] == closed["channels"]
    assert [(e.instruction, e.feedback) for e in history(undo1)] == [(INSTRUCTION, (FEEDBACK,)), (WARMER, ())]
    assert [(e.instruction, e.feedback) for e in history(undo2)] == [(INSTRUCTION, (FEEDBACK,))]
    assert undo3 == before
    # a fourth Ctrl+Z finds nothing of Lego Edit's to undo: the discard, the cancels, the refusal and the
    # previews left no undo step (an undo of a discarded preview's removal would bring it back)
    assert undo4 == before


def test_next_variation_of_an_offline_plan_says_so_and_sends_nothing(dialog_run):
    _, result, log = dialog_run
    titles = result["titles_variation"]
    assert "Lego Edit (preview)" in titles and not any("working" in t for t in titles), log
    assert result["jobs_variation"] == {"running": 0, "queued": 0}


def test_history_lists_the_edits_after_save_and_reopen(dialog_run):
    report, _, _ = dialog_run
    entries = history(report["states"]["reloaded"])
    assert [e.instruction for e in entries] == [INSTRUCTION, WARMER, QUEUED]
    assert all(e.thumbnail.startswith(b"\x89PNG") and e.plan for e in entries)
    assert entries[0].time <= entries[1].time <= entries[2].time


def result_pixels(report, result, group: str) -> np.ndarray:
    return np.asarray(Image.open(result["out"] / report["results"][group]).convert("RGB")).astype(int)


def test_a_queued_edit_runs_after_the_first_and_both_land(dialog_run):
    """WARMER and QUEUED were sent on the visible image with the first edit applied (the ball gone): both
    results keep it gone; WARMER's is warmer than what it read, QUEUED's brighter; DROPPED, cancelled
    while it waited, never ran."""
    report, result, _ = dialog_run
    assert result["cancel_queued_s"] < 2.0
    seen = result["after_queued_cancel"]
    assert (seen["running"], seen["queued"]) == (1, 2)  # DROPPED went while WARMER and QUEUED waited
    assert result["final_jobs"]["running"] == 0 and result["final_jobs"]["queued"] == 0
    _, mask = truth()
    first = result_pixels(report, result, FIRST)
    warmer = result_pixels(report, result, WARMER_GROUP)
    queued = result_pixels(report, result, QUEUED_GROUP)
    for pixels in (first, warmer, queued):
        assert red_fraction(pixels.astype(np.uint8), mask > 127) < 0.02

    def warmth(rgb):
        return float((rgb[..., 0] - rgb[..., 2]).mean())

    assert warmth(warmer) > warmth(first) + 3
    assert queued.mean() > first.mean() + 5


def test_no_gimp_error_box_for_bad_input_or_a_daemon_that_is_down(dialog_run):
    report, result, log = dialog_run
    for key in ("titles_no_daemon", "titles_refused"):
        boxes = [title for title in result[key] if any(word in title for word in MESSAGE_BOX)]
        assert boxes == [], (key, result[key])
        assert "Lego Edit" in result[key]  # the dialog itself stayed open
    assert "Execution error" not in log and "Traceback" not in log


def test_the_dialog_remembers_its_choices(dialog_run):
    """The batch left placement "top" and the rules Builder as a previous dialog's choices: the dialog
    started from them (nobody touched either) and left them, with the rest, for the next one."""
    report, _, _ = dialog_run
    choices = json.loads(report["choices"])
    assert choices == {"placement": "top", "source": "visible", "builder": "rules", "use_selection": True,
                       "show_masks": True}


def red_pixels(path: str) -> int:
    """Clearly red pixels where GIMP's canvas shows the ball (the selection, at GIMP's 66.7 % fit zoom)."""
    import numpy as np

    rgb = np.asarray(Image.open(path).convert("RGB"))[100:310, 330:540].astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return int(((r > 120) & (r - np.maximum(g, b) > 60)).sum())


def test_the_preview_is_on_the_canvas(dialog_run):
    _, result, _ = dialog_run
    assert red_pixels(result["shot_connected"]) > 2000  # the ball, before the edit
    assert red_pixels(result["shot_preview"]) < 100  # the previewed result: no ball


def test_screenshots_of_the_dialog(dialog_run):
    _, result, _ = dialog_run
    for key in ("shot_no_daemon", "shot_connected", "shot_refused", "shot_preview", "shot_queue", "shot_history"):
        shot = Image.open(result[key])
        assert shot.size == (1280, 1024)
        assert len(set(shot.convert("L").resize((64, 64)).tobytes())) > 8  # something is drawn there
    print(f"\nGIMP dialog screenshots: {ARTIFACTS}")
