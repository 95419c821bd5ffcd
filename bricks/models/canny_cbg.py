"""FLUX-CBG as the reference runs it: FLUX.1 Canny [dev] keeps the foreground's edges while the
background is generated anew, in three passes, each cleaned and given the original foreground back.

The reference, step by step (diffusers' FluxControlInpaintPipeline stands for its ComfyUI graph):
the foreground is the inverse of the background mask; its edges (Canny 100/200 on the foreground
alone, inside its box grown by 2 px) are the control image, binarised at 0.5. Each pass starts from
the original image's latents with denoise 0.95 inside the background mask, guidance 30, 16 steps
(20 in the last pass). After a pass the matting network segments the generated picture; unless its
main object has grown well past the original foreground (the reference's component test: IoU over
0.85 both ways and the growth over 5 % of the picture), LaMa paints that object out (mask dilated
by a 20 px square), so no generated double of the subject is left around it. The result is resized
to the image and the original foreground is put back through the soft foreground mask (pixels of
the full foreground keep their exact bytes). From the second pass on, the control outside the
foreground (grown by 15 px) is the edges of the picture so far; the reference takes them from the
AnyLine line-art network, which is not published as a checkpoint of its own, so Canny stands in.

The prompt is the user's scene, followed, when the Builder and its mimo_lora adapter are here, by
their description of the new picture ("<scene>, give a description of the image after changing the
background", asked on the foreground alone at 768 px), as in the reference.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from PIL import Image

from lego_edit.bricks.imageops import check_mask_size
from lego_edit.bricks.models import manager_for
from lego_edit.bricks.models.extras import INSTALL_HINT
from lego_edit.bricks.models.imaging import binary, working_size
from lego_edit.bricks.models.loading import model_folder, model_key
from lego_edit.bricks.models.locate import missing_reason
from lego_edit.bricks.models.manager import ModelManager
from lego_edit.bricks.models.runtime import diffusers_quantization, sampling_seed, step_callback, torch_generator
from lego_edit.bricks.registry import BrickContext, BrickError, BrickUnavailable

NAME = "flux-canny"
PASSES = 3
STEPS = (16, 16, 20)
GUIDANCE = 30.0
DENOISE = 0.95
DESCRIBE = "{scene}, give a description of the image after changing the background"


def load_canny(manager: ModelManager) -> Any:
    try:
        import diffusers
    except ImportError as exc:
        raise BrickUnavailable(f"diffusers is not installed ({exc}); {INSTALL_HINT}") from exc
    folder = model_folder(manager.settings, NAME)
    kwargs: dict[str, Any] = {"dtype": manager.dtype, "local_files_only": True}
    quant = diffusers_quantization(manager.settings, manager.device, ["transformer", "text_encoder_2"])
    if quant is not None:
        kwargs["quantization_config"] = quant
    pipe = diffusers.FluxControlInpaintPipeline.from_pretrained(folder, **kwargs)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def foreground_edges(rgb: np.ndarray, foreground: np.ndarray) -> np.ndarray:
    """Canny (100/200) of the foreground alone, inside its box grown by 2 px, on black (H x W uint8)."""
    ys, xs = np.nonzero(foreground)
    left, top = int(xs.min()) - 2, int(ys.min()) - 2
    right, bottom = int(xs.max()) + 2, int(ys.max()) + 2
    only = Image.fromarray(rgb * (foreground[..., None] > 128).astype(np.uint8))
    crop = np.array(only.crop((left, top, right, bottom)).convert("RGB"))
    edges = cv2.Canny(cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), 100, 200)
    canvas = Image.new("L", only.size, 0)
    canvas.paste(Image.fromarray(edges), (left, top))
    return np.array(canvas)


def control_image(rgb: np.ndarray, foreground: np.ndarray, grown: np.ndarray, first: bool) -> np.ndarray:
    """The pass's control (H x W x 3, 0/255): the foreground's edges, and after the first pass the
    picture's own edges outside the grown foreground."""
    edges = foreground_edges(rgb, foreground)
    if not first:
        whole = cv2.Canny(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), 100, 200)
        edges = np.where(grown > 0, edges, whole).astype(np.uint8)
    edges = np.where(edges.astype(np.float32) / 255.0 > 0.5, 255, 0).astype(np.uint8)
    return np.dstack([edges] * 3)


def grown_past(foreground: np.ndarray, found: np.ndarray) -> bool:
    """The reference's test that the generated subject differs from the original one: matching
    components (each over 10 % of the foreground's area, IoU over 0.85 both ways) whose growth
    covers over 5 % of the picture."""
    n1, labels1, stats1, _ = cv2.connectedComponentsWithStats(foreground, connectivity=8)
    n2, labels2, stats2, _ = cv2.connectedComponentsWithStats(found, connectivity=8)
    area = foreground.sum() / 255.0
    if area == 0:
        return False
    big1 = [i for i in range(1, n1) if stats1[i, cv2.CC_STAT_AREA] / area > 0.1]
    big2 = [j for j in range(1, n2) if stats2[j, cv2.CC_STAT_AREA] / area > 0.1]  # the reference divides by it too
    growth = np.zeros(foreground.shape, bool)
    for i in big1:
        a = labels1 == i
        for j in big2:
            b = labels2 == j
            both = np.logical_and(a, b).sum()
            if both / a.sum() > 0.85 and both / b.sum() > 0.85:
                growth |= b & ~a
    return bool(growth.mean() > 0.05)


def _lama(ctx: BrickContext, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """LaMa over the whole picture where `hole` is set (RGB uint8 back, same size)."""
    import torch

    from lego_edit.bricks.models import lama

    manager = manager_for(ctx)
    h, w = rgb.shape[:2]
    ph, pw = (-h) % lama.MULTIPLE, (-w) % lama.MULTIPLE
    padded = np.pad(rgb, ((0, ph), (0, pw), (0, 0)), mode="symmetric")
    padded_hole = np.pad(hole, ((0, ph), (0, pw)), mode="symmetric")
    with manager.use(model_key(manager.settings, lama.NAME), lama.load) as model:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        img_t = torch.from_numpy(padded).permute(2, 0, 1)[None].float().div(255).to(device)
        mask_t = torch.from_numpy((padded_hole > 0).astype(np.float32))[None, None].to(device)
        with torch.inference_mode():
            out = model(img_t, mask_t)
    return out[0, :, :h, :w].permute(1, 2, 0).float().clamp(0, 1).mul(255).byte().cpu().numpy()


def clean(ctx: BrickContext, generated: np.ndarray, foreground: np.ndarray) -> np.ndarray:
    """The reference's cleanup of one pass: paint out the generated subject unless it grew past the original."""
    from lego_edit.bricks.models.matting import matte

    try:
        found = matte(ctx, np.dstack([generated, np.full(generated.shape[:2], 255, np.uint8)]))
    except BrickError:  # a flat map: no subject in the generated picture, nothing to paint out
        return generated
    original = binary(cv2.resize(foreground, (generated.shape[1], generated.shape[0])))
    if grown_past(original, found) or not found.any():
        return generated
    hole = cv2.dilate(found, np.ones((20, 20), np.uint8))
    return _lama(ctx, generated, hole)


def describe(ctx: BrickContext, rgb: np.ndarray, foreground: np.ndarray, scene: str) -> str:
    """The Builder's description of the new picture (mimo_lora), or "" when those weights are not here."""
    from lego_edit.bricks.models import mimo

    settings = manager_for(ctx).settings
    if not settings.option(NAME, "describe", True):
        return ""
    if missing_reason(mimo.BUILDER, settings, mimo.BUILDER_FILES) or missing_reason(mimo.LORA, settings, mimo.LORA_FILES):
        return ""
    only = rgb * (foreground[..., None] > 0).astype(np.uint8)
    picture = mimo.shown_image(np.dstack([only, np.full(only.shape[:2], 255, np.uint8)]), mimo.BOX_SIDE)
    text = mimo.ask(ctx, [{"role": "user", "content": DESCRIBE.format(scene=scene)}], picture)
    return mimo.final_answer(text).replace("\n", "")


def change_background(ctx: BrickContext, image: np.ndarray, mask: np.ndarray, prompt: str) -> dict:
    check_mask_size(image, mask, "FLUX-CBG")
    scene = " ".join(str(prompt or "").split())
    if not scene:
        raise BrickError("FLUX-CBG needs a prompt describing the new background")
    soft = (255 - mask).astype(np.uint8)  # the foreground, as soft as the mask is
    foreground = binary(soft)
    background = binary(mask)
    if not foreground.any():
        raise BrickError("FLUX-CBG: the mask covers the whole image, so there is no foreground to keep")
    if not background.any():
        raise BrickError("FLUX-CBG: the mask is empty, so there is no background to change")
    manager = manager_for(ctx)
    settings = manager.settings
    height, width = image.shape[:2]
    original = np.ascontiguousarray(image[..., :3])
    grown = cv2.dilate(foreground, np.ones((15, 15), np.uint8))
    ctx.progress(0.02, "describing the new picture")
    description = describe(ctx, original, foreground, scene)
    text = scene + (", " + description if description else "")
    weight = (soft.astype(np.float64) / 255.0)[..., None]
    steps = [int(s) for s in settings.option(NAME, "steps", list(STEPS))][:PASSES]
    steps += [steps[-1]] * (PASSES - len(steps))
    guidance = float(settings.option(NAME, "guidance", GUIDANCE))
    denoise = float(settings.option(NAME, "denoise", DENOISE))
    seed = sampling_seed(ctx, settings, NAME)
    current = original
    with manager.use(model_key(settings, NAME), load_canny) as pipe:
        multiple = int(getattr(pipe, "vae_scale_factor", 8)) * 2
        size = working_size(width, height, int(settings.option(NAME, "resolution", 1024)), multiple)
        start_image = Image.fromarray(cv2.resize(original, size, interpolation=cv2.INTER_AREA))
        noise_mask = Image.fromarray(cv2.resize(background, size, interpolation=cv2.INTER_NEAREST), "L")
        for r in range(PASSES):
            ctx.raise_if_cancelled()
            control = control_image(current, foreground, grown, first=r == 0)
            control_pil = Image.fromarray(cv2.resize(control, size, interpolation=cv2.INTER_NEAREST))
            start, end = 0.05 + 0.9 * r / PASSES, 0.05 + 0.9 * (r + 1) / PASSES
            result = pipe(prompt=text, image=start_image, mask_image=noise_mask, control_image=control_pil,
                          height=size[1], width=size[0], strength=denoise, num_inference_steps=steps[r],
                          guidance_scale=guidance, generator=torch_generator(None if seed is None else int(seed) + r),
                          callback_on_step_end=step_callback(ctx, max(1, int(steps[r] * denoise)), start=start,
                                                             end=end, label=f"pass {r + 1}/{PASSES}"),
                          output_type="np")
            generated = np.clip(np.rint(np.asarray(result.images[0]) * 255.0), 0, 255).astype(np.uint8)
            generated = clean(ctx, generated, foreground)
            generated = cv2.resize(generated, (width, height))
            current = (generated * (1 - weight) + original * weight).astype(np.uint8)
    ctx.progress(1.0, "background changed")
    return {"image": np.dstack([current, image[..., 3]])}
