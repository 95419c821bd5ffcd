"""The built-in bricks: the catalog's declarations (catalog.py) wired to their backends.

`builtin_bricks(settings)` builds them, fresh on each call: for each brick its model backends
(bricks/models/backends.py, in their order of preference) and then its classical backend from the
table below. Nothing is attached at import; importing this package or the catalog costs no numpy.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lego_edit.bricks.registry import Backend, Brick

if TYPE_CHECKING:
    from lego_edit.bricks.models.settings import ModelSettings


@dataclass(frozen=True)
class ClassicalBackendSpec:
    brick: str
    name: str
    target: str  # "module:function" inside bricks.builtin
    notes: str = ""


# The classical backends: what runs with no model weights. Each is the last resort of its brick.
CLASSICAL: tuple[ClassicalBackendSpec, ...] = (
    ClassicalBackendSpec("RES", "rules", "segment:segment_by_rules"),
    ClassicalBackendSpec("SOS", "opencv", "segment:salient_object"),
    ClassicalBackendSpec("MASK-SEG", "opencv", "segment:segment_in_mask"),
    ClassicalBackendSpec("ADD-PRED", "opencv", "segment:place_in_mask"),
    ClassicalBackendSpec("CMI-PRED", "opencv", "canvas:caption_and_expand",
                         notes="rough caption from colour statistics; canvas expansion is exact"),
    ClassicalBackendSpec("BBOX", "numpy", "masks:bbox"),
    ClassicalBackendSpec("INVERSE", "numpy", "masks:inverse"),
    ClassicalBackendSpec("COMPOSE", "numpy", "masks:compose"),
    ClassicalBackendSpec("RESIZE", "opencv", "masks:resize"),
    ClassicalBackendSpec("FASTINPAINT", "opencv", "inpaint:fast_inpaint"),
    ClassicalBackendSpec("FLUX-INPAINT", "grain-match", "refine:grain_match"),
    ClassicalBackendSpec("FLUX-RCM", "opencv", "color:recolour"),
    ClassicalBackendSpec("FLUX-CBG", "opencv", "color:change_background"),
    ClassicalBackendSpec("FLUX-STYLE", "opencv", "style:stylize"),
    ClassicalBackendSpec("FLUX-ENV", "opencv", "color:environment"),
    ClassicalBackendSpec("FLUX-BRIGHT", "opencv", "color:brightness"),
    ClassicalBackendSpec("CONTRAST", "opencv", "tone:contrast"),
    ClassicalBackendSpec("SATURATION", "opencv", "tone:saturation"),
    ClassicalBackendSpec("TEMPERATURE", "opencv", "tone:temperature"),
    ClassicalBackendSpec("WHITE-BALANCE", "opencv", "tone:white_balance", notes="grey-world / white-patch"),
    ClassicalBackendSpec("TINT", "opencv", "tone:tint", notes="photo filter, luminosity kept"),
    ClassicalBackendSpec("EXPOSURE", "numpy", "tone:exposure"),
    ClassicalBackendSpec("SHADOWS-HIGHLIGHTS", "opencv", "tone:shadows_highlights"),
    ClassicalBackendSpec("VIGNETTE", "numpy", "tone:vignette"),
    ClassicalBackendSpec("AUTO-LEVELS", "opencv", "tone:auto_levels", notes="percentile stretch / CLAHE"),
    ClassicalBackendSpec("SHARPEN", "opencv", "restore:sharpen"),
    ClassicalBackendSpec("SMOOTH", "opencv", "restore:smooth", notes="bilateral filter"),
    ClassicalBackendSpec("DENOISE", "opencv", "restore:denoise", notes="non-local means"),
    ClassicalBackendSpec("DEHAZE", "opencv", "restore:dehaze", notes="dark-channel prior"),
    ClassicalBackendSpec("BLUR", "opencv", "restore:blur"),
    ClassicalBackendSpec("PIXELATE", "opencv", "restore:pixelate", notes="block means, hard-edged over the mask"),
    ClassicalBackendSpec("UPSCALE", "opencv", "restore:upscale", notes="anti-ringing Lanczos; adds no detail"),
    ClassicalBackendSpec("DESCRATCH", "opencv", "repair:descratch", notes="morphological top-hats, Telea inpainting"),
    ClassicalBackendSpec("RED-EYE", "opencv", "repair:red_eye"),
    ClassicalBackendSpec("CROP", "numpy", "geometry:crop"),
    ClassicalBackendSpec("ROTATE", "opencv", "geometry:rotate"),
    ClassicalBackendSpec("FLIP", "numpy", "geometry:flip"),
    ClassicalBackendSpec("STRAIGHTEN", "opencv", "geometry:straighten", notes="line segment detector"),
    ClassicalBackendSpec("TRIM", "numpy", "geometry:trim"),
    ClassicalBackendSpec("CROP-EDGES", "numpy", "geometry:crop_edges"),
    ClassicalBackendSpec("CROP-TO", "numpy", "geometry:crop_to"),
    ClassicalBackendSpec("SCALE", "opencv", "geometry:scale", notes="area / Lanczos on premultiplied alpha"),
    ClassicalBackendSpec("GROW-MASK", "opencv", "masks:grow_mask"),
)


def classical_backends(brick: str) -> list[Backend]:
    """The classical backends of one brick, as new Backend objects."""
    backends = []
    for spec in CLASSICAL:
        if spec.brick == brick:
            module_name, function = spec.target.split(":")
            module = importlib.import_module(f"{__name__}.{module_name}")
            backends.append(Backend(name=spec.name, fn=getattr(module, function), notes=spec.notes))
    return backends


def builtin_bricks(settings: ModelSettings | None = None) -> tuple[Brick, ...]:
    """The built-in bricks, new objects on each call, each with its backends: model ones first, then
    classical. `settings` are the model settings the model backends' availability checks read; None
    follows the process-wide ones (`lego_edit.bricks.models.configure`)."""
    from lego_edit.bricks.builtin.catalog import ALL
    from lego_edit.bricks.models.backends import model_backends

    return tuple(Brick.from_spec(spec, [*model_backends(spec.name, settings), *classical_backends(spec.name)])
                 for spec in ALL)
