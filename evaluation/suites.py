"""Evaluation suites: what to edit, with which instruction, and what is known about the right answer.

Three forms:
- a JSONL file, one item a line: {"id", "image", "instruction", "type"?, "mask"?, "truth_mask"?,
  "reference"?, "source"?}, paths relative to the file;
- an ImgEdit-Bench folder: its `basic_edit.json` ({key: {"id": image path, "prompt", "edit_type"}}) and the
  benchmark's original images, found under the folder by that path (also one or two folders down, as the
  downloaded archive unpacks);
- a GEdit-Bench folder: the dataset as published on the Hugging Face hub (parquet files with key, task_type,
  instruction, instruction_language, input_image), read with pyarrow; its images are unpacked once into the
  run's folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# GEdit-Bench's task types in the type vocabulary of the right-kind table (those without one are only judged).
GEDIT_TYPES = {"background_change": "background", "color_alter": "adjust", "material_alter": "adjust",
               "motion_change": "action", "ps_human": "ps_human", "style_change": "style", "subject-add": "add",
               "subject-remove": "remove", "subject-replace": "replace", "text_change": "text",
               "tone_transfer": "env"}


class SuiteError(ValueError):
    """The suite cannot be read; the message names the file (and line) and what is wrong."""


@dataclass(frozen=True)
class Item:
    id: str
    image: str  # absolute path
    instruction: str
    type: str | None = None
    mask: str | None = None  # the user's mask (init[mask])
    truth_mask: str | None = None  # where the edit should happen
    reference: str | None = None  # a reference result, shown beside ours
    source: str = ""  # where the item comes from (per-source rows of the summary)
    meta: tuple[tuple[str, str], ...] = ()  # anything else the benchmark says about the item

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["meta"] = dict(self.meta)
        return out


@dataclass(frozen=True)
class Suite:
    name: str
    kind: str  # "jsonl" | "imgedit" | "gedit"
    items: tuple[Item, ...]
    protocol: str  # the judge protocol this suite is scored in by default

    def slugs(self) -> dict[str, str]:
        """A file-system-safe, unique name per item id."""
        out: dict[str, str] = {}
        used: set[str] = set()
        for item in self.items:
            base = re.sub(r"[^A-Za-z0-9._-]+", "_", item.id).strip("._") or "item"
            slug, n = base[:80], 2
            while slug in used:
                slug, n = f"{base[:76]}-{n}", n + 1
            used.add(slug)
            out[item.id] = slug
        return out


def load_suite(path: str | Path, *, cache_dir: str | Path | None = None, language: str = "en") -> Suite:
    """The suite at `path` (a JSONL file or a benchmark folder); SuiteError when it cannot be read.
    `cache_dir` receives GEdit-Bench's unpacked images; `language` ("en", "cn" or "all") picks its instructions."""
    p = Path(path)
    if not p.exists():
        raise SuiteError(f"{p}: no such file or folder")
    if p.is_file():
        return _jsonl(p)
    if _imgedit_json(p) is not None:
        return _imgedit(p)
    if list(_parquets(p)):
        return _gedit(p, Path(cache_dir) if cache_dir else p / ".lego-edit-images", language)
    raise SuiteError(f"{p}: not a suite folder (expected ImgEdit-Bench's basic_edit.json with its images, or "
                     "GEdit-Bench's parquet files)")


def _unique(items: list[Item], where: Path) -> tuple[Item, ...]:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise SuiteError(f"{where}: the id {item.id!r} appears twice")
        seen.add(item.id)
    return tuple(items)


def _jsonl(path: Path) -> Suite:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteError(f"{path}: cannot read it ({exc})") from None
    base = path.parent
    items = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SuiteError(f"{path}:{number}: not JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise SuiteError(f"{path}:{number}: each line must be a JSON object")
        missing = [k for k in ("image", "instruction") if not isinstance(data.get(k), str) or not data[k].strip()]
        if missing:
            raise SuiteError(f"{path}:{number}: missing {', '.join(missing)}")

        def rel(key: str) -> str | None:
            value = data.get(key)  # noqa: B023 (used at once, inside the loop)
            return str((base / value).resolve()) if isinstance(value, str) and value else None

        known = {"id", "image", "instruction", "type", "mask", "truth_mask", "reference", "source"}
        meta = tuple(sorted((k, str(v)) for k, v in data.items() if k not in known))
        items.append(Item(str(data.get("id", number)), str(rel("image")), data["instruction"],
                          str(data["type"]) if data.get("type") else None, rel("mask"), rel("truth_mask"),
                          rel("reference"), str(data.get("source") or path.stem), meta))
    if not items:
        raise SuiteError(f"{path}: no items")
    return Suite(path.stem, "jsonl", _unique(items, path), "gedit")


# -- ImgEdit-Bench ------------------------------------------------------------------------------------

def _imgedit_json(folder: Path) -> Path | None:
    for candidate in (folder / "basic_edit.json", *sorted(folder.glob("*/basic_edit.json"))):
        if candidate.is_file():
            return candidate
    return None


def _image_roots(folder: Path) -> list[Path]:
    roots = [folder]
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        roots.append(sub)
        roots += sorted(p for p in sub.iterdir() if p.is_dir() and not p.name.startswith("."))
    return roots


def _imgedit(folder: Path) -> Suite:
    table = _imgedit_json(folder)
    assert table is not None
    try:
        data = json.loads(table.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SuiteError(f"{table}: cannot read it ({exc})") from None
    if not isinstance(data, dict):
        raise SuiteError(f"{table}: expected {{key: {{id, prompt, edit_type}}}}")
    roots = _image_roots(folder)
    root: Path | None = None
    items, missing = [], 0
    for key, entry in data.items():
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("id", "prompt")):
            raise SuiteError(f"{table}: entry {key!r} lacks id or prompt")
        if root is None or not (root / entry["id"]).is_file():
            root = next((r for r in roots if (r / entry["id"]).is_file()), root)
        if root is None or not (root / entry["id"]).is_file():
            missing += 1
            continue
        items.append(Item(str(key), str((root / entry["id"]).resolve()), entry["prompt"],
                          entry.get("edit_type") or None, source=str(entry["id"]).split("/")[0]))
    if not items:
        raise SuiteError(f"{folder}: none of the {len(data)} images named in {table.name} is under it (unpack "
                         "ImgEdit's Benchmark.tar there)")
    return Suite(folder.name, "imgedit", _unique(items, table), "imgedit")


# -- GEdit-Bench --------------------------------------------------------------------------------------

def _parquets(folder: Path) -> Iterable[Path]:
    return sorted(folder.glob("**/*.parquet"))


def _gedit(folder: Path, cache: Path, language: str) -> Suite:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise SuiteError("reading GEdit-Bench's parquet files needs pyarrow: pip install pyarrow") from None
    cache.mkdir(parents=True, exist_ok=True)
    items = []
    for file in _parquets(folder):
        try:
            table = pq.read_table(file, columns=["key", "task_type", "instruction", "instruction_language",
                                                 "input_image", "Intersection_exist"])
        except Exception as exc:  # pyarrow's errors: a broken file or other columns
            raise SuiteError(f"{file}: not GEdit-Bench's layout ({exc})") from None
        for row in table.to_pylist():
            lang = str(row.get("instruction_language") or "")
            if language != "all" and lang != language:
                continue
            task = str(row["task_type"])
            image = cache / task / lang / f"{row['key']}.png"
            if not image.is_file():
                picture = row.get("input_image") or {}
                blob = picture.get("bytes") if isinstance(picture, dict) else None
                if not blob:
                    raise SuiteError(f"{file}: item {row['key']} has no image bytes")
                image.parent.mkdir(parents=True, exist_ok=True)
                _write_png(blob, image)
            items.append(Item(f"{task}/{lang}/{row['key']}", str(image), str(row["instruction"]),
                              GEDIT_TYPES.get(task, task), source=task,
                              meta=(("intersection_exist", str(bool(row.get("Intersection_exist")))),
                                    ("language", lang), ("task_type", task))))
    if not items:
        raise SuiteError(f"{folder}: no GEdit-Bench items in language {language!r}")
    return Suite(folder.name, "gedit", _unique(items, folder), "gedit")


def _write_png(blob: bytes, path: Path) -> None:
    import io

    from PIL import Image

    with Image.open(io.BytesIO(blob)) as im:
        im.save(path.with_suffix(".tmp.png"))
    path.with_suffix(".tmp.png").replace(path)
