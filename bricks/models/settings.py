"""Settings of the model manager: the `[models]` table of the daemon's config.toml, as a dataclass.

Everything has a default that works on any machine: device and dtype are picked at first use, no
budget, no offload, no quantization, and models are unloaded after ten idle minutes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

OFFLOAD_MODES = ("none", "model", "sequential")
QUANTIZATION_MODES = ("none", "bnb-8bit", "bnb-4bit", "torchao-int8")
DTYPES = ("auto", "float32", "float16", "bfloat16")
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3,
          "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4, "tb": 1000**4}


class SettingsError(ValueError):
    """A `[models]` setting is wrong; the message names the key and what is allowed."""


def parse_bytes(value: Any, key: str = "vram_budget_bytes") -> int | None:
    """Bytes from an int or a string with a unit ("8GiB", "7.5 GB"); None or 0 means no budget."""
    if value is None or value == 0 or value == "":
        return None
    if isinstance(value, bool):
        raise SettingsError(f"models.{key}: expected a number of bytes, got {value!r}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise SettingsError(f"models.{key}: must not be negative")
        return int(value)
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", str(value))
    if not match or match.group(2).lower() not in _UNITS:
        raise SettingsError(f"models.{key}: cannot read {value!r} as a size (e.g. 8589934592, \"8GiB\", \"7.5GB\")")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


@dataclass
class ModelSettings:
    """How models are found, loaded and kept.

    device: "auto" (CUDA, else Apple MPS, else CPU), "cpu", "cuda", "cuda:1", "mps".
    dtype: "auto" (bfloat16 on CUDA cards that have it, else float16; float16 on MPS; float32 on
        CPU) or a fixed dtype; a mapping {"cuda": "float16", "cpu": "float32"} sets it per device.
    vram_budget_bytes: what loaded models may take on the device together; the least recently
        used ones are unloaded to make room. None: no budget.
    offload: diffusers pipelines only — "none" (all on the device), "model" (each component moves
        to the device while it runs), "sequential" (layer by layer: least memory, slowest).
    quantization: "none", "bnb-8bit"/"bnb-4bit" (bitsandbytes, CUDA only) or "torchao-int8"
        (torchao int8 weight-only), applied to the large components (FLUX transformer, T5, VLM).
    idle_unload_seconds: unload a model unused this long; 0 keeps models until evicted.
    cache_dir: huggingface_hub cache to use; None is the hub's own (HF_HOME / HF_HUB_CACHE).
    paths: model name -> local folder or hub id, replacing the default repository.
    options: model name -> tuning for its backends (steps, thresholds, resolution ...).
    engine: the editing engine of the model bricks ("auto", or a name in engines/catalog.py).
    licence: "any", or "permissive" to leave out non-commercial weights (auto never picks them,
        and naming one as the engine is refused).
    vram_preset: how an editing engine is loaded on a GPU: "auto" (from the card's free memory),
        "full", "standard" or "low-vram" (engines/catalog.py); an explicit offload or quantization
        other than "none" wins over the preset.
    """

    device: str = "auto"
    dtype: str | dict[str, str] = "auto"
    vram_budget_bytes: int | None = None
    offload: str = "none"
    quantization: str = "none"
    idle_unload_seconds: float = 600.0
    cache_dir: str | None = None
    paths: dict[str, str] = field(default_factory=dict)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    engine: str = "auto"
    licence: str = "any"
    vram_preset: str = "auto"

    def __post_init__(self) -> None:
        self.cache_dir = self.cache_dir or None  # config.toml writes "" for "the default"
        self.validate()

    def validate(self) -> None:
        if self.offload not in OFFLOAD_MODES:
            raise SettingsError(f"models.offload: {self.offload!r} is not one of {', '.join(OFFLOAD_MODES)}")
        if self.quantization not in QUANTIZATION_MODES:
            raise SettingsError(f"models.quantization: {self.quantization!r} is not one of "
                                f"{', '.join(QUANTIZATION_MODES)}")
        dtypes = self.dtype.values() if isinstance(self.dtype, dict) else [self.dtype]
        for d in dtypes:
            if d not in DTYPES:
                raise SettingsError(f"models.dtype: {d!r} is not one of {', '.join(DTYPES)}")
        if not isinstance(self.device, str) or not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", self.device):
            raise SettingsError(f"models.device: {self.device!r} is not auto, cpu, mps, cuda or cuda:N")
        from lego_edit.bricks.models.engines.catalog import ENGINE_CHOICES, LICENCE_CHOICES, VRAM_PRESETS

        if self.engine not in ENGINE_CHOICES:
            raise SettingsError(f"models.engine: {self.engine!r} is not one of {', '.join(ENGINE_CHOICES)}")
        if self.licence not in LICENCE_CHOICES:
            raise SettingsError(f"models.licence: {self.licence!r} is not one of {', '.join(LICENCE_CHOICES)}")
        if self.vram_preset not in ("auto", *VRAM_PRESETS):
            raise SettingsError(f"models.vram_preset: {self.vram_preset!r} is not one of auto, "
                                f"{', '.join(VRAM_PRESETS)}")
        if self.idle_unload_seconds < 0:
            raise SettingsError("models.idle_unload_seconds must not be negative")
        from lego_edit.bricks.models.known import KNOWN

        for table in ("paths", "options"):
            unknown = sorted(set(getattr(self, table)) - set(KNOWN))
            if unknown:
                raise SettingsError(f"models.{table}: unknown model(s) {', '.join(unknown)}; "
                                    f"known: {', '.join(sorted(KNOWN))}")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> ModelSettings:
        """Settings from the `[models]` table of config.toml (unknown keys are an error, not ignored)."""
        data = dict(data or {})
        allowed = {f.name for f in fields(cls)} | {"vram_budget"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise SettingsError(f"models: unknown setting(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
        if "vram_budget" in data:
            data["vram_budget_bytes"] = data.pop("vram_budget")
        if "vram_budget_bytes" in data:
            data["vram_budget_bytes"] = parse_bytes(data["vram_budget_bytes"])
        if "idle_unload_seconds" in data:
            try:
                data["idle_unload_seconds"] = float(data["idle_unload_seconds"])
            except (TypeError, ValueError):
                raise SettingsError("models.idle_unload_seconds must be a number") from None
        if "dtype" in data and isinstance(data["dtype"], Mapping):
            data["dtype"] = {str(k): str(v) for k, v in data["dtype"].items()}
        for table in ("paths", "options"):
            if table in data:
                if not isinstance(data[table], Mapping):
                    raise SettingsError(f"models.{table} must be a table")
                data[table] = {str(k): (dict(v) if table == "options" else str(v)) for k, v in data[table].items()}
        return cls(**data)

    def dtype_name(self, device_type: str) -> str:
        """The configured dtype for a device type ("cuda", "mps", "cpu"), "auto" if not fixed."""
        if isinstance(self.dtype, dict):
            return self.dtype.get(device_type, "auto")
        return self.dtype

    def option(self, model: str, key: str, default: Any) -> Any:
        return self.options.get(model, {}).get(key, default)
