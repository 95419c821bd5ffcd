"""The Ray pool: items as method calls on Ray actors that keep an Editor (and its models) loaded.

The same code for a local Ray instance (`auto`) and a cluster (`ray://HOST:10001`): the driver reads
each input file and puts its bytes in Ray's object store, so a worker on another machine needs no shared
folder; the actor sends back the encoded output files and the driver writes them and the manifest.

Sizing: one actor per GPU (num_gpus=1) when a model backend is active on a GPU, else one per
CPUS_PER_ACTOR CPUs of the cluster (or `workers`). Failures are Ray's to handle: an actor whose process
or node dies is restarted (max_restarts) and the calls it had in flight are run again on it
(max_task_retries), both bounded. An actor past its restarts is dropped and its items go to the others,
each at most MAX_ATTEMPTS times. Ray is imported only here, only when a batch asks for it.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from lego_edit.batch.items import BatchItem
from lego_edit.batch.work import ItemResult, failure

log = logging.getLogger("lego_edit.batch")

CPUS_PER_ACTOR = 1
MAX_RESTARTS = 3  # per actor: its process (or node) may die this often
MAX_TASK_RETRIES = 3  # per call: run again on the restarted actor
MAX_ATTEMPTS = 3  # per item, when its actor is gone for good and the driver hands it to another
IN_FLIGHT_PER_ACTOR = 2  # one running, one waiting in the actor's queue (its input already shipped)
INSTALL_HINT = "this needs Ray: pip install 'lego-edit[ray]'"


def ray_module():
    try:
        import ray
    except ImportError:
        raise ImportError(INSTALL_HINT, name="ray") from None
    return ray


def connect(address: str) -> Any:
    """Ray, connected: an instance this process already started, else `address` ("auto": the cluster started
    on this machine with `ray start`, or a new local instance; "ray://HOST:PORT": a remote cluster)."""
    ray = ray_module()
    if ray.is_initialized():
        return ray
    options: dict[str, Any] = {"log_to_driver": False, "include_dashboard": False}
    if address == "auto":
        try:
            ray.init(address="auto", log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError):
            ray.init(**options)
    else:
        try:
            ray.init(address=address, log_to_driver=False)
        except ValueError as exc:
            if "ray[client]" in str(exc):  # a ray:// address needs the client's extra packages (grpcio)
                raise ImportError(f"{address} needs Ray's client: pip install 'ray[client]'", name="ray") from None
            raise
    return ray


class _EditActor:
    """One warm Editor in a Ray worker process."""

    def __init__(self, config: Any, builder: str | None, masks: bool, threads: int = CPUS_PER_ACTOR) -> None:
        import cv2

        from lego_edit.batch.editor import Editor

        cv2.setNumThreads(threads)  # the CPUs Ray gave this actor, not all the node's

        self.editor = Editor(config, builder, share_plans=True)
        self.masks = masks

    def edit(self, item: dict[str, Any], image: bytes, mask: bytes | None) -> ItemResult:
        from lego_edit.batch.work import edit_item

        try:
            return edit_item(self.editor, item, image, mask, masks=self.masks)
        except Exception as exc:  # a bug, not a bad item: recorded, the batch goes on
            return failure(item, "internal", f"{type(exc).__name__}: {exc}")

    def pid(self) -> int:
        import os

        return os.getpid()


def _gpus(ray: Any) -> int:
    return int(ray.cluster_resources().get("GPU", 0))


class RayPool:
    kind = "Ray pool"

    def __init__(self, config: Any, builder: str | None, address: str, workers: int | None = None, *,
                 masks: bool = False) -> None:
        from lego_edit.batch.pool import uses_gpu_models

        self.ray = ray = connect(address)
        gpu = uses_gpu_models(config) and _gpus(ray) > 0
        if gpu:
            count = workers or _gpus(ray)
            resources: dict[str, Any] = {"num_gpus": 1, "num_cpus": 1}
            self.sizing = f"{count} Ray actor(s), one per GPU"
        else:
            cpus = int(ray.cluster_resources().get("CPU", 1))
            count = workers or max(1, cpus // CPUS_PER_ACTOR)
            resources = {"num_cpus": CPUS_PER_ACTOR}
            self.sizing = f"{count} Ray actor(s), {CPUS_PER_ACTOR} CPU each" + ("" if workers else
                                                                               f" ({cpus} CPUs in the cluster)")
        actor = ray.remote(max_restarts=MAX_RESTARTS, max_task_retries=MAX_TASK_RETRIES, **resources)(_EditActor)
        self.workers = max(1, count)
        threads = int(resources["num_cpus"])
        self.actors = [actor.remote(config, builder, masks, threads) for _ in range(self.workers)]

    def results(self, items: Iterable[BatchItem]) -> Iterator[ItemResult]:
        ray = self.ray
        from ray.exceptions import RayActorError, RayTaskError

        pending = deque(item.to_dict() for item in items)
        attempts: dict[str, int] = {}
        inflight: dict[Any, tuple[dict[str, Any], Any]] = {}  # object ref -> (item, actor)
        load = {id(a): 0 for a in self.actors}
        while pending or inflight:
            while pending and self.actors:
                actor = min(self.actors, key=lambda a: load[id(a)])
                if load[id(actor)] >= IN_FLIGHT_PER_ACTOR:
                    break
                item = pending.popleft()
                try:
                    image = ray.put(Path(item["image"]).read_bytes())
                    mask = ray.put(Path(item["mask"]).read_bytes()) if item.get("mask") else None
                except OSError as exc:
                    code = "no_such_file" if isinstance(exc, FileNotFoundError) else "unreadable_image"
                    yield failure(item, code, f"{exc.filename or item['image']}: {exc.strerror or exc}")
                    continue
                attempts[item["id"]] = attempts.get(item["id"], 0) + 1
                inflight[actor.edit.remote(item, image, mask)] = (item, actor)
                load[id(actor)] += 1
            if not inflight:
                if pending:  # no actor left
                    for item in pending:
                        yield failure(item, "worker_lost", "every Ray actor died past its restarts")
                    pending.clear()
                break
            ready, _ = ray.wait(list(inflight), num_returns=1)
            for ref in ready:
                item, actor = inflight.pop(ref)
                load[id(actor)] -= 1
                try:
                    result = ray.get(ref)
                except RayActorError as exc:  # dead past max_restarts (or its node is gone for good)
                    if actor in self.actors:
                        log.warning("a Ray actor is gone (%s); its items go to the others", exc)
                        self.actors.remove(actor)
                    if attempts[item["id"]] >= MAX_ATTEMPTS:
                        yield failure(item, "worker_lost", f"its Ray actor died: {exc}", attempts=attempts[item["id"]])
                    else:
                        pending.appendleft(item)
                    continue
                except RayTaskError as exc:
                    yield failure(item, "internal", str(exc).splitlines()[0])
                    continue
                result.record["attempts"] = attempts[item["id"]]
                yield result

    def close(self) -> None:
        for actor in self.actors:
            try:
                self.ray.kill(actor)
            except Exception:  # already gone
                pass
        self.actors = []
