"""The model backends of the built-in bricks, as registry Backends, in order of preference.

Nothing is imported here but the light bricks.models modules: a backend's function imports its
module (and torch with it) only when it first runs. `check()` is pure file-system work: the Python
packages are looked up without importing them, the weights in the configured folder or the
huggingface_hub cache, and FLUX additionally needs a GPU. So with the weights present, a brick
switches from its classical backend to its model backend with no other change.
"""

from __future__ import annotations

import importlib
import os
import platform
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lego_edit.bricks.models import current_settings
from lego_edit.bricks.models.extras import INSTALL_HINT
from lego_edit.bricks.models.known import LORA_FILES
from lego_edit.bricks.models.locate import missing_packages, missing_reason
from lego_edit.bricks.models.settings import ModelSettings
from lego_edit.bricks.registry import Backend, BrickUnavailable

TRANSFORMERS = ("torch", "transformers")
DIFFUSERS = ("torch", "diffusers", "transformers", "accelerate")
LORA = (*DIFFUSERS, "peft")


@dataclass(frozen=True)
class ModelBackendSpec:
    brick: str
    name: str
    target: str  # "module:function" inside bricks.models
    models: tuple[str, ...]
    packages: tuple[str, ...]
    files: dict[str, tuple[str, ...]] = field(default_factory=dict)  # model -> the files this backend needs
    needs_gpu: bool = False
    notes: str = ""
    # Samples noise (a diffusion pipeline): what it makes depends on the seed. Segmentation, LaMa, the
    # matting network and greedy-decoded captions and boxes give one answer for one input.
    stochastic: bool = False

    @property
    def fix(self) -> str:
        return "lego-edit models pull " + " ".join(self.models)


def gpu_likely() -> bool:
    """Whether a GPU is there, judged without importing torch (the catalog must stay light)."""
    if os.path.exists("/proc/driver/nvidia/version") or os.path.exists("/dev/nvidia0") or os.path.exists("/dev/kfd"):
        return True
    if platform.system() == "Darwin" and platform.machine() == "arm64":
        return True
    return platform.system() == "Windows" and shutil.which("nvidia-smi") is not None


def _check(spec: ModelBackendSpec, settings_of: Callable[[], ModelSettings]) -> Callable[[], str | None]:
    def check() -> str | None:
        packages = missing_packages(spec.packages)
        if packages:
            return f"needs the Python package(s) {', '.join(packages)} ({INSTALL_HINT})"
        settings = settings_of()
        reasons = [r for m in spec.models if (r := missing_reason(m, settings, spec.files.get(m)))]
        if reasons:
            return "; ".join(reasons)
        if spec.needs_gpu:
            device = settings.device
            if device == "cpu" or (device == "auto" and not gpu_likely()):
                if not settings.option(spec.models[0], "allow_cpu", False):
                    return (f"{spec.models[0]} needs a GPU (it would take hours on a CPU); set "
                            f"[models.options.{spec.models[0]}] allow_cpu = true to run it anyway")
        return None

    return check


def _runner(spec: ModelBackendSpec) -> Callable[..., dict[str, Any]]:
    module_name, function = spec.target.split(":")

    def run(ctx, **inputs: Any) -> dict[str, Any]:
        try:
            module = importlib.import_module(f"lego_edit.bricks.models.{module_name}")
        except ImportError as exc:
            raise BrickUnavailable(f"{spec.name}: cannot import its libraries ({exc}); {INSTALL_HINT}") from exc
        return getattr(module, function)(ctx, **inputs)

    run.__name__ = run.__qualname__ = f"{module_name}.{function}"
    return run


def _flux_edit(brick: str, task: str, function: str) -> ModelBackendSpec:
    return ModelBackendSpec(brick, f"flux-fill+lego-{task}", f"edits:{function}", ("flux-fill", "lego-loras"), LORA,
                            {"lego-loras": (LORA_FILES[task],)}, needs_gpu=True, stochastic=True,
                            notes=f"FLUX.1 Fill + Lego-Edit {task} LoRA, in-context diptych (ICEdit)")


SPECS: tuple[ModelBackendSpec, ...] = (
    ModelBackendSpec("RES", "grounded-sam", "segmentation:res_grounded_sam", ("grounding-dino", "sam"), TRANSFORMERS,
                     notes="Grounding DINO boxes, SAM masks"),
    ModelBackendSpec("RES", "clipseg", "segmentation:res_clipseg", ("clipseg",), TRANSFORMERS,
                     notes="CLIPSeg (light)"),
    ModelBackendSpec("SOS", "grounded-sam", "segmentation:sos_grounded_sam", ("grounding-dino", "sam"), TRANSFORMERS,
                     notes="Grounding DINO 'main object' box ranked by size and centrality, SAM mask"),
    ModelBackendSpec("MASK-SEG", "sam", "segmentation:mask_seg_sam", ("sam",), TRANSFORMERS,
                     notes="SAM prompted with the rough mask's box and an interior point"),
    ModelBackendSpec("ADD-PRED", "qwen-vl", "vlm:add_pred", ("vlm",), TRANSFORMERS,
                     notes="a VLM's bounding box for the new object"),
    ModelBackendSpec("CMI-PRED", "blip", "caption:caption_and_expand", ("captioner",), TRANSFORMERS,
                     notes="BLIP caption, exact canvas expansion"),
    ModelBackendSpec("FASTINPAINT", "lama", "lama:inpaint", ("lama",), ("torch",), notes="LaMa (TorchScript)"),
    ModelBackendSpec("FLUX-INPAINT", "flux-fill", "edits:inpaint", ("flux-fill",), DIFFUSERS, needs_gpu=True,
                     stochastic=True, notes="FLUX.1 Fill refining the pre-inpaint"),
    ModelBackendSpec("FLUX-INPAINT", "sd-inpaint", "edits:inpaint_sd", ("sd-inpaint",), DIFFUSERS,
                     stochastic=True, notes="Stable Diffusion inpainting refining the pre-inpaint"),
    ModelBackendSpec("FLUX-FILL", "flux-fill", "edits:fill", ("flux-fill",), DIFFUSERS, needs_gpu=True,
                     stochastic=True, notes="FLUX.1 Fill"),
    ModelBackendSpec("FLUX-FILL", "sd-inpaint", "edits:fill_sd", ("sd-inpaint",), DIFFUSERS,
                     stochastic=True, notes="Stable Diffusion inpainting"),
    ModelBackendSpec("FLUX-CBG", "flux-fill", "edits:change_background", ("flux-fill",), DIFFUSERS, needs_gpu=True,
                     stochastic=True, notes="FLUX.1 Fill on the background mask"),
    ModelBackendSpec("FLUX-CBG", "sd-inpaint", "edits:change_background_sd", ("sd-inpaint",), DIFFUSERS,
                     stochastic=True, notes="Stable Diffusion inpainting on the background mask"),
    _flux_edit("FLUX-RCM", "rcm", "recolour"),
    _flux_edit("FLUX-STYLE", "style", "style"),
    _flux_edit("FLUX-ENV", "env", "environment"),
    _flux_edit("FLUX-POSE", "pose", "pose"),
    ModelBackendSpec("UPSCALE", "sd-x4-upscaler", "upscale:upscale_sd", ("sd-upscaler",), DIFFUSERS,
                     stochastic=True, notes="Stable Diffusion x4 upscaler: invents detail; tiled"),
)


# The bricks that run on the editing engines, and each one's function in engines/bricks.py.
ENGINE_BRICKS: dict[str, str] = {"EDIT": "edit", "FLUX-RCM": "recolour", "FLUX-STYLE": "style",
                                 "FLUX-ENV": "environment", "FLUX-POSE": "pose", "FLUX-FILL": "fill",
                                 "FLUX-INPAINT": "inpaint", "FLUX-CBG": "change_background"}


def _engine_check(settings_of: Callable[[], ModelSettings]) -> Callable[[], str | None]:
    """Available when an editing engine is chosen: one named in `[models] engine`, or under auto an
    instruction engine (with only FLUX.1 Fill or SD present, their own backends run, LoRAs included)."""

    def check() -> str | None:
        from lego_edit.bricks.models.engines.choose import choose

        packages = missing_packages(DIFFUSERS)
        if packages:
            return f"needs the Python package(s) {', '.join(packages)} ({INSTALL_HINT})"
        settings = settings_of()
        choice = choose(settings, instruct_only=settings.engine == "auto")
        if choice.engine is None:
            return choice.reason + ("" if settings.engine != "auto" else
                                    " (fix: lego-edit models pull flux2-klein-4b)")
        device = settings.device
        if device == "cpu" or (device == "auto" and not gpu_likely()):
            if not settings.option(choice.engine.model, "allow_cpu", False):
                return (f"the {choice.engine.name} engine needs a GPU; set [models.options.{choice.engine.model}] "
                        "allow_cpu = true to run it anyway")
        return None

    return check


def engine_backend(brick: str, settings: ModelSettings | None = None) -> Backend:
    """The backend that runs `brick` on the chosen editing engine (see `backend` for `settings`)."""
    if settings is None:
        settings_of: Callable[[], ModelSettings] = current_settings
    else:
        def settings_of() -> ModelSettings:
            return settings
    spec = ModelBackendSpec(brick, "engine", f"engines.bricks:{ENGINE_BRICKS[brick]}", (), DIFFUSERS)
    return Backend(name="engine", fn=_runner(spec), kind="model", check=_engine_check(settings_of),
                   fix="lego-edit models pull flux2-klein-4b", exclusive=True, stochastic=True,
                   notes="the [models] engine (FLUX.2 klein, Qwen-Image-Edit, Kontext, ...), composited "
                         "through the mask", stamp=settings_of)


def backend(spec: ModelBackendSpec, settings: ModelSettings | None = None) -> Backend:
    """A new Backend for `spec`. Its availability check reads `settings`, or with None the
    process-wide settings in force when it runs (a `configure` makes it look again)."""
    if settings is None:
        settings_of: Callable[[], ModelSettings] = current_settings
    else:
        def settings_of() -> ModelSettings:
            return settings
    return Backend(name=spec.name, fn=_runner(spec), kind="model", check=_check(spec, settings_of), fix=spec.fix,
                   exclusive=True, notes=spec.notes, stochastic=spec.stochastic, stamp=settings_of)


def model_backends(brick: str, settings: ModelSettings | None = None) -> list[Backend]:
    """The model backends of one brick, most preferred first (see `backend` for `settings`): the
    editing engine where the brick has one, the reference's own models, then the substitutes."""
    from lego_edit.bricks.models.reference_backends import REFERENCE_BACKENDS  # it imports this module

    engine = [engine_backend(brick, settings)] if brick in ENGINE_BRICKS else []
    return [*engine, *(backend(s, settings) for s in (*REFERENCE_BACKENDS, *SPECS) if s.brick == brick)]
