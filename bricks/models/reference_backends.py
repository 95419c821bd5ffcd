"""The reference implementation's own models: their backends and their catalogue entries.

All but FLUX.1 Canny come from the released repository xiaomi-research/lego-edit (models under
CC BY-NC 4.0; its code is Apache-2.0): `CVSOS/20240410_mibg.onnx` (background matting, SOS and
MASK-SEG), `mimo_lora/` (a LoRA on the `Builder/` checkpoint: ADD-PRED's box and CMI-PRED's caption),
`CVRES/` (EVF-SAM, RES). The reference's FLUX-CBG runs FLUX.1 Canny [dev] with the matting network
and LaMa cleaning each pass. EVF-SAM is listed but not loaded: it is custom code (an EfficientViT-SAM
image encoder and a BEiT-3 text-image encoder from torchscale) that neither transformers nor
diffusers can build from its config.

`REFERENCE_BACKENDS` slot into the backend list next to the substitutes (they name the same
bricks); `REFERENCE_MODELS` are the catalogue entries their `models` names refer to.
"""

from __future__ import annotations

from lego_edit.bricks.models.backends import DIFFUSERS, TRANSFORMERS, ModelBackendSpec
from lego_edit.bricks.models.known import BFL_DEV, CC_BY_NC, ModelSpec, Required

ONNX_FILE = "CVSOS/20240410_mibg.onnx"  # also in matting.py (kept light: no import of it here)
BUILDER_FILES = ("Builder/config.json",)
LORA_FILES = ("mimo_lora/adapter_config.json", "mimo_lora/adapter_model.safetensors")


def _diffusers(*components: str) -> Required:
    files: list[str | tuple[str, ...]] = ["model_index.json", "scheduler/scheduler_config.json"]
    for c in components:
        weights = "model" if c.startswith("text_encoder") else "diffusion_pytorch_model"
        files += [f"{c}/config.json", (f"{c}/{weights}.safetensors.index.json", f"{c}/{weights}.safetensors")]
    return (*files, "tokenizer/tokenizer_config.json", "tokenizer_2/tokenizer_config.json")


FLUX_FOLDERS = ("transformer", "text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "vae")

REFERENCE_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec("mibg-matting", "xiaomi-research/lego-edit",
              "the reference's background-matting network (ONNX, onnxruntime): SOS and MASK-SEG", *CC_BY_NC, 0.2,
              (ONNX_FILE,), allow_patterns=("CVSOS/*",), commercial=False, bricks=("SOS", "MASK-SEG", "FLUX-CBG")),
    ModelSpec("mimo-lora", "xiaomi-research/lego-edit",
              "the Builder's mimo_lora adapter (PEFT; needs `builder`): ADD-PRED's box predictor and CMI-PRED's "
              "captioner", *CC_BY_NC, 0.3, LORA_FILES, allow_patterns=("mimo_lora/*",), commercial=False,
              bricks=("ADD-PRED", "CMI-PRED")),
    ModelSpec("flux-canny", "black-forest-labs/FLUX.1-Canny-dev",
              "FLUX.1 Canny [dev] (diffusers layout): the reference's FLUX-CBG, edges of the foreground kept",
              *BFL_DEV, 34.0, _diffusers("transformer", "text_encoder", "text_encoder_2", "vae"),
              allow_patterns=("model_index.json", "scheduler/*", *(f"{f}/*" for f in FLUX_FOLDERS)), gated=True,
              commercial=False, bricks=("FLUX-CBG",)),
    ModelSpec("evf-sam", "xiaomi-research/lego-edit",
              "EVF-SAM (EfficientViT-SAM + BEiT-3), the reference's RES (CVRES/): custom code, not loaded here",
              *CC_BY_NC, 0.9, ("CVRES/config.json",), allow_patterns=("CVRES/*",), commercial=False, bricks=("RES",),
              wired=False),
)

REFERENCE_BACKENDS: tuple[ModelBackendSpec, ...] = (
    ModelBackendSpec("SOS", "mibg-matting", "matting:sos", ("mibg-matting",), ("onnxruntime", "torch"),
                     {"mibg-matting": (ONNX_FILE,)}, notes="the reference's ONNX matting network"),
    ModelBackendSpec("MASK-SEG", "mibg-matting", "matting:mask_seg", ("mibg-matting",), ("onnxruntime", "torch"),
                     {"mibg-matting": (ONNX_FILE,)},
                     notes="the reference's ONNX matting network on the rough mask's box"),
    ModelBackendSpec("ADD-PRED", "mimo-lora", "mimo:add_pred", ("builder", "mimo-lora"), (*TRANSFORMERS, "peft"),
                     {"builder": BUILDER_FILES, "mimo-lora": LORA_FILES},
                     notes="the Builder with its mimo_lora adapter predicts the box (768 px)"),
    ModelBackendSpec("CMI-PRED", "mimo-lora", "mimo:caption_and_expand", ("builder", "mimo-lora"),
                     (*TRANSFORMERS, "peft"), {"builder": BUILDER_FILES, "mimo-lora": LORA_FILES},
                     notes="the Builder with its mimo_lora adapter captions (448 px), the reference's canvas"),
    ModelBackendSpec("FLUX-CBG", "flux-canny", "canny_cbg:change_background", ("flux-canny", "mibg-matting", "lama"),
                     (*DIFFUSERS, "onnxruntime"), {"mibg-matting": (ONNX_FILE,)}, needs_gpu=True, stochastic=True,
                     notes="FLUX.1 Canny on the foreground's edges, three passes, each cleaned (matting + LaMa) "
                           "with the original foreground put back"),
)
