"""The editing engines: which diffusers pipeline each one is, its checkpoint, licence and VRAM need.

Light on purpose (no torch, no numpy): `models list`, `doctor` and the availability checks read it.
VRAM needs are estimates of the peak at 1024² per VRAM preset (weights of the resident components
plus activations); `bench/gpu/bench_engines.py` measures them on a card.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    INSTRUCT = "instruct"  # edits from an instruction and the whole image (FLUX.2 klein, Qwen-Image-Edit, Kontext)
    INPAINT = "inpaint"  # fills a mask from a description (FLUX.1 Fill, SD inpainting)


@dataclass(frozen=True)
class VramPreset:
    """How an engine is loaded: quantization of its big components and the offload mode."""

    name: str
    quantization: str  # a `models.quantization` value
    offload: str  # a `models.offload` value
    what: str


# Ordered from most to least memory.
VRAM_PRESETS: dict[str, VramPreset] = {
    "full": VramPreset("full", "none", "none", "bf16, everything on the card"),
    "standard": VramPreset("standard", "bnb-8bit", "model", "8-bit transformer and text encoder, model offload"),
    "low-vram": VramPreset("low-vram", "bnb-4bit", "model", "4-bit (nf4) transformer and text encoder, model offload"),
}


@dataclass(frozen=True)
class EngineSpec:
    name: str  # the `[models] engine` value
    model: str  # its checkpoint in known.KNOWN
    kind: Kind
    pipeline: str  # diffusers class for a whole-image edit
    inpaint_pipeline: str  # diffusers class for an edit confined to a mask (same components)
    what: str
    vram_gb: dict[str, float]  # VRAM preset name -> estimated peak at 1024²
    steps: int
    guidance: float
    resolution: int = 1024  # long side of the working image
    rank: int = 0  # auto's preference among engines that fit: lower is preferred

    def fits(self, free_gb: float) -> str | None:
        """The most generous VRAM preset that fits in `free_gb`, or None."""
        for preset in VRAM_PRESETS:
            need = self.vram_gb.get(preset)
            if need is not None and need <= free_gb:
                return preset
        return None


ENGINES: dict[str, EngineSpec] = {e.name: e for e in (
    EngineSpec("qwen-image-edit-plus", "qwen-image-edit-plus", Kind.INSTRUCT, "QwenImageEditPlusPipeline",
               "QwenImageEditInpaintPipeline", "Qwen-Image-Edit-2509 (20B MMDiT + Qwen2.5-VL 7B), several images",
               {"full": 58.0, "standard": 24.0, "low-vram": 14.0}, steps=40, guidance=4.0, rank=1),
    EngineSpec("qwen-image-edit", "qwen-image-edit", Kind.INSTRUCT, "QwenImageEditPipeline",
               "QwenImageEditInpaintPipeline", "Qwen-Image-Edit (20B MMDiT + Qwen2.5-VL 7B)",
               {"full": 58.0, "standard": 24.0, "low-vram": 14.0}, steps=40, guidance=4.0, rank=2),
    EngineSpec("flux2-klein-9b", "flux2-klein-9b", Kind.INSTRUCT, "Flux2KleinPipeline", "Flux2KleinInpaintPipeline",
               "FLUX.2 [klein] 9B (distilled, 4 steps; Qwen3 8B text encoder)",
               {"full": 36.0, "standard": 15.0, "low-vram": 10.0}, steps=4, guidance=1.0, rank=3),
    EngineSpec("flux2-klein-4b", "flux2-klein-4b", Kind.INSTRUCT, "Flux2KleinPipeline", "Flux2KleinInpaintPipeline",
               "FLUX.2 [klein] 4B (distilled, 4 steps; Qwen3 4B text encoder)",
               {"full": 17.0, "standard": 9.0, "low-vram": 6.0}, steps=4, guidance=1.0, rank=4),
    EngineSpec("flux1-kontext", "flux-kontext", Kind.INSTRUCT, "FluxKontextPipeline", "FluxKontextInpaintPipeline",
               "FLUX.1 Kontext [dev] (12B)", {"full": 34.0, "standard": 15.0, "low-vram": 10.0},
               steps=28, guidance=2.5, rank=5),
    EngineSpec("flux1-fill", "flux-fill", Kind.INPAINT, "FluxFillPipeline", "FluxFillPipeline",
               "FLUX.1 Fill [dev] (12B), the paper's base model", {"full": 34.0, "standard": 15.0, "low-vram": 10.0},
               steps=20, guidance=30.0, rank=6),
    EngineSpec("sd-inpaint", "sd-inpaint", Kind.INPAINT, "AutoPipelineForInpainting", "AutoPipelineForInpainting",
               "Stable Diffusion 1.5 inpainting (small cards)", {"full": 4.0, "standard": 3.0, "low-vram": 3.0},
               steps=30, guidance=7.5, resolution=512, rank=7),
)}

ENGINE_CHOICES = ("auto", *ENGINES)
LICENCE_CHOICES = ("any", "permissive")


def by_rank() -> list[EngineSpec]:
    return sorted(ENGINES.values(), key=lambda e: e.rank)
