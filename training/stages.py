"""The three training stages of the Builder, each a LoRA on a Qwen2.5-VL-family checkpoint.

1. `sft`: TRL's SFTTrainer on instruction → answer pairs (the chat rendered as inference renders it).
2. `grpo`: TRL's GRPOTrainer with the ground-truth rewards of training.rewards.
3. `grpo-critic`: GRPOTrainer on instructions without ground truth; each workflow is run by the
   Executor (bounded in time) and a vision-language judge scores the result (training.critic).

Each writes into `train.output`: Trainer checkpoints (`checkpoint-N`, resumed from when
`train.resume`), `metrics.jsonl` (one line per log: loss, reward components, validity, KL), and
`lora/` — the adapter with the processor files and `lego_edit_training.json` (stage, base, profile,
bricks) — plus `merged/` (a plain checkpoint folder) when `train.merge`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lego_edit.training.config import TrainConfig
from lego_edit.training.data import Record, load

log = logging.getLogger("lego_edit.training")

STAGES = ("sft", "grpo", "grpo-critic")
META = "lego_edit_training.json"


@dataclass
class TrainResult:
    stage: str
    output: Path
    lora: Path
    steps: int
    metrics: Path
    merged: Path | None = None
    last: dict[str, Any] = field(default_factory=dict)


def registry_for(cfg: TrainConfig, registry: Any = None):
    """The catalog the prompt lists: `registry` (default: the built-in one) limited to data.bricks."""
    from lego_edit.bricks import default_registry
    from lego_edit.bricks.registry import Registry
    from lego_edit.training.config import ConfigError

    registry = registry if registry is not None else default_registry()
    if not cfg.data.bricks:
        return registry
    unknown = [n for n in cfg.data.bricks if registry.get(n) is None]
    if unknown:
        raise ConfigError(f"data.bricks names unknown bricks: {', '.join(unknown)}")
    return Registry([b for b in map(registry.get, cfg.data.bricks) if b is not None])


def records_for(cfg: TrainConfig, *, need_target: bool) -> list[Record]:
    from lego_edit.training.config import ConfigError

    records = load(cfg.data.train, split=cfg.data.split or None)
    if need_target:
        records = [r for r in records if r.has_target]
    if cfg.data.limit:
        records = records[: cfg.data.limit]
    if not records:
        what = "with a workflow or refusal " if need_target else ""
        raise ConfigError(f"{cfg.data.train} has no records {what}in split {cfg.data.split!r}")
    return records


def _device_dtype(cfg: TrainConfig) -> tuple[str, Any]:
    import torch

    device = cfg.model.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    name = cfg.model.dtype
    if name == "auto":
        name = "bfloat16" if device.startswith("cuda") else "float32"
    return device, getattr(torch, name)


def load_model(cfg: TrainConfig):
    """(the base model with a trainable LoRA, its processor, device)."""
    import transformers
    from peft import LoraConfig, PeftModel, get_peft_model

    from lego_edit.training.chat import load_processor

    device, dtype = _device_dtype(cfg)
    base = transformers.AutoModelForImageTextToText.from_pretrained(cfg.model.base, local_files_only=True, dtype=dtype)
    processor = load_processor(cfg.model.base)
    if cfg.model.init_lora:
        model = PeftModel.from_pretrained(base, cfg.model.init_lora, is_trainable=True)
    else:
        lora = cfg.lora
        model = get_peft_model(base, LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                                                target_modules=_language_targets(base, lora.target_modules),
                                                task_type="CAUSAL_LM"))
    return model, processor, device


def _language_targets(model: Any, names: list[str]) -> list[str]:
    """The full names of the language model's linear layers called one of `names` (the vision tower's
    are left alone: the Builder learns to plan, not to see differently)."""
    import torch

    found = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and n.rsplit(".", 1)[-1] in names
             and "visual" not in n.split(".")]
    if not found:
        from lego_edit.training.config import ConfigError

        raise ConfigError(f"lora.target_modules {names} match no linear layer of the language model")
    return found


class _Metrics:
    """A TrainerCallback writing each log as a JSON line (with the step), validity named plainly."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.last: dict[str, Any] = {}

    def callback(self):
        from transformers import TrainerCallback

        outer = self

        class Callback(TrainerCallback):
            def on_log(self, args, state, control, logs=None, **kwargs):  # noqa: ARG002 (Trainer's signature)
                if not logs or not state.is_world_process_zero:
                    return
                line = {"step": state.global_step, **{k: v for k, v in logs.items() if isinstance(v, (int, float))}}
                if "rewards/valid/mean" in line:
                    line["validity_rate"] = line["rewards/valid/mean"]
                outer.last = line
                with outer.path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(line) + "\n")

        return Callback()


def _common_args(cfg: TrainConfig, device: str) -> dict[str, Any]:
    import torch

    run = cfg.train
    _, dtype = _device_dtype(cfg)
    extra = {"gradient_checkpointing": True} if cfg.model.gradient_checkpointing else {}
    return dict(**extra, output_dir=run.output, max_steps=run.max_steps, per_device_train_batch_size=run.batch_size,
                gradient_accumulation_steps=run.grad_accum, learning_rate=run.learning_rate,
                logging_steps=run.logging_steps, save_steps=run.save_steps, save_total_limit=run.save_total_limit,
                seed=run.seed, report_to=[], disable_tqdm=not run.progress, use_cpu=device == "cpu",
                bf16=dtype == torch.bfloat16, remove_unused_columns=False, dataloader_num_workers=0,
                save_only_model=False)


def _resume_point(cfg: TrainConfig) -> str | None:
    if not cfg.train.resume:
        return None
    from transformers.trainer_utils import get_last_checkpoint

    out = Path(cfg.train.output)
    return get_last_checkpoint(str(out)) if out.is_dir() else None


def _finish(stage: str, cfg: TrainConfig, trainer: Any, processor: Any, metrics: _Metrics,
            registry: Any) -> TrainResult:
    out = Path(cfg.train.output)
    lora = out / "lora"
    trainer.model.save_pretrained(lora)
    processor.tokenizer.save_pretrained(lora)
    processor.image_processor.save_pretrained(lora)
    meta = {"stage": stage, "base": str(Path(cfg.model.base).resolve()), "profile": cfg.model.profile,
            "bricks": [b.name for b in registry], "steps": trainer.state.global_step}
    (lora / META).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    merged = None
    if cfg.train.merge:
        from lego_edit.training.lora import merge_into_folder

        merged = merge_into_folder(lora, out / "merged", base=cfg.model.base)
    return TrainResult(stage, out, lora, trainer.state.global_step, metrics.path, merged, metrics.last)


def _prepare(cfg: TrainConfig) -> _Metrics:
    cfg.require()
    out = Path(cfg.train.output)
    out.mkdir(parents=True, exist_ok=True)
    return _Metrics(out / "metrics.jsonl")


# -- stage 1 -------------------------------------------------------------------------------------------

def run_sft(cfg: TrainConfig, *, registry: Any = None, callbacks: tuple = ()) -> TrainResult:
    import datasets
    from trl import SFTConfig, SFTTrainer

    from lego_edit.training.chat import SFTCollator

    metrics = _prepare(cfg)
    registry = registry_for(cfg, registry)
    records = records_for(cfg, need_target=True)
    model, processor, device = load_model(cfg)
    dataset = datasets.Dataset.from_list([{"record": json.dumps(r.to_dict())} for r in records])
    args = SFTConfig(**_common_args(cfg, device), dataset_kwargs={"skip_prepare_dataset": True})
    collator = SFTCollator(processor, registry, cfg.model.profile, cfg.train.max_length or None)
    trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, data_collator=collator,
                         processing_class=processor, callbacks=[metrics.callback(), *callbacks])
    trainer.train(resume_from_checkpoint=_resume_point(cfg))
    return _finish("sft", cfg, trainer, processor, metrics, registry)


# -- stages 2 and 3 ------------------------------------------------------------------------------------

def grpo_rows(records: list[Record], registry: Any, profile: str) -> list[dict[str, Any]]:
    """GRPO's dataset: the conversation as render_chat makes it, the image as builder_image makes it,
    and the columns the rewards read."""
    from lego_edit.training.chat import image_for, messages_for

    return [{"prompt": messages_for(r, registry, profile), "image": image_for(r, profile),
             "truth": json.dumps(r.workflow) if r.workflow is not None else "", "refusal": r.refusal or "",
             "has_mask": bool(r.mask), "feedback": list(r.feedback), "instruction": r.instruction,
             "image_path": r.image, "mask_path": r.mask or ""} for r in records]


def _grpo(stage: str, cfg: TrainConfig, registry: Any, records: list[Record], reward_funcs: list[Any],
          weights: list[float], metrics: _Metrics, callbacks: tuple = ()) -> TrainResult:
    import datasets
    from trl import GRPOConfig, GRPOTrainer

    model, processor, device = load_model(cfg)
    dataset = datasets.Dataset.from_list(grpo_rows(records, registry, cfg.model.profile))
    g = cfg.grpo
    common = _common_args(cfg, device)
    # one optimiser step consumes batch_size * grad_accum completions: whole groups of num_generations
    common["per_device_train_batch_size"] = max(cfg.train.batch_size, g.num_generations)
    args = GRPOConfig(**common, num_generations=g.num_generations, max_completion_length=g.max_completion_length,
                      temperature=g.temperature, beta=g.beta, reward_weights=weights, log_completions=False)
    trainer = GRPOTrainer(model=model, reward_funcs=reward_funcs, args=args, train_dataset=dataset,
                          processing_class=processor, callbacks=[metrics.callback(), *callbacks])
    trainer.train(resume_from_checkpoint=_resume_point(cfg))
    return _finish(stage, cfg, trainer, processor, metrics, registry)


def run_grpo(cfg: TrainConfig, *, registry: Any = None, callbacks: tuple = ()) -> TrainResult:
    from lego_edit.training.rewards import trl_reward_functions

    metrics = _prepare(cfg)
    registry = registry_for(cfg, registry)
    records = records_for(cfg, need_target=True)
    return _grpo("grpo", cfg, registry, records, trl_reward_functions(registry, cfg.rewards),
                 cfg.rewards.component_weights(), metrics, callbacks)


def run_grpo_critic(cfg: TrainConfig, *, registry: Any = None, judge: Any = None,
                    callbacks: tuple = ()) -> TrainResult:
    """Stage 3; `judge` (an evaluation.judge.Judge) defaults to the one [critic] configures."""
    from lego_edit.training.critic import CriticReward, make_critic_judge

    metrics = _prepare(cfg)
    registry = registry_for(cfg, registry)
    records = records_for(cfg, need_target=False)
    critic = CriticReward(registry, judge if judge is not None else make_critic_judge(cfg.critic), cfg.critic)
    return _grpo("grpo-critic", cfg, registry, records, critic.functions(), [cfg.critic.valid, cfg.critic.critic],
                 metrics, callbacks)


def run(stage: str, cfg: TrainConfig, **kwargs: Any) -> TrainResult:
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r} (choose from {', '.join(STAGES)})")
    return {"sft": run_sft, "grpo": run_grpo, "grpo-critic": run_grpo_critic}[stage](cfg, **kwargs)
