"""The model bricks on any editing engine: FLUX-RCM, -STYLE, -ENV, -POSE, -FILL, -INPAINT, -CBG and EDIT.

A brick with a mask edits a crop around it at the engine's resolution, with the mask given to the
engine's inpainting pipeline, and pastes the result back through the mask feathered at its edge:
every pixel beyond the feather keeps its exact bytes. A brick without a mask (ENV, POSE, STYLE
alone, EDIT alone) edits the whole image and keeps its size and alpha channel. The sampler's seed is
the step's own when the executor gives one (a seeded job, "Next variation"), else the configured one.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lego_edit.bricks.imageops import check_mask_size
from lego_edit.bricks.models import manager_for
from lego_edit.bricks.models.engines.catalog import EngineSpec, Kind
from lego_edit.bricks.models.engines.runtime import Engine, open_engine
from lego_edit.bricks.models.engines.templates import prompt_for
from lego_edit.bricks.models.imaging import binary, context_box, dilate, feather, paste, resize_rgb
from lego_edit.bricks.models.runtime import sampling_seed
from lego_edit.bricks.registry import BrickContext, BrickError, BrickUnavailable

# Per brick: (task key of the options, steps/guidance defaults for inpainting engines, crop growth)
# FILL and INPAINT sample 20 steps at guidance 30 on FLUX.1 Fill, as the reference demo does.
_INPAINT_DEFAULTS = {"FLUX-FILL": (20, 30.0), "FLUX-INPAINT": (20, 30.0), "FLUX-CBG": (20, 30.0)}


@dataclass(frozen=True)
class Region:
    mask: np.ndarray | None  # binary, the image's size; None: the whole image
    grow: float = 1.0
    opaque: bool = False  # generated pixels become opaque (filling a transparent canvas)


def feather_radius(shape: tuple[int, ...]) -> int:
    """Gaussian sigma of the paste-back feather: 4 px at a 1024 px long side."""
    return max(1, round(4 * max(shape[:2]) / 1024))


def composite_weight(mask: np.ndarray) -> np.ndarray:
    """How much of the engine's output each pixel takes: 255 inside the mask, falling to 0 across the feather."""
    return np.maximum(feather(mask, feather_radius(mask.shape)), mask)


def chosen_engine(ctx: BrickContext) -> EngineSpec:
    from lego_edit.bricks.models.engines.choose import choose

    choice = choose(manager_for(ctx).settings, instruct_only=True)
    if choice.engine is None:
        raise BrickUnavailable(f"no editing engine: {choice.reason}")
    return choice.engine


def _sampling(ctx: BrickContext, eng: Engine, brick: str) -> tuple[int, float, int | None]:
    settings = manager_for(ctx).settings
    steps, guidance = eng.steps, eng.guidance
    if eng.spec.kind == Kind.INPAINT and brick in _INPAINT_DEFAULTS and eng.spec.name == "flux1-fill":
        steps, guidance = _INPAINT_DEFAULTS[brick]
    task = brick.removeprefix("FLUX-").lower()
    model = eng.spec.model
    steps = int(settings.option(model, f"{task}_steps", settings.option(model, "steps", steps)))
    guidance = float(settings.option(model, f"{task}_guidance", settings.option(model, "guidance", guidance)))
    return steps, guidance, sampling_seed(ctx, settings, model)


def run(ctx: BrickContext, brick: str, image: np.ndarray, prompt: str, region: Region, *,
        start: np.ndarray | None = None, strength: float = 1.0, spec: EngineSpec | None = None,
        style: str | None = None) -> np.ndarray:
    """Run `brick` on the chosen engine (or `spec`) and composite the result into `image` (RGBA)."""
    spec = spec or chosen_engine(ctx)
    manager = manager_for(ctx)
    h, w = image.shape[:2]
    mask = region.mask
    with open_engine(manager, spec) as eng:
        if mask is not None:
            box = context_box(mask, grow=region.grow, min_side=min(eng.resolution // 2, max(h, w)))
        else:
            box = (0, 0, w, h)
        x0, y0, x1, y1 = box
        source = image if start is None else start
        rgb = np.ascontiguousarray(source[y0:y1, x0:x1, :3])
        size = eng.size_for(rgb.shape[1], rgb.shape[0])
        work_mask = None
        if mask is not None:
            work_mask = binary(cv2.resize(mask[y0:y1, x0:x1], size, interpolation=cv2.INTER_LINEAR), 0)
        text = prompt_for(brick, spec.kind, prompt=prompt, style=style, masked=mask is not None,
                          removal=str(manager.settings.option(spec.model, "removal_prompt",
                                                              "" if spec.name == "flux1-fill" else
                                                              "empty background, seamless continuation of the "
                                                              "surroundings")))
        steps, guidance, seed = _sampling(ctx, eng, brick)
        ctx.progress(0.05, f"{spec.name}: editing")

        def on_step(done: int, total: int) -> None:
            ctx.progress(0.05 + 0.9 * done / total, f"denoising {done}/{total}")

        out = eng.edit(resize_rgb(rgb, size), text, work_mask, steps=steps, guidance=guidance, seed=seed,
                       on_step=on_step, cancelled=ctx.cancelled, strength=strength)
    out = resize_rgb(out, (x1 - x0, y1 - y0))
    if mask is None:
        return paste(image, out, np.full((h, w), 255, np.uint8), box, opaque=region.opaque)
    return paste(image, out, composite_weight(mask[y0:y1, x0:x1]), box, opaque=region.opaque)


def _mask(brick: str, image: np.ndarray, mask: np.ndarray | None, *, required: bool) -> np.ndarray | None:
    if mask is None:
        if required:
            raise BrickError(f"{brick} needs a mask")
        return None
    check_mask_size(image, mask, brick)
    if not mask.any():
        raise BrickError(f"{brick}: the mask is empty, so there is nothing to work on")
    return binary(mask)


def _need(brick: str, text: str | None) -> str:
    if not (text or "").strip():
        raise BrickError(f"{brick} needs a prompt")
    return str(text)


def _grow(mask: np.ndarray, at_768: int) -> np.ndarray:
    return dilate(mask, max(0, round(at_768 * max(mask.shape[:2]) / 768)))


def recolour(ctx: BrickContext, image: np.ndarray, prompt: str, mask: np.ndarray | None = None) -> dict:
    """No mask: the whole image, as the reference does; a mask grows by 17 px at 768 as the reference's."""
    m = _mask("FLUX-RCM", image, mask, required=False)
    region = Region(_grow(m, 17) if m is not None else None)
    return {"image": run(ctx, "FLUX-RCM", image, _need("FLUX-RCM", prompt), region)}


def style(ctx: BrickContext, image: np.ndarray, prompt: str = "", style: str | None = None,
          mask: np.ndarray | None = None) -> dict:
    """The caption comes before the instruction, as the reference writes it; no style means anime."""
    m = _mask("FLUX-STYLE", image, mask, required=False)
    return {"image": run(ctx, "FLUX-STYLE", image, prompt or "", Region(m), style=style)}


def environment(ctx: BrickContext, image: np.ndarray, prompt: str) -> dict:
    return {"image": run(ctx, "FLUX-ENV", image, _need("FLUX-ENV", prompt), Region(None))}


def pose(ctx: BrickContext, image: np.ndarray, prompt: str) -> dict:
    return {"image": run(ctx, "FLUX-POSE", image, _need("FLUX-POSE", prompt), Region(None))}


def fit_preimage(preimage: np.ndarray, image: np.ndarray) -> np.ndarray:
    """A preimage of another size resized to the canvas (the reference's outpainting pattern passes the
    image from before CMI-PRED's expansion)."""
    if preimage.shape[:2] == image.shape[:2]:
        return preimage
    h, w = image.shape[:2]
    shrinking = h * w < preimage.shape[0] * preimage.shape[1]
    return cv2.resize(preimage, (w, h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)


def fill(ctx: BrickContext, image: np.ndarray, mask: np.ndarray, prompt: str,
         preimage: np.ndarray | None = None) -> dict:
    m = _mask("FLUX-FILL", image, mask, required=True)
    assert m is not None
    start = None
    if preimage is not None:
        pre = fit_preimage(preimage, image)
        if pre.shape[-1] == 4 and float((pre[..., 3] < 128).mean()) > 0.05:
            start = None  # a cut-out of the object to place: the engine draws it from the prompt
        else:
            start = pre
    return {"image": run(ctx, "FLUX-FILL", image, _need("FLUX-FILL", prompt), Region(m, opaque=True),
                         start=start, strength=1.0)}


def inpaint(ctx: BrickContext, image: np.ndarray, mask: np.ndarray, preimage: np.ndarray, score: float) -> dict:
    """The pre-inpaint is noised to the denoise level FASTINPAINT's score stands for and sampled back with
    all the configured steps, as the reference's KSampler does with its `denoise`."""
    from lego_edit.bricks.models.edits import score_to_strength

    m = _mask("FLUX-INPAINT", image, mask, required=True)
    assert m is not None
    if preimage.shape != image.shape:
        raise BrickError("FLUX-INPAINT: the preimage must be FASTINPAINT's output for this image")
    hole = dilate(m, max(1, round(12 * max(image.shape[:2]) / 1024)))
    return {"image": run(ctx, "FLUX-INPAINT", image, "", Region(hole), start=preimage,
                         strength=score_to_strength(score))}


def change_background(ctx: BrickContext, image: np.ndarray, mask: np.ndarray, prompt: str) -> dict:
    m = _mask("FLUX-CBG", image, mask, required=True)
    return {"image": run(ctx, "FLUX-CBG", image, _need("FLUX-CBG", prompt), Region(m, grow=4.0, opaque=True))}


def edit(ctx: BrickContext, image: np.ndarray, prompt: str, mask: np.ndarray | None = None) -> dict:
    m = _mask("EDIT", image, mask, required=False)
    return {"image": run(ctx, "EDIT", image, _need("EDIT", prompt), Region(m))}
