"""Run a suite: every item planned and executed as `lego-edit edit` does, scored, and recorded on disk.

Layout of a run folder:
    run.json                 the run: suite, Builder, judge, wall time, peak memory, model load time
    records/<item>.json      one record per finished item (written atomically: a record is there or not)
    items/<item>/result.png  what `lego-edit edit -o result.png` writes (other result items beside it)
    items/<item>/steps/      every intermediate mask and image, named by step and brick
A finished record is never redone by `--resume`; Ctrl-C stops at once and keeps every finished record.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lego_edit.evaluation.cost import ModelLoads, peak_gpu_mb, peak_rss_mb
from lego_edit.evaluation.judge import Judge, JudgeError
from lego_edit.evaluation.plan_kinds import plan_verdict
from lego_edit.evaluation.regions import region_scores
from lego_edit.evaluation.suites import Item, Suite

RECORDS = "records"
ITEMS = "items"
RUN_FILE = "run.json"
VERDICTS = ("right kind", "wrong kind", "done", "refused", "failed")


class RunFolderError(ValueError):
    """The output folder holds another run (and --resume was not given), or cannot be written."""


@dataclass
class RunOptions:
    builder: str | None = None  # overrides the config's builder.backend
    judge: Judge | None = None
    protocols: tuple[str, ...] = ("gedit",)
    workers: int = 1
    limit: int | None = None
    resume: bool = False
    progress: bool = True


@dataclass
class RunResult:
    records: list[dict[str, Any]]  # every finished record of the run (earlier ones too, with --resume), suite order
    run: dict[str, Any]  # what run.json holds
    interrupted: bool = False
    skipped: int = 0  # finished before, not redone (--resume)
    ran: int = 0
    errors: list[str] = field(default_factory=list)


def verdict_of(record: dict[str, Any]) -> str:
    """The item's plan-level verdict: refused, failed, or done with the right / wrong kind of plan (plain
    "done" when the type says nothing about the right kind)."""
    status = record.get("status")
    if status in ("refused", "failed"):
        return str(status)
    kind = record.get("right_kind")
    return "done" if kind is None else "right kind" if kind else "wrong kind"


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, path)


def load_records(folder: str | Path) -> list[dict[str, Any]]:
    """The finished records of a run folder, in the order of their `index` (the suite's order)."""
    records = []
    for path in sorted((Path(folder) / RECORDS).glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue  # a half-written file from a killed run is not a finished record
        if isinstance(record, dict) and record.get("finished"):
            records.append(record)
    return sorted(records, key=lambda r: (r.get("index", 0), str(r.get("id"))))


def _read_mask(path: str, max_pixels: int) -> np.ndarray:
    from lego_edit.bricks.imageio import load_mask

    return load_mask(path, max_pixels=max_pixels)


class _Item:
    """One item's evaluation with one worker's Editor."""

    def __init__(self, editor: Any, write: Callable[..., dict[str, Any]], out: Path, options: RunOptions,
                 cancel: threading.Event) -> None:
        self.editor, self.write, self.out, self.options, self.cancel = editor, write, out, options, cancel

    def _source(self, item: Item) -> np.ndarray | None:
        """The item's image when the outcome does not carry it (a refused plan); None when it cannot be read."""
        try:
            return self.editor.read(item.image)[0].image
        except Exception:  # the outcome already says why the image could not be used
            return None

    def __call__(self, index: int, item: Item, slug: str) -> dict[str, Any] | None:
        record: dict[str, Any] = {"index": index, "slug": slug, **item.to_dict(), "finished": False}
        folder = self.out / ITEMS / slug
        outcome = self.editor.edit(item.image, item.instruction, item.mask, cancel=self.cancel)
        if self.cancel.is_set():
            return None  # interrupted mid-edit: not a finished item
        plan = outcome.plan
        record.update(status=outcome.status, code=outcome.code, message=outcome.message, plan=plan,
                      backend=outcome.backend, plan_valid=plan is not None and outcome.code != "invalid_workflow")
        planned_or_refused = plan is not None or outcome.status == "refused"
        record["right_kind"] = plan_verdict(item.type, plan["workflow"] if plan else None) if planned_or_refused \
            else None
        source = outcome.source.image if outcome.source is not None else self._source(item)
        result_image = None
        record["files"] = {}
        if outcome.ok:
            folder.mkdir(parents=True, exist_ok=True)
            try:
                summary = self.write(outcome, folder / "result.png", folder / "steps")
            except Exception as exc:  # EditFailure (its code) or the disk: the item failed, the run goes on
                record.update(status="failed", code=getattr(exc, "code", "internal"), message=str(exc))
            else:
                rel = lambda p: os.path.relpath(p, self.out)  # noqa: E731
                record["files"] = {"result": [dict(r, path=rel(r["path"])) for r in summary["result"]],
                                   "steps": [rel(p) for p in summary["intermediates"]]}
                record["values"] = {k: v for k, v in summary["values"].items()
                                    if isinstance(v, (int, float, str, bool))}
                record["steps"] = summary["steps"]
                result_image = outcome.image
        record["region"] = None
        if item.truth_mask and source is not None and result_image is not None and result_image.ndim == 3:
            try:
                truth = _read_mask(item.truth_mask, self.editor.max_pixels)
            except Exception as exc:  # a missing or broken truth file: said in the record, the item still counts
                record["region"] = {"error": f"truth mask {item.truth_mask}: {exc}"}
            else:
                scores = region_scores(source, result_image, truth)
                record["region"] = scores.to_dict() if scores else {"comparable": False}
        record["judge"], record["judge_error"], record["judged_unchanged"] = {}, None, False
        judge_s = 0.0
        if self.cancel.is_set():
            return None
        if self.options.judge is not None and source is not None:
            shown = result_image if result_image is not None and result_image.ndim == 3 else source
            record["judged_unchanged"] = shown is source  # refused or failed: the user is left with the source
            started = time.perf_counter()
            try:
                for protocol in self.options.protocols:
                    if self.cancel.is_set():
                        return None
                    verdict = self.options.judge.judge(item.instruction, source, shown, protocol=protocol,
                                                       edit_type=item.type)
                    record["judge"][protocol] = verdict.to_dict()
            except JudgeError as exc:
                record["judge_error"] = str(exc)
            judge_s = time.perf_counter() - started
        record["cost"] = {"plan_s": round(outcome.plan_s, 4), "edit_s": round(outcome.edit_s, 4),
                          "judge_s": round(judge_s, 4), "peak_rss_mb": peak_rss_mb()}
        record["verdict"] = verdict_of(record)
        record["finished"] = True
        _write_json(self.out / RECORDS / f"{slug}.json", record)
        return record


def _same(record: dict[str, Any], item: Item) -> bool:
    """Was the record made for this item as the suite now says it (same image, instruction, masks, type)?"""
    return all(record.get(k) == v for k, v in item.to_dict().items() if k in ("image", "instruction", "mask",
                                                                              "truth_mask", "type"))


def _editor_api() -> tuple[Callable[..., Any], Callable[..., dict[str, Any]]]:
    from lego_edit.batch import editor

    return editor.Editor, editor.write_outcome


def prepare_folder(out: Path, resume: bool) -> None:
    """Refuse to mix two runs in one folder unless resuming; create it otherwise."""
    if (out / RECORDS).is_dir() and any((out / RECORDS).glob("*.json")) and not resume:
        raise RunFolderError(f"{out} already holds an evaluation run: add --resume to continue it, or choose "
                             "another -o folder")
    try:
        (out / RECORDS).mkdir(parents=True, exist_ok=True)
        (out / ITEMS).mkdir(exist_ok=True)
    except OSError as exc:
        raise RunFolderError(f"{out}: cannot write there ({exc.strerror or exc})") from None


def run_suite(suite: Suite, out: str | Path, config: Any, options: RunOptions,
              editor_factory: Callable[[], Any] | None = None) -> RunResult:
    """Evaluate `suite` into folder `out` with `config` (the daemon's Config). KeyboardInterrupt is caught:
    the result says `interrupted`, every finished record stays on disk."""
    out = Path(out)
    prepare_folder(out, options.resume)
    Editor, write = _editor_api()
    make_editor = editor_factory or (lambda: Editor(config, options.builder))
    slugs = suite.slugs()
    chosen = list(enumerate(suite.items))[: options.limit] if options.limit else list(enumerate(suite.items))
    asked = {item.id: item for _, item in chosen}
    done = {r["id"]: r for r in load_records(out) if r["id"] in asked and _same(r, asked[r["id"]])} \
        if options.resume else {}
    todo = [(i, item) for i, item in chosen if item.id not in done]
    run: dict[str, Any] = {"suite": suite.name, "suite_kind": suite.kind, "builder": options.builder or "config",
                           "judge": getattr(options.judge, "name", None) if options.judge else None,
                           "judge_model": getattr(getattr(options.judge, "model", None), "label", None),
                           "protocols": list(options.protocols) if options.judge else [],
                           "items": len(chosen), "workers": options.workers}
    previous = _read_run(out) if options.resume else {}
    cancel = threading.Event()
    result = RunResult([], run, skipped=len(chosen) - len(todo))
    started = time.perf_counter()
    bar = _bar(len(chosen), len(chosen) - len(todo), options.progress)
    workers = max(1, min(options.workers, len(todo) or 1))
    local = threading.local()
    editors: list[Any] = []
    editors_lock = threading.Lock()

    def evaluate(index: int, item: Item) -> dict[str, Any] | None:
        if getattr(local, "item", None) is None:
            with editors_lock:  # Editors are built one at a time: each sets up the process's model manager
                editor = make_editor()
                editors.append(editor)
            local.item = _Item(editor, write, out, options, cancel)
        return local.item(index, item, slugs[item.id])

    new: list[dict[str, Any]] = []
    with ModelLoads() as loads:
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="eval")
        try:
            pending: set[Future[Any]] = {pool.submit(evaluate, i, item) for i, item in todo}
            while pending:
                finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in finished:
                    try:
                        record = future.result()
                    except Exception as exc:  # a bug in scoring one item: reported, the run goes on
                        result.errors.append(f"{type(exc).__name__}: {exc}")
                        record = None
                    if record is not None:
                        new.append(record)
                        result.ran += 1
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix_str(_tally(new))
        except KeyboardInterrupt:
            result.interrupted = True
            cancel.set()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            for editor in editors:
                editor.close()
            if bar is not None:
                bar.close()
    wall = time.perf_counter() - started
    run.update(wall_s=round(wall + float(previous.get("wall_s", 0.0)), 3),
               peak_rss_mb=max(peak_rss_mb(), float(previous.get("peak_rss_mb", 0.0))),
               peak_gpu_mb=peak_gpu_mb(), model_load_s=round(loads.seconds + float(previous.get("model_load_s", 0.0)), 3),
               model_loads=[*previous.get("model_loads", []), *[{"model": k, "seconds": round(s, 3)}
                                                                 for k, s in loads.loads]],
               interrupted=result.interrupted, finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    ids = {item.id for _, item in chosen}
    result.records = [r for r in load_records(out) if r["id"] in ids]
    run["finished_items"] = len(result.records)
    _write_json(out / RUN_FILE, run)
    return result


def _read_run(out: Path) -> dict[str, Any]:
    try:
        data = json.loads((out / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def read_run(folder: str | Path) -> dict[str, Any]:
    """run.json of a run folder ({} when missing)."""
    return _read_run(Path(folder))


def _tally(records: Sequence[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for r in records:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    return ", ".join(f"{k} {counts[k]}" for k in VERDICTS if k in counts)


def _bar(total: int, initial: int, enabled: bool) -> Any:
    """A progress bar with ETA (tqdm) on a terminal; None otherwise."""
    if not enabled or not sys.stderr.isatty() or total == 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="item", file=sys.stderr, desc="eval", dynamic_ncols=True)
