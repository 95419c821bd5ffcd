"""What a batch is made of: items read from a folder of images or a JSONL file, and where each output goes.

A folder gives one item per image file (the formats Lego Edit writes back: PNG, JPEG, WebP, TIFF; other
files are counted and left alone), its id the path relative to the folder, one instruction for all.
A JSONL file gives one item per line {"id", "image", "instruction", "mask"?, "feedback"?}, paths relative
to the file. Outputs keep the input's relative path, so its name and format; two JSONL items with one
image get `<stem>.<id><ext>`.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lego_edit.bricks.imageio import WRITE_FORMATS


class BatchInputError(ValueError):
    """INPUT cannot be read as a batch (one line for the user)."""


@dataclass
class BatchItem:
    id: str
    image: str  # the path as given (absolute after `collect`)
    instruction: str
    output: str  # relative to OUTDIR
    mask: str | None = None
    feedback: list[str] = field(default_factory=list)
    error: str | None = None  # a line of the JSONL that could not be read: recorded, never run

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Collected:
    items: list[BatchItem]
    skipped: list[str]  # files in the folder that are not images Lego Edit can write back
    shared_instruction: bool  # one instruction for every item (a folder, or a JSONL that says the same)


def collect(source: str | Path, instruction: str | None = None, feedback: list[str] | None = None, *,
            exclude: str | Path | None = None) -> Collected:
    """The items of a folder or a JSONL file; a folder's images under `exclude` (the output folder, when it is
    inside the input one) are not inputs."""
    path = Path(source)
    if path.is_dir():
        if not instruction or not instruction.strip():
            raise BatchInputError(f"{path} is a folder: give the instruction for its images with --instruction TEXT")
        return _folder(path, instruction, list(feedback or []), Path(exclude).resolve() if exclude else None)
    if not path.exists():
        raise BatchInputError(f"{path}: no such file or folder")
    return _jsonl(path, instruction, list(feedback or []))


def _folder(folder: Path, instruction: str, feedback: list[str], exclude: Path | None) -> Collected:
    items, skipped = [], []
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        if exclude is not None and exclude in file.resolve().parents:
            continue
        rel = file.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if file.suffix.lower() not in WRITE_FORMATS:
            skipped.append(str(rel))
            continue
        items.append(BatchItem(rel.as_posix(), str(file.resolve()), instruction, rel.as_posix(), None,
                               list(feedback)))
    if not items:
        raise BatchInputError(f"{folder}: no images (.png, .jpg/.jpeg, .webp, .tif/.tiff) in it")
    return Collected(items, skipped, True)


def _jsonl(path: Path, instruction: str | None, feedback: list[str]) -> Collected:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchInputError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    base = path.parent
    items: list[BatchItem] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("each line must be a JSON object")
            image = data.get("image")
            if not isinstance(image, str) or not image:
                raise ValueError('"image" (a path) is missing')
            text = data.get("instruction") or instruction
            if not isinstance(text, str) or not text.strip():
                raise ValueError('"instruction" is missing')
            said = data.get("feedback") or []
            said = [said] if isinstance(said, str) else [str(s) for s in said]
            mask = data.get("mask")
            image_path = (base / image).resolve()
            if image_path.suffix.lower() not in WRITE_FORMATS:
                raise ValueError(f"{image}: Lego Edit writes .png, .jpg/.jpeg, .webp or .tif/.tiff, so it takes those")
            items.append(BatchItem(str(data.get("id", number)), str(image_path), text, _relative(image),
                                   str((base / mask).resolve()) if mask else None, [*feedback, *said]))
        except (ValueError, TypeError) as exc:
            items.append(BatchItem(f"line {number}", "", "", "", error=f"{path.name} line {number}: {exc}"))
    ids = Counter(item.id for item in items)
    twice = [i for i, n in ids.items() if n > 1]
    if twice:
        raise BatchInputError(f"{path}: the id {twice[0]!r} is given {ids[twice[0]]} times: ids must be unique")
    outputs = Counter(item.output for item in items if not item.error)
    for item in items:
        if not item.error and outputs[item.output] > 1:
            out = Path(item.output)
            item.output = out.with_name(f"{out.stem}.{_safe(item.id)}{out.suffix}").as_posix()
    if not items:
        raise BatchInputError(f"{path}: no items (one JSON object per line)")
    texts = {(item.instruction, tuple(item.feedback)) for item in items if not item.error}
    return Collected(items, [], len(texts) == 1)


def _relative(image: str) -> str:
    """The output path of an input: its relative path kept, absolute and parent parts dropped."""
    if Path(image).is_absolute():
        return Path(image).name
    parts = [p for p in Path(image).parts if p not in ("..", ".")]
    return Path(*parts).as_posix() if parts else Path(image).name


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:64] or "item"
