"""What the model backends share: the chat-model interface and the image the model sees."""

from __future__ import annotations

import base64
import io
from typing import Any, Protocol

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": str}


class ChatModel(Protocol):
    """A model that answers a conversation; the image belongs to the first user message."""

    name: str

    def complete(self, messages: list[Message], image: Any | None) -> str: ...


class ChatModelError(RuntimeError):
    """The model could not be reached, loaded or run; the message says what to do."""


def thumbnail(image: Any, long_side: int):
    """The user's RGBA image as an RGB PIL image whose long side is at most `long_side` pixels."""
    from PIL import Image

    pil = Image.fromarray(image[..., :3] if getattr(image, "ndim", 0) == 3 else image).convert("RGB")
    scale = long_side / max(pil.size)
    if scale < 1:
        pil = pil.resize((max(1, round(pil.width * scale)), max(1, round(pil.height * scale))), Image.Resampling.LANCZOS)
    return pil


def data_url(image: Any, long_side: int) -> str:
    buf = io.BytesIO()
    thumbnail(image, long_side).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
