"""The training set of the Builder: one JSONL line per example, and the ways to make one.

A line (`Record.to_dict`):

    {"id": "rules-3f2a…", "image": "photos/astronaut.png", "instruction": "make it brighter",
     "mask": null, "feedback": [], "workflow": {"process": …, "pipeline": […]} | null,
     "refusal": null | "why it cannot be done", "reasoning": "…", "source": "rules", "split": "train"}

`workflow` (or `refusal`) is the ground truth: stages 1 and 2 need one, stage 3 takes lines with
neither. Relative `image` / `mask` paths are relative to the JSONL file's folder.

Sources: the prompt's worked examples, the rules Builder run over an instruction list (distilled:
its plans are targets, its refusals refusal targets), the hosts' accepted edits (a history JSONL,
`HISTORY_FORMAT`), and unannotated instruction lists for stage 3. Images come from a folder and are
given to instructions by a hash of the text, so the same input always gives the same file.
Duplicates (same normalised instruction, mask presence and feedback) are dropped, the first kept;
the held-out split is a hash of the normalised instruction, so an instruction never sits on both
sides.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SOURCES = ("examples", "rules", "history", "instructions")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp")
TRAIN, HELDOUT = "train", "heldout"

HISTORY_FORMAT = """One JSON object a line, one line per edit the user kept:
  {"instruction": "remove the red ball", "image": "/path/source.png", "mask": "/path/selection.png" | null,
   "feedback": ["don't use SOS"], "workflow": {"process": ..., "pipeline": [...]}}
"plan": {"reasoning": ..., "workflow": ...} (what `lego-edit plan --json` prints) may stand for "workflow";
"accepted": false marks an edit that was undone (skipped). Relative paths are relative to the file."""


class DataError(ValueError):
    """A source file that cannot be read as training data; the message names file and line."""


@dataclass
class Record:
    instruction: str
    image: str
    source: str
    mask: str | None = None
    feedback: list[str] = field(default_factory=list)
    workflow: dict[str, Any] | None = None
    refusal: str | None = None
    reasoning: str = ""
    split: str = TRAIN
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            self.id = f"{self.source}-{self.key()[:12]}"

    @property
    def has_target(self) -> bool:
        return self.workflow is not None or self.refusal is not None

    def key(self) -> str:
        """The deduplication key: normalised instruction, mask or not, the feedback."""
        text = "\x00".join([normalise(self.instruction), "mask" if self.mask else "", *map(normalise, self.feedback)])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "image": self.image, "instruction": self.instruction, "mask": self.mask,
                "feedback": list(self.feedback), "workflow": self.workflow, "refusal": self.refusal,
                "reasoning": self.reasoning, "source": self.source, "split": self.split}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        if not isinstance(data, dict):
            raise DataError("a record is a JSON object")
        missing = [k for k in ("instruction", "image") if not isinstance(data.get(k), str) or not data.get(k)]
        if missing:
            raise DataError(f"the record lacks {', '.join(missing)}")
        workflow = data.get("workflow")
        if workflow is not None and not isinstance(workflow, dict):
            raise DataError("'workflow' must be a JSON object or null")
        feedback = data.get("feedback") or []
        if not isinstance(feedback, list) or not all(isinstance(f, str) for f in feedback):
            raise DataError("'feedback' must be a list of strings")
        return cls(instruction=data["instruction"], image=data["image"], source=str(data.get("source") or "file"),
                   mask=data.get("mask") or None, feedback=list(feedback), workflow=workflow,
                   refusal=data.get("refusal") or None, reasoning=str(data.get("reasoning") or ""),
                   split=str(data.get("split") or TRAIN), id=str(data.get("id") or ""))


def normalise(text: str) -> str:
    """Case-, space- and end-punctuation-insensitive form of an instruction."""
    return re.sub(r"\s+", " ", text).strip().strip(".!?").strip().lower()


def split_of(instruction: str, heldout_percent: float) -> str:
    digest = int(hashlib.sha256(normalise(instruction).encode("utf-8")).hexdigest(), 16)
    return HELDOUT if digest % 100 < heldout_percent else TRAIN


# -- reading and writing -------------------------------------------------------------------------------

def read_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-empty line; DataError naming the line that is not JSON."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{number}: not JSON ({exc.msg})") from None


def load(path: str | Path, *, split: str | None = None, resolve: bool = True) -> list[Record]:
    """The records of a dataset file (those of `split` only when given), paths made absolute."""
    path = Path(path)
    records = []
    for number, data in read_jsonl(path):
        try:
            record = Record.from_dict(data)
        except DataError as exc:
            raise DataError(f"{path}:{number}: {exc}") from None
        if split is not None and record.split != split:
            continue
        if resolve:
            record.image = str(_resolve(path.parent, record.image))
            record.mask = str(_resolve(path.parent, record.mask)) if record.mask else None
        records.append(record)
    return records


def save(records: Iterable[Record], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r.to_dict(), ensure_ascii=False) for r in records]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _resolve(folder: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (folder / p).resolve()


# -- images --------------------------------------------------------------------------------------------

def image_files(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder of images")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise DataError(f"{folder} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    return files


def pick_image(images: Sequence[Path], instruction: str) -> Path:
    digest = int(hashlib.sha256(normalise(instruction).encode("utf-8")).hexdigest(), 16)
    return images[digest % len(images)]


def _image_size(path: str | Path) -> tuple[int, int] | None:
    try:
        from PIL import Image

        with Image.open(path) as img:
            return img.size
    except (OSError, ValueError):
        return None


def centre_mask(image: str | Path, out: Path) -> Path:
    """A mask of the image's middle half (for examples written for a user's selection)."""
    import numpy as np
    from PIL import Image

    size = _image_size(image) or (64, 64)
    w, h = size
    mask = np.zeros((h, w), np.uint8)
    mask[h // 4: h - h // 4, w // 4: w - w // 4] = 255
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(mask).save(out)
    return out


# -- sources -------------------------------------------------------------------------------------------

def read_instructions(path: str | Path) -> list[str]:
    """An instruction list: JSONL with an "instruction" field (tests/data/instructions/open_domain.jsonl's
    form), or plain text, one instruction a line."""
    path = Path(path)
    if path.suffix.lower() == ".jsonl":
        out = []
        for number, data in read_jsonl(path):
            text = data.get("instruction") if isinstance(data, dict) else None
            if not isinstance(text, str) or not text.strip():
                raise DataError(f"{path}:{number}: no \"instruction\" string")
            out.append(text.strip())
        return out
    try:
        return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None


def from_examples(images: Sequence[Path], mask_folder: Path, registry: Any = None) -> list[Record]:
    """The prompt's worked examples, each with an image (and a mask where the example has one)."""
    from lego_edit.builder.examples import EXAMPLE_INSTRUCTIONS
    from lego_edit.builder.rules import PlanRefused, plan_rules

    records = []
    for instruction, has_mask in EXAMPLE_INSTRUCTIONS:
        image = pick_image(images, instruction)
        try:
            planned = plan_rules(instruction, has_mask=has_mask, registry=registry, image_size=_image_size(image))
        except PlanRefused:
            continue
        mask = str(centre_mask(image, mask_folder / f"{image.stem}-centre.png")) if has_mask else None
        records.append(Record(instruction, str(image), "examples", mask=mask, workflow=planned.workflow,
                              reasoning=planned.reasoning))
    return records


def distill_rules(instructions: Iterable[str], images: Sequence[Path], registry: Any = None, *,
                  refusals: bool = True) -> tuple[list[Record], dict[str, int]]:
    """The rules Builder over `instructions`: each plan that checks clean is a target, each refusal a
    refusal target (when `refusals`). Returns the records and counts (planned, refused, invalid)."""
    from lego_edit.bricks import default_registry
    from lego_edit.bricks.checker import check
    from lego_edit.bricks.workflow import Workflow, WorkflowSyntaxError
    from lego_edit.builder.rules import PlanRefused, plan_rules

    registry = registry if registry is not None else default_registry()
    counts = {"planned": 0, "refused": 0, "invalid": 0}
    records = []
    for instruction in instructions:
        image = pick_image(images, instruction)
        try:
            planned = plan_rules(instruction, registry=registry, image_size=_image_size(image))
        except PlanRefused as exc:
            counts["refused"] += 1
            if refusals:
                records.append(Record(instruction, str(image), "rules", refusal=str(exc), reasoning=str(exc)))
            continue
        try:
            ok = check(Workflow.from_dict(planned.workflow), registry, inits=("image",)).ok
        except WorkflowSyntaxError:
            ok = False
        if not ok:
            counts["invalid"] += 1
            continue
        counts["planned"] += 1
        records.append(Record(instruction, str(image), "rules", workflow=planned.workflow, reasoning=planned.reasoning))
    return records, counts


def from_history(path: str | Path, registry: Any = None) -> tuple[list[Record], dict[str, int]]:
    """The user's accepted edits (`HISTORY_FORMAT`): each plan that still checks clean against the
    catalog and its feedback is a target. Counts: kept, undone, invalid."""
    from lego_edit.bricks import default_registry
    from lego_edit.bricks.checker import check
    from lego_edit.bricks.workflow import Workflow, WorkflowSyntaxError
    from lego_edit.builder.feedback import parse_feedback

    registry = registry if registry is not None else default_registry()
    path = Path(path)
    counts = {"kept": 0, "undone": 0, "invalid": 0}
    records = []
    for number, data in read_jsonl(path):
        where = f"{path}:{number}"
        if not isinstance(data, dict):
            raise DataError(f"{where}: a history line is a JSON object ({HISTORY_FORMAT})")
        if data.get("accepted") is False:
            counts["undone"] += 1
            continue
        plan: dict[str, Any] = data["plan"] if isinstance(data.get("plan"), dict) else {}
        workflow = data.get("workflow", plan.get("workflow"))
        instruction, image = data.get("instruction"), data.get("image")
        if not isinstance(instruction, str) or not isinstance(image, str) or not isinstance(workflow, dict):
            raise DataError(f"{where}: needs \"instruction\", \"image\" and \"workflow\" (or \"plan\")")
        mask = data.get("mask") or None
        feedback = [f for f in data.get("feedback") or [] if isinstance(f, str)]
        try:
            constraints = [c for f in feedback for c in parse_feedback(f, registry)]
            wf = Workflow.from_dict(workflow)
            checks = [_as_check(c) for c in constraints]
            ok = check(wf, registry, inits=("image", "mask") if mask else ("image",), constraints=checks).ok
        except (WorkflowSyntaxError, ValueError):
            ok = False
        if not ok:
            counts["invalid"] += 1
            continue
        counts["kept"] += 1
        records.append(Record(instruction.strip(), str(_resolve(path.parent, image)), "history",
                              mask=str(_resolve(path.parent, mask)) if mask else None, feedback=feedback,
                              workflow=wf.to_dict(), reasoning=str(plan.get("reasoning") or wf.process)))
    return records, counts


def unannotated(instructions: Iterable[str], images: Sequence[Path]) -> list[Record]:
    """Instructions without a target, for reinforcement learning with the critic."""
    return [Record(text, str(pick_image(images, text)), "instructions") for text in instructions]


def _as_check(constraint: Any):
    return lambda workflow: constraint.violations(workflow.to_dict())


# -- assembling ----------------------------------------------------------------------------------------

def deduplicate(records: Iterable[Record]) -> tuple[list[Record], int]:
    """The records with later duplicates dropped, and how many were dropped."""
    records = list(records)
    seen: set[str] = set()
    kept: list[Record] = []
    for record in records:
        key = record.key()
        if key in seen:
            continue
        seen.add(key)
        kept.append(record)
    return kept, len(records) - len(kept)


def assign_splits(records: Iterable[Record], heldout_percent: float) -> list[Record]:
    out = list(records)
    for record in out:
        record.split = split_of(record.instruction, heldout_percent)
    return out


def relative_to(records: Iterable[Record], folder: Path) -> list[Record]:
    """Paths made relative to the dataset's folder where they lie inside it (a portable dataset)."""
    import dataclasses

    out = [dataclasses.replace(r, feedback=list(r.feedback)) for r in records]
    folder = folder.resolve()
    for record in out:
        for attr in ("image", "mask"):
            value = getattr(record, attr)
            if value:
                p = Path(value).resolve()
                if p.is_relative_to(folder):
                    setattr(record, attr, str(p.relative_to(folder)))
    return out
