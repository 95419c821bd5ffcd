"""The checkpoints Lego Edit knows: where each comes from, what it weighs, its licence, which bricks use it.

A model's `required` files decide whether it counts as present (see `locate.py`); an entry that is
a tuple is satisfied by any one of its alternatives (a sharded checkpoint's index, or one file).
Names are what `lego-edit models pull NAME` takes; a bundle (e.g. `grounded-sam`) names several.
"""

from __future__ import annotations

from dataclasses import dataclass

Required = tuple[str | tuple[str, ...], ...]

APACHE = ("Apache-2.0", "https://www.apache.org/licenses/LICENSE-2.0")
CC_BY_NC = ("CC BY-NC 4.0 (non-commercial)", "https://creativecommons.org/licenses/by-nc/4.0/")


@dataclass(frozen=True)
class ModelSpec:
    name: str
    repo_id: str
    what: str
    licence: str
    licence_url: str
    size_gb: float  # approximate download size
    required: Required
    allow_patterns: tuple[str, ...] | None = None  # None: the whole repository
    gated: bool = False  # the hub asks the user to accept the licence first
    commercial: bool = True
    revision: str | None = None  # None: the repository's default branch
    bricks: tuple[str, ...] = ()
    wired: bool = True  # False: listed (the reference uses it) but no backend loads it yet


    @property
    def hub_page(self) -> str:
        return f"https://huggingface.co/{self.repo_id}"


PROCESSOR = ("preprocessor_config.json", "processor_config.json")  # transformers 5 saves the latter


BFL_DEV = ("FLUX.1 [dev] Non-Commercial License",
           "https://huggingface.co/black-forest-labs/FLUX.1-dev/blob/main/LICENSE.md")
EDIT_BRICKS = ("EDIT", "FLUX-RCM", "FLUX-STYLE", "FLUX-ENV", "FLUX-POSE", "FLUX-FILL", "FLUX-INPAINT", "FLUX-CBG")


def _diffusers_files(*components: str) -> Required:
    """What makes a diffusers snapshot present: its index and each component's config and weights."""
    files: list[str | tuple[str, ...]] = ["model_index.json", "scheduler/scheduler_config.json"]
    for c in components:
        weights = "model" if c.startswith("text_encoder") else "diffusion_pytorch_model"
        files += [f"{c}/config.json", (f"{c}/{weights}.safetensors.index.json", f"{c}/{weights}.safetensors")]
    return tuple(files)


def _diffusers_patterns(*folders: str) -> tuple[str, ...]:
    return ("model_index.json", "scheduler/*", *(f"{f}/*" for f in folders))


def _transformers_files(*extra: str | tuple[str, ...]) -> Required:
    return ("config.json", ("model.safetensors.index.json", "model.safetensors", "pytorch_model.bin"), *extra)


SPECS: tuple[ModelSpec, ...] = (
    ModelSpec("grounding-dino", "IDEA-Research/grounding-dino-tiny", "Grounding DINO (tiny): boxes for a text prompt",
              *APACHE, 0.7, _transformers_files(PROCESSOR, "tokenizer_config.json"),
              allow_patterns=("*.json", "*.txt", "model.safetensors"), bricks=("RES", "SOS")),
    ModelSpec("sam", "facebook/sam-vit-base", "Segment Anything (ViT-B): masks from boxes and points",
              *APACHE, 0.4, _transformers_files(PROCESSOR),
              allow_patterns=("*.json", "model.safetensors"), bricks=("RES", "SOS", "MASK-SEG")),
    ModelSpec("clipseg", "CIDAS/clipseg-rd64-refined", "CLIPSeg: light text-prompted segmentation for small cards",
              *APACHE, 0.6, _transformers_files(PROCESSOR, "tokenizer_config.json"),
              allow_patterns=("*.json", "*.txt", "*.safetensors", "pytorch_model.bin"), bricks=("RES",)),
    ModelSpec("lama", "fashn-ai/LaMa", "LaMa (big-lama, TorchScript export): fast object removal",
              "Apache-2.0 (LaMa, advimman/lama)", "https://github.com/advimman/lama/blob/main/LICENSE", 0.2,
              ("big-lama.pt",), allow_patterns=("big-lama.pt",), bricks=("FASTINPAINT",)),
    ModelSpec("flux-fill", "black-forest-labs/FLUX.1-Fill-dev", "FLUX.1 Fill [dev] (diffusers layout)",
              "FLUX.1 [dev] Non-Commercial License",
              "https://huggingface.co/black-forest-labs/FLUX.1-Fill-dev/blob/main/LICENSE.md", 33.0,
              ("model_index.json", "scheduler/scheduler_config.json", "transformer/config.json",
               ("transformer/diffusion_pytorch_model.safetensors.index.json", "transformer/diffusion_pytorch_model.safetensors"),
               "text_encoder/config.json", ("text_encoder/model.safetensors", "text_encoder/model.safetensors.index.json"),
               "text_encoder_2/config.json", ("text_encoder_2/model.safetensors.index.json", "text_encoder_2/model.safetensors"),
               "vae/config.json", "vae/diffusion_pytorch_model.safetensors",
               "tokenizer/tokenizer_config.json", "tokenizer_2/tokenizer_config.json"),
              allow_patterns=("model_index.json", "scheduler/*", "transformer/*", "text_encoder/*", "text_encoder_2/*",
                              "tokenizer/*", "tokenizer_2/*", "vae/*"),
              gated=True, commercial=False,
              bricks=("FLUX-INPAINT", "FLUX-FILL", "FLUX-CBG", "FLUX-RCM", "FLUX-STYLE", "FLUX-ENV", "FLUX-POSE")),
    ModelSpec("lego-loras", "xiaomi-research/lego-edit", "Lego-Edit task LoRAs for FLUX.1 Fill (ICEdit method, 768 px)",
              *CC_BY_NC, 1.5,
              ("loras/mat768.safetensors", "loras/style768.safetensors", "loras/env768.safetensors",
               "loras/pose768.safetensors"),
              allow_patterns=("loras/*",), commercial=False,
              bricks=("FLUX-RCM", "FLUX-STYLE", "FLUX-ENV", "FLUX-POSE", "FLUX-INPAINT")),
    ModelSpec("sd-inpaint", "stable-diffusion-v1-5/stable-diffusion-inpainting",
              "Stable Diffusion 1.5 inpainting (fp16; an SDXL inpainting repo can replace it in paths)",
              "CreativeML OpenRAIL-M", "https://huggingface.co/spaces/CompVis/stable-diffusion-license", 2.1,
              ("model_index.json", "scheduler/scheduler_config.json", "unet/config.json",
               ("unet/diffusion_pytorch_model.fp16.safetensors", "unet/diffusion_pytorch_model.safetensors"),
               "vae/config.json", ("vae/diffusion_pytorch_model.fp16.safetensors", "vae/diffusion_pytorch_model.safetensors"),
               "text_encoder/config.json", ("text_encoder/model.fp16.safetensors", "text_encoder/model.safetensors"),
               "tokenizer/tokenizer_config.json"),
              allow_patterns=("model_index.json", "scheduler/*", "tokenizer/*", "unet/config.json", "vae/config.json",
                              "text_encoder/config.json", "unet/*.fp16.safetensors", "vae/*.fp16.safetensors",
                              "text_encoder/*.fp16.safetensors"),
              bricks=("FLUX-INPAINT", "FLUX-FILL", "FLUX-CBG")),
    ModelSpec("sd-upscaler", "stabilityai/stable-diffusion-x4-upscaler",
              "Stable Diffusion x4 upscaler: 4x enlargement that invents plausible detail (UPSCALE)",
              "CreativeML OpenRAIL++-M",
              "https://huggingface.co/stabilityai/stable-diffusion-x4-upscaler/blob/main/LICENSE.md", 3.5,
              ("model_index.json", "scheduler/scheduler_config.json", "low_res_scheduler/scheduler_config.json",
               "unet/config.json", ("unet/diffusion_pytorch_model.fp16.safetensors", "unet/diffusion_pytorch_model.safetensors"),
               "vae/config.json", ("vae/diffusion_pytorch_model.fp16.safetensors", "vae/diffusion_pytorch_model.safetensors"),
               "text_encoder/config.json", ("text_encoder/model.fp16.safetensors", "text_encoder/model.safetensors"),
               "tokenizer/tokenizer_config.json"),
              # full precision: the repository's half-precision weights have lived on a separate `fp16` branch
              allow_patterns=("model_index.json", "scheduler/*", "low_res_scheduler/*", "tokenizer/*", "unet/config.json",
                              "vae/config.json", "text_encoder/config.json", "unet/diffusion_pytorch_model.safetensors",
                              "vae/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors"),
              bricks=("UPSCALE",)),
    ModelSpec("captioner", "Salesforce/blip-image-captioning-base", "BLIP captioner (base)",
              "BSD-3-Clause", "https://opensource.org/license/bsd-3-clause", 1.0,
              _transformers_files(PROCESSOR, "tokenizer_config.json"),
              allow_patterns=("*.json", "*.txt", "model.safetensors"), bricks=("CMI-PRED",)),
    ModelSpec("vlm", "Qwen/Qwen2.5-VL-3B-Instruct", "Qwen2.5-VL 3B: where a new object should go (ADD-PRED)",
              "Qwen Research License (non-commercial; the 7B model is Apache-2.0)",
              "https://huggingface.co/Qwen/Qwen2.5-VL-3B-Instruct/blob/main/LICENSE", 7.5,
              _transformers_files(PROCESSOR, "tokenizer_config.json"),
              allow_patterns=("*.json", "*.txt", "*.safetensors", "merges.txt", "vocab.json"), commercial=False,
              bricks=("ADD-PRED",)),
    ModelSpec("flux2-klein-4b", "black-forest-labs/FLUX.2-klein-4B",
              "FLUX.2 [klein] 4B: instruction editing in 4 steps (Qwen3 4B text encoder)", *APACHE, 16.0,
              (*_diffusers_files("transformer", "text_encoder", "vae"), "tokenizer/tokenizer_config.json"),
              allow_patterns=_diffusers_patterns("transformer", "text_encoder", "tokenizer", "vae"), bricks=EDIT_BRICKS),
    ModelSpec("flux2-klein-9b", "black-forest-labs/FLUX.2-klein-9B",
              "FLUX.2 [klein] 9B: instruction editing in 4 steps (Qwen3 8B text encoder)",
              "FLUX [dev] Non-Commercial License (FLUX.2 klein 9B)",
              "https://huggingface.co/black-forest-labs/FLUX.2-klein-9B/blob/main/LICENSE.md", 35.0,
              (*_diffusers_files("transformer", "text_encoder", "vae"), "tokenizer/tokenizer_config.json"),
              allow_patterns=_diffusers_patterns("transformer", "text_encoder", "tokenizer", "vae"), gated=True,
              commercial=False, bricks=EDIT_BRICKS),
    ModelSpec("qwen-image-edit", "Qwen/Qwen-Image-Edit", "Qwen-Image-Edit: 20B instruction editing (Qwen2.5-VL 7B)",
              *APACHE, 58.0,
              (*_diffusers_files("transformer", "text_encoder", "vae"), "tokenizer/tokenizer_config.json",
               ("processor/preprocessor_config.json", "processor/processor_config.json")),
              allow_patterns=_diffusers_patterns("transformer", "text_encoder", "tokenizer", "processor", "vae"),
              bricks=EDIT_BRICKS),
    ModelSpec("qwen-image-edit-plus", "Qwen/Qwen-Image-Edit-2509",
              "Qwen-Image-Edit-2509 (Plus): 20B instruction editing, several input images", *APACHE, 58.0,
              (*_diffusers_files("transformer", "text_encoder", "vae"), "tokenizer/tokenizer_config.json",
               ("processor/preprocessor_config.json", "processor/processor_config.json")),
              allow_patterns=_diffusers_patterns("transformer", "text_encoder", "tokenizer", "processor", "vae"),
              bricks=EDIT_BRICKS),
    ModelSpec("flux-kontext", "black-forest-labs/FLUX.1-Kontext-dev", "FLUX.1 Kontext [dev]: 12B instruction editing",
              *BFL_DEV, 34.0,
              (*_diffusers_files("transformer", "text_encoder", "text_encoder_2", "vae"),
               "tokenizer/tokenizer_config.json", "tokenizer_2/tokenizer_config.json"),
              allow_patterns=_diffusers_patterns("transformer", "text_encoder", "text_encoder_2", "tokenizer",
                                                 "tokenizer_2", "vae"),
              gated=True, commercial=False, bricks=EDIT_BRICKS),
    # The reference implementation's own models (their backends: reference_backends.py). All but FLUX.1
    # Canny are in xiaomi-research/lego-edit; EVF-SAM is custom code no library here builds: not loaded.
    ModelSpec("mibg-matting", "xiaomi-research/lego-edit",
              "the reference's background-matting network (ONNX, onnxruntime): SOS and MASK-SEG", *CC_BY_NC, 0.2,
              ("CVSOS/20240410_mibg.onnx",), allow_patterns=("CVSOS/*",), commercial=False,
              bricks=("SOS", "MASK-SEG", "FLUX-CBG")),
    ModelSpec("mimo-lora", "xiaomi-research/lego-edit",
              "the Builder's mimo_lora adapter (PEFT; needs `builder`): ADD-PRED's box predictor and CMI-PRED's "
              "captioner", *CC_BY_NC, 0.3, ("mimo_lora/adapter_config.json", "mimo_lora/adapter_model.safetensors"),
              allow_patterns=("mimo_lora/*",), commercial=False, bricks=("ADD-PRED", "CMI-PRED")),
    ModelSpec("flux-canny", "black-forest-labs/FLUX.1-Canny-dev",
              "FLUX.1 Canny [dev] (diffusers layout): the reference's FLUX-CBG, edges of the foreground kept",
              *BFL_DEV, 34.0,
              (*_diffusers_files("transformer", "text_encoder", "text_encoder_2", "vae"),
               "tokenizer/tokenizer_config.json", "tokenizer_2/tokenizer_config.json"),
              allow_patterns=_diffusers_patterns("transformer", "text_encoder", "text_encoder_2", "tokenizer",
                                                 "tokenizer_2", "vae"),
              gated=True, commercial=False, bricks=("FLUX-CBG",)),
    ModelSpec("evf-sam", "xiaomi-research/lego-edit",
              "EVF-SAM (EfficientViT-SAM + BEiT-3), the reference's RES (CVRES/): custom code, not loaded here",
              *CC_BY_NC, 0.9, ("CVRES/config.json",), allow_patterns=("CVRES/*",), commercial=False, bricks=("RES",),
              wired=False),
    ModelSpec("builder", "xiaomi-research/lego-edit", "the released Lego-Edit Builder (for the Builder's `local` backend)",
              *CC_BY_NC, 16.0, ("Builder/config.json",), allow_patterns=("Builder/*",), commercial=False),
)

KNOWN: dict[str, ModelSpec] = {s.name: s for s in SPECS}

BUNDLES: dict[str, tuple[str, ...]] = {"grounded-sam": ("grounding-dino", "sam")}

# Download presets, by card: low-vram fits a 12 GB card (FLUX.2 klein 4B in 4-bit with offload), standard a
# 24 GB one (klein 4B in bf16, FLUX.1 Fill + LoRAs in 8-bit with offload); full is every wired model.
PRESETS: dict[str, tuple[str, ...]] = {
    "low-vram": ("clipseg", "sam", "lama", "flux2-klein-4b", "sd-inpaint", "captioner"),
    "standard": ("grounding-dino", "sam", "lama", "flux2-klein-4b", "flux-fill", "lego-loras", "captioner"),
    "full": tuple(s.name for s in SPECS if s.wired),
}

# Lego-Edit LoRA per task (file names of the released checkpoint, as the reference demo loads them).
LORA_FILES: dict[str, str] = {
    "rcm": "loras/mat768.safetensors",
    "style": "loras/style768.safetensors",
    "env": "loras/env768.safetensors",
    "pose": "loras/pose768.safetensors",
    "inpaint": "loras/inpaint.safetensors",  # optional: FLUX-INPAINT uses it when present
}


def expand(names: list[str] | tuple[str, ...]) -> list[str]:
    """Model names from model, bundle and preset names, in order, without repeats."""
    out: list[str] = []
    for name in names:
        if name in KNOWN:
            group: tuple[str, ...] = (name,)
        elif name in BUNDLES:
            group = BUNDLES[name]
        elif name in PRESETS:
            group = PRESETS[name]
        else:
            choices = sorted(KNOWN) + sorted(BUNDLES)
            raise KeyError(f"unknown model {name!r}; known: {', '.join(choices)}; presets: {', '.join(PRESETS)}")
        out.extend(n for n in group if n not in out)
    return out
