"""Helpers of the training tests: a small catalog, photos in a folder, a tiny Qwen2.5-VL whose
tokenizer is a byte-level BPE trained on that catalog's prompt (so a prompt is hundreds of tokens,
not thousands, and a CPU trains on it in seconds)."""

from __future__ import annotations

from pathlib import Path

BRICKS = ("FLUX-BRIGHT", "FLIP")
INSTRUCTIONS = ("make it brighter", "flip the image horizontally", "increase the contrast", "make it darker",
                "mirror the photo", "add more contrast", "what is in this picture?")


def small_registry():
    from lego_edit.bricks import default_registry
    from lego_edit.bricks.registry import Registry

    full = default_registry()
    return Registry([full.get(n) for n in BRICKS])


def photos(folder: Path, names=("astronaut", "coffee", "chelsea")) -> Path:
    from PIL import Image
    from skimage import data

    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        Image.fromarray(getattr(data, name)()).resize((96, 64)).save(folder / f"{name}.png")
    return folder


def corpus(registry) -> list[str]:
    from lego_edit.builder.profiles import render_chat
    from lego_edit.builder.rules import PlanRefused, plan_rules

    texts = [m["content"] for m in render_chat(registry, "make it brighter", has_mask=False)]
    for instruction in INSTRUCTIONS:
        try:
            planned = plan_rules(instruction, registry=registry)
            texts.append(planned.reasoning + " " + __import__("json").dumps(planned.workflow))
        except PlanRefused as exc:
            texts.append(str(exc))
    return texts


def tiny_builder(folder: Path, registry, *, vocab: int = 1500, init_range: float = 0.2) -> Path:
    """A random 2-layer Qwen2.5-VL (64 wide) with a BPE tokenizer trained on the prompt of `registry`.
    Its weights are drawn wider than a real checkpoint's (`init_range`) so its logits are not all
    near zero: a LoRA, which cannot touch the output layer, can then make an answer likely in a few
    dozen steps."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, Qwen2TokenizerFast
    from transformers.models.qwen2_vl import Qwen2VLImageProcessorPil

    from tests.tiny_models import QWEN_SPECIALS, QWEN_TEMPLATE

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(corpus(registry), trainers.BpeTrainer(
        vocab_size=vocab, special_tokens=["<|endoftext|>", *QWEN_SPECIALS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    tok = Qwen2TokenizerFast(tokenizer_object=bpe, eos_token="<|im_end|>", pad_token="<|endoftext|>", unk_token=None)
    tok.add_special_tokens({"additional_special_tokens": QWEN_SPECIALS})
    tok.chat_template = QWEN_TEMPLATE
    ids = {s: tok.convert_tokens_to_ids(s) for s in QWEN_SPECIALS}
    config = Qwen2_5_VLConfig(
        text_config=dict(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=8192,
                         rope_scaling={"type": "mrope", "mrope_section": [4, 2, 2]},
                         eos_token_id=ids["<|im_end|>"], pad_token_id=tok.pad_token_id, bos_token_id=None,
                         initializer_range=init_range),
        vision_config=dict(depth=1, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=64,
                           patch_size=14, spatial_merge_size=2, temporal_patch_size=2, fullatt_block_indexes=[0],
                           window_size=56),
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
        eos_token_id=ids["<|im_end|>"], pad_token_id=tok.pad_token_id, bos_token_id=None)
    torch.manual_seed(0)
    model = Qwen2_5_VLForConditionalGeneration(config)
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    model.generation_config.pad_token_id = tok.pad_token_id
    model.generation_config.bos_token_id = None
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    Qwen2VLImageProcessorPil(min_pixels=28 * 28 * 4, max_pixels=28 * 28 * 16).save_pretrained(folder)
    return folder
