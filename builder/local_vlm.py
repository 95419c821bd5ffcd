"""A local vision-language model through transformers: the Qwen2.5-VL family and the released
Lego-Edit Builder checkpoint (a fine-tuned Qwen2.5-VL).

Loaded lazily on the first plan, from a local folder or a hub id already in the cache (never
downloaded here: `lego-edit models pull builder` does that). The released checkpoint lives in the
`Builder/` folder of its hub repository, so a hub id resolves in the cache to the snapshot's
folder that holds config.json — the root, or `Builder/` — and a folder holding `Builder/` is read
the same way. The image is prepared as the profile says (the reference: 448 px long side exactly);
decoding is greedy so the same request gives the same plan. The model talk itself is
`bricks.models.vlm.VisionChat`, which the ADD-PRED brick uses too.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from lego_edit.bricks.models.extras import INSTALL_HINT
from lego_edit.builder.chat import ChatModelError, Message
from lego_edit.builder.profiles import (
    DEFAULT_MAX_NEW_TOKENS,
    REFERENCE_SUBFOLDER,
    Profile,
    builder_image,
    resolve_profile,
)

log = logging.getLogger("lego_edit.builder.local")

SUBFOLDERS = ("", REFERENCE_SUBFOLDER)  # where a checkpoint's config.json may sit in a folder or snapshot
DTYPES = ("auto", "float32", "bfloat16", "float16")


def model_folder(model: str) -> Path | None:
    """The local folder holding the checkpoint `model` names, or None when it is not on this machine.

    `model` is a folder (holding config.json, or a `Builder/` folder that does), or a hub id
    ("owner/name", optionally "owner/name/sub/folder") looked up in the hub cache only."""
    model = (model or "").strip()
    if not model:
        return None
    folder = Path(model).expanduser()
    if folder.is_dir():
        return next((folder / sub for sub in SUBFOLDERS if (folder / sub / "config.json").is_file()), None)
    parts = model.strip("/").split("/")
    if len(parts) < 2:
        return None
    repo, sub = "/".join(parts[:2]), "/".join(parts[2:])
    try:
        from huggingface_hub import try_to_load_from_cache

        from lego_edit.bricks.models.locate import hub_cache_dir
        from lego_edit.bricks.models.settings import ModelSettings
    except ImportError:
        return None
    cache = hub_cache_dir(ModelSettings())  # the environment's hub cache, read now
    for candidate in ((sub,) if sub else SUBFOLDERS):
        try:
            found = try_to_load_from_cache(repo, f"{candidate}/config.json" if candidate else "config.json",
                                           cache_dir=cache)
        except Exception:  # not a valid repo id: not in the cache either
            return None
        if isinstance(found, str):
            return Path(found).parent
    return None


class LocalVLM:
    name = "local"

    def __init__(self, model: str, *, device: str = "auto", dtype: str = "auto",
                 max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS, profile: Profile | str = "auto", lora: str = "") -> None:
        if not model:
            raise ChatModelError("no local builder model configured: set builder.local_model in config.toml "
                                 "(a folder, or a hub id fetched with `lego-edit models pull builder`)")
        if dtype not in DTYPES:
            raise ChatModelError(f"unknown dtype {dtype!r} ({', '.join(DTYPES)})")
        self.model_id, self.device_name, self.dtype_name = model, device, dtype
        self.profile = resolve_profile(profile, model) if isinstance(profile, str) else profile
        self.max_new_tokens = max_new_tokens
        self.lora = lora  # a trained adapter folder, merged into the weights at load
        self.device = ""  # where it loaded, once it has
        self._chat: Any = None
        self._lock = threading.Lock()

    def dtype_for(self, device: str) -> str:
        """The dtype name the model loads in on `device`: the configured one, or for "auto" the
        profile's on a GPU (fp16 for the released checkpoint) and float32 elsewhere."""
        if self.dtype_name != "auto":
            return self.dtype_name
        return self.profile.gpu_dtype if device.startswith("cuda") else "float32"

    def _load(self) -> Any:
        with self._lock:
            if self._chat is None:
                try:
                    import torch

                    from lego_edit.bricks.models.vlm import VisionChat, attach_lora
                except ImportError as exc:
                    raise ChatModelError(f"the local builder needs the models extra ({exc.name} is missing): {INSTALL_HINT}") from None
                folder = model_folder(self.model_id)
                if folder is None:
                    raise ChatModelError(f"the builder model {self.model_id!r} is neither a folder holding config.json "
                                         f"(or {REFERENCE_SUBFOLDER}/config.json) nor in the hub cache: download it "
                                         "with `lego-edit models pull builder` or set a local folder")
                device = self.device_name
                if device == "auto":
                    device = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
                dtype = getattr(torch, self.dtype_for(device))
                try:
                    chat = VisionChat.load(folder, dtype=dtype)
                except (OSError, ValueError) as exc:
                    raise ChatModelError(f"cannot load the builder model {self.model_id!r} from {folder} ({exc}); "
                                         "download it with `lego-edit models pull builder` or set a local folder") from None
                if self.lora:
                    try:
                        attach_lora(chat, self.lora)
                    except ImportError as exc:
                        raise ChatModelError(f"builder.local_lora needs peft ({exc.name} is missing): "
                                             "pip install 'lego-edit[train]'") from None
                    except ValueError as exc:
                        raise ChatModelError(str(exc)) from None
                chat.model.to(device)
                log.info("loaded builder model %s from %s on %s (%s, profile %s)", self.model_id, folder, device, dtype,
                         self.profile.name)
                self._chat, self.device = chat, device
        return self._chat

    def complete(self, messages: list[Message], image: Any | None) -> str:
        chat = self._load()
        picture = builder_image(image, self.profile) if image is not None else None
        try:
            answer, _ = chat.answer(messages, picture, max_new_tokens=self.max_new_tokens)
        except ValueError as exc:  # e.g. no chat template
            raise ChatModelError(f"the builder model {self.model_id!r} cannot be prompted: {exc}") from None
        return answer
