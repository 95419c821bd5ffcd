"""A vision-language judge of edited images, in GEdit-Bench's protocol or ImgEdit's.

`make_judge(kind, config)` gives a `Judge` talking to any OpenAI-compatible endpoint ("openai") or to the
local VLM ("local"), or None ("none"). `Judge.judge(instruction, source, result)` asks the model and returns a
`Verdict`: the scores it gave, an overall score normalised to 0..1 (None when the answer could not be read),
its raw answer, and whether parsing failed — a failure is recorded, never dropped. The same judge scores
`lego-edit eval` runs and serves the Builder's training as its critic.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

from lego_edit.evaluation import prompts

PROTOCOLS = ("gedit", "imgedit")
KINDS = ("openai", "local", "none")
GEDIT_SEPARATOR = "\n--- perceptual quality ---\n"


class JudgeError(RuntimeError):
    """The judge's model could not be reached or run (not a bad answer: that is a parse failure)."""


@dataclass(frozen=True)
class Verdict:
    protocol: str  # "gedit" | "imgedit"
    scores: dict[str, float]  # the protocol's own scale: gedit sc, pq, overall 0..10; imgedit per criterion 1..5
    overall: float | None  # normalised to 0..1; None when the answer could not be parsed
    raw: str  # the model's answer(s), verbatim
    parse_failed: bool
    reasoning: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        return cls(str(data["protocol"]), {str(k): float(v) for k, v in dict(data.get("scores") or {}).items()},
                   None if data.get("overall") is None else float(data["overall"]), str(data.get("raw", "")),
                   bool(data.get("parse_failed")), str(data.get("reasoning", "")))


class VisionModel(Protocol):
    """What the judge needs of a model: one answer to a prompt about some pictures."""

    name: str

    def ask(self, prompt: str, images: Sequence[np.ndarray]) -> str: ...


# -- reading answers ----------------------------------------------------------------------------------

_NUMBER = r"-?\d+(?:\.\d+)?"


def _json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in `text` that parses (code fences and prose around it ignored)."""
    for match in re.finditer(r"\{", text):
        depth = 0
        for end in range(match.start(), len(text)):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            if depth == 0:
                try:
                    value = json.loads(text[match.start():end + 1])
                except json.JSONDecodeError:
                    break
                if isinstance(value, dict):
                    return value
                break
    return None


def parse_gedit_part(answer: str) -> tuple[list[float] | None, str]:
    """([first, second] on 0..10, reasoning) from one GEdit answer; None when it holds no such pair."""
    obj = _json_object(answer)
    values: Any = None
    reasoning = ""
    if obj is not None:
        values, reasoning = obj.get("score"), str(obj.get("reasoning", ""))
    else:
        found = re.search(r"\"?score\"?\s*:\s*\[([^\]]*)\]", answer)
        if found:
            values = re.findall(_NUMBER, found.group(1))
        why = re.search(r"\"?reasoning\"?\s*:\s*\"([^\"]*)", answer)
        reasoning = why.group(1) if why else ""
    if isinstance(values, str):  # "score": "8, 9"
        values = re.findall(_NUMBER, values)
    if not isinstance(values, list) or len(values) != 2:
        return None, reasoning
    try:
        numbers = [float(v) for v in values]
    except (TypeError, ValueError):
        return None, reasoning
    if not all(0 <= v <= 10 for v in numbers):
        return None, reasoning
    return numbers, reasoning


def gedit_verdict(sc_answer: str, pq_answer: str) -> Verdict:
    """SC = min(success, over-editing), PQ = min(naturalness, artefacts), overall = √(SC·PQ) (0..10; /10 for 0..1)."""
    sc_pair, sc_why = parse_gedit_part(sc_answer)
    pq_pair, pq_why = parse_gedit_part(pq_answer)
    scores: dict[str, float] = {}
    if sc_pair:
        scores.update(success=sc_pair[0], overediting=sc_pair[1], sc=min(sc_pair))
    if pq_pair:
        scores.update(naturalness=pq_pair[0], artifacts=pq_pair[1], pq=min(pq_pair))
    overall = None
    if sc_pair and pq_pair:
        scores["overall"] = math.sqrt(scores["sc"] * scores["pq"])
        overall = scores["overall"] / 10
    reasoning = " / ".join(p for p in (sc_why.strip(), pq_why.strip()) if p)
    return Verdict("gedit", scores, overall, sc_answer + GEDIT_SEPARATOR + pq_answer, overall is None, reasoning)


def imgedit_verdict(answer: str, edit_type: str | None) -> Verdict:
    """One 1..5 score per criterion of the type, read by name (else the answer's "Name: N" lines in order);
    `mean` is ImgEdit's item score, overall = (mean - 1) / 4."""
    criteria = prompts.imgedit_criteria(edit_type)
    values: list[float | None] = []
    for c in criteria:
        found = re.search(rf"^[\s*#-]*{re.escape(c.name)}[\s*]*:[\s*]*({_NUMBER})", answer, re.IGNORECASE | re.MULTILINE)
        values.append(float(found.group(1)) if found else None)
    if None in values:  # the names were changed: the published scorer reads every "Name: N" line instead
        lines = [float(m) for m in re.findall(rf"^[^:\n]*[A-Za-z][^:\n]*:[\s*]*({_NUMBER})\s*\**\s*$", answer,
                                               re.MULTILINE)]
        if len(lines) == len(criteria):
            values = list(lines)
    why = re.search(r"^[\s*#-]*brief reasoning[\s*]*:\s*(.+)$", answer, re.IGNORECASE | re.MULTILINE)
    reasoning = why.group(1).strip() if why else ""
    scores = {c.key: v for c, v in zip(criteria, values, strict=True) if v is not None}
    ok = all(v is not None and 1 <= v <= 5 for v in values)
    overall = None
    if ok:
        scores["mean"] = sum(scores[c.key] for c in criteria) / len(criteria)
        overall = (scores["mean"] - 1) / 4
    return Verdict("imgedit", scores, overall, answer, not ok, reasoning)


# -- the judge ----------------------------------------------------------------------------------------

class Judge:
    """Scores a result against its instruction and source with a vision-language model."""

    def __init__(self, model: VisionModel) -> None:
        self.model = model
        self.name = model.name

    def _ask(self, prompt: str, images: Sequence[np.ndarray]) -> str:
        try:
            return self.model.ask(prompt, images)
        except JudgeError:
            raise
        except Exception as exc:  # the model's own errors (endpoint down, checkpoint missing) say what to do
            raise JudgeError(f"the {self.name} judge failed: {exc}") from exc

    def judge(self, instruction: str, source: np.ndarray, result: np.ndarray, *, protocol: str = "gedit",
              edit_type: str | None = None) -> Verdict:
        """A Verdict for `result` (the edit of `source` asked for by `instruction`); JudgeError when the model
        cannot answer at all."""
        if protocol == "gedit":
            sc = self._ask(prompts.gedit_sc_prompt(instruction), [source, result])
            pq = self._ask(prompts.GEDIT_PQ, [result])
            return gedit_verdict(sc, pq)
        if protocol == "imgedit":
            return imgedit_verdict(self._ask(prompts.imgedit_prompt(instruction, edit_type), [source, result]),
                                   edit_type)
        raise ValueError(f"unknown judge protocol {protocol!r} (choose from {', '.join(PROTOCOLS)})")


# -- models -------------------------------------------------------------------------------------------

def _rgb(image: np.ndarray) -> np.ndarray:
    """8-bit RGB: grey expanded, alpha composited over white (a cut-out shows as the object on white)."""
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.shape[2] == 4:
        alpha = image[..., 3:4].astype(np.float32) / 255
        image = (image[..., :3] * alpha + 255 * (1 - alpha)).round().astype(np.uint8)
    return np.ascontiguousarray(image[..., :3].astype(np.uint8))


def png_data_url(image: np.ndarray, long_side: int) -> str:
    """The picture as the judge sees it: RGB, at most `long_side` pixels on the long side, as a PNG data URL."""
    import base64
    import io

    from PIL import Image

    picture = Image.fromarray(_rgb(image))
    picture.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    picture.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def side_by_side(images: Sequence[np.ndarray], height: int = 448, gap: int = 16) -> np.ndarray:
    """The pictures at one height, left to right, with white bars between: for a model that takes one image."""
    import cv2

    parts = []
    for i, image in enumerate(images):
        rgb = _rgb(image)
        width = max(1, round(rgb.shape[1] * height / rgb.shape[0]))
        parts.append(cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA))
        if i < len(images) - 1:
            parts.append(np.full((height, gap, 3), 255, np.uint8))
    return np.concatenate(parts, axis=1)


@dataclass
class JudgeConfig:
    """Where the judge's model is. Unset fields fall back to the environment, then the Builder's settings."""

    base_url: str = ""
    model: str = ""
    api_key: str = ""
    local_model: str = ""  # a folder or downloaded hub id; empty: the model manager's "vlm" model
    image_long_side: int = 768
    timeout: float = 120.0
    max_tokens: int = 512
    models: dict[str, Any] = field(default_factory=dict)  # the [models] table, for the local VLM

    @classmethod
    def resolve(cls, config: Any = None) -> JudgeConfig:
        """A complete JudgeConfig. Each field: as set in `config` when that is a JudgeConfig, else
        LEGO_EDIT_JUDGE_BASE_URL / _MODEL / _API_KEY / _LOCAL_MODEL, else the Builder's openai settings
        (LEGO_EDIT_OPENAI_*, then [builder] of `config` when it is the daemon's Config), else the default."""
        env = os.environ
        if isinstance(config, JudgeConfig):
            out, builder = JudgeConfig(**asdict(config)), None
        else:
            out = cls(models=dict(getattr(config, "models", None) or {}))
            builder = getattr(config, "builder", None)

        def pick(current: str, judge_env: str, builder_env: str | None, builder_field: str | None) -> str:
            return (current or env.get(judge_env) or (env.get(builder_env) if builder_env else None)
                    or (getattr(builder, builder_field, "") if builder_field else "") or "")

        out.base_url = pick(out.base_url, "LEGO_EDIT_JUDGE_BASE_URL", "LEGO_EDIT_OPENAI_BASE_URL",
                            "openai_base_url") or "http://127.0.0.1:11434/v1"
        out.model = pick(out.model, "LEGO_EDIT_JUDGE_MODEL", "LEGO_EDIT_OPENAI_MODEL", "openai_model")
        out.api_key = pick(out.api_key, "LEGO_EDIT_JUDGE_API_KEY", "LEGO_EDIT_OPENAI_API_KEY", "openai_api_key")
        out.local_model = pick(out.local_model, "LEGO_EDIT_JUDGE_LOCAL_MODEL", None, None)
        return out


class OpenAIVision:
    """An OpenAI-compatible chat-completions endpoint, every picture sent as its own image part."""

    name = "openai"

    def __init__(self, settings: JudgeConfig) -> None:
        from lego_edit.builder.chat import ChatModelError
        from lego_edit.builder.openai_chat import OpenAIChat

        if not settings.model:
            raise JudgeError("no model for the openai judge: set LEGO_EDIT_JUDGE_MODEL (or builder.openai_model)")
        long_side = settings.image_long_side

        class _Pictures(OpenAIChat):
            def _payload(self, messages: list[dict[str, str]], image: Any | None) -> dict[str, Any]:
                body = super()._payload(messages, None)
                parts: list[dict[str, Any]] = [{"type": "text", "text": messages[-1]["content"]}]
                parts += [{"type": "image_url", "image_url": {"url": png_data_url(p, long_side)}}
                          for p in image or ()]
                body["messages"][-1] = {"role": "user", "content": parts}
                return body

        try:
            self.chat = _Pictures(settings.base_url, settings.model, api_key=settings.api_key,
                                  timeout=settings.timeout, max_tokens=settings.max_tokens)
        except ChatModelError as exc:
            raise JudgeError(str(exc)) from None
        self.label = f"openai {settings.model} at {settings.base_url}"

    def ask(self, prompt: str, images: Sequence[np.ndarray]) -> str:
        return self.chat.complete([{"role": "user", "content": prompt}], list(images))


class LocalVision:
    """The local VLM (Qwen2.5-VL family, one picture per question): the pictures go side by side in one."""

    name = "local"

    def __init__(self, settings: JudgeConfig) -> None:
        self.settings = settings
        self.label = f"local {settings.local_model or 'vlm'}"

    def _load(self, manager: Any) -> Any:
        from pathlib import Path

        from lego_edit.bricks.models.loading import model_folder
        from lego_edit.bricks.models.vlm import NAME, VisionChat

        folder: Any = Path(self.settings.local_model).expanduser() if self.settings.local_model else None
        if folder is None or not folder.exists():
            folder = self.settings.local_model or model_folder(manager.settings, NAME)
        chat = VisionChat.load(folder, dtype=manager.dtype)
        chat.model.to(manager.device)
        return chat

    def ask(self, prompt: str, images: Sequence[np.ndarray]) -> str:
        from PIL import Image

        from lego_edit.bricks.models import default_manager

        manager = default_manager()
        height = min(448, self.settings.image_long_side, max(int(np.asarray(i).shape[0]) for i in images))
        picture = Image.fromarray(side_by_side(images, height=height))  # never enlarged
        key = f"judge@{self.settings.local_model or 'vlm'}"
        with manager.use(key, self._load) as chat:
            answer, _ = chat.answer([{"role": "user", "content": prompts.side_by_side_note(len(images)) + prompt}],
                                    picture, max_new_tokens=self.settings.max_tokens)
        return str(answer)


def make_judge(kind: str, config: Any = None) -> Judge | None:
    """"openai" | "local" | "none": a Judge, or None for "none". `config`: a JudgeConfig, the daemon's Config, or None."""
    if kind == "none":
        return None
    settings = JudgeConfig.resolve(config)
    if kind == "openai":
        return Judge(OpenAIVision(settings))
    if kind == "local":
        return Judge(LocalVision(settings))
    raise ValueError(f"unknown judge {kind!r} (choose from {', '.join(KINDS)})")
