"""The three training stages on a tiny random Qwen2.5-VL built offline (real TRL, peft, transformers
code paths on the CPU): what training renders is what inference sends; SFT on the rules Builder's
plan teaches the tiny local Builder to answer with a workflow it could not write before; training
resumes from its checkpoint; GRPO with ground-truth rewards and GRPO with the critic (the workflow
executed, the judge over a loopback chat server) run and log their reward components."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("trl")
pytest.importorskip("peft")

pytestmark = pytest.mark.models

INSTRUCTION = "make it brighter"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from lego_edit.training import data
    from tests.train_helpers import photos, small_registry, tiny_builder

    root = tmp_path_factory.mktemp("train")
    registry = small_registry()
    model = tiny_builder(root / "model", registry)
    images = data.image_files(photos(root / "photos", names=("astronaut",)))
    records, _ = data.distill_rules([INSTRUCTION], images, registry)
    stage3 = data.unannotated([INSTRUCTION], images)
    data.save(records, root / "sft.jsonl")
    data.save(stage3, root / "open.jsonl")
    return {"root": root, "registry": registry, "model": model, "records": records}


def config(world, name: str, **tables):
    from lego_edit.training.config import TrainConfig

    base = {"model": {"base": str(world["model"])},
            "data": {"train": str(world["root"] / "sft.jsonl"), "bricks": world["registry"].names()},
            "train": {"output": str(world["root"] / name), "learning_rate": 5e-2, "progress": False, "save_steps": 100},
            "lora": {"r": 16, "alpha": 32, "dropout": 0.0}}
    for table, values in tables.items():
        base[table] = {**base.get(table, {}), **values}
    return TrainConfig.from_dict(base)


def local_answer(world, model_folder: Path, image_path: str, lora: str = "") -> str:
    """What the Builder's `local` backend answers for INSTRUCTION with `model_folder` (and `builder.local_lora`
    = `lora`), one attempt."""
    from lego_edit.bricks.imageio import load_image
    from lego_edit.builder import Builder, BuilderConfig

    builder = Builder(world["registry"], BuilderConfig(backend="local", local_model=str(model_folder), device="cpu",
                                                       max_new_tokens=140, profile="catalog", local_lora=lora))
    messages = builder.messages("local", INSTRUCTION, has_mask=False)
    return builder.chat_model("local").complete(messages, load_image(image_path))


def test_training_renders_exactly_what_the_local_builder_sends(world, monkeypatch):
    import torch

    from lego_edit.bricks.models.vlm import VisionChat, chat_text
    from lego_edit.builder import Builder, BuilderConfig
    from lego_edit.training.chat import SFTCollator, image_for, load_processor, messages_for

    record = world["records"][0]
    builder = Builder(world["registry"], BuilderConfig(backend="local", local_model=str(world["model"]),
                                                       profile="catalog"))
    messages = messages_for(record, world["registry"])
    assert messages == builder.messages("local", INSTRUCTION, has_mask=False)
    processor = load_processor(world["model"])
    chat = VisionChat.load(world["model"], dtype=torch.float32)
    assert chat_text(processor, messages, with_image=True) == chat_text(chat, messages, with_image=True)

    seen = {}
    real = chat.model.generate

    def recording(**kwargs):
        seen.update(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(chat.model, "generate", recording)
    chat.answer(messages, image_for(record), max_new_tokens=1)
    batch = SFTCollator(processor, world["registry"])([{"record": json.dumps(record.to_dict())}])
    prompt_len = int((batch["labels"][0] == -100).sum())
    assert batch["input_ids"][0, :prompt_len].tolist() == seen["input_ids"][0].tolist()
    assert torch.equal(batch["pixel_values"], seen["pixel_values"])
    assert torch.equal(batch["image_grid_thw"], seen["image_grid_thw"])
    # the image tokens marked the same way, so both sides give them the same 3-D (M-RoPE) positions
    assert batch["mm_token_type_ids"][0, :prompt_len].tolist() == seen["mm_token_type_ids"][0].tolist()
    assert int(seen["mm_token_type_ids"].sum()) > 0


def test_sft_teaches_the_tiny_builder_a_workflow_and_resumes(world):
    from lego_edit.training.lora import attach_lora
    from lego_edit.training.rewards import Example, components, read_answer
    from lego_edit.training.stages import run_sft

    record = world["records"][0]
    truth = Example(truth=record.workflow)
    before = local_answer(world, world["model"], record.image)
    assert read_answer(before).workflow is None, before  # random weights: no workflow in the answer
    assert components(before, truth, world["registry"])["format"] == 0.0

    first = run_sft(config(world, "sft", train={"max_steps": 4, "save_steps": 4}))
    assert first.steps == 4 and (first.output / "checkpoint-4").is_dir()
    done = run_sft(config(world, "sft", train={"max_steps": 16, "merge": True}))
    logs = [json.loads(line) for line in done.metrics.read_text().splitlines()]
    steps = [line["step"] for line in logs if "loss" in line]
    losses = [line["loss"] for line in logs if "loss" in line]
    assert done.steps == 16 and steps[:4] == [1, 2, 3, 4] and steps[4] == 5  # resumed at step 5, not from 1
    assert losses[-1] < losses[0] / 3

    after = local_answer(world, done.merged, record.image)  # the merged folder, loaded as builder.local_model
    answer = read_answer(after)
    assert answer.workflow is not None, after
    assert "FLUX-BRIGHT" in [step.get("model") for step in answer.workflow["pipeline"]], after
    assert components(after, truth, world["registry"])["format"] == 1.0
    with_lora = local_answer(world, world["model"], record.image, lora=str(done.lora))  # builder.local_lora
    assert read_answer(with_lora).workflow == answer.workflow, with_lora
    info = json.loads((done.lora / "lego_edit_training.json").read_text())
    assert info["stage"] == "sft" and info["bricks"] == world["registry"].names()

    import torch

    from lego_edit.bricks.models.vlm import VisionChat

    attached = attach_lora(VisionChat.load(world["model"], dtype=torch.float32), done.lora).model.state_dict()
    merged = VisionChat.load(done.merged, dtype=torch.float32).model.state_dict()
    base = VisionChat.load(world["model"], dtype=torch.float32).model.state_dict()
    assert attached.keys() == merged.keys()
    assert all(torch.allclose(attached[k], merged[k], atol=1e-6) for k in merged)  # the adapter is what was merged
    assert any(not torch.equal(base[k], merged[k]) for k in merged)  # and it changed the model


def test_grpo_with_ground_truth_rewards(world):
    from lego_edit.training.stages import run_grpo

    lora = world["root"] / "sft" / "lora"
    if not lora.is_dir():
        pytest.skip("needs the SFT test's LoRA")
    result = run_grpo(config(world, "grpo", model={"init_lora": str(lora)}, train={"max_steps": 1},
                             grpo={"num_generations": 2, "max_completion_length": 24}))
    logs = [json.loads(line) for line in result.metrics.read_text().splitlines()]
    steps = [line for line in logs if "loss" in line]
    assert result.steps == 1 and len(steps) == 1
    line = steps[0]
    means = [line[f"rewards/{name}/mean"] for name in ("format", "valid", "match", "feedback")]
    assert all(0.0 <= m <= 1.0 for m in means)
    assert line["reward"] == pytest.approx(0.25 * means[0] + 0.5 * means[1] + 1.0 * means[2] + 0.25 * means[3])
    assert line["validity_rate"] == line["rewards/valid/mean"] and "kl" in line  # beta 0.04: KL to the base
    assert (result.lora / "adapter_model.safetensors").is_file()


def test_grpo_with_the_critic(world, chat):
    from lego_edit.evaluation.judge import JudgeConfig, make_judge
    from lego_edit.training.stages import run_grpo_critic

    lora = world["root"] / "sft" / "lora"
    if not lora.is_dir():
        pytest.skip("needs the SFT test's LoRA")
    server = chat(*['{"reasoning": "ok", "score": [6, 6]}'] * 8)
    judge = make_judge("openai", JudgeConfig(base_url=server.url, model="judge", timeout=10))
    cfg = config(world, "critic", model={"init_lora": str(lora)}, data={"train": str(world["root"] / "open.jsonl")},
                 train={"max_steps": 1}, grpo={"num_generations": 2, "max_completion_length": 24, "beta": 0.0},
                 critic={"timeout_s": 30.0, "failure_reward": -0.25})
    result = run_grpo_critic(cfg, registry=world["registry"], judge=judge)
    step = next(json.loads(line) for line in result.metrics.read_text().splitlines() if "loss" in json.loads(line))
    # 24 tokens cannot hold a whole workflow: nothing to run, each answer gets the failure reward
    judged = len(server.requests) // 2
    assert step["rewards/critic/mean"] == pytest.approx((0.6 * judged - 0.25 * (2 - judged)) / 2)
    assert step["reward"] == pytest.approx(0.3 * step["rewards/valid/mean"] + step["rewards/critic/mean"])
    assert (result.lora / "adapter_config.json").is_file()
