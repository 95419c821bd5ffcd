"""One batch item on a worker (a pool process or a Ray actor): read, plan, run, encode the output files.

The worker writes the outputs with `write_outcome` — byte for byte what `lego-edit edit -o` writes —
into a scratch folder and hands back their bytes, so the driver (which may be on another machine than
a Ray worker) puts them in OUTDIR and the manifest stays in one place.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lego_edit.batch.editor import EditFailure, Editor, write_outcome


@dataclass
class ItemResult:
    record: dict[str, Any]  # the item's manifest line
    files: list[tuple[str, bytes]] = field(default_factory=list)  # (path relative to OUTDIR, contents)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def failure(item: dict[str, Any], code: str, message: str, **extra: Any) -> ItemResult:
    status = "refused" if code == "plan_refused" else "failed"
    return ItemResult(record(item, status, code, message, **extra))


def record(item: dict[str, Any], status: str, code: str | None = None, message: str = "", **extra: Any
           ) -> dict[str, Any]:
    line = {"id": item["id"], "image": item["image"], "instruction": item["instruction"],
            "feedback": list(item.get("feedback") or []), "mask": item.get("mask"), "output": item["output"],
            "status": status, "code": code, "message": message}
    line.update(extra)
    return line


def edit_item(editor: Editor, item: dict[str, Any], image: bytes | None = None, mask: bytes | None = None, *,
              masks: bool = False) -> ItemResult:
    """The item done (its files encoded) or its failure recorded; never raises for a bad item."""
    started = time.perf_counter()
    worker = worker_name()
    if item.get("error"):
        return failure(item, "bad_item", item["error"], worker=worker)
    try:
        source, mask_array = editor.read(image if image is not None else item["image"],
                                         mask if mask is not None else item.get("mask"), name=item["image"])
    except EditFailure as exc:
        return failure(item, exc.code, str(exc), worker=worker, seconds=round(time.perf_counter() - started, 4))
    outcome = editor.edit(source, item["instruction"], mask_array, item.get("feedback") or ())
    timings = {"plan_s": round(outcome.plan_s, 4), "edit_s": round(outcome.edit_s, 4)}
    common: dict[str, Any] = {"plan": outcome.plan, "backend": outcome.backend, "plan_shared": outcome.plan_shared,
                              **timings, "worker": worker}
    if not outcome.ok:
        return failure(item, outcome.code or "error", outcome.message, **common,
                       seconds=round(time.perf_counter() - started, 4))
    written = time.perf_counter()
    out = Path(item["output"])
    files: list[tuple[str, bytes]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="lego-edit-batch-") as scratch:
            summary = write_outcome(outcome, Path(scratch) / out.name, main_only=not masks)
            for entry in summary["result"]:
                path = Path(entry["path"])
                files.append(((out.parent / path.name).as_posix(), path.read_bytes()))
    except EditFailure as exc:
        return failure(item, exc.code, str(exc), **common, seconds=round(time.perf_counter() - started, 4))
    notes = [n for entry in summary["result"] for n in entry.get("notes", [])]
    line = record(item, "done", files=[name for name, _ in files], notes=notes, values=_jsonable(summary["values"]),
                  **common, write_s=round(time.perf_counter() - written, 4),
                  seconds=round(time.perf_counter() - started, 4))
    return ItemResult(line, files)


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in values.items():
        item = getattr(value, "item", None)
        out[key] = item() if callable(item) else value
    return out
