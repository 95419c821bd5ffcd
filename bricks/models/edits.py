"""FLUX-FILL / FLUX-INPAINT / FLUX-CBG and the in-context edits FLUX-RCM / -STYLE / -ENV / -POSE.

Region edits (fill, removal, background) generate in a crop around the mask at the engine's
resolution and paste back through a feathered mask: pixels away from the mask keep their bytes.

The in-context edits follow ICEdit (Zhang et al. 2025), the method the Lego-Edit task LoRAs were
trained with: a diptych — the image on the left, the same image on the right with the part to
change masked — and the prompt "A diptych with two side-by-side images of the same scene. On the
right, the scene is exactly the same as on the left but <instruction>". The fill model redraws the
right half consistently with the left; the right half is the result. The reference demo works at
768 px per half, guidance 50, 25 steps; those are the defaults here.
"""

from __future__ import annotations

import cv2
import numpy as np

from lego_edit.bricks.imageops import check_mask_size
from lego_edit.bricks.models import manager_for
from lego_edit.bricks.models.diffusion import FLUX, SD, Engine, engine, generate, lora_available, set_lora
from lego_edit.bricks.models.imaging import (
    bbox,
    binary,
    context_box,
    dilate,
    feather,
    paste,
    resize_rgb,
    working_size,
)
from lego_edit.bricks.registry import BrickContext, BrickError

DIPTYCH = "A diptych with two side-by-side images of the same scene. "
RIGHT = "On the right, the scene is exactly the same as on the left but "


def _check(brick: str, image: np.ndarray, mask: np.ndarray | None, *, need_mask: bool = True) -> None:
    if mask is None:
        return
    check_mask_size(image, mask, brick)
    if need_mask and not mask.any():
        raise BrickError(f"{brick}: the mask is empty, so there is nothing to work on")


def _radius(shape: tuple[int, ...], at_1024: int) -> int:
    return max(1, round(at_1024 * max(shape[:2]) / 1024))


def region_edit(ctx: BrickContext, eng: Engine, image: np.ndarray, mask: np.ndarray, prompt: str, *,
                start: np.ndarray | None = None, strength: float = 1.0, grow: float = 1.0,
                opaque: bool = False, label: str = "denoising", task: str = "") -> np.ndarray:
    """Regenerate the masked part of `image` (from `start`'s pixels when given, e.g. a pre-inpaint).
    `task` ("fill", "inpaint", "cbg") reads `<task>_steps` / `<task>_guidance` from the engine's options."""
    box = context_box(mask, grow=grow, min_side=min(eng.resolution // 2, max(image.shape[:2])))
    x0, y0, x1, y1 = box
    source = image if start is None else start
    rgb = np.ascontiguousarray(source[y0:y1, x0:x1, :3])
    crop_mask = mask[y0:y1, x0:x1]
    size = working_size(rgb.shape[1], rgb.shape[0], eng.resolution, eng.multiple)
    work_mask = binary(cv2.resize(crop_mask, size, interpolation=cv2.INTER_LINEAR), 0)
    settings = manager_for(ctx).settings
    steps = settings.option(eng.name, f"{task}_steps", None) if task else None
    guidance = settings.option(eng.name, f"{task}_guidance", None) if task else None
    out = generate(ctx, eng, resize_rgb(rgb, size), work_mask, prompt, strength=strength, label=label,
                   steps=None if steps is None else int(steps), guidance=None if guidance is None else float(guidance))
    out = resize_rgb(out, (rgb.shape[1], rgb.shape[0]))
    weight = np.maximum(feather(crop_mask, _radius(image.shape, 4)), crop_mask)
    return paste(image, out, weight, box, opaque=opaque)


def _is_cutout(preimage: np.ndarray) -> bool:
    """A cut-out (e.g. RES's image output): a real share of it is transparent."""
    return float((preimage[..., 3] < 128).mean()) > 0.05


def _reference_left(preimage: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The cut-out moved so its bottom centre sits on the mask's bottom centre, over white (the
    reference demo's left panel when FLUX-FILL gets an object to place)."""
    obj, target = bbox(preimage[..., 3]), bbox(mask)
    white = np.full(preimage.shape[:2] + (3,), 255, np.uint8)
    if obj is None or target is None:
        return white
    dx = (target[0] + target[2]) // 2 - (obj[0] + obj[2]) // 2
    dy = target[3] - obj[3]
    shift = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
    h, w = mask.shape
    moved = cv2.warpAffine(preimage, shift, (w, h), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0, 0))
    alpha = moved[..., 3:].astype(np.float32) / 255.0
    return np.clip(np.rint(moved[..., :3] * alpha + 255.0 * (1 - alpha)), 0, 255).astype(np.uint8)


def _engine_name(backend: str) -> str:
    return FLUX if backend.startswith("flux") else SD


def fill(ctx: BrickContext, image: np.ndarray, mask: np.ndarray, prompt: str, preimage: np.ndarray | None = None,
         *, backend: str = FLUX) -> dict:
    from lego_edit.bricks.models.engines.bricks import fit_preimage

    _check("FLUX-FILL", image, mask)
    if preimage is not None:  # the reference's outpainting passes the image from before the expansion
        preimage = fit_preimage(preimage, image)
        if preimage.shape[-1] != image.shape[-1]:
            raise BrickError("FLUX-FILL: the preimage must be an RGBA image like the image")
    with engine(ctx, _engine_name(backend)) as eng:
        if eng.name == FLUX:
            set_lora(ctx, eng, None)
        if preimage is not None and _is_cutout(preimage) and eng.name == FLUX:
            left = _reference_left(preimage, binary(mask))
            out = _diptych(ctx, eng, image, left=left, right_mask=binary(mask), instruction=prompt, plain=True)
            return {"image": paste(image, out, np.maximum(feather(mask, _radius(image.shape, 4)), mask),
                                   (0, 0, image.shape[1], image.shape[0]), opaque=True)}
        if preimage is not None and not _is_cutout(preimage):  # an opaque pre-inpaint: start from it, keep some of its layout
            strength = float(manager_for(ctx).settings.option(eng.name, "preimage_strength", 0.95))
            return {"image": region_edit(ctx, eng, image, mask, prompt, start=preimage, strength=strength, opaque=True,
                                             task="fill")}
        return {"image": region_edit(ctx, eng, image, mask, prompt, opaque=True, task="fill")}


def score_to_strength(score: float) -> float:
    """FASTINPAINT's score (1 = plausible fill) as FLUX-INPAINT's denoising strength (0.7 .. 1.0),
    the reference's range: a good pre-inpaint is only refined, a poor one regenerated."""
    return float(np.clip(1.0 - 0.3 * float(score), 0.7, 1.0))


def inpaint(ctx: BrickContext, image: np.ndarray, mask: np.ndarray, preimage: np.ndarray, score: float,
            *, backend: str = FLUX) -> dict:
    _check("FLUX-INPAINT", image, mask)
    if preimage.shape != image.shape:
        raise BrickError("FLUX-INPAINT: the preimage must be FASTINPAINT's output for this image")
    hole = dilate(binary(mask), _radius(image.shape, 12))
    with engine(ctx, _engine_name(backend)) as eng:
        if eng.name == FLUX:
            settings = manager_for(ctx).settings
            set_lora(ctx, eng, "inpaint" if lora_available(settings, "inpaint") else None)
        out = region_edit(ctx, eng, image, hole, eng.removal_prompt, start=preimage, strength=score_to_strength(score),
                          task="inpaint")
    return {"image": out}


def change_background(ctx: BrickContext, image: np.ndarray, mask: np.ndarray, prompt: str, *,
                      backend: str = FLUX) -> dict:
    _check("FLUX-CBG", image, mask)
    with engine(ctx, _engine_name(backend)) as eng:
        if eng.name == FLUX:
            set_lora(ctx, eng, None)
        out = region_edit(ctx, eng, image, binary(mask), prompt, grow=4.0, opaque=True, task="cbg")
    return {"image": out}


# -- in-context (diptych) edits -------------------------------------------------------------------

def diptych_prompt(instruction: str, caption: str = "") -> str:
    """The ICEdit prompt the task LoRAs were trained on; a caption goes before "On the right", as the
    reference writes FLUX-STYLE's."""
    return DIPTYCH + (f"{caption}. " if caption else "") + RIGHT + instruction


def _diptych(ctx: BrickContext, eng: Engine, image: np.ndarray, *, instruction: str, right_mask: np.ndarray | None,
             left: np.ndarray | None = None, plain: bool = False, steps: int | None = None,
             guidance: float | None = None, caption: str = "") -> np.ndarray:
    """Run the diptych and return the right half at the image's size (RGB)."""
    settings = manager_for(ctx).settings
    h, w = image.shape[:2]
    half_w = int(settings.option(FLUX, "diptych_width", 768))
    half_w -= half_w % eng.multiple
    half_h = max(eng.multiple, int(round(h * half_w / w / eng.multiple)) * eng.multiple)
    right = resize_rgb(np.ascontiguousarray(image[..., :3]), (half_w, half_h))
    left_rgb = right if left is None else resize_rgb(left, (half_w, half_h))
    canvas = np.concatenate([left_rgb, right], axis=1)
    mask = np.zeros((half_h, 2 * half_w), np.uint8)
    if right_mask is None:
        mask[:, half_w:] = 255
    else:
        mask[:, half_w:] = binary(cv2.resize(right_mask, (half_w, half_h), interpolation=cv2.INTER_LINEAR), 0)
    prompt = instruction if plain else diptych_prompt(instruction, caption)
    out = generate(ctx, eng, canvas, mask, prompt,
                   steps=steps or int(settings.option(FLUX, "edit_steps", 25)),
                   guidance=guidance if guidance is not None else float(settings.option(FLUX, "edit_guidance", 50.0)),
                   label="editing")
    return resize_rgb(np.ascontiguousarray(out[:, half_w:]), (w, h))


def _ic_edit(ctx: BrickContext, brick: str, task: str, image: np.ndarray, instruction: str,
             mask: np.ndarray | None = None, mask_grow_at_768: int = 0, caption: str = "") -> dict:
    _check(brick, image, mask)
    if not instruction.strip():
        raise BrickError(f"{brick} needs a prompt")
    right_mask = None
    if mask is not None:
        right_mask = dilate(binary(mask), max(0, round(mask_grow_at_768 * max(image.shape[:2]) / 768)))
    with engine(ctx, FLUX) as eng:
        set_lora(ctx, eng, task)
        out = _diptych(ctx, eng, image, instruction=instruction, right_mask=right_mask, caption=caption)
    full = (0, 0, image.shape[1], image.shape[0])
    if right_mask is None:
        return {"image": paste(image, out, np.full(image.shape[:2], 255, np.uint8), full)}
    return {"image": paste(image, out, np.maximum(feather(right_mask, _radius(image.shape, 4)), right_mask), full)}


def _sentence(prompt: str) -> str:
    return " ".join(prompt.split()).rstrip(".")


def recolour(ctx: BrickContext, image: np.ndarray, prompt: str, mask: np.ndarray | None = None) -> dict:
    """Without a mask the whole right half is redrawn, as the reference does."""
    from lego_edit.bricks.models.engines.templates import recolour_instruction

    return _ic_edit(ctx, "FLUX-RCM", "rcm", image, recolour_instruction(prompt) + ".", mask, mask_grow_at_768=17)


def environment(ctx: BrickContext, image: np.ndarray, prompt: str) -> dict:
    return _ic_edit(ctx, "FLUX-ENV", "env", image, _sentence(prompt) + ".")


def pose(ctx: BrickContext, image: np.ndarray, prompt: str) -> dict:
    return _ic_edit(ctx, "FLUX-POSE", "pose", image, _sentence(prompt) + ".")


def style(ctx: BrickContext, image: np.ndarray, prompt: str = "", style: str | None = None,
          mask: np.ndarray | None = None) -> dict:
    """The reference's prompt: the diptych sentence, the caption, then "On the right ... but Convert the
    image into <style>." (a missing style is anime style, `ink` is Chinese ink)."""
    from lego_edit.bricks.models.engines.templates import style_name

    caption = _sentence(prompt or "")
    instruction = f"Convert the image into {style_name(style)}."
    return _ic_edit(ctx, "FLUX-STYLE", "style", image, instruction, mask, caption=caption)


def fill_sd(ctx: BrickContext, image, mask, prompt, preimage=None) -> dict:
    return fill(ctx, image, mask, prompt, preimage, backend=SD)


def inpaint_sd(ctx: BrickContext, image, mask, preimage, score) -> dict:
    return inpaint(ctx, image, mask, preimage, score, backend=SD)


def change_background_sd(ctx: BrickContext, image, mask, prompt) -> dict:
    return change_background(ctx, image, mask, prompt, backend=SD)
