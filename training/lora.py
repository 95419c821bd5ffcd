"""Using a trained Builder LoRA: attach it to a loaded model, or merge it into a plain checkpoint.

`attach_lora(chat, folder)` is what the local Builder calls after `VisionChat.load` when
`builder.local_lora` is set; `merge_into_folder` writes a folder `builder.local_model` can name
directly (no peft needed at inference).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

META = "lego_edit_training.json"


class LoraError(ValueError):
    """The folder is not a usable LoRA for this model; the message says what is wrong."""


def lora_info(folder: str | Path) -> dict[str, Any]:
    """The adapter's config, with the training metadata when it was trained here."""
    folder = Path(folder).expanduser()
    config = folder / "adapter_config.json"
    if not config.is_file():
        raise LoraError(f"{folder} holds no adapter_config.json: not a LoRA folder (train one with `lego-edit train`)")
    info = json.loads(config.read_text(encoding="utf-8"))
    meta = folder / META
    if meta.is_file():
        info["lego_edit"] = json.loads(meta.read_text(encoding="utf-8"))
    return info


def attach_lora(chat: Any, folder: str | Path, *, merge: bool = True) -> Any:
    """`chat` (a VisionChat) with the LoRA in `folder` on its model, merged into the weights by default
    (as fast as the base model at inference); returns `chat`. The local Builder does the same with
    `builder.local_lora` (bricks.models.vlm.attach_lora)."""
    from lego_edit.bricks.models.vlm import attach_lora as attach

    lora_info(folder)
    try:
        return attach(chat, folder, merge=merge)
    except ValueError as exc:
        raise LoraError(str(exc)) from None


def merge_into_folder(lora: str | Path, out: str | Path, *, base: str | Path | None = None, dtype: Any = None) -> Path:
    """Base + LoRA merged and saved as a complete checkpoint folder (weights, tokenizer, image processor,
    processor chat template) that `builder.local_model` loads as it is."""
    import shutil

    from lego_edit.bricks.models.vlm import VisionChat

    info = lora_info(lora)
    base = base or info.get("base_model_name_or_path")
    if not base or not Path(base).is_dir():
        raise LoraError(f"the LoRA's base model {base!r} is not a local folder")
    if dtype is None:
        import torch

        dtype = torch.float32
    chat = attach_lora(VisionChat.load(base, dtype=dtype), lora, merge=True)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    chat.model.save_pretrained(out)
    chat.tokenizer.save_pretrained(out)
    chat.images.save_pretrained(out)
    for name in ("chat_template.jinja", "chat_template.json"):
        if (Path(base) / name).is_file():
            shutil.copy2(Path(base) / name, out / name)
    return out
