"""Tiny random checkpoints of every architecture the model backends load, saved like the real ones.

The tests (and `bench/gpu/bench_gpu.py --tiny`) build them from configs — 1-2 layers, hidden sizes
of 8-64 — save them with `save_pretrained` (LaMa: a TorchScript export) into a folder laid out as
the hub repository is, and point the settings' `paths` at it. The backends then run their real
loading (local_files_only) and inference code on them. Tokenizers are built in memory from a small
word list; image processors are the `*ImageProcessorPil` classes (torchvision does not import beside
the CPU torch here).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

WORDS = ("a photo of the an and with on in is but same as left right scene diptych two side by images exactly "
         "dog cat red blue green sky sea beach tree car person main object subject white background at night "
         "sunset winter watercolor style converted into wooden add hat where should go bounding box").split()
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _seed(seed: int = 0) -> None:
    import torch

    torch.manual_seed(seed)


def clip_tokenizer(max_length: int = 77):
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for ch in LETTERS + ".,'":
        vocab.setdefault(ch, len(vocab))
        vocab.setdefault(ch + "</w>", len(vocab))
    for word in WORDS:
        vocab.setdefault(word + "</w>", len(vocab))
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=max_length)


def t5_tokenizer():
    from transformers import T5Tokenizer

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)] + [("▁" + w, -1.0) for w in WORDS]
    pieces += [(c, -5.0) for c in LETTERS + ".,'"]
    return T5Tokenizer(vocab=pieces, extra_ids=0, model_max_length=512)


def bert_tokenizer(extra: tuple[str, ...] = ()):
    from transformers import BertTokenizer

    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *extra, ".", ",", "'",
                                         *LETTERS, *WORDS])}
    return BertTokenizer(vocab=vocab, model_max_length=64)


# -- transformers models ------------------------------------------------------------------------

def grounding_dino(folder: Path) -> Path:
    from transformers import (
        GroundingDinoConfig,
        GroundingDinoForObjectDetection,
        GroundingDinoImageProcessorPil,
        GroundingDinoProcessor,
        SwinConfig,
    )

    _seed()
    tokenizer = bert_tokenizer()
    config = GroundingDinoConfig(
        d_model=32, encoder_layers=1, decoder_layers=2, encoder_attention_heads=2, decoder_attention_heads=2,
        encoder_ffn_dim=32, decoder_ffn_dim=32, num_queries=8, num_feature_levels=4, encoder_n_points=2,
        decoder_n_points=2, max_text_len=16, use_timm_backbone=False,
        backbone_config=SwinConfig(window_size=7, embed_dim=8, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1],
                                   image_size=128, out_indices=[2, 3, 4]),
        text_config={"model_type": "bert", "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
                     "intermediate_size": 16, "max_position_embeddings": 64, "vocab_size": len(tokenizer)})
    model = GroundingDinoForObjectDetection(config).eval()
    processor = GroundingDinoProcessor(
        image_processor=GroundingDinoImageProcessorPil(size={"shortest_edge": 128, "longest_edge": 128}),
        tokenizer=tokenizer)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def sam(folder: Path) -> Path:
    from transformers import (
        SamConfig,
        SamImageProcessorPil,
        SamMaskDecoderConfig,
        SamModel,
        SamProcessor,
        SamPromptEncoderConfig,
        SamVisionConfig,
    )

    _seed()
    config = SamConfig(
        vision_config=SamVisionConfig(hidden_size=32, intermediate_size=64, output_channels=32, num_hidden_layers=2,
                                      num_attention_heads=2, image_size=64, patch_size=8, window_size=4,
                                      global_attn_indexes=[1], mlp_dim=64, num_pos_feats=16),
        prompt_encoder_config=SamPromptEncoderConfig(hidden_size=32, image_size=64, patch_size=8, mask_input_channels=4),
        mask_decoder_config=SamMaskDecoderConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                                 mlp_dim=64, iou_head_hidden_dim=32))
    model = SamModel(config).eval()
    processor = SamProcessor(image_processor=SamImageProcessorPil(
        size={"longest_edge": 64}, pad_size={"height": 64, "width": 64},
        mask_size={"longest_edge": 16}, mask_pad_size={"height": 16, "width": 16}))
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def clipseg(folder: Path) -> Path:
    from transformers import CLIPSegConfig, CLIPSegForImageSegmentation, CLIPSegProcessor, ViTImageProcessorPil

    _seed()
    tokenizer = clip_tokenizer()
    config = CLIPSegConfig(
        text_config={"vocab_size": len(tokenizer), "hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2,
                     "num_attention_heads": 4, "max_position_embeddings": 77, "bos_token_id": 0, "eos_token_id": 1,
                     "pad_token_id": 1},
        vision_config={"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2, "num_attention_heads": 4,
                       "image_size": 32, "patch_size": 8},
        projection_dim=32, reduce_dim=16, extract_layers=[0, 1], decoder_num_attention_heads=2,
        decoder_intermediate_size=32, conditional_layer=0)
    model = CLIPSegForImageSegmentation(config).eval()
    processor = CLIPSegProcessor(image_processor=ViTImageProcessorPil(size={"height": 32, "width": 32},
                                                                      image_mean=[0.485, 0.456, 0.406],
                                                                      image_std=[0.229, 0.224, 0.225]),
                                 tokenizer=tokenizer)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def blip(folder: Path) -> Path:
    from transformers import BlipConfig, BlipForConditionalGeneration, BlipImageProcessorPil, BlipProcessor

    _seed()
    tokenizer = bert_tokenizer(("[DEC]",))
    tokenizer.add_special_tokens({"bos_token": "[DEC]"})
    config = BlipConfig(
        text_config={"vocab_size": len(tokenizer), "hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 1,
                     "num_attention_heads": 4, "max_position_embeddings": 64, "encoder_hidden_size": 32,
                     "bos_token_id": tokenizer.convert_tokens_to_ids("[DEC]"), "pad_token_id": 0,
                     "sep_token_id": tokenizer.sep_token_id, "eos_token_id": tokenizer.sep_token_id},
        vision_config={"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 1, "num_attention_heads": 4,
                       "image_size": 32, "patch_size": 8},
        projection_dim=32)
    model = BlipForConditionalGeneration(config).eval()
    processor = BlipProcessor(image_processor=BlipImageProcessorPil(size={"height": 32, "width": 32}),
                              tokenizer=tokenizer)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


# -- Qwen2.5-VL ------------------------------------------------------------------------------------

QWEN_SPECIALS = ["<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>"]
QWEN_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{% if m['content'] is string %}{{ m['content'] }}"
    "{% else %}{% for c in m['content'] %}{% if c['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% else %}{{ c['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def qwen_vl(folder: Path) -> Path:
    """A random Qwen2.5-VL (1 layer, 32 wide) with a byte-level tokenizer and its chat template built
    in memory, and the PIL image processor: the ADD-PRED VLM and the Builder's `local` backend."""
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, Qwen2TokenizerFast
    from transformers.convert_slow_tokenizer import bytes_to_unicode
    from transformers.models.qwen2_vl import Qwen2VLImageProcessorPil

    vocab = {c: i for i, c in enumerate(bytes_to_unicode().values())}
    vocab["<|endoftext|>"] = len(vocab)
    tok = Qwen2TokenizerFast(vocab=vocab, merges=[], unk_token=None, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    tok.add_special_tokens({"additional_special_tokens": QWEN_SPECIALS})
    tok.chat_template = QWEN_TEMPLATE
    ids = {s: tok.convert_tokens_to_ids(s) for s in QWEN_SPECIALS}
    config = Qwen2_5_VLConfig(
        text_config=dict(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=8192,
                         rope_scaling={"type": "mrope", "mrope_section": [4, 2, 2]}),
        vision_config=dict(depth=1, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=32,
                           patch_size=14, spatial_merge_size=2, temporal_patch_size=2, fullatt_block_indexes=[0],
                           window_size=56),
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
        eos_token_id=ids["<|im_end|>"], pad_token_id=tok.pad_token_id)
    _seed()
    Qwen2_5_VLForConditionalGeneration(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    Qwen2VLImageProcessorPil(min_pixels=28 * 28 * 4, max_pixels=28 * 28 * 64).save_pretrained(folder)
    return folder


# -- LaMa -----------------------------------------------------------------------------------------

def lama(folder: Path) -> Path:
    from tests import lama_arch

    _seed()
    folder.mkdir(parents=True, exist_ok=True)
    lama_arch.save_torchscript(lama_arch.build(tiny=True), str(folder / "big-lama.pt"))
    return folder


# -- diffusers pipelines --------------------------------------------------------------------------

def flux1_pipeline(pipeline_class: Any, in_channels: int, vae_blocks: int = 1) -> Any:
    """A tiny FLUX.1-layout pipeline of `pipeline_class`: CLIP + T5 + a 1+1-layer transformer taking
    `in_channels` packed channels, and a VAE of `vae_blocks` blocks with 2 latent channels (scale factor
    2 ** (vae_blocks - 1): 2 blocks give a quarter of the tokens)."""
    from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, FluxTransformer2DModel
    from transformers import CLIPTextConfig, CLIPTextModel, T5Config, T5EncoderModel

    tokenizer, tokenizer_2 = clip_tokenizer(), t5_tokenizer()
    transformer = FluxTransformer2DModel(patch_size=1, in_channels=in_channels, out_channels=8, num_layers=1,
                                         num_single_layers=1, attention_head_dim=16, num_attention_heads=2,
                                         joint_attention_dim=32, pooled_projection_dim=32, axes_dims_rope=[4, 4, 8])
    text_encoder = CLIPTextModel(CLIPTextConfig(
        bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=32, intermediate_size=37, num_attention_heads=4,
        num_hidden_layers=1, vocab_size=len(tokenizer), projection_dim=32))
    text_encoder_2 = T5EncoderModel(T5Config(vocab_size=len(tokenizer_2), d_model=32, d_kv=8, d_ff=37, num_layers=1,
                                             num_heads=4, decoder_start_token_id=0))
    vae = AutoencoderKL(sample_size=32, in_channels=3, out_channels=3, block_out_channels=(4,) * vae_blocks,
                        down_block_types=("DownEncoderBlock2D",) * vae_blocks,
                        up_block_types=("UpDecoderBlock2D",) * vae_blocks, layers_per_block=1,
                        latent_channels=2, norm_num_groups=1, use_quant_conv=False, use_post_quant_conv=False,
                        shift_factor=0.0609, scaling_factor=1.5035)
    return pipeline_class(scheduler=FlowMatchEulerDiscreteScheduler(), text_encoder=text_encoder,
                          text_encoder_2=text_encoder_2, tokenizer=tokenizer, tokenizer_2=tokenizer_2,
                          transformer=transformer, vae=vae)


def flux_fill(folder: Path) -> Path:
    from diffusers import FluxFillPipeline

    _seed()
    # latent_channels=2, one VAE block (scale factor 1): packed latents 8 + masked image 8 + mask 4 = 20
    pipe = flux1_pipeline(FluxFillPipeline, 20)
    pipe.save_pretrained(folder)
    return folder


def flux_lora(folder: Path, flux_folder: Path, files: tuple[str, ...]) -> Path:
    """Random LoRAs (rank 4) on the tiny FLUX transformer's attention, saved in diffusers' format."""
    import torch
    from diffusers import FluxFillPipeline, FluxTransformer2DModel
    from peft import LoraConfig, get_peft_model_state_dict

    for i, name in enumerate(files):
        _seed(i + 1)
        transformer = FluxTransformer2DModel.from_pretrained(flux_folder / "transformer", local_files_only=True)
        transformer.add_adapter(LoraConfig(r=4, lora_alpha=4, init_lora_weights="gaussian",
                                           target_modules=["to_k", "to_q", "to_v", "to_out.0"]))
        with torch.no_grad():  # gaussian init leaves B at zero: make the LoRA actually change the output
            for pname, param in transformer.named_parameters():
                if "lora_B" in pname:
                    param.normal_(0, 0.5)
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        FluxFillPipeline.save_lora_weights(str(target.parent), transformer_lora_layers=get_peft_model_state_dict(transformer),
                                           weight_name=target.name)
    return folder


def sd_inpaint(folder: Path, vae_blocks: int = 2) -> Path:
    """SD 1.5 inpainting: a 2-level UNet (32/64 wide), CLIP, and a VAE of `vae_blocks` blocks (scale factor
    2 ** (vae_blocks - 1); 3 blocks give the UNet a quarter of the latents)."""
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionInpaintPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    _seed()
    tokenizer = clip_tokenizer()
    unet = UNet2DConditionModel(block_out_channels=(32, 64), layers_per_block=1, sample_size=16, in_channels=9,
                                out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                                up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=32,
                                norm_num_groups=8, attention_head_dim=(2, 4))
    vae = AutoencoderKL(block_out_channels=[8, *[16] * (vae_blocks - 1)], in_channels=3, out_channels=3,
                        norm_num_groups=8, down_block_types=["DownEncoderBlock2D"] * vae_blocks,
                        up_block_types=["UpDecoderBlock2D"] * vae_blocks, latent_channels=4)
    text_encoder = CLIPTextModel(CLIPTextConfig(
        bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=32, intermediate_size=37, num_attention_heads=4,
        num_hidden_layers=1, vocab_size=len(tokenizer)))
    pipe = StableDiffusionInpaintPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                          scheduler=DDIMScheduler(steps_offset=1), safety_checker=None, feature_extractor=None,
                                          requires_safety_checker=False)
    pipe.save_pretrained(folder)
    index = folder / "model_index.json"  # the hub repo lists a safety checker the downloads skip
    data = json.loads(index.read_text())
    data["safety_checker"] = ["stable_diffusion", "StableDiffusionSafetyChecker"]
    data["feature_extractor"] = ["transformers", "CLIPImageProcessor"]
    index.write_text(json.dumps(data, indent=2))
    return folder


BUILDERS = {"grounding-dino": grounding_dino, "sam": sam, "clipseg": clipseg, "captioner": blip, "lama": lama,
            "flux-fill": flux_fill, "sd-inpaint": sd_inpaint, "vlm": qwen_vl}


def build_all(root: Path, names: tuple[str, ...] | None = None) -> dict[str, str]:
    """Build tiny checkpoints under `root`; returns the `paths` table for ModelSettings."""
    from lego_edit.bricks.models.known import LORA_FILES

    paths: dict[str, str] = {}
    for name in names or (*BUILDERS, "lego-loras"):
        if name == "lego-loras":
            flux = Path(paths.get("flux-fill") or flux_fill(root / "flux-fill"))
            paths["flux-fill"] = str(flux)
            paths[name] = str(flux_lora(root / name, flux, tuple(LORA_FILES[t] for t in ("rcm", "style", "env", "pose"))))
        elif name not in paths:
            paths[name] = str(BUILDERS[name](root / name))
    return paths


# -- editing engines (FLUX.2 klein, Qwen-Image-Edit, FLUX.1 Kontext) ------------------------------

def qwen_tokenizer():
    """A byte-level Qwen2 tokenizer with the Qwen chat specials and a chat template, built in memory."""
    from transformers import Qwen2TokenizerFast
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    vocab = {c: i for i, c in enumerate(bytes_to_unicode().values())}
    vocab["<|endoftext|>"] = len(vocab)
    tok = Qwen2TokenizerFast(vocab=vocab, merges=[], unk_token=None, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    tok.add_special_tokens({"additional_special_tokens": QWEN_SPECIALS})
    tok.chat_template = QWEN_TEMPLATE
    return tok


def flux2_klein(folder: Path, nine_b: bool = False) -> Path:
    """FLUX.2 klein 4B: a 1+1-layer transformer, a 3-layer Qwen3 text encoder (hidden 16; the pipeline stacks
    three of its layers: 48 wide) and a two-block VAE (scale factor 2, 1 latent channel -> 4 packed).
    `nine_b`: the 9B's shape, grown from the 4B's as the real pair is (more double and single blocks, more
    heads of the same width, a wider text encoder): 2+2 layers, 3 heads, a 4-layer encoder 24 wide (72)."""
    from diffusers import (
        AutoencoderKLFlux2,
        FlowMatchEulerDiscreteScheduler,
        Flux2KleinPipeline,
        Flux2Transformer2DModel,
    )
    from transformers import Qwen3Config, Qwen3ForCausalLM

    tok = qwen_tokenizer()
    _seed()
    layers, heads, text_width, text_layers = (2, 3, 24, 4) if nine_b else (1, 2, 16, 3)
    transformer = Flux2Transformer2DModel(patch_size=1, in_channels=4, num_layers=layers, num_single_layers=layers,
                                          attention_head_dim=16, num_attention_heads=heads,
                                          joint_attention_dim=3 * text_width, timestep_guidance_channels=256,
                                          axes_dims_rope=[4, 4, 4, 4], guidance_embeds=False)
    text_encoder = Qwen3ForCausalLM(Qwen3Config(intermediate_size=text_width, hidden_size=text_width,
                                                num_hidden_layers=text_layers, num_attention_heads=heads,
                                                num_key_value_heads=heads, head_dim=8, vocab_size=len(tok),
                                                max_position_embeddings=1024))
    vae = AutoencoderKLFlux2(sample_size=32, in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 2,
                             up_block_types=("UpDecoderBlock2D",) * 2, block_out_channels=(4, 4), layers_per_block=1,
                             latent_channels=1, norm_num_groups=1, use_quant_conv=False, use_post_quant_conv=False)
    Flux2KleinPipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae, text_encoder=text_encoder, tokenizer=tok,
                       transformer=transformer, is_distilled=True).save_pretrained(folder)
    return folder


def qwen_image_edit(folder: Path, plus: bool = False) -> Path:
    """Qwen-Image-Edit(-Plus): a 1-layer MMDiT, a 1-layer Qwen2.5-VL (hidden 16) with its processor, and a
    5-level VAE (scale factor 16; the engine encodes the condition at its `resolution`)."""
    from diffusers import (
        AutoencoderKLQwenImage,
        FlowMatchEulerDiscreteScheduler,
        QwenImageEditPipeline,
        QwenImageEditPlusPipeline,
        QwenImageTransformer2DModel,
    )
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration
    from transformers.models.qwen2_vl import Qwen2VLImageProcessorPil

    from lego_edit.bricks.models.engines.runtime import qwen_processor_class

    tok = qwen_tokenizer()
    ids = {s: tok.convert_tokens_to_ids(s) for s in QWEN_SPECIALS}
    _seed()
    transformer = QwenImageTransformer2DModel(patch_size=2, in_channels=16, out_channels=4, num_layers=1,
                                              attention_head_dim=16, num_attention_heads=2, joint_attention_dim=16,
                                              guidance_embeds=False, axes_dims_rope=(8, 4, 4))
    vae = AutoencoderKLQwenImage(base_dim=4, z_dim=4, dim_mult=[1, 1, 1, 1, 1], num_res_blocks=1,
                                 temperal_downsample=[False] * 4, latents_mean=[0.0] * 4, latents_std=[1.0] * 4)
    config = Qwen2_5_VLConfig(
        text_config=dict(vocab_size=len(tok), hidden_size=16, intermediate_size=16, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=8192,
                         rope_scaling={"type": "mrope", "mrope_section": [1, 1, 2]}),
        vision_config=dict(depth=1, hidden_size=16, intermediate_size=16, num_heads=2, out_hidden_size=16,
                           patch_size=14, spatial_merge_size=2, temporal_patch_size=2, fullatt_block_indexes=[0],
                           window_size=56),
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
        eos_token_id=ids["<|im_end|>"], pad_token_id=tok.pad_token_id)
    text_encoder = Qwen2_5_VLForConditionalGeneration(config)
    processor = qwen_processor_class()(image_processor=Qwen2VLImageProcessorPil(min_pixels=28 * 28 * 4,
                                                                                max_pixels=28 * 28 * 16), tokenizer=tok)
    cls = QwenImageEditPlusPipeline if plus else QwenImageEditPipeline
    cls(scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae, text_encoder=text_encoder, tokenizer=tok,
        processor=processor, transformer=transformer).save_pretrained(folder)
    index = folder / "model_index.json"  # the hub repository names transformers' own processor class
    data = json.loads(index.read_text())
    data["processor"] = ["transformers", "Qwen2VLProcessor"]
    index.write_text(json.dumps(data, indent=2))
    return folder


def flux_kontext(folder: Path) -> Path:
    """FLUX.1 Kontext: the tiny FLUX.1 layout (CLIP + T5 + a 1+1-layer transformer, 2 latent channels), its
    VAE at scale factor 2."""
    from diffusers import FluxKontextPipeline

    _seed()
    flux1_pipeline(FluxKontextPipeline, 8, vae_blocks=2).save_pretrained(folder)
    return folder


ENGINE_BUILDERS = {"flux2-klein-4b": flux2_klein, "flux2-klein-9b": lambda folder: flux2_klein(folder, nine_b=True),
                   "qwen-image-edit": qwen_image_edit,
                   "qwen-image-edit-plus": lambda folder: qwen_image_edit(folder, plus=True),
                   "flux-kontext": flux_kontext}


def build_engines(root: Path, names: tuple[str, ...] | None = None) -> dict[str, str]:
    """Tiny checkpoints of the editing engines' models under `root`; the `paths` table for ModelSettings."""
    return {name: str(ENGINE_BUILDERS[name](root / name)) for name in names or tuple(ENGINE_BUILDERS)}
