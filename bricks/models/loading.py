"""Loading checkpoints from this machine only (local_files_only), shared by the backend modules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lego_edit.bricks.models.extras import INSTALL_HINT
from lego_edit.bricks.models.locate import missing_reason, root_folder, source
from lego_edit.bricks.models.manager import ModelManager
from lego_edit.bricks.models.settings import ModelSettings
from lego_edit.bricks.registry import BrickUnavailable


def fix_for(*names: str) -> str:
    return "lego-edit models pull " + " ".join(names)


def model_folder(settings: ModelSettings, name: str, files: tuple[str, ...] | None = None) -> Path:
    """The folder holding model `name`; BrickUnavailable (with the pull command) when it is missing."""
    reason = missing_reason(name, settings, files)
    folder = root_folder(source(name, settings), settings) if reason is None else None
    if folder is None:
        raise BrickUnavailable(f"{reason or name + ' is not on this machine'} (fix: {fix_for(name)})")
    return folder


def model_key(settings: ModelSettings, name: str, variant: str = "") -> str:
    """Manager key: the model and where it came from, so a changed config path loads anew."""
    return f"{name}{'/' + variant if variant else ''}@{source(name, settings).label}"


@dataclass
class Pretrained:
    """A transformers model with its processor (the manager measures and places `model`)."""

    processor: Any
    model: Any


def transformers_loader(name: str, model_class: str, processor_class: str = "AutoProcessor", *,
                        dtype: str = "float32", quantize: bool = False) -> Callable[[ModelManager], Pretrained]:
    """A loader for the manager: processor + model from the local folder, eval mode.

    `dtype`: "float32" for the small vision models (fast enough, no half-precision pitfalls in
    deformable attention or FFTs), "manager" for the device's dtype (large models).
    """

    def load(manager: ModelManager) -> Pretrained:
        try:
            import transformers
        except ImportError as exc:
            raise BrickUnavailable(f"{name}: transformers is not installed ({exc}); {INSTALL_HINT}") from exc
        import torch

        folder = model_folder(manager.settings, name)
        kwargs: dict[str, Any] = {"local_files_only": True,
                                  "dtype": manager.dtype if dtype == "manager" else getattr(torch, dtype)}
        if quantize:
            from lego_edit.bricks.models.runtime import transformers_quantization

            config = transformers_quantization(manager.settings, manager.device)
            if config is not None:
                kwargs["quantization_config"] = config
                kwargs["device_map"] = manager.device
        processor = getattr(transformers, processor_class).from_pretrained(folder, local_files_only=True)
        model = getattr(transformers, model_class).from_pretrained(folder, **kwargs)
        model.eval()
        return Pretrained(processor, model)

    return load


def model_device(model: Any):
    """Where a model's weights are (inputs go there)."""
    import torch

    for p in model.parameters():
        return p.device
    return torch.device("cpu")
