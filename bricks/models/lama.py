"""FASTINPAINT with LaMa.

How it is loaded: the released big-lama is distributed (by the LaMa authors' successors, lama-cleaner
/ IOPaint, and mirrored on the hub as `fashn-ai/LaMa`) as a TorchScript export, `big-lama.pt`,
which `torch.jit.load` runs with no LaMa code installed: no maintained pip package provides LaMa's
own training code, and none is needed. Interface: image (1,3,H,W) in 0..1 and mask (1,1,H,W) in
{0,1}, sides multiples of 8; it returns the composited image in 0..1.

Only a crop around the (dilated) mask is inpainted, downscaled when large (LaMa is trained at 256-
512 px and generalises to about 2K), so the cost follows the hole. Pixels far from the mask keep
their exact bytes; alpha is never changed.

Score (the FASTINPAINT output, 0..1, higher = more plausible): the reference Lego-Edit demo judges a
LaMa fill by how far the fill's mean brightness is from the rest of the image ("gap", 0..255) and
sends FLUX-INPAINT a stronger denoise for a worse fill; here score = 1 - gap/100 (clipped), and 0
when the mask covers over 40 % of the image (the reference then regenerates fully).
"""

from __future__ import annotations

import cv2
import numpy as np

from lego_edit.bricks.imageops import check_mask_size
from lego_edit.bricks.models import manager_for
from lego_edit.bricks.models.imaging import binary, context_box, dilate, feather, paste
from lego_edit.bricks.models.loading import model_folder, model_key
from lego_edit.bricks.models.manager import ModelManager
from lego_edit.bricks.registry import BrickContext, BrickError, BrickUnavailable

NAME = "lama"
MULTIPLE = 8


def load(manager: ModelManager):
    import warnings

    import torch

    path = model_folder(manager.settings, NAME) / "big-lama.pt"
    try:
        with warnings.catch_warnings():  # TorchScript is deprecated upstream, but it is the released format
            warnings.simplefilter("ignore", DeprecationWarning)
            model = torch.jit.load(str(path), map_location="cpu")
    except RuntimeError as exc:
        raise BrickUnavailable(f"lama: {path} is not a TorchScript LaMa export ({exc}); "
                               "run `lego-edit models verify lama`") from exc
    model.eval()
    return model


def score_of(rgb: np.ndarray, hole: np.ndarray) -> float:
    inside = hole > 0
    if not inside.any() or inside.all():
        return 0.0
    if inside.mean() > 0.4:
        return 0.0
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gap = abs(float(gray[inside].mean()) - float(gray[~inside].mean()))
    return round(float(np.clip(1.0 - gap / 100.0, 0.0, 1.0)), 3)


def _pad(array: np.ndarray, multiple: int) -> np.ndarray:
    h, w = array.shape[:2]
    ph, pw = (-h) % multiple, (-w) % multiple
    if not (ph or pw):
        return array
    pads = ((0, ph), (0, pw)) + ((0, 0),) * (array.ndim - 2)
    return np.pad(array, pads, mode="symmetric")


def inpaint(ctx: BrickContext, image: np.ndarray, mask: np.ndarray) -> dict:
    import torch

    check_mask_size(image, mask, "FASTINPAINT")
    if not mask.any():
        raise BrickError("FASTINPAINT: the mask is empty, so there is nothing to remove")
    manager = manager_for(ctx)
    settings = manager.settings
    radius = int(settings.option(NAME, "dilate", max(3, round(max(image.shape[:2]) / 100))))
    hole = dilate(binary(mask), radius)
    box = context_box(hole, grow=1.0, min_side=256)
    x0, y0, x1, y1 = box
    rgb = np.ascontiguousarray(image[y0:y1, x0:x1, :3])
    hole_c = hole[y0:y1, x0:x1]
    long_side = int(settings.option(NAME, "max_side", 1024))
    scale = min(1.0, long_side / max(rgb.shape[:2]))
    work_rgb, work_hole = rgb, hole_c
    if scale < 1.0:
        size = (max(MULTIPLE, round(rgb.shape[1] * scale)), max(MULTIPLE, round(rgb.shape[0] * scale)))
        work_rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        work_hole = binary(cv2.resize(hole_c, size, interpolation=cv2.INTER_LINEAR), 0)
    h, w = work_rgb.shape[:2]
    ctx.raise_if_cancelled()
    ctx.progress(0.1, "LaMa")
    with manager.use(model_key(settings, NAME), load) as model:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        img_t = torch.from_numpy(_pad(work_rgb, MULTIPLE)).permute(2, 0, 1)[None].float().div(255).to(device)
        mask_t = torch.from_numpy((_pad(work_hole, MULTIPLE) > 0).astype(np.float32))[None, None].to(device)
        with torch.inference_mode():
            out = model(img_t, mask_t)
    result = (out[0, :, :h, :w].permute(1, 2, 0).float().clamp(0, 1).mul(255).round().byte().cpu().numpy())
    if scale < 1.0:
        result = cv2.resize(result, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_CUBIC)
    weight = np.maximum(feather(hole_c, max(1.0, radius / 2)), hole_c)
    filled = paste(image, result, weight, box)
    ctx.progress(1.0, "LaMa done")
    return {"image": filled, "score": score_of(filled[y0:y1, x0:x1, :3], hole_c)}
