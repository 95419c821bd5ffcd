"""The host-independent parts the GIMP dialog uses (plugins/client: plain_words, edit_history, address,
daemon_launch), on the test Python."""

from __future__ import annotations

import io
import stat
import sys
import time

import numpy as np
import pytest
from PIL import Image

from lego_edit.plugins.client import address, daemon_launch, edit_history, plain_words
from lego_edit.plugins.client.session import EditSession, PlanSummary
from lego_edit.plugins.client.workspace import Workspace

PLAN = {"type": "plan", "steps": 3, "workflow": {"pipeline": [
    {"step": 1, "model": "RES", "input": {"image": "init[image]", "prompt": "red ball"}, "output": {"mask": "step1[mask]"}},
    {"step": 2, "model": "FASTINPAINT", "input": {"image": "init[image]", "mask": "step1[mask]"},
     "output": {"image": "step2[image]"}},
    {"step": 3, "model": "FLUX-INPAINT", "input": {"image": "init[image]", "mask": "step1[mask]"},
     "output": {"image": "step3[image]"}},
    {"result": "[step3[image]]"}]}}


def test_names_in_plain_words():
    plan = PlanSummary.from_header(PLAN)
    assert plain_words.mask_label(plan, 1) == "mask: red ball"
    assert plain_words.mask_label(plan, 1, taken={"mask: red ball"}) == "mask: red ball (2)"
    assert plain_words.mask_label(plan, 2) == "mask: red ball"  # the step works on step 1's mask
    assert plain_words.mask_label(plan, 7) == "mask" and plain_words.mask_label(None, None) == "mask"
    assert plain_words.result_label(0, 1) == "result" and plain_words.result_label(1, 2) == "result 2"
    long = "remove " + "the very small red ball on the left " * 5
    title = plain_words.group_title(long, ["keep the shadow"])
    assert title == "Lego Edit: " + " ".join(long.split()) + " (keep the shadow)"  # never cut
    assert plain_words.plan_words(plan) == "find red ball, then remove"
    assert plain_words.plan_words(None) == "nothing to do"


def test_status_line_says_what_happens():
    session = EditSession("remove the red ball")
    session.sent("r1")
    assert plain_words.status_line(session) == "Sending the image\u2026"
    session.feed({"type": "accepted", "position": 2})
    assert plain_words.status_line(session) == "Waiting for 2 earlier edit(s)\u2026"
    session.feed({"type": "accepted", "position": 0})
    assert plain_words.status_line(session) == "Planning\u2026"
    session.feed(PLAN)
    progress = {"type": "progress", "step": 1, "steps": 3, "brick": "RES", "state": "running", "message": "rules"}
    session.feed(progress)
    assert plain_words.status_line(session, progress) == "Finding red ball (1/3)\u2026"
    progress = {"type": "progress", "step": 2, "steps": 3, "brick": "FASTINPAINT", "state": "running"}
    session.feed(progress)
    text = plain_words.status_line(session, progress)
    assert text == "Removing (2/3)\u2026" and "FASTINPAINT" not in text
    session.feed({"type": "error", "code": "brick_failed", "message": "out of memory", "step": 2})
    assert plain_words.status_line(session, progress) == session.failure.sentence


def rgba_image(width, height):
    rng = np.random.default_rng(3)
    return rng.integers(0, 256, (height, width, 4), dtype=np.uint8)


def test_history_round_trip_with_thumbnail():
    pixels = rgba_image(300, 150)
    thumb = edit_history.thumbnail_png(pixels.tobytes(), 300, 150)
    shown = np.asarray(Image.open(io.BytesIO(thumb)))
    assert shown.shape == (32, 64, 4)
    ys = (np.arange(32) * (300 / 64)).astype(int)
    xs = (np.arange(64) * (300 / 64)).astype(int)
    assert np.array_equal(shown, pixels[ys][:, xs])  # nearest pixel, exact values
    entries = [edit_history.HistoryEntry("remove the red ball", "find red ball, then remove", time=1000.0,
                                         layer="Lego Edit: remove the red ball", thumbnail=thumb),
               edit_history.HistoryEntry("make it brighter", "relight", feedback=("less strong",))]
    back = edit_history.decode(edit_history.encode(entries))
    assert back == entries
    assert back[1].text.endswith("make it brighter (less strong): relight")
    assert abs(back[1].time - time.time()) < 60


@pytest.mark.parametrize("blob", [None, b"", b"\xff\xfe", b"[1, 2]", b'{"format": "other", "entries": []}',
                                  b'{"format": "lego-edit-history/1", "entries": [{"plan": 3}, 7]}'])
def test_history_decode_never_raises(blob):
    assert edit_history.decode(blob) == []


def test_history_keeps_the_newest_entries():
    entries = [edit_history.HistoryEntry(f"edit {i}", "") for i in range(edit_history.MAX_ENTRIES + 5)]
    back = edit_history.decode(edit_history.encode(entries))
    assert len(back) == edit_history.MAX_ENTRIES and back[-1].instruction == entries[-1].instruction


def test_small_images_keep_their_size_in_the_thumbnail():
    pixels = rgba_image(10, 5)
    shown = np.asarray(Image.open(io.BytesIO(edit_history.thumbnail_png(pixels.tobytes(), 10, 5))))
    assert np.array_equal(shown, pixels)


@pytest.mark.parametrize("text, endpoint", [
    ("", ""), ("localhost:5647", "tcp://localhost:5647"), (" 127.0.0.1:5588 ", "tcp://127.0.0.1:5588"),
    ("tcp://10.0.0.2:9", "tcp://10.0.0.2:9"), ("[::1]:5588", "tcp://[::1]:5588"), ("ipc:///tmp/lego", "ipc:///tmp/lego")])
def test_addresses_people_type(text, endpoint):
    assert address.endpoint_from_address(text) == endpoint
    if endpoint.startswith("tcp://"):
        assert address.address_of(endpoint) == endpoint[6:]


@pytest.mark.parametrize("text, words", [("localhost", "host:port"), ("localhost:http", "port must be a number"),
                                         ("host:70000", "port must be a number"), ("udp://h:1", "tcp://"),
                                         ("bad host:1", "not a host name")])
def test_bad_addresses_say_why(text, words):
    with pytest.raises(address.AddressError, match=words):
        address.endpoint_from_address(text)


def fake_lego_edit(folder):
    script = folder / "lego-edit"
    script.write_text(f"#!{sys.executable}\nimport json, os, sys\n"
                      f"json.dump({{'argv': sys.argv[1:], 'env': dict(os.environ)}}, open({str(folder / 'ran.json')!r}, 'w'))\n"
                      "print('daemon output')\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_start_daemon_finds_lego_edit_and_detaches(tmp_path):
    import json

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = fake_lego_edit(bin_dir)
    environ = {"PATH": str(bin_dir), "HOME": str(tmp_path), "PYTHONHOME": "/host/python", "LEGO_EDIT_ENDPOINT": "x"}
    assert daemon_launch.find_daemon_executable(environ=environ) == str(script)
    log = tmp_path / "logs" / "daemon.log"
    launch = daemon_launch.start_daemon("tcp://127.0.0.1:7", str(log), environ=environ)
    assert launch.error == "" and launch.process.wait(10) == 0
    ran = json.loads((bin_dir / "ran.json").read_text())
    assert ran["argv"] == ["serve", "--endpoint", "tcp://127.0.0.1:7"]
    assert "PYTHONHOME" not in ran["env"] and "LEGO_EDIT_ENDPOINT" not in ran["env"]
    assert log.read_text() == "daemon output\n"
    assert launch.command[0] == str(script)


def test_start_daemon_without_lego_edit_says_so(tmp_path):
    environ = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    assert daemon_launch.find_daemon_executable(environ=environ) in (None, "/usr/local/bin/lego-edit")
    launch = daemon_launch.start_daemon(None, str(tmp_path / "d.log"), executable=str(tmp_path / "missing"),
                                        environ=environ)
    assert launch.process is None and launch.error.startswith("Could not start")


@pytest.mark.parametrize("hello, limit", [({"limits": {"max_queued_per_client": 4}}, 4), ({"limits": {}}, None),
                                          ({"limits": {"max_queued_per_client": 0}}, None), ({}, None), (None, None),
                                          ({"limits": {"max_queued_per_client": True}}, None),
                                          ({"limits": {"max_queued_per_client": "4"}}, None)])
def test_the_queue_limit_comes_from_the_daemons_hello(hello, limit):
    workspace = Workspace()
    workspace.limit = 9
    workspace.heard(hello)
    assert workspace.limit == limit


def test_the_queue_says_what_waits_and_the_limit():
    """What the GIMP dialog shows above its queue, and when Edit refuses one more."""
    class Job:
        def __init__(self, request_id):
            self.request_id, self.done = request_id, False

    workspace = Workspace()
    workspace.heard({"limits": {"max_queued_per_client": 2}})
    first, second = Job("a"), Job("b")
    workspace.add("image", first)
    assert workspace.queue_text() == "1 edit running (the daemon takes 2 at a time)" and workspace.can_submit
    workspace.add("image", second)
    assert workspace.queue_text() == "2 edits running or waiting (the daemon takes 2 at a time)"
    assert not workspace.can_submit and workspace.running == [first, second]
    first.done = True
    workspace.finished(first, preview=True, replannable=True)
    assert workspace.can_submit and workspace.state("image").preview is first and workspace.job("a") is first
    second.done = True
    workspace.finished(second, preview=False, replannable=False)
    assert workspace.queue_text() == "" and workspace.job("b") is None and workspace.state("image").last is first
