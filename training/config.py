"""train.toml: what to train, on what, how long, and where the result goes.

Every table and key is optional except `model.base` and `data.train`; unknown keys are an error (a
typo never silently trains with a default). Relative paths are relative to the TOML file.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from lego_edit.training.rewards import RewardWeights

DEFAULT_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class ConfigError(ValueError):
    """train.toml cannot be used; the message names the file and key."""


@dataclass
class ModelConfig:
    base: str = ""  # a local checkpoint folder (Qwen2.5-VL family); never downloaded
    init_lora: str = ""  # start from this LoRA (stage 2 or 3 after stage 1); empty: a fresh one
    profile: str = "catalog"  # the Builder profile the chat is rendered in (must match inference)
    dtype: str = "auto"  # auto: bfloat16 on a GPU, float32 elsewhere
    device: str = "auto"
    gradient_checkpointing: bool = False


@dataclass
class LoraConfig:
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: list[str] = field(default_factory=lambda: list(DEFAULT_TARGETS))


@dataclass
class DataConfig:
    train: str = ""  # a dataset JSONL (lego-edit train data)
    split: str = "train"  # only records of this split
    bricks: list[str] = field(default_factory=list)  # the catalog the prompt lists; empty: every usable brick
    limit: int = 0  # at most this many records (0: all)


@dataclass
class RunConfig:
    output: str = "runs/builder"
    max_steps: int = 100
    learning_rate: float = 2e-4
    batch_size: int = 1
    grad_accum: int = 1
    save_steps: int = 50
    save_total_limit: int = 2
    logging_steps: int = 1
    seed: int = 0
    resume: bool = True  # continue from the newest checkpoint in `output`
    merge: bool = False  # also write the base model with the LoRA merged into output/merged
    max_length: int = 0  # refuse longer SFT examples (0: no limit)
    progress: bool = True


@dataclass
class GrpoConfig:
    num_generations: int = 4
    max_completion_length: int = 512
    temperature: float = 1.0
    beta: float = 0.04  # KL weight against the model without the LoRA (0: no KL term, none logged)


@dataclass
class CriticConfig:
    kind: str = "openai"  # the judge (lego_edit.evaluation.judge): openai | local
    base_url: str = ""
    model: str = ""
    api_key: str = ""
    local_model: str = ""
    protocol: str = "gedit"
    timeout_s: float = 60.0  # the most one workflow may run; longer counts as a failure
    valid: float = 0.3  # weight of validity
    critic: float = 1.0  # weight of the critic's overall score (0..1)
    failure_reward: float = 0.0  # the critic component when the workflow fails, times out or the judge cannot answer


@dataclass
class TrainConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    lora: LoraConfig = field(default_factory=LoraConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: RunConfig = field(default_factory=RunConfig)
    grpo: GrpoConfig = field(default_factory=GrpoConfig)
    rewards: RewardWeights = field(default_factory=RewardWeights)
    critic: CriticConfig = field(default_factory=CriticConfig)
    path: Path | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, base: Path | None = None, where: str = "train.toml") -> TrainConfig:
        cfg = cls(path=None)
        for name, value in data.items():
            section = {f.name for f in fields(cls) if f.name != "path"}
            if name not in section:
                raise ConfigError(f"{where}: unknown table [{name}] (known: {', '.join(sorted(section))})")
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: [{name}] must be a table")
            target = getattr(cfg, name)
            known = {f.name: f for f in fields(target)}
            for key, v in value.items():
                if key not in known:
                    raise ConfigError(f"{where}: unknown key {name}.{key} (known: {', '.join(sorted(known))})")
                default = getattr(target, key)
                if isinstance(default, bool) != isinstance(v, bool) or (
                        isinstance(default, (int, float)) and not isinstance(v, (int, float))) or (
                        isinstance(default, (str, list)) and not isinstance(v, type(default))):
                    raise ConfigError(f"{where}: {name}.{key} must be {type(default).__name__}, not {v!r}")
                setattr(target, key, float(v) if isinstance(default, float) else v)
        if base is not None:
            for obj, key in ((cfg.model, "base"), (cfg.model, "init_lora"), (cfg.data, "train"), (cfg.train, "output")):
                value = getattr(obj, key)
                if value and not Path(value).expanduser().is_absolute():
                    setattr(obj, key, str((base / value).resolve()))
        return cfg

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - Python 3.10
            import tomli as tomllib
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not TOML ({exc})") from None
        cfg = cls.from_dict(data, base=path.resolve().parent, where=str(path))
        cfg.path = path
        return cfg

    def require(self) -> None:
        where = str(self.path or "train.toml")
        if not self.model.base:
            raise ConfigError(f"{where}: model.base (the checkpoint folder to train) is not set")
        if not Path(self.model.base).expanduser().is_dir():
            raise ConfigError(f"{where}: model.base {self.model.base} is not a folder (training never downloads)")
        if not self.data.train:
            raise ConfigError(f"{where}: data.train (a dataset from `lego-edit train data`) is not set")
        if not Path(self.data.train).is_file():
            raise ConfigError(f"{where}: data.train {self.data.train} does not exist")
        if self.model.init_lora and not (Path(self.model.init_lora) / "adapter_config.json").is_file():
            raise ConfigError(f"{where}: model.init_lora {self.model.init_lora} holds no adapter_config.json")
