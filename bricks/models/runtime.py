"""Torch-side helpers the model backends share: device and dtype choice, quantization configs, step callbacks.

Only imported by code that is already running a model, so importing torch here is fine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lego_edit.bricks.models.settings import ModelSettings
from lego_edit.bricks.registry import BrickContext, BrickUnavailable, Cancelled


def resolve_device(requested: str) -> str:
    import torch

    if requested != "auto":
        if requested.startswith("cuda") and not torch.cuda.is_available():
            raise BrickUnavailable(f"models.device is {requested!r} but this torch build sees no CUDA GPU")
        if requested == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise BrickUnavailable("models.device is 'mps' but Apple MPS is not available here")
        return requested
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def resolve_dtype(settings: ModelSettings, device: str):
    """The dtype models use on `device`: the configured one, else the best the device computes fast."""
    import torch

    kind = device.split(":")[0]
    name = settings.dtype_name(kind)
    if name == "auto":
        if kind == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        if kind == "mps":
            return torch.float16
        return torch.float32
    return getattr(torch, name)


# quantization mode -> (package it needs, diffusers/transformers backend name, kwargs)
_QUANT: dict[str, tuple[str, str, dict[str, Any]]] = {
    "bnb-4bit": ("bitsandbytes", "bitsandbytes_4bit",
                 {"load_in_4bit": True, "bnb_4bit_quant_type": "nf4"}),
    "bnb-8bit": ("bitsandbytes", "bitsandbytes_8bit", {"load_in_8bit": True}),
    "torchao-int8": ("torchao", "torchao", {"quant_type": "int8_weight_only"}),
}


def _check_quantization(settings: ModelSettings, device: str) -> tuple[str, str, dict[str, Any]] | None:
    mode = settings.quantization
    if mode == "none":
        return None
    package, backend, kwargs = _QUANT[mode]
    from lego_edit.bricks.models.locate import package_installed

    if not package_installed(package):
        raise BrickUnavailable(f"models.quantization = {mode!r} needs the {package} package (pip install {package}), "
                               f"or set quantization = \"none\"")
    if package == "bitsandbytes" and not device.startswith("cuda"):
        raise BrickUnavailable(f"models.quantization = {mode!r} (bitsandbytes) needs a CUDA GPU; the device is {device}. "
                               "Use \"torchao-int8\" or \"none\"")
    return package, backend, dict(kwargs)


def diffusers_quantization(settings: ModelSettings, device: str, components: list[str]):
    """A diffusers PipelineQuantizationConfig for the big components, or None."""
    found = _check_quantization(settings, device)
    if found is None:
        return None
    _, backend, kwargs = found
    if backend == "torchao":
        kwargs = {"quant_type": kwargs["quant_type"]}
    from diffusers.quantizers import PipelineQuantizationConfig

    return PipelineQuantizationConfig(quant_backend=backend, quant_kwargs=kwargs, components_to_quantize=components)


def transformers_quantization(settings: ModelSettings, device: str):
    """A transformers quantization config (BitsAndBytesConfig / TorchAoConfig), or None."""
    found = _check_quantization(settings, device)
    if found is None:
        return None
    package, _, kwargs = found
    if package == "bitsandbytes":
        from transformers import BitsAndBytesConfig

        return BitsAndBytesConfig(**kwargs)
    from transformers import TorchAoConfig

    return TorchAoConfig(kwargs["quant_type"])


def step_callback(ctx: BrickContext, steps: int, *, start: float = 0.0, end: float = 1.0,
                  label: str = "denoising") -> Callable[..., dict]:
    """A diffusers `callback_on_step_end`: progress after every step, and Cancelled as soon as asked.

    Raising from the callback stops the pipeline at once (no further step, no VAE decode), which is
    what a user pressing Cancel expects; `pipe._interrupt` would still decode the latents.
    """

    def callback(pipe, step: int, timestep, tensors: dict) -> dict:
        total = getattr(pipe, "num_timesteps", None) or steps
        if ctx.cancelled():
            raise Cancelled()
        done = min(step + 1, total)
        ctx.progress(start + (end - start) * done / total, f"{label} {done}/{total}")
        return tensors

    return callback


def sampling_seed(ctx: BrickContext, settings: ModelSettings, model: str) -> int | None:
    """The seed a sampler uses: the step's own (`ctx.seed`, from the job's seed) when the executor gave
    one, else `[models.options.MODEL] seed`; None: unseeded, a new draw each time."""
    seed = ctx.seed
    if seed is None:
        seed = settings.option(model, "seed", None)
    return None if seed is None else int(seed)


def torch_generator(seed: int | None):
    import torch

    if seed is None:
        return None
    return torch.Generator(device="cpu").manual_seed(int(seed))
