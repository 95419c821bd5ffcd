"""What the model sees in training, made by the code inference uses.

The messages come from `builder.profiles.render_chat`, the image from `builder.profiles.builder_image`,
the text from `bricks.models.vlm.chat_text`: the local Builder's own functions, so a trained model is
asked at inference exactly what it was trained on. The target is the answer the Builder reads: the
reasoning in <think>…</think>, then the workflow JSON (or {"refuse": …}).

`BuilderProcessor` pairs the tokenizer with the PIL image processor the way AutoProcessor would
(without the video processor, whose torchvision dependency the CPU install lacks), so TRL's
multimodal code paths can use it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from lego_edit.training.data import Record

# Whether the model inputs carry mm_token_type_ids: as bricks.models.vlm.VisionChat.answer does (it does,
# so Qwen2.5-VL gives the image tokens their 3-D positions as in pretraining; both must change together).
MROPE_TOKEN_TYPES = True


def target_text(record: Record) -> str:
    """The answer the Builder should give for `record` (it must have a workflow or a refusal)."""
    if record.workflow is not None:
        body = json.dumps(record.workflow, ensure_ascii=False)
    elif record.refusal is not None:
        body = json.dumps({"refuse": record.refusal}, ensure_ascii=False)
    else:
        raise ValueError(f"record {record.id} has no target (workflow or refusal)")
    return f"<think>{record.reasoning.strip()}</think>\n{body}"


def constraints_of(feedback: list[str], registry: Any) -> list[Any]:
    """The brick constraints of feedback sentences, read as the Builder reads them."""
    from lego_edit.builder.corrections import read_feedback

    sentences = [f for f in feedback if f and f.strip()]
    return list(read_feedback(sentences, registry).constraints) if sentences else []


def messages_for(record: Record, registry: Any, profile: str = "catalog") -> list[dict]:
    from lego_edit.builder.profiles import render_chat

    return render_chat(registry, record.instruction, has_mask=bool(record.mask),
                       constraints=constraints_of(record.feedback, registry), profile=profile)


def image_for(record: Record, profile: str = "catalog"):
    """The record's image as the Builder is shown it (RGB PIL)."""
    from lego_edit.bricks.imageio import load_image
    from lego_edit.builder.profiles import builder_image

    return builder_image(load_image(record.image), profile)


@lru_cache(maxsize=4)
def _processor_class():
    from transformers import Qwen2_5_VLProcessor
    from transformers.processing_utils import ProcessorMixin

    class BuilderProcessor(Qwen2_5_VLProcessor):
        """Qwen2.5-VL's processor without the video processor: tokenizer + PIL image processor.
        It returns `mm_token_type_ids` only when VisionChat sends them at inference: with them the
        model computes 3-D (M-RoPE) positions for the image tokens, without them plain ones, and a
        model trained with one kind of positions answers garbage under the other."""

        return_mm_token_type_ids = MROPE_TOKEN_TYPES

        def __init__(self, image_processor=None, tokenizer=None, chat_template=None, **kwargs):
            self.image_token = getattr(tokenizer, "image_token", None) or "<|image_pad|>"
            self.video_token = getattr(tokenizer, "video_token", None) or "<|video_pad|>"
            self.image_token_id = tokenizer.convert_tokens_to_ids(self.image_token)
            self.video_token_id = tokenizer.convert_tokens_to_ids(self.video_token)
            ProcessorMixin.__init__(self, image_processor, tokenizer, chat_template=chat_template)

    return BuilderProcessor


def load_processor(folder: str | Path):
    """The processor of a checkpoint folder, with the chat template VisionChat uses."""
    import transformers

    from lego_edit.bricks.models.vlm import processor_chat_template

    tokenizer = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
    images = transformers.AutoImageProcessor.from_pretrained(folder, local_files_only=True, backend="pil")
    template = processor_chat_template(folder) or tokenizer.chat_template
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return _processor_class()(image_processor=images, tokenizer=tokenizer, chat_template=template)


def encode_prompt(processor: Any, messages: list[dict], image: Any) -> dict[str, Any]:
    """Token ids and vision tensors of the prompt, as VisionChat.answer builds them."""
    from lego_edit.bricks.models.vlm import chat_text

    text = chat_text(processor, messages, with_image=image is not None)
    return processor(images=[image] if image is not None else None, text=[text], return_tensors="pt")


class SFTCollator:
    """Batches of records as model inputs: prompt tokens masked out of the labels, the target's
    tokens (ending with the end-of-turn token generation stops at) learnt."""

    def __init__(self, processor: Any, registry: Any, profile: str = "catalog", max_length: int | None = None) -> None:
        self.processor, self.registry, self.profile, self.max_length = processor, registry, profile, max_length
        tok = processor.tokenizer
        self.end = tok.convert_tokens_to_ids("<|im_end|>") if "<|im_end|>" in tok.get_vocab() else tok.eos_token_id

    def encode(self, record: Record) -> dict[str, Any]:
        import torch

        prompt = encode_prompt(self.processor, messages_for(record, self.registry, self.profile),
                               image_for(record, self.profile))
        answer = self.processor.tokenizer(target_text(record), add_special_tokens=False)["input_ids"] + [self.end]
        ids = torch.cat([prompt["input_ids"][0], torch.tensor(answer)])
        labels = torch.cat([torch.full_like(prompt["input_ids"][0], -100), torch.tensor(answer)])
        if self.max_length and ids.numel() > self.max_length:
            raise ValueError(f"record {record.id} is {ids.numel()} tokens, above max_length {self.max_length}")
        out = {"input_ids": ids, "labels": labels}
        for key in ("pixel_values", "image_grid_thw"):
            if key in prompt:
                out[key] = prompt[key]
        if "mm_token_type_ids" in prompt:
            out["mm_token_type_ids"] = torch.cat([prompt["mm_token_type_ids"][0], torch.zeros(len(answer), dtype=torch.long)])
        return out

    def __call__(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        encoded = [self.encode(_record(r)) for r in rows]
        width = max(e["input_ids"].numel() for e in encoded)
        pad = self.processor.tokenizer.pad_token_id

        def padded(key: str, value: int) -> Any:
            return torch.stack([torch.nn.functional.pad(e[key], (0, width - e[key].numel()), value=value) for e in encoded])

        batch = {"input_ids": padded("input_ids", pad), "labels": padded("labels", -100),
                 "attention_mask": torch.stack([torch.nn.functional.pad(torch.ones_like(e["input_ids"]),
                                                                        (0, width - e["input_ids"].numel()))
                                                for e in encoded])}
        for key in ("pixel_values", "image_grid_thw"):
            if all(key in e for e in encoded):
                batch[key] = torch.cat([e[key] for e in encoded])
        if all("mm_token_type_ids" in e for e in encoded):
            batch["mm_token_type_ids"] = padded("mm_token_type_ids", 0)
        return batch


def _record(row: dict[str, Any]) -> Record:
    """A dataset row as a Record: {"record": JSON text} (the SFT dataset's one column) or the record's own dict."""
    value = row.get("record", row)
    return Record.from_dict(json.loads(value) if isinstance(value, str) else value)
