"""The `local` Builder backend end to end with a tiny random Qwen2.5-VL built offline: real
transformers loading (local_files_only), image preprocessing (PIL processor), greedy generate,
then parse -> check -> repair. Random weights write gibberish, so the plan must end in a clear
invalid_workflow error after the bounded repairs, never a half plan."""

from __future__ import annotations

import logging

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

pytestmark = pytest.mark.models

@pytest.fixture(scope="module")
def tiny_qwen(tmp_path_factory):
    from tests.tiny_models import qwen_vl

    return qwen_vl(tmp_path_factory.mktemp("tiny-qwen2.5-vl"))


def test_local_backend_generates_parses_and_repairs(registry, tiny_qwen, caplog):
    from lego_edit.builder import Builder, BuilderConfig, PlanError

    builder = Builder(registry, BuilderConfig(backend="local", local_model=str(tiny_qwen), device="cpu",
                                              max_new_tokens=12, max_repairs=1))
    image = np.random.default_rng(0).integers(0, 255, (300, 500, 4), dtype=np.uint8)
    caplog.set_level(logging.DEBUG, logger="lego_edit.builder")
    with pytest.raises(PlanError) as info:
        builder.plan("make it brighter", image=image)
    assert info.value.code == "invalid_workflow"
    assert "after 2 attempts" in str(info.value)
    assert info.value.problems and all(p["code"] for p in info.value.problems)  # the last answer's, with codes
    answers = [r for r in caplog.records if "answered" in r.getMessage()]
    assert len(answers) == 2  # one generate, one repair round, both through the real model


def test_local_backend_without_weights_is_a_clear_error(registry, tmp_path):
    from lego_edit.builder import Builder, BuilderConfig, PlanError

    builder = Builder(registry, BuilderConfig(backend="local", local_model=str(tmp_path / "nothing-here")))
    with pytest.raises(PlanError) as info:
        builder.plan("make it brighter", image=np.zeros((8, 8, 4), np.uint8))
    assert info.value.code == "backend_error" and "models pull builder" in str(info.value)


REVISION = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def hub_snapshot(tiny_qwen, tmp_path, monkeypatch):
    """The tiny model laid out as the released checkpoint is in the hub cache: the repository's
    `Builder/` folder in a snapshot of xiaomi-research/lego-edit, its chat template only in
    chat_template.json (the processor's file, which the tokenizer does not read)."""
    import json
    import shutil

    hub = tmp_path / "hub"
    repo = hub / "models--xiaomi-research--lego-edit"
    builder = repo / "snapshots" / REVISION / "Builder"
    shutil.copytree(tiny_qwen, builder)
    template = (builder / "chat_template.jinja").read_text()
    (builder / "chat_template.jinja").unlink()
    (builder / "chat_template.json").write_text(json.dumps({"chat_template": template}))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(REVISION)
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    return builder


def test_hub_snapshot_with_builder_subfolder_loads_and_plans_with_the_reference_chat(registry, hub_snapshot,
                                                                                    monkeypatch):
    from lego_edit.bricks.models.vlm import VisionChat, chat_text
    from lego_edit.builder import Builder, BuilderConfig, PlanError
    from lego_edit.builder.local_vlm import model_folder
    from lego_edit.builder.profiles import render_chat

    assert model_folder("xiaomi-research/lego-edit") == hub_snapshot
    assert model_folder(str(hub_snapshot.parent)) == hub_snapshot  # a plain folder holding Builder/
    seen: list[tuple] = []
    original = VisionChat.answer

    def spy(self, messages, image=None, *, max_new_tokens=256):
        seen.append((self, [dict(m) for m in messages], image, max_new_tokens))
        return original(self, messages, image, max_new_tokens=max_new_tokens)

    monkeypatch.setattr(VisionChat, "answer", spy)
    builder = Builder(registry, BuilderConfig(backend="auto", local_model="xiaomi-research/lego-edit", device="cpu",
                                              max_new_tokens=9, max_repairs=0))
    assert builder.model_backend(fresh=True)[0] == "local"  # the probe finds it in the cache too
    mask = np.zeros((50, 100), np.uint8)
    mask[10:30, 20:60] = 255
    with pytest.raises(PlanError) as info:  # random weights: no workflow, and no rules plan for this either
        builder.plan("paint a qwer on the wall", image=np.zeros((50, 100, 4), np.uint8), mask=mask, backend="local")
    assert info.value.code == "invalid_workflow"
    (chat, messages, image, max_new_tokens), = seen
    assert messages == render_chat(registry, "paint a qwer on the wall", has_mask=True, profile="reference")
    assert image.size == (448, 224) and max_new_tokens == 9  # upscaled to exactly 448 on the long side
    assert chat.tokenizer.chat_template is None and chat.chat_template  # only the processor's template exists
    text = chat_text(chat, messages, with_image=True)
    assert text.startswith("<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>**System Role**")
    assert "<|im_start|>system" not in text and text.endswith("<|im_end|>\n<|im_start|>assistant\n")
    local = builder.chat_model("local")
    assert local.profile.name == "reference" and local.dtype_for("cuda") == "float16"
    assert chat.model.dtype.is_floating_point and str(chat.model.dtype) == "torch.float32"  # on a CPU


def test_a_model_without_any_chat_template_is_a_clear_error(registry, hub_snapshot):
    from lego_edit.builder import Builder, BuilderConfig, PlanError

    (hub_snapshot / "chat_template.json").unlink()
    builder = Builder(registry, BuilderConfig(backend="local", local_model=str(hub_snapshot), device="cpu",
                                              max_new_tokens=4, max_repairs=0))
    with pytest.raises(PlanError) as info:
        builder.plan("make it brighter", image=np.zeros((8, 8, 4), np.uint8))
    assert info.value.code == "backend_error" and "chat template" in str(info.value)
