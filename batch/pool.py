"""The local pool: worker processes, each holding one Editor (registry, Builder, Executor, models) warm.

Processes, not threads: the Builder and the bricks' Python glue hold the GIL, so only processes scale
on a multi-core machine. A worker that dies (killed, out of memory) breaks a `ProcessPoolExecutor`;
the pool is then rebuilt and the items that were in flight are sent again, each at most
MAX_ATTEMPTS times in all, so nothing is lost and nothing is recorded twice.

Models and the GPU: the model manager is per process, so two processes would each load their own copy
of every model into the one GPU. When a model backend is active on a GPU, the pool therefore has one
worker (`workers_for`); classical bricks (and model backends on the CPU) get as many as asked.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from lego_edit.batch.items import BatchItem
from lego_edit.batch.work import ItemResult, edit_item, failure

log = logging.getLogger("lego_edit.batch")

MAX_ATTEMPTS = 3  # runs of one item, first included, when its worker keeps dying

_editor: Any = None  # the worker process's Editor, made once by _start
_masks = False


def _start(config: Any, builder: str | None, masks: bool, threads: int) -> None:
    global _editor, _masks
    import cv2

    from lego_edit.batch.editor import Editor

    cv2.setNumThreads(threads)  # the workers share the cores: OpenCV's own threads would only oversubscribe them
    _editor = Editor(config, builder, share_plans=True)
    _masks = masks


def _work(item: dict[str, Any]) -> ItemResult:
    try:
        return edit_item(_editor, item, masks=_masks)
    except Exception as exc:  # a bug, not a bad item: recorded, the batch goes on
        log.exception("batch item %s failed", item.get("id"))
        return failure(item, "internal", f"{type(exc).__name__}: {exc}")


def uses_gpu_models(config: Any) -> bool:
    """Whether any brick's active backend is a model (an exclusive backend) on a GPU device."""
    from lego_edit.bricks import default_registry

    config.configure_models()
    registry = default_registry()
    prefs = config.executor.backends
    exclusive = [b for b in registry if (a := b.active_backend(prefs.get(b.name))) is not None
                 and a.exclusive]
    if not exclusive:
        return False
    try:
        from lego_edit.bricks.models import default_manager

        return default_manager().device != "cpu"
    except Exception:  # torch missing or the device refused: the model backends cannot run here anyway
        return False


def workers_for(config: Any, asked: int | None) -> tuple[int, str]:
    """(worker processes, why that many)."""
    cpus = os.cpu_count() or 1
    if uses_gpu_models(config):
        if asked and asked > 1:
            return 1, f"one worker, not {asked}: model bricks run on the GPU, which one process holds"
        return 1, "one worker: model bricks run on the GPU, which one process holds"
    if asked:
        return asked, f"{asked} worker(s) as asked"
    return cpus, f"{cpus} worker(s), one per CPU core"


# imported once by the fork server, so a new worker (and a replacement for a dead one) starts in a fraction of a
# second instead of importing the bricks and the Builder again
PRELOAD = ["lego_edit.batch.work", "lego_edit.bricks.builtin", "lego_edit.builder.rules", "lego_edit.daemon.config"]


def _context() -> Any:
    """Workers forked from a fork server (a clean single-threaded process: no locks or threads of the driver are
    copied) where the platform has one, else spawned."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


class LocalPool:
    kind = "local pool"

    def __init__(self, config: Any, builder: str | None, workers: int, *, masks: bool = False) -> None:
        self.config, self.builder, self.workers, self.masks = config, builder, max(1, workers), masks
        self._pool: ProcessPoolExecutor | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=_context(), initializer=_start,
                                   initargs=(self.config, self.builder, self.masks,
                                             max(1, (os.cpu_count() or 1) // self.workers)))

    def results(self, items: Iterable[BatchItem]) -> Iterator[ItemResult]:
        """Each item's result as it finishes (any order)."""
        pending = deque(item.to_dict() for item in items)
        attempts: dict[str, int] = {}
        inflight: dict[Future[ItemResult], dict[str, Any]] = {}
        window = 2 * self.workers  # queued in the pool at once: a dead worker costs at most these a retry
        while pending or inflight:
            if self._pool is None:
                self._pool = self._new_pool()
            broken = False
            while pending and len(inflight) < window:
                item = pending[0]
                try:  # a worker killed since the last result breaks the pool before any future says so
                    future = self._pool.submit(_work, item)
                except BrokenProcessPool:
                    broken = True
                    break
                pending.popleft()
                attempts[item["id"]] = attempts.get(item["id"], 0) + 1
                inflight[future] = item
            done = set() if broken else wait(list(inflight), return_when=FIRST_COMPLETED).done
            for future in done:
                item = inflight.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken = True
                    yield from LocalPool._retry(item, attempts, pending)
                    continue
                except Exception as exc:  # e.g. a result that cannot be pickled: recorded, the batch goes on
                    yield failure(item, "internal", f"{type(exc).__name__}: {exc}")
                    continue
                yield _counted(result, attempts)
            if broken:  # every other item in flight died with the pool: finished ones are kept
                wait(list(inflight))
                for future, item in list(inflight.items()):
                    if future.exception() is None:
                        yield _counted(future.result(), attempts)
                    else:
                        yield from LocalPool._retry(item, attempts, pending)
                inflight.clear()
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None

    @staticmethod
    def _retry(item: dict[str, Any], attempts: dict[str, int], pending: deque) -> Iterator[ItemResult]:
        if attempts[item["id"]] >= MAX_ATTEMPTS:
            yield failure(item, "worker_lost", f"its worker process died {attempts[item['id']]} times",
                          attempts=attempts[item["id"]])
        else:
            log.warning("a worker died; item %s is sent again", item["id"])
            pending.appendleft(item)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _counted(result: ItemResult, attempts: dict[str, int]) -> ItemResult:
    result.record["attempts"] = attempts.get(result.record["id"], 1)
    return result
