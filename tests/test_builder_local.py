"""The `local` Builder backend end to end with a tiny random Qwen2.5-VL built offline: real
transformers loading (local_files_only), image preprocessing (PIL processor), greedy generate,
then parse -> check -> repair. Random weights write gibberish, so the plan must end in a clear
invalid_workflow error after the bounded repairs, never a half plan."""

from __future__ import annotations

import logging

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

pytestmark = pytest.mark.models

SPECIALS = ["<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>"]
TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{% if m['content'] is string %}{{ m['content'] }}"
    "{% else %}{% for c in m['content'] %}{% if c['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% else %}{{ c['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


@pytest.fixture(scope="module")
def tiny_qwen(tmp_path_factory):
    import torch
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, Qwen2TokenizerFast
    from transformers.convert_slow_tokenizer import bytes_to_unicode
    from transformers.models.qwen2_vl import Qwen2VLImageProcessorPil

    vocab = {c: i for i, c in enumerate(bytes_to_unicode().values())}
    vocab["<|endoftext|>"] = len(vocab)
    tok = Qwen2TokenizerFast(vocab=vocab, merges=[], unk_token=None, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    tok.add_special_tokens({"additional_special_tokens": SPECIALS})
    tok.chat_template = TEMPLATE
    ids = {s: tok.convert_tokens_to_ids(s) for s in SPECIALS}
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
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-qwen2.5-vl")
    Qwen2_5_VLForConditionalGeneration(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    Qwen2VLImageProcessorPil(min_pixels=28 * 28 * 4, max_pixels=28 * 28 * 64).save_pretrained(folder)
    return folder


def test_local_backend_generates_parses_and_repairs(registry, tiny_qwen, caplog):
    from builder import Builder, BuilderConfig, PlanError

    builder = Builder(registry, BuilderConfig(backend="local", local_model=str(tiny_qwen), device="cpu",
                                              max_new_tokens=12, max_repairs=1))
    image = np.random.default_rng(0).integers(0, 255, (300, 500, 4), dtype=np.uint8)
    caplog.set_level(logging.DEBUG, logger="lego_edit.builder")
    with pytest.raises(PlanError) as info:
        builder.plan("make it brighter", image=image)
    assert info.value.code == "invalid_workflow"
    assert "after 2 attempts" in str(info.value)
    answers = [r for r in caplog.records if "answered" in r.getMessage()]
    assert len(answers) == 2  # one generate, one repair round, both through the real model


def test_local_backend_without_weights_is_a_clear_error(registry, tmp_path):
    from builder import Builder, BuilderConfig, PlanError

    builder = Builder(registry, BuilderConfig(backend="local", local_model=str(tmp_path / "nothing-here")))
    with pytest.raises(PlanError) as info:
        builder.plan("make it brighter", image=np.zeros((8, 8, 4), np.uint8))
    assert info.value.code == "backend_error" and "models pull builder" in str(info.value)
