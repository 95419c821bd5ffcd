"""An Executor whose workflows run on Ray actors: the daemon's edit jobs on a studio's GPU pool.

`RayExecutor.run` has the Executor's signature and meaning — events as the steps go (streamed back from
the actor as they happen), a RunResult, StepFailed / InvalidWorkflow / RunCancelled / ValueError as the
local one raises them — so the daemon's job runner uses it unchanged. The workflow is checked here
(structure and inputs); brick availability is the cluster's, checked by the actor, since the point is
bricks whose models live there. Actors (one per GPU of the cluster, else one per CPU, or `actors`) are
made on first use, so a daemon configured for Ray starts as fast as any and imports Ray only for a job.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger("lego_edit.batch")

MAX_CONCURRENCY = 8  # jobs (and their cancel calls) one actor takes at once; GPU bricks still take turns in it


class _JobActor:
    """One warm Executor (registry, models) in a Ray worker process."""

    def __init__(self, config: Any) -> None:
        from lego_edit.bricks import default_registry

        config.configure_models()
        self.executor = config.make_executor(default_registry())
        self.cancels: dict[str, threading.Event] = {}

    def run(self, key: str, workflow: dict[str, Any], image: Any, mask: Any, seed: int | None = None):
        """Yields ("event", Event)... then ("done", RunResult) or ("error", kind, details)."""
        import queue

        from lego_edit.bricks.checker import InvalidWorkflow
        from lego_edit.bricks.executor import RunCancelled, StepFailed
        from lego_edit.bricks.workflow import Workflow

        cancel = self.cancels.setdefault(key, threading.Event())
        events: queue.Queue = queue.Queue()

        def work() -> None:
            try:
                result = self.executor.run(Workflow.from_dict(workflow), {"image": image, "mask": mask},
                                           on_event=lambda e: events.put(("event", e)), cancel=cancel,
                                           seed=seed)
                events.put(("done", result))
            except StepFailed as exc:
                events.put(("error", "step_failed", (exc.step, exc.brick, exc.cause, exc.unavailable,
                                                  exc.needs_selection, exc.subject)))
            except RunCancelled:
                events.put(("error", "cancelled", ()))
            except InvalidWorkflow as exc:
                events.put(("error", "invalid", (str(exc),)))
            except ValueError as exc:
                events.put(("error", "value", (str(exc),)))
            except Exception as exc:
                events.put(("error", "internal", (f"{type(exc).__name__}: {exc}",)))

        thread = threading.Thread(target=work, name=f"job-{key}", daemon=True)
        thread.start()
        try:
            while True:
                item = events.get()
                yield item
                if item[0] != "event":
                    return
        finally:
            self.cancels.pop(key, None)

    def cancel(self, key: str) -> None:
        event = self.cancels.get(key)
        if event is not None:
            event.set()

    def pid(self) -> int:
        import os

        return os.getpid()


class RayExecutor:
    """Runs workflows on Ray actors at `address` ("auto" or "ray://HOST:PORT")."""

    cache = None  # the step cache lives in the actors
    device = "ray"

    def __init__(self, config: Any, registry: Any, address: str, *, actors: int | None = None) -> None:
        self.config, self.registry, self.address, self.count = config, registry, address, actors
        self._actors: list[Any] = []
        self._lock = threading.Lock()
        self._turn = itertools.count()
        self._keys = itertools.count()

    def _pick(self) -> Any:
        with self._lock:
            if not self._actors:
                from lego_edit.batch.pool import uses_gpu_models
                from lego_edit.batch.ray_pool import MAX_RESTARTS, MAX_TASK_RETRIES, connect

                ray = connect(self.address)
                gpus = int(ray.cluster_resources().get("GPU", 0))
                gpu = gpus > 0 and uses_gpu_models(self.config)
                count = self.count or (gpus if gpu else max(1, int(ray.cluster_resources().get("CPU", 1))))
                resources = {"num_gpus": 1, "num_cpus": 1} if gpu else {"num_cpus": 1}
                actor = ray.remote(max_restarts=MAX_RESTARTS, max_task_retries=MAX_TASK_RETRIES,
                                   max_concurrency=MAX_CONCURRENCY, **resources)(_JobActor)
                self._actors = [actor.remote(self.config) for _ in range(count)]
                log.info("edit jobs run on %d Ray actor(s) at %s", count, self.address)
            return self._actors[next(self._turn) % len(self._actors)]

    def run(self, workflow: Any, inputs: Mapping[str, Any], *, on_event: Callable[[Any], None] | None = None,
            cancel: threading.Event | None = None, seed: int | None = None):
        import ray

        from lego_edit.bricks.checker import InvalidWorkflow, check
        from lego_edit.bricks.executor import RunCancelled, StepFailed, check_inputs

        checked = check_inputs(inputs)
        present = [k for k, v in checked.items() if v is not None]
        report = check(workflow, self.registry, inits=present)
        if not report.ok:
            raise InvalidWorkflow(report)
        if cancel is not None and cancel.is_set():
            raise RunCancelled()
        actor = self._pick()
        key = f"{id(self)}-{next(self._keys)}"
        stream = actor.run.options(num_returns="streaming").remote(key, workflow.to_dict(), checked["image"],
                                                                   checked["mask"], seed)
        done = threading.Event()
        if cancel is not None:
            def watch() -> None:
                while not done.wait(0.05):
                    if cancel.is_set():
                        actor.cancel.remote(key)
                        return
            threading.Thread(target=watch, name="ray-cancel", daemon=True).start()
        try:
            for ref in stream:
                item = ray.get(ref)
                if item[0] == "event":
                    if on_event is not None:
                        on_event(item[1])
                    continue
                if item[0] == "done":
                    return item[1]
                kind, details = item[1], item[2]
                if kind == "step_failed":
                    raise StepFailed(*details)
                if kind == "cancelled":
                    raise RunCancelled()
                if kind == "value":
                    raise ValueError(details[0])
                raise RuntimeError(details[0])
            raise RuntimeError("the Ray actor ended the run without a result")
        finally:
            done.set()

    def close(self) -> None:
        if self._actors:
            import ray

            for actor in self._actors:
                try:
                    ray.kill(actor)
                except Exception:  # already gone
                    pass
            self._actors = []
