"""SOS and MASK-SEG on the reference's own background-matting network (an ONNX graph run by onnxruntime).

The released checkpoint ships it as `CVSOS/20240410_mibg.onnx`. The pre- and post-processing are the
reference's, step for step: the image is resized bilinearly to 1024 x 1024 (torch `interpolate`,
no antialiasing) and truncated back to uint8, scaled to 0..1 and shifted by -0.5 (std 1); the
network's first output (1 x 1 x h x w) is resized bilinearly to the image's size, stretched so its
minimum is 0 and maximum 255 (truncated to uint8), and the mask is that map above 127. The reference
keeps its images in OpenCV's BGR order and feeds them to the network as they are, so the network
was run on BGR: the RGB here is reversed before it goes in. Transparent pixels are shown to the
network as white, as to every other segmenter here.

MASK-SEG segments the bounding box of the rough mask (of its pixels above 127, so a soft-edged
selection counts; the reference takes those at exactly 255), or the whole image when the rough mask
is empty, as in the reference, and pastes the result into an empty full-size mask: nothing outside
the box is ever masked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lego_edit.bricks.imageops import bbox, check_mask_size, cutout
from lego_edit.bricks.models import manager_for
from lego_edit.bricks.models.imaging import binary
from lego_edit.bricks.models.loading import model_folder, model_key
from lego_edit.bricks.models.manager import ModelManager
from lego_edit.bricks.registry import BrickContext, BrickError, BrickUnavailable

NAME = "mibg-matting"
ONNX_FILE = "CVSOS/20240410_mibg.onnx"
INPUT_NAME = "input"
INPUT_SIZE = (1024, 1024)  # (height, width) the network sees
THRESHOLD = 127  # the mask is the stretched map above this


class Matting:
    """One onnxruntime session on the matting graph (no torch module: the manager sizes it at zero)."""

    def __init__(self, path: str | Path, device: str = "cpu") -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise BrickUnavailable(f"{NAME}: onnxruntime is not installed ({exc}); pip install 'lego-edit[onnx]'") from exc
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        available = ort.get_available_providers()
        providers = ["CPUExecutionProvider"]
        if device.startswith("cuda") and "CUDAExecutionProvider" in available:
            providers.insert(0, "CUDAExecutionProvider")
        try:
            self.session = ort.InferenceSession(str(path), options, providers=providers)
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
            raise BrickUnavailable(f"{NAME}: cannot load {path} ({exc}); pull it again with "
                                   f"lego-edit models pull {NAME}") from exc
        self.path = str(path)

    def run(self, network_input: np.ndarray) -> np.ndarray:
        return np.asarray(self.session.run(None, {INPUT_NAME: network_input})[0], dtype=np.float32)


def preprocess(rgb: np.ndarray) -> np.ndarray:
    """The network's input (1 x 3 x 1024 x 1024 float32) from an H x W x 3 uint8 image, as the reference
    computes it (bilinear resize, uint8 truncation, /255, -0.5)."""
    import torch
    import torch.nn.functional as F

    bgr = np.ascontiguousarray(rgb[..., ::-1])
    tensor = torch.tensor(bgr, dtype=torch.float32).permute(2, 0, 1).unsqueeze(0)
    resized = F.interpolate(tensor, size=list(INPUT_SIZE), mode="bilinear").type(torch.uint8)
    return (torch.divide(resized, 255.0) - 0.5).numpy().astype(np.float32)


def postprocess(output: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The stretched 0..255 map (H x W uint8) at `size` (height, width) from the network's output."""
    import torch
    import torch.nn.functional as F

    result = torch.from_numpy(np.asarray(output, dtype=np.float32))
    if result.ndim != 4 or result.shape[0] != 1 or result.shape[1] != 1:
        raise BrickError(f"{NAME}: the network gave an output of shape {tuple(result.shape)}, not 1 x 1 x H x W")
    result = torch.squeeze(F.interpolate(result, size=list(size), mode="bilinear"), 0)
    top, bottom = torch.max(result), torch.min(result)
    if not bool(torch.isfinite(top)) or not bool(torch.isfinite(bottom)) or float(top) == float(bottom):
        raise BrickError(f"{NAME}: the network gave a flat map (no object told apart from the background)")
    result = (result - bottom) / (top - bottom)
    return np.squeeze((result * 255).permute(1, 2, 0).numpy().astype(np.uint8))


def _load(manager: ModelManager) -> Matting:
    folder = model_folder(manager.settings, NAME, (ONNX_FILE,))
    return Matting(folder / ONNX_FILE, manager.device)


def _check_image(image: Any, brick: str) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 4:
        raise BrickError(f"{brick}: the image must be an RGBA uint8 array")
    if min(image.shape[:2]) < 2:
        raise BrickError(f"{brick}: the image is too small ({image.shape[1]}x{image.shape[0]}) to segment")
    return image


def _network_rgb(image: np.ndarray) -> np.ndarray:
    rgb = np.ascontiguousarray(image[..., :3]).copy()
    rgb[image[..., 3] == 0] = 255
    return rgb


def matte(ctx: BrickContext, image: np.ndarray) -> np.ndarray:
    """The reference's hard mask (0/255, the image's size) of the main object of `image` (RGBA)."""
    manager = manager_for(ctx)
    rgb = _network_rgb(image)
    with manager.use(model_key(manager.settings, NAME), _load) as net:
        stretched = postprocess(net.run(preprocess(rgb)), rgb.shape[:2])
    return binary(stretched, THRESHOLD)


def sos(ctx: BrickContext, image: np.ndarray) -> dict:
    image = _check_image(image, "SOS")
    ctx.progress(0.1, "matting")
    mask = matte(ctx, image)
    if not mask.any():
        raise BrickError("SOS: the matting network found no main object")
    return {"mask": mask, "image": cutout(image, mask)}


def mask_seg(ctx: BrickContext, image: np.ndarray, mask: np.ndarray) -> dict:
    image = _check_image(image, "MASK-SEG")
    if not isinstance(mask, np.ndarray) or mask.ndim != 2:
        raise BrickError("MASK-SEG: the rough mask must be a single-channel array")
    check_mask_size(image, mask, "MASK-SEG")
    box = bbox(binary(mask)) or (0, 0, image.shape[1], image.shape[0])
    x0, y0, x1, y1 = box
    if min(x1 - x0, y1 - y0) < 2:
        raise BrickError(f"MASK-SEG: the rough mask's box ({x1 - x0}x{y1 - y0}) is too small to segment")
    ctx.progress(0.1, "matting inside the rough mask")
    inner = matte(ctx, np.ascontiguousarray(image[y0:y1, x0:x1]))
    full = np.zeros(image.shape[:2], np.uint8)
    full[y0:y1, x0:x1] = inner
    if not full.any():
        raise BrickError("MASK-SEG: the matting network found no object inside the rough mask")
    return {"mask": full, "image": cutout(image, full)}
