"""The `reference` Builder profile: what the released Lego-Edit Builder is sent, read from the rendered
chat — one user turn holding the image and the whole prompt (System Role, Model library, worked
examples, then the instruction in its slot), no system turn, the reference's mask prefix, the image
at exactly 448 px on the long side — and when it is chosen. The same messages go out over a real
OpenAI-compatible endpoint on loopback; the worked examples check clean and run offline where
their bricks can."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lego_edit.bricks.checker import check
from lego_edit.bricks.workflow import Workflow
from lego_edit.builder import Builder, BuilderConfig, PlanError
from lego_edit.builder.examples import reference_examples
from lego_edit.builder.profiles import (
    INSTRUCTION_SLOT,
    REFERENCE_MASK_PREFIX,
    builder_image,
    is_reference_checkpoint,
    render_chat,
    resolve_profile,
)
from tests.conftest import REFERENCE_WORKFLOWS

SECTIONS = ("**System Role**", "**Processing rules**", "**Input and output types**", "**Model library**",
            "PREDICT model list:", "EDIT model list:", "**Actual example1:**")


def _closing(text: str) -> str:
    return text.rstrip().splitlines()[-1]


def test_reference_chat_is_one_user_turn_in_the_references_layout(registry):
    messages = render_chat(registry, "make the sky orange", has_mask=False, profile="reference")
    assert [m["role"] for m in messages] == ["user"]  # no system turn
    text = messages[0]["content"]
    where = [text.index(s) for s in SECTIONS]
    assert where == sorted(where)
    closing = _closing(text)
    assert '"make the sky orange"' in closing and text.index(closing) > where[-1]
    assert INSTRUCTION_SLOT not in text and REFERENCE_MASK_PREFIX not in closing
    usable = [b.name for b in registry if b.active_backend() is not None]
    listed = [line.split(".", 1)[1].split(" (", 1)[0] for line in text.splitlines()
              if line[:1].isdigit() and "." in line and " (" in line and line.split(".", 1)[0].isdigit()
              and text.index("**Model library**") < text.index(line) < text.index("**Actual example1:**")]
    assert sorted(listed) == sorted(usable)  # every usable brick of the live catalog, once
    library = text[text.index("PREDICT model list:"):]
    assert library.splitlines()[1].startswith("1.INVERSE (") and "\n1.FASTINPAINT (" in library
    assert "Input: {Image[image], Float[left_ratio], Float[right_ratio], Float[top_ratio], Float[bottom_ratio]}" in text


def test_a_user_mask_is_announced_by_the_references_prefix(registry):
    text = render_chat(registry, "make it brighter", has_mask=True, profile="reference")[0]["content"]
    assert f'"{REFERENCE_MASK_PREFIX}make it brighter"' in _closing(text)


def test_feedback_goes_after_the_prompt_and_catalog_keeps_its_system_turn(registry):
    builder = Builder(registry)
    constraints = builder.constraints(["don't use SOS"])
    text = render_chat(registry, "remove the dog", has_mask=False, constraints=constraints,
                       profile="reference")[0]["content"]
    assert text.index('"remove the dog"') < text.index("feedback") and "SOS" in text.split('"remove the dog"')[1]
    catalog = render_chat(registry, "remove the dog", has_mask=True, profile="catalog")
    assert [m["role"] for m in catalog] == ["system", "user"] and "Instruction: remove the dog" in catalog[1]["content"]


def test_the_worked_examples_check_clean_and_are_shown_in_order(registry):
    text = render_chat(registry, "x", has_mask=False, profile="reference", include_unavailable=True)[0]["content"]
    for n, (instruction, workflow) in enumerate(reference_examples(), 1):
        assert f"**Actual example{n}:**\nUser instruction: {instruction}\nExpected output:\n" in text
        inits = ("image", "mask") if instruction.startswith(REFERENCE_MASK_PREFIX) else ("image",)
        report = check(Workflow.from_dict(workflow), registry, inits=inits)
        assert report.ok, report.errors
    cmi = reference_examples()[0][1]["pipeline"][2]
    assert cmi["model"] == "CMI-PRED" and [cmi["input"][f"{s}_ratio"] for s in ("left", "right", "top", "bottom")] == [2.0] * 4


@pytest.mark.parametrize("size, seen", [((1000, 333), (448, 149)), ((100, 50), (448, 224)), ((300, 600), (224, 448)),
                                        ((64, 64), (448, 448)), ((448, 200), (448, 200))])
def test_the_image_is_resized_to_exactly_448_on_the_long_side(size, seen):
    image = np.zeros((size[1], size[0], 4), np.uint8)
    assert builder_image(image, "reference").size == seen  # small images upscaled, the short side truncated
    assert builder_image(image, "catalog").size == (size if max(size) <= 448 else seen)  # catalog: only shrinks


def test_reference_is_chosen_for_the_released_checkpoint(tmp_path: Path):
    snapshot = tmp_path / "lego-edit"
    (snapshot / "Builder").mkdir(parents=True)
    (snapshot / "Builder" / "config.json").write_text("{}")
    other = tmp_path / "qwen"
    other.mkdir()
    (other / "config.json").write_text("{}")
    for model in ("xiaomi-research/lego-edit", "xiaomi-research/lego-edit/Builder", str(snapshot),
                  str(snapshot / "Builder"), "/cache/models--xiaomi-research--lego-edit/snapshots/abc/Builder"):
        assert is_reference_checkpoint(model) and resolve_profile("auto", model).name == "reference", model
    for model in ("Qwen/Qwen2.5-VL-7B-Instruct", str(other), ""):
        assert resolve_profile("auto", model).name == "catalog", model
    assert resolve_profile("catalog", "xiaomi-research/lego-edit").name == "catalog"  # the config key wins
    reference = resolve_profile("reference")
    assert (reference.gpu_dtype, reference.max_new_tokens, reference.image_long_side) == ("float16", 4096, 448)
    with pytest.raises(ValueError, match="unknown builder profile"):
        resolve_profile("fancy")


def test_config_keys_reach_the_builder(tmp_path: Path):
    from lego_edit.daemon.config import load

    path = tmp_path / "config.toml"
    path.write_text('[builder]\nprofile = "reference"\nmax_new_tokens = 77\n')
    cfg = load(path).builder_config()
    assert (cfg.profile, cfg.max_new_tokens) == ("reference", 77)
    assert load(tmp_path / "none.toml", may_be_missing=True).builder_config().max_new_tokens == 4096


def test_openai_backend_sends_the_reference_chat(registry, chat):
    answer = {"process": "brighten", "pipeline": [
        {"step": 1, "model": "FLUX-BRIGHT", "input": {"image": "init[image]", "ratio": 1.5},
         "output": {"image": "step1[image]"}}, {"result": "[step1[image]]"}]}
    server = chat("<think>brighter</think>" + json.dumps(answer))
    builder = Builder(registry, BuilderConfig(backend="openai", openai_base_url=server.url,
                                              openai_model="xiaomi-research/lego-edit", max_new_tokens=321))
    mask = np.zeros((150, 300), np.uint8)
    mask[10:20, 10:20] = 255
    plan = builder.plan("make it brighter", image=np.zeros((150, 300, 4), np.uint8), mask=mask)
    assert [s.model for s in plan.workflow.steps] == ["FLUX-BRIGHT"]
    body = server.requests[0]["body"]
    assert body["max_tokens"] == 321 and body["temperature"] == 0
    (user,) = body["messages"]
    image_part, text_part = user["content"]
    assert text_part["text"] == render_chat(registry, "make it brighter", has_mask=True, profile="reference")[0]["content"]
    png = base64.b64decode(image_part["image_url"]["url"].split(",", 1)[1])
    assert Image.open(io.BytesIO(png)).size == (448, 224)


def test_reference_workflows_run_offline_where_their_bricks_can(registry):
    """The reference's watercolour example verbatim, and an outpainting plan's CMI-PRED step."""
    from lego_edit.bricks.executor import Executor
    from lego_edit.bricks.workflow import parse_workflow
    from tests.brick_helpers import photo

    image = photo("coffee")  # 600 x 400
    executor = Executor(registry)
    try:
        styled = executor.run(parse_workflow((REFERENCE_WORKFLOWS / "example3.txt").read_text()),
                              {"image": image, "mask": np.full(image.shape[:2], 255, np.uint8)}).result[-1][1]
        assert styled.shape == image.shape and np.abs(styled.astype(int) - image).mean() > 5
        expand = reference_examples()[0][1]["pipeline"][2]  # CMI-PRED, 2.0 on every side
        workflow = Workflow.from_dict({"process": "expand", "pipeline": [
            dict(expand, step=1, input=dict(expand["input"], image="init[image]"),
                 output={"caption": "step1[caption]", "image": "step1[image]", "mask": "step1[mask]"}),
            {"result": "[step1[image], step1[mask]]"}]})
        canvas, mask = (v for _, v in executor.run(workflow, {"image": image}).result)
        assert canvas.shape == (704, 1024, 4) and mask.shape == (704, 1024)  # 600x400 -> 1200x800 -> 1024x683 -> 704
    finally:
        executor.close()


def test_the_references_answer_fixups_apply_to_the_reference_profile_only(registry, chat):
    def answer(extra: list) -> str:
        return json.dumps({"process": "add a hat", "pipeline": [
            {"step": 1, "model": "RES", "input": {"image": "init[image]", "prompt": "red object"},
             "output": {"mask": "step1[mask]", "image": "step1[image]"}},
            {"step": 2, "model": "ADD-PRED", "input": {"image": "init[image]", "prompt": "hat", "mask": "step1[mask]"},
             "output": {"mask": "step2[mask]"}},
            {"step": 3, "model": "FLUX-FILL", "input": {"image": "init[image]", "mask": "step2[mask]",
                                                        "prompt": "hat", "preimage": None},
             "output": {"image": "step3[image]"}}, *extra, {"result": "[step3[image]]"}]})

    server = chat(answer([]), answer([]))
    for profile, mask in (("reference", None), ("catalog", "step1[mask]")):
        builder = Builder(registry, BuilderConfig(backend="openai", openai_base_url=server.url, openai_model="m",
                                                  profile=profile))
        plan = builder.plan("add a hat on the red object", image=np.zeros((64, 64, 4), np.uint8))
        add = plan.workflow.to_dict()["pipeline"][1]
        assert add["model"] == "ADD-PRED" and add["input"].get("mask") == mask, profile
    from lego_edit.builder.profiles import reference_fixups

    kept = reference_fixups(json.loads(answer([{"step": 4, "model": "FLUX-INPAINT", "input": {}, "output": {}}])))
    assert kept["pipeline"][1]["input"]["mask"] == "step1[mask]"  # a plan that removes keeps it, as the reference


def test_the_first_worked_examples_habits_are_read_as_meant(registry, chat):
    """One CMI-PRED "ratio" (as the reference prompt's first example writes it) is all four sides, and an
    output declared under another key than its reference names is that reference's output."""
    answer = {"process": "expand twice", "pipeline": [
        {"step": 1, "model": "FLUX-BRIGHT", "input": {"image": "init[image]", "ratio": 0.8},
         "output": {"mask": "step1[image]"}},
        {"step": 2, "model": "CMI-PRED", "input": {"image": "step1[image]", "ratio": 2.0},
         "output": {"caption": "step2[caption]", "image": "step2[image]", "mask": "step2[mask]"}},
        {"result": "[step2[image]]"}]}
    server = chat(json.dumps(answer), json.dumps(answer))
    reference = Builder(registry, BuilderConfig(backend="openai", openai_base_url=server.url, openai_model="m",
                                                profile="reference", max_repairs=0))
    plan = reference.plan("brighten it, then make it twice as large", image=np.zeros((64, 96, 4), np.uint8))
    bright, cmi = plan.workflow.to_dict()["pipeline"][:2]
    assert bright["output"] == {"image": "step1[image]"}
    assert [cmi["input"][f"{s}_ratio"] for s in ("left", "right", "top", "bottom")] == [2.0] * 4
    catalog = Builder(registry, BuilderConfig(backend="openai", openai_base_url=server.url, openai_model="m",
                                              profile="catalog", max_repairs=0))
    with pytest.raises(PlanError, match="no valid workflow"):  # other models get no such leniency
        catalog.plan("brighten it, then make it twice as large", image=np.zeros((64, 96, 4), np.uint8))
