"""The driver of a batch: hands the items to a pool (local processes or Ray actors), writes each item's files
and its manifest line as it finishes, and sums up.

The manifest (OUTDIR/manifest.jsonl) has one JSON line per item — id, image, output, status ("done",
"refused", "failed"), code, message, plan, timings, worker — appended and flushed as items finish, so an
interrupted batch keeps what it did. `resume` keeps the items whose last line says done, with the same
instruction and feedback and their files still there, and redoes the rest; the manifest is rewritten
first with only the kept lines, so it never holds an item twice.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lego_edit.batch.items import BatchItem, Collected
from lego_edit.batch.work import ItemResult, failure

MANIFEST = "manifest.jsonl"


@dataclass
class BatchOptions:
    outdir: Path
    builder: str | None = None
    workers: int | None = None
    ray: str | None = None  # None: the local pool; "auto" or "ray://HOST:PORT": Ray
    resume: bool = False
    masks: bool = False  # also write the other result items (masks) beside each output
    progress: bool = True


@dataclass
class BatchSummary:
    total: int
    kept: int  # done in an earlier run (resume)
    records: list[dict[str, Any]] = field(default_factory=list)  # this run's manifest lines
    seconds: float = 0.0
    pool: str = ""
    workers: int = 0
    notes: list[str] = field(default_factory=list)

    def counts(self) -> Counter:
        return Counter(r["status"] for r in self.records)

    @property
    def ok(self) -> bool:
        return all(r["status"] == "done" for r in self.records)


def read_manifest(path: Path) -> dict[str, dict[str, Any]]:
    """The last line of each id (a torn last line of an interrupted run is ignored)."""
    records: dict[str, dict[str, Any]] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return records
    for line in text.splitlines():
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict) and "id" in data:
            records[str(data["id"])] = data
    return records


def _still_done(record: dict[str, Any] | None, item: BatchItem, outdir: Path) -> bool:
    return (record is not None and record.get("status") == "done" and record.get("instruction") == item.instruction
            and list(record.get("feedback") or []) == item.feedback and record.get("image") == item.image
            and all((outdir / f).is_file() for f in record.get("files") or [item.output]))


def write_file(outdir: Path, relative: str, data: bytes) -> Path:
    """`data` at OUTDIR/relative, atomically (a reader never sees half a file); never outside OUTDIR."""
    target = (outdir / relative).resolve()
    if outdir.resolve() not in target.parents:
        raise ValueError(f"{relative}: outside the output folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}.part")
    part.write_bytes(data)
    os.replace(part, target)
    return target


class _Bar:
    """tqdm over items on a terminal (with its ETA), nothing otherwise."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar = None
        if enabled and total and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="img", file=sys.stderr, dynamic_ncols=True)

    def update(self, record: dict[str, Any], failed: int) -> None:
        if self.bar is not None:
            if failed:
                self.bar.set_postfix_str(f"{failed} failed")
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def make_pool(config: Any, options: BatchOptions, count: int) -> tuple[Any, list[str]]:
    """The local pool or the Ray pool the options ask for, and notes on its size."""
    if options.ray:
        from lego_edit.batch.ray_pool import RayPool

        pool = RayPool(config, options.builder, options.ray, options.workers, masks=options.masks)
        return pool, [pool.sizing]
    from lego_edit.batch.pool import LocalPool, workers_for

    workers, why = workers_for(config, options.workers)
    workers = max(1, min(workers, count))
    return LocalPool(config, options.builder, workers, masks=options.masks), [why]


def run_batch(config: Any, collected: Collected, options: BatchOptions, *, pool: Any = None,
              on_record: Callable[[dict[str, Any]], None] | None = None) -> BatchSummary:
    """Run every item not already done, on `pool` (kept open) or on the one the options ask for (closed at the
    end); `on_record` sees each manifest line as it is written."""
    outdir = options.outdir
    outdir.mkdir(parents=True, exist_ok=True)
    manifest = outdir / MANIFEST
    previous = read_manifest(manifest) if options.resume else {}
    kept = [previous[i.id] for i in collected.items if _still_done(previous.get(i.id), i, outdir)]
    kept_ids = {r["id"] for r in kept}
    todo = [i for i in collected.items if i.id not in kept_ids]
    part = manifest.with_name(f".{MANIFEST}.part")
    part.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
    os.replace(part, manifest)
    summary = BatchSummary(total=len(collected.items), kept=len(kept))
    if collected.skipped:
        summary.notes.append(f"{len(collected.skipped)} file(s) that are not .png/.jpg/.webp/.tif left alone: "
                             + ", ".join(collected.skipped[:5]) + (" ..." if len(collected.skipped) > 5 else ""))
    started = time.perf_counter()
    bad = [i for i in todo if i.error]
    runnable = [i for i in todo if not i.error]
    bar = _Bar(len(todo), options.progress)
    own_pool = pool is None  # a pool handed in stays open (warm) for its owner
    with manifest.open("a", encoding="utf-8") as out:
        def finish(result: ItemResult) -> None:
            line = result.record
            try:
                for relative, data in result.files:
                    write_file(outdir, relative, data)
            except (OSError, ValueError) as exc:
                line = failure(line, "cannot_write", f"{line['output']}: cannot write ({exc})").record
            out.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
            out.flush()
            summary.records.append(line)
            bar.update(line, sum(r["status"] != "done" for r in summary.records))
            if on_record is not None:
                on_record(line)

        try:
            for item in bad:
                finish(failure(item.to_dict(), "bad_item", item.error or ""))
            if runnable:
                if pool is None:
                    pool, notes = make_pool(config, options, len(runnable))
                    summary.notes.extend(notes)
                summary.pool, summary.workers = pool.kind, pool.workers
                for result in pool.results(runnable):
                    finish(result)
        finally:
            bar.close()
            if own_pool and pool is not None:
                pool.close()
            summary.seconds = time.perf_counter() - started
    return summary


def summary_table(summary: BatchSummary, manifest: Path) -> str:
    """The end-of-batch table: counts by status and code, throughput, plan sharing, mean times, failures."""
    counts = summary.counts()
    done = [r for r in summary.records if r["status"] == "done"]
    lines = [f"batch: {summary.total} item(s); {summary.kept} already done (kept), {len(summary.records)} run "
             f"in {summary.seconds:.1f} s" + (f" on a {summary.pool} of {summary.workers}" if summary.pool else "")]
    if summary.records and summary.seconds > 0:
        lines.append(f"throughput: {len(summary.records) / summary.seconds:.2f} images/s")
    lines.append(f"{'status':<10}{'items':>6}  codes")
    for status in ("done", "refused", "failed"):
        codes = Counter(r.get("code") for r in summary.records if r["status"] == status and r.get("code"))
        text = ", ".join(f"{c} {n}" for c, n in codes.most_common())
        lines.append(f"{status:<10}{counts.get(status, 0):>6}  {text}".rstrip())
    if done:
        shared = sum(1 for r in done if r.get("plan_shared"))
        mean = {k: 1000 * sum(float(r.get(k) or 0) for r in done) / len(done) for k in ("plan_s", "edit_s", "write_s")}
        lines.append(f"plans: {len(done) - shared} made, {shared} shared; mean plan {mean['plan_s']:.1f} ms, "
                     f"edit {mean['edit_s']:.0f} ms, write {mean['write_s']:.0f} ms per item")
    failed = [r for r in summary.records if r["status"] != "done"]
    for r in failed[:20]:
        lines.append(f"  {r['id']}: {r.get('code')}: {r.get('message')}")
    if len(failed) > 20:
        lines.append(f"  ... and {len(failed) - 20} more (see the manifest)")
    lines.extend(f"note: {n}" for n in summary.notes)
    lines.append(f"manifest: {manifest}")
    return "\n".join(lines)
