"""RES, SOS and MASK-SEG with models: Grounding DINO + SAM, CLIPSeg, and SAM inside a rough mask.

Why these: Grounding DINO (boxes for a phrase) and SAM (a mask from a box) are transformers-native,
Apache-2.0 and small (0.7 + 0.4 GB). The reference's salient-object model (MIRMBG) is not public;
BiRefNet and RMBG ship their architecture only as hub "remote code" (trust_remote_code), which this
project does not run — so SOS asks Grounding DINO for the main object and lets SAM draw it, and
MASK-SEG (the object inside a rough mask) is SAM prompted with the mask's box and an interior point,
which is exactly what SAM is trained for. CLIPSeg is the light RES option for small cards.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from lego_edit.bricks.imageops import bbox, check_mask_size, cutout
from lego_edit.bricks.models import manager_for
from lego_edit.bricks.models.imaging import binary, dilate, rgb_pil, smooth_mask
from lego_edit.bricks.models.loading import model_device, model_key, transformers_loader
from lego_edit.bricks.registry import BrickContext, BrickError

DINO = "grounding-dino"
SAM = "sam"
CLIPSEG = "clipseg"


def _dino_text(prompt: str) -> str:
    """Grounding DINO wants lower-case phrases, each ending with a full stop."""
    text = " ".join(prompt.lower().split()).strip(" .")
    if not text:
        raise BrickError("RES needs a prompt naming the object")
    return text + "."


def detect(ctx: BrickContext, image: np.ndarray, prompt: str) -> list[tuple[list[float], float]]:
    """Boxes (x0, y0, x1, y1 in pixels) with scores for the phrase, best first."""
    import torch

    manager = manager_for(ctx)
    settings = manager.settings
    loader = transformers_loader(DINO, "AutoModelForZeroShotObjectDetection")
    pil = rgb_pil(image)
    with manager.use(model_key(settings, DINO), loader) as dino:
        inputs = dino.processor(images=pil, text=_dino_text(prompt), return_tensors="pt").to(model_device(dino.model))
        with torch.inference_mode():
            outputs = dino.model(**inputs)
        result = dino.processor.post_process_grounded_object_detection(
            outputs, inputs["input_ids"], threshold=float(settings.option(DINO, "box_threshold", 0.3)),
            text_threshold=float(settings.option(DINO, "text_threshold", 0.25)),
            target_sizes=[(image.shape[0], image.shape[1])])[0]
    found = [(box, float(score)) for box, score in zip(result["boxes"].cpu().tolist(), result["scores"].cpu().tolist(), strict=True)]
    return sorted(found, key=lambda item: -item[1])


def sam_masks(ctx: BrickContext, image: np.ndarray, boxes: list[list[float]],
              point: tuple[int, int] | None = None, multimask: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """SAM masks (n, k, H, W bool, full size) and their predicted IoU (n, k) for box prompts."""
    import torch

    manager = manager_for(ctx)
    loader = transformers_loader(SAM, "SamModel", "SamProcessor")
    kwargs: dict[str, Any] = {"input_boxes": [[[float(v) for v in b] for b in boxes]]}
    if point is not None:
        kwargs["input_points"] = [[[[float(point[0]), float(point[1])]]]]
        kwargs["input_labels"] = [[[1]]]
    with manager.use(model_key(manager.settings, SAM), loader) as sam:
        inputs = sam.processor(images=rgb_pil(image), return_tensors="pt", **kwargs)
        sizes = (inputs.pop("original_sizes"), inputs.pop("reshaped_input_sizes"))
        with torch.inference_mode():
            outputs = sam.model(**inputs.to(model_device(sam.model)), multimask_output=multimask)
        post = getattr(sam.processor, "post_process_masks", None) or sam.processor.image_processor.post_process_masks
        masks = post(outputs.pred_masks.float().cpu(), sizes[0].cpu(), sizes[1].cpu())[0]
    return masks.numpy().astype(bool), outputs.iou_scores[0].float().cpu().numpy()


def _as_mask(hard: np.ndarray) -> np.ndarray:
    return smooth_mask(hard.astype(np.float32), 0.5)


def res_grounded_sam(ctx: BrickContext, image: np.ndarray, prompt: str) -> dict:
    ctx.progress(0.05, "Grounding DINO")
    found = detect(ctx, image, prompt)
    if not found:
        raise BrickError(f"RES: Grounding DINO found no {prompt!r} in the image")
    ctx.raise_if_cancelled()
    best = found[0][1]
    # several instances ("the dogs") come back as several confident boxes; weak extras are noise
    boxes = [box for box, score in found if score >= 0.75 * best][:8]
    ctx.progress(0.5, "SAM")
    masks, _ = sam_masks(ctx, image, boxes)
    mask = _as_mask(np.asarray(masks[:, 0].any(axis=0)))
    if not mask.any():
        raise BrickError(f"RES: SAM drew an empty mask for {prompt!r}")
    return {"mask": mask, "image": cutout(image, mask)}


def _salience(box: list[float], score: float, shape: tuple[int, ...]) -> float:
    """Detection score weighted to prefer large, central boxes (what "the main object" means)."""
    h, w = shape[:2]
    x0, y0, x1, y1 = box
    area = max(0.0, (x1 - x0) * (y1 - y0)) / float(w * h)
    if area > 0.95:  # the whole frame is not an object
        return 0.0
    cx, cy = (x0 + x1) / 2 / w - 0.5, (y0 + y1) / 2 / h - 0.5
    centrality = 1.0 - min(1.0, 2 * (cx * cx + cy * cy) ** 0.5)
    return score * (0.5 + 0.5 * centrality) * (area ** 0.25)


def sos_grounded_sam(ctx: BrickContext, image: np.ndarray) -> dict:
    settings = manager_for(ctx).settings
    prompt = str(settings.option(DINO, "salient_prompt", "the main object"))
    ctx.progress(0.05, "Grounding DINO")
    found = detect(ctx, image, prompt)
    ranked = sorted(((_salience(b, s, image.shape), b) for b, s in found), key=lambda t: -t[0])
    if not ranked or ranked[0][0] <= 0:
        raise BrickError("SOS: no salient object found in the image")
    ctx.raise_if_cancelled()
    ctx.progress(0.5, "SAM")
    masks, _ = sam_masks(ctx, image, [ranked[0][1]])
    mask = _as_mask(masks[0, 0])
    if not mask.any():
        raise BrickError("SOS: SAM drew an empty mask for the main object")
    return {"mask": mask, "image": cutout(image, mask)}


def mask_seg_sam(ctx: BrickContext, image: np.ndarray, mask: np.ndarray) -> dict:
    check_mask_size(image, mask, "MASK-SEG")
    rough = binary(mask)
    box = bbox(rough)
    if box is None:
        raise BrickError("MASK-SEG: the rough mask is empty")
    distance = cv2.distanceTransform(rough, cv2.DIST_L2, 5)
    y, x = np.unravel_index(int(np.argmax(distance)), distance.shape)  # the most interior point
    ctx.progress(0.1, "SAM")
    masks, scores = sam_masks(ctx, image, [list(box)], point=(int(x), int(y)), multimask=True)
    allowed = dilate(rough, max(2, int(0.02 * float(np.hypot(*mask.shape))))) > 0
    best, best_score = None, 0.0
    for candidate, score in zip(masks[0], scores[0], strict=True):
        area = candidate.sum()
        inside = (candidate & allowed).sum() / area if area else 0.0
        if inside * float(score) > best_score:  # the object lies inside the rough mask
            best, best_score = candidate, inside * float(score)
    if best is None or not (best & allowed).any():
        raise BrickError("MASK-SEG: SAM found no object inside the rough mask")
    refined = _as_mask(best & allowed)
    return {"mask": refined, "image": cutout(image, refined)}


def res_clipseg(ctx: BrickContext, image: np.ndarray, prompt: str) -> dict:
    import torch

    manager = manager_for(ctx)
    loader = transformers_loader(CLIPSEG, "CLIPSegForImageSegmentation", "CLIPSegProcessor")
    text = " ".join(prompt.split())
    if not text:
        raise BrickError("RES needs a prompt naming the object")
    ctx.progress(0.1, "CLIPSeg")
    with manager.use(model_key(manager.settings, CLIPSEG), loader) as clipseg:
        inputs = clipseg.processor(text=[text], images=[rgb_pil(image)], padding=True, return_tensors="pt")
        with torch.inference_mode():
            logits = clipseg.model(**inputs.to(model_device(clipseg.model))).logits
    prob = torch.sigmoid(logits.float()).reshape(logits.shape[-2:]).cpu().numpy()
    prob = cv2.resize(prob, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR)
    threshold = float(manager.settings.option(CLIPSEG, "threshold", 0.4))
    mask = smooth_mask(prob, threshold)
    if not mask.any():
        raise BrickError(f"RES: CLIPSeg found no {prompt!r} in the image (threshold {threshold})")
    return {"mask": mask, "image": cutout(image, mask)}
