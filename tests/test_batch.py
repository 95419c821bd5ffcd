"""`lego-edit batch` on the local pool: real photos, real worker processes, a worker killed mid-batch, an
interrupted run resumed; every output byte for byte what `lego-edit edit` writes for that image."""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from lego_edit.daemon.cli.app import main

ROOT = Path(__file__).resolve().parents[1]
INSTRUCTION = "make it warmer"
FORMATS = (".png", ".jpg", ".tif", ".webp", ".png")


def write_photos(folder: Path, count: int = 20, long_side: int = 192) -> list[Path]:
    """`count` real photos (scikit-image's, each cropped, turned and scaled differently) in PNG, JPEG, TIFF,
    WebP and one grayscale PNG, plus a corrupt JPEG and a text file."""
    from PIL import Image
    from skimage import data

    photos = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket(), data.hubble_deep_field()]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        pixels = photos[i % len(photos)]
        h, w = pixels.shape[:2]
        k = i // len(photos)
        pixels = np.rot90(pixels[k * h // 10:, : w - k * w // 12], k)
        img = Image.fromarray(np.ascontiguousarray(pixels))
        img.thumbnail((long_side, long_side))
        if i == 7:
            img = img.convert("L")
        path = folder / f"photo{i:02d}{FORMATS[i % len(FORMATS)]}"
        img.save(path)
        paths.append(path)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a JPEG after all")
    (folder / "notes.txt").write_text("not an image")
    return paths


def reference_edits(paths: list[Path], folder: Path, instruction: str = INSTRUCTION) -> dict[str, bytes]:
    """What `lego-edit edit PHOTO INSTRUCTION -o OUT` writes for each photo (the command's own entry point)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for path in paths:
        target = folder / path.name
        assert main(["edit", str(path), instruction, "-o", str(target)]) == 0
        out[path.name] = target.read_bytes()
    return out


def manifest(outdir: Path) -> list[dict]:
    return [json.loads(line) for line in (outdir / "manifest.jsonl").read_text().splitlines()]


def check_batch(outdir: Path, references: dict[str, bytes], *, broken: bool = True) -> list[dict]:
    """Every photo done once, its output equal to the single edit's; the corrupt file recorded, not run."""
    lines = manifest(outdir)
    ids = [r["id"] for r in lines]
    assert len(ids) == len(set(ids)) == len(references) + broken
    for name, expected in references.items():
        record = next(r for r in lines if r["id"] == name)
        assert record["status"] == "done", record
        assert record["files"] == [name] and record["plan"]["workflow"]["pipeline"]
        assert (outdir / name).read_bytes() == expected, name
    if broken:
        bad = next(r for r in lines if r["id"] == "broken.jpg")
        assert bad["status"] == "failed" and bad["code"] == "unreadable_image" and "broken.jpg" in bad["message"]
        assert not (outdir / "broken.jpg").exists()
    assert not (outdir / "notes.txt").exists()
    return lines


@functools.cache
def shared_photos() -> tuple[Path, list[Path], dict[str, bytes]]:
    """The photo folder and its single-edit references, made once per test session (the Ray tests use them too)."""
    root = Path(tempfile.mkdtemp(prefix="lego-edit-batch-test-"))
    atexit.register(shutil.rmtree, root, True)
    paths = write_photos(root / "in")
    return root / "in", paths, reference_edits(paths, root / "single")


@pytest.fixture
def photos():
    return shared_photos()


def test_folder_batch_matches_single_edits_and_reports_the_corrupt_file(photos, tmp_path, capsys):
    folder, paths, references = photos
    status = main(["batch", str(folder), "-o", str(tmp_path / "out"), "--instruction", INSTRUCTION, "--workers", "2"])
    assert status == 1  # one item failed: the others are done all the same
    lines = check_batch(tmp_path / "out", references)
    assert {r["worker"] for r in lines} and len({r["worker"] for r in lines}) == 2
    table = capsys.readouterr().out
    assert "on a local pool of 2" in table and "done          20" in table and "unreadable_image 1" in table
    assert "notes.txt" in table  # left alone, and said so


def test_a_killed_worker_loses_and_duplicates_nothing(photos, tmp_path):
    from lego_edit.batch.items import collect
    from lego_edit.batch.runner import BatchOptions, run_batch
    from lego_edit.daemon.config import load

    folder, _, references = photos
    killed: list[int] = []

    def kill_first_worker(record):
        if not killed and record["status"] == "done":
            pid = int(record["worker"].rsplit(":", 1)[1])
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            time.sleep(1.0)  # the pool sees its dead worker before the next item is sent: a submit must not fail

    options = BatchOptions(tmp_path / "out", workers=2, progress=False)
    summary = run_batch(load(), collect(folder, INSTRUCTION), options, on_record=kill_first_worker)
    lines = check_batch(tmp_path / "out", references)
    assert killed and summary.counts() == {"done": 20, "failed": 1}
    later = lines[len(lines) // 2:]
    assert all(r["worker"].rsplit(":", 1)[1] != str(killed[0]) for r in later)
    assert max(r["attempts"] for r in lines) == 2  # the items the dead worker held ran once more


def test_resume_after_an_interrupted_run_redoes_only_the_missing_items(photos, tmp_path):
    folder, _, references = photos
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "lego_edit.daemon.cli", "batch", str(folder), "-o", str(out),
                             "--instruction", INSTRUCTION, "--workers", "1"], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            path = out / "manifest.jsonl"
            if path.exists() and len(path.read_text().splitlines()) >= 6:
                break
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its worker, at once
        proc.wait()
    first = {r["id"]: r for r in manifest(out)}
    done_before = {i for i, r in first.items() if r["status"] == "done"}
    assert 5 <= len(done_before) < 20
    stamps = {i: (out / i).stat().st_mtime_ns for i in done_before}
    seen: list[str] = []
    from lego_edit.batch.items import collect
    from lego_edit.batch.runner import BatchOptions, run_batch
    from lego_edit.daemon.config import load

    summary = run_batch(load(), collect(folder, INSTRUCTION), BatchOptions(out, workers=1, resume=True,
                                                                           progress=False),
                        on_record=lambda r: seen.append(r["id"]))
    assert summary.kept == len(done_before)
    assert sorted(seen) == sorted(set(references) - done_before | {"broken.jpg"})  # a failed item is not done
    lines = check_batch(out, references)
    assert [r for r in lines if r["id"] in done_before] == [first[i] for i in sorted(done_before, key=list(first).index)]
    assert {i: (out / i).stat().st_mtime_ns for i in done_before} == stamps  # untouched


def test_jsonl_items_masks_and_shared_plans(tmp_path, capsys):
    """Per-item instructions and masks, two items on one image (their outputs named by id), a bad line; with one
    worker the second same-sized 'remove this' reuses the first one's plan."""
    import cv2
    from PIL import Image

    from lego_edit.bricks.samples import red_ball_sample

    ball, truth = red_ball_sample(256)
    image = tmp_path / "ball.png"
    Image.fromarray(ball).save(image)
    Image.fromarray(cv2.dilate(truth, np.ones((9, 9), np.uint8))).save(tmp_path / "sel.png")
    twin = tmp_path / "twin.png"
    Image.fromarray(np.ascontiguousarray(ball[::-1])).save(twin)  # same size, the ball in the mask no more
    jobs = tmp_path / "jobs.jsonl"
    rows = [{"id": "a", "image": str(image), "instruction": "remove this", "mask": "sel.png"},
            {"id": "b", "image": "twin.png", "instruction": "remove this", "mask": "sel.png"},
            {"id": "c", "image": str(image), "instruction": "extract the red ball and then remove it"}]
    jobs.write_text("\n".join(json.dumps(r) for r in rows) + "\n{not json\n")
    out = tmp_path / "out"
    assert main(["batch", str(jobs), "-o", str(out), "--workers", "1", "--masks"]) == 1
    lines = {r["id"]: r for r in manifest(out)}
    assert lines["line 4"]["code"] == "bad_item" and "jobs.jsonl line 4" in lines["line 4"]["message"]
    assert [lines[k]["status"] for k in "abc"] == ["done"] * 3
    assert lines["a"]["plan_shared"] is False and lines["b"]["plan_shared"] is True
    assert lines["a"]["plan"] == lines["b"]["plan"]
    stem, ext = image.stem, image.suffix
    assert lines["a"]["output"] == f"{stem}.a{ext}" and lines["c"]["output"] == f"{stem}.c{ext}"
    for key, extra in (("a", ["--mask", str(tmp_path / "sel.png")]), ("c", [])):
        single = tmp_path / "single" / f"{key}{ext}"
        assert main(["edit", str(image), rows["ac".index(key) * 2]["instruction"], "-o", str(single), *extra]) == 0
        written = sorted(p.name for p in single.parent.iterdir() if p.name.startswith(f"{key}{ext}"[:1]))
        files = lines[key]["files"]
        assert len(files) == len(written) >= 1
        for mine, theirs in zip(sorted(files), written, strict=True):
            assert (out / mine).read_bytes() == (single.parent / theirs).read_bytes(), (mine, theirs)
    assert len(lines["c"]["files"]) == 2  # --masks: the cut-out beside the image, as `edit` writes it
    capsys.readouterr()


def test_bad_input_is_one_line(tmp_path, capsys):
    assert main(["batch", str(tmp_path), "-o", str(tmp_path / "o")]) == 1
    assert "give the instruction" in capsys.readouterr().err
    assert main(["batch", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "missing.jsonl: no such file" in err[0]


def test_an_output_folder_inside_the_input_folder_is_not_input(tmp_path):
    from PIL import Image

    from lego_edit.batch.items import collect

    for name in ("a.png", "sub/b.jpg", "edited/a.png", ".hidden/c.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 8)).save(tmp_path / name)
    found = collect(tmp_path, INSTRUCTION, exclude=tmp_path / "edited")
    assert [(i.id, i.output) for i in found.items] == [("a.png", "a.png"), ("sub/b.jpg", "sub/b.jpg")]


def test_ray_without_ray_installed_says_what_to_install(tmp_path, capsys):
    import importlib.util

    from PIL import Image

    if importlib.util.find_spec("ray") is not None:
        pytest.skip("Ray is installed here: tests/test_batch_ray.py runs it")
    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    assert main(["batch", str(tmp_path), "-o", str(tmp_path / "out"), "--instruction", INSTRUCTION,
                 "--ray", "auto"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == ["lego-edit: error: --ray: this needs Ray: pip install 'lego-edit[ray]'"]
