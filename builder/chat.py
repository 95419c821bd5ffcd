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


def data_url(image: Any, profile: Any = "catalog") -> str:
    """The image as the profile prepares it (builder/profiles.builder_image), as a PNG data URL."""
    from lego_edit.builder.profiles import builder_image

    buf = io.BytesIO()
    builder_image(image, profile).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
