"""The `lego-edit` CLI as a user meets it: real files, real photos, one clear line on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from lego_edit.bricks.imageio import load_image, load_mask, save
from tests.conftest import REFERENCE_WORKFLOWS, red_disk_photo

REMOVE_RED = {"process": "remove the red object", "pipeline": [
    {"step": 1, "model": "RES", "input": {"image": "init[image]", "prompt": "red object"},
     "output": {"mask": "step1[mask]", "image": "step1[image]"}},
    {"step": 2, "model": "FASTINPAINT", "input": {"image": "init[image]", "mask": "step1[mask]"},
     "output": {"image": "step2[image]", "score": "step2[score]"}},
    {"step": 3, "model": "FLUX-INPAINT", "input": {"image": "init[image]", "mask": "step1[mask]",
                                                   "preimage": "step2[image]", "score": "step2[score]"},
     "output": {"image": "step3[image]"}},
    {"result": "[step1[image], step3[image]]"}]}


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "lego_edit.daemon.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photo")
    image, truth = red_disk_photo(1024)
    save(image, folder / "photo.png")
    return folder / "photo.png", image, truth


def test_run_removes_the_red_object_and_saves_intermediates(tmp_path, photo):
    path, image, truth = photo
    wf = tmp_path / "remove.json"
    wf.write_text(json.dumps(REMOVE_RED))
    out = tmp_path / "out.png"
    done = cli("run", wf, path, "-o", out, "--save-intermediates", tmp_path / "steps", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert [r["ref"] for r in summary["result"]] == ["step1[image]", "step3[image]"]
    edited = load_image(out)
    mask = load_mask(tmp_path / "steps" / "step1-mask-RES.png") > 127
    iou = (mask & (truth > 0)).sum() / (mask | (truth > 0)).sum()
    assert iou >= 0.8
    far = cv2.dilate(truth, np.ones((51, 51), np.uint8)) == 0
    assert np.array_equal(edited[far], image[far])  # > 25 px from the object: untouched
    hsv = cv2.cvtColor(np.ascontiguousarray(edited[..., :3]), cv2.COLOR_RGB2HSV)
    red = ((hsv[..., 0] < 10) | (hsv[..., 0] > 170)) & (hsv[..., 1] > 120) & (hsv[..., 2] > 60)
    assert red[truth > 0].mean() < 0.01  # the object is gone
    names = sorted(p.name for p in (tmp_path / "steps").iterdir())
    assert names == ["step1-image-RES.png", "step1-mask-RES.png", "step2-image-FASTINPAINT.png",
                     "step3-image-FLUX-INPAINT.png"]
    cutout = tmp_path / "out.step1-image.png"
    beyond = cv2.dilate(truth, np.ones((9, 9), np.uint8)) == 0
    assert load_image(cutout)[..., 3][beyond].max() == 0  # the cut-out is transparent outside the object


@pytest.mark.parametrize("name", ["example2.txt", "example3.txt"])
def test_reference_workflows_validate_verbatim(name):
    done = cli("validate", REFERENCE_WORKFLOWS / name)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK" in done.stdout


def test_validate_lists_each_broken_step(tmp_path):
    broken = json.loads(json.dumps(REMOVE_RED))
    broken["pipeline"][1]["model"] = "FASTPAINT"
    broken["pipeline"][2]["input"]["mask"] = "step1[image]"
    broken["pipeline"][0]["input"]["prompt"] = 7
    wf = tmp_path / "broken.json"
    wf.write_text(json.dumps(broken))
    done = cli("validate", wf, "--json")
    assert done.returncode == 1
    errors = {(p["step"], p["field"]) for p in json.loads(done.stdout)["problems"] if p["severity"] == "error"}
    assert errors >= {(1, "input.prompt"), (2, "model"), (3, "input.mask")}


def test_bad_input_is_one_clear_line(tmp_path, photo):
    path, _, _ = photo
    wf = tmp_path / "remove.json"
    wf.write_text(json.dumps(REMOVE_RED))
    (tmp_path / "junk.png").write_bytes(b"not an image")
    save(np.zeros((10, 10), np.uint8), tmp_path / "small-mask.png")
    (tmp_path / "empty.json").write_text("nothing to see")
    cases = {
        "no such file": ("run", wf, tmp_path / "missing.png", "-o", tmp_path / "o.png"),
        "not a readable image": ("run", wf, tmp_path / "junk.png", "-o", tmp_path / "o.png"),
        "must match the image": ("run", wf, path, "--mask", tmp_path / "small-mask.png", "-o", tmp_path / "o.png"),
        "no JSON object": ("run", tmp_path / "empty.json", path, "-o", tmp_path / "o.png"),
    }
    for expected, args in cases.items():
        done = cli(*args)
        assert done.returncode == 1, args
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("lego-edit: error:") and expected in lines[0], done.stderr
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "o.png").exists()


def test_bricks_catalog(tmp_path):
    done = cli("bricks", "--json")
    catalog = {b["name"]: b for b in json.loads(done.stdout)}
    assert len(catalog) >= 18
    assert catalog["FASTINPAINT"]["available"] and catalog["FASTINPAINT"]["active_backend"]
    text = cli("bricks").stdout
    assert "FLUX-FILL" in text and "RES" in text


def test_cli_start_imports_no_heavy_library():
    code = ("import sys; from lego_edit.daemon.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('torch', 'diffusers', 'transformers', 'cv2', 'numpy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_plan_prints_reasoning_and_a_valid_workflow(photo, registry):
    from lego_edit.bricks.checker import check
    from lego_edit.bricks.workflow import Workflow

    path, _, _ = photo
    done = cli("plan", path, "remove the red ball", "--json")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert plan["reasoning"]
    workflow = Workflow.from_dict(plan["workflow"])
    assert check(workflow, registry).ok
    assert [s.model for s in workflow.steps][:2] == ["RES", "FASTINPAINT"]
    refused = cli("plan", path, "what colour is the sky?")
    assert refused.returncode == 1 and refused.stderr.startswith("lego-edit: error: cannot plan")


def test_plan_batch_answers_every_line(tmp_path, photo):
    path, _, _ = photo
    save(np.full((1024, 1024), 255, np.uint8), tmp_path / "mask.png")
    lines = [{"id": "a", "image": str(path), "instruction": "make it brighter"},
             {"id": "b", "image": str(path), "instruction": "asdkjh qwe zzx"},
             {"id": "c", "image": str(path), "instruction": "remove this", "mask": str(tmp_path / "mask.png")},
             {"id": "d", "image": str(path), "instruction": "remove the red ball", "feedback": "don't use SOS"}]
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n")
    done = cli("plan", "--batch", batch)
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c", "d", 5]
    assert "workflow" in out[0] and "error" in out[1] and "error" in out[4]
    assert "init[mask]" in json.dumps(out[2]["workflow"])
    assert "SOS" not in json.dumps(out[3]["workflow"])


def test_edit_plans_and_runs_with_feedback(tmp_path, photo):
    path, image, truth = photo
    out = tmp_path / "edited.png"
    done = cli("edit", path, "remove the red ball", "-o", out, "--feedback", "don't use FLUX-INPAINT", "--show-plan",
               "--json")
    assert done.returncode == 0, done.stderr
    assert '"model": "RES"' in done.stderr  # --show-plan prints the workflow on stderr
    summary = json.loads(done.stdout)
    assert "FLUX-INPAINT" not in json.dumps(summary["plan"]["workflow"])
    edited = load_image(out)
    far = cv2.dilate(truth, np.ones((51, 51), np.uint8)) == 0
    assert np.array_equal(edited[far], image[far])
    assert np.abs(edited[truth > 0][:, 0].astype(int) - image[truth > 0][:, 0]).mean() > 50  # the red is gone


def test_a_seed_is_reported_and_a_bad_one_is_one_line(tmp_path, photo):
    path = photo[0]
    done = cli("edit", path, "make it brighter", "-o", tmp_path / "a.png", "--seed", 7, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["seed"] == 7
    for bad in ("-1", str(2**63)):
        failed = cli("edit", path, "make it brighter", "-o", tmp_path / "b.png", "--seed", bad)
        assert failed.returncode != 0 and "--seed" in failed.stderr and "2**63" in failed.stderr
        assert "Traceback" not in failed.stderr and len(failed.stderr.strip().splitlines()) == 1, failed.stderr
    assert not (tmp_path / "b.png").exists()


@pytest.fixture
def model_config(tmp_path, chat):
    """A config.toml whose Builder is a loopback model that answers "brighten (ratio 0.8)" twice."""
    answer = {"process": "brighten", "pipeline": [
        {"step": 1, "model": "FLUX-BRIGHT", "input": {"image": "init[image]", "ratio": 0.8},
         "output": {"image": "step1[image]"}}, {"result": "[step1[image]]"}]}
    server = chat(*[json.dumps(answer)] * 2)
    config = tmp_path / "config.toml"
    config.write_text(f'[builder]\nbackend = "openai"\nopenai_base_url = "{server.url}"\nopenai_model = "m"\n')
    return config, server


def test_plan_and_edit_read_the_daemons_config(tmp_path, photo, model_config):
    path, _, _ = photo
    config, server = model_config
    done = cli("plan", path, "make it a lot brighter", "--config", config, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["workflow"]["pipeline"][0]["input"]["ratio"] == 0.8
    assert len(server.requests) == 1  # the configured builder answered, not the rules planner
    bad = tmp_path / "bad.toml"
    bad.write_text("[builder]\nbackend = 3\n")
    done = cli("edit", path, "make it brighter", "-o", tmp_path / "o.png", "--config", bad)
    assert done.returncode == 1 and "bad.toml" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_plan_and_edit_read_lego_edit_config(tmp_path, photo, model_config):
    """$LEGO_EDIT_CONFIG is --config for plan and edit too."""
    import os

    path, _, _ = photo
    config, server = model_config
    env = dict(os.environ, LEGO_EDIT_CONFIG=str(config))
    done = subprocess.run([sys.executable, "-m", "lego_edit.daemon.cli", "plan", str(path), "make it brighter",
                           "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["workflow"]["pipeline"][0]["input"]["ratio"] == 0.8
    assert len(server.requests) == 1
    done = subprocess.run([sys.executable, "-m", "lego_edit.daemon.cli", "edit", str(path), "make it brighter",
                           "-o", str(tmp_path / "o.png"), "--json"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(server.requests) == 2 and (tmp_path / "o.png").exists()
    config.write_text("[builder]\nbackend = 3\n")
    done = subprocess.run([sys.executable, "-m", "lego_edit.daemon.cli", "edit", str(path), "x", "-o",
                           str(tmp_path / "p.png")], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1 and str(config) in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_run_follows_the_input_and_answers_json_errors(tmp_path, photo):
    from PIL import Image

    path, image, _ = photo
    Image.fromarray(np.ascontiguousarray(image[:256, :256, :3])).save(tmp_path / "rgb.png")
    wf = tmp_path / "bright.json"
    wf.write_text(json.dumps({"process": "brighten", "pipeline": [
        {"step": 1, "model": "FLUX-BRIGHT", "input": {"image": "init[image]", "ratio": 0.7},
         "output": {"image": "step1[image]"}}, {"result": "[step1[image]]"}]}))
    done = cli("run", wf, tmp_path / "rgb.png", "-o", tmp_path / "out.tif", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["result"][0]["mode"] == "RGB"
    assert Image.open(tmp_path / "out.tif").mode == "RGB"  # RGB in, RGB out: no alpha added
    done = cli("run", wf, tmp_path / "missing.png", "-o", tmp_path / "o.png", "--json")
    assert done.returncode == 1 and json.loads(done.stdout) == {
        "error": {"code": "no_such_file", "message": f"{tmp_path / 'missing.png'}: no such file"}}
    assert len(done.stderr.strip().splitlines()) == 1
