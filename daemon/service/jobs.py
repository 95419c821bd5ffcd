"""The job queue: a bounded FIFO per client, served round-robin, one job of a client at a time.

The next free worker goes to the waiting client served least recently, so Krita and GIMP (or two
users) never starve each other; running a client's jobs in order keeps "edit, then edit again with
feedback" meaningful. GPU bricks are serialized further down, by the executor's lock on
`exclusive` backends.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from lego_edit.daemon.service.protocol import CancelReason, Request, RequestId, WireName


class JobState(WireName):
    """Where a job is: waiting in its client's queue, on a worker, or finished (any way)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"


@dataclass(eq=False)
class Job:
    client: bytes
    request: Request
    cancel: threading.Event = field(default_factory=threading.Event)
    state: JobState = JobState.QUEUED
    reason: CancelReason | str = ""  # why it was cancelled; "" while it is not
    started: float = 0.0  # time.monotonic() when a worker took it (0: not yet)
    ended: bool = False  # its terminal reply was handed to the socket thread
    stuck_reported: bool = False  # the watchdog already logged it
    waits: bool = False  # when it was queued, no worker was free for it (its own or other clients' jobs ahead)

    @property
    def id(self) -> RequestId:
        return self.request.id

    @property
    def kind(self) -> str:
        return self.request.type

    def cancel_with(self, reason: CancelReason) -> None:
        if not self.reason:
            self.reason = reason
        self.cancel.set()


class QueueFull(Exception):
    pass


class Scheduler:
    """Thread-safe. `submit` from the socket thread, `next`/`done` from the workers."""

    def __init__(self, max_per_client: int) -> None:
        self.max_per_client = max_per_client
        self._queues: OrderedDict[bytes, deque[Job]] = OrderedDict()  # clients with queued jobs, by arrival
        self._running: dict[bytes, Job] = {}
        self._served: dict[bytes, int] = {}  # when each active client last got a worker
        self._tick = 0
        self._idle = 0  # workers waiting in `next` for a job
        self._cond = threading.Condition()
        self._closed = False

    def submit(self, job: Job) -> int:
        """Queue `job`; returns how many of its client's jobs are ahead of it (`waits` says whether it
        also waits for a worker busy with other clients' jobs)."""
        with self._cond:
            queue = self._queues.setdefault(job.client, deque())
            ahead = len(queue) + (1 if job.client in self._running else 0)
            if ahead >= self.max_per_client:
                if not queue:
                    del self._queues[job.client]
                raise QueueFull(f"{ahead} of your requests are already queued or running "
                                f"(the limit is {self.max_per_client})")
            queue.append(job)
            job.waits = ahead > 0 or self._idle == 0
            self._cond.notify()
            return ahead

    def next(self, timeout: float | None = None) -> Job | None:
        """The next job to run (fair between clients), or None when closed or timed out."""
        with self._cond:
            while True:
                if self._closed:
                    return None
                job = self._pick()
                if job is not None:
                    return job
                self._idle += 1
                try:
                    woken = self._cond.wait(timeout)
                finally:
                    self._idle -= 1
                if not woken:
                    return None

    def _pick(self) -> Job | None:
        """The first job of the waiting client served least recently (a newcomer goes first)."""
        waiting = [c for c in self._queues if c not in self._running]
        if not waiting:
            return None
        client = min(waiting, key=lambda c: self._served.get(c, -1))
        queue = self._queues[client]
        job = queue.popleft()
        if not queue:
            del self._queues[client]
        self._tick += 1
        self._served[client] = self._tick
        job.state = JobState.RUNNING
        self._running[client] = job
        return job

    def done(self, job: Job) -> None:
        with self._cond:
            job.state = JobState.DONE
            if self._running.get(job.client) is job:
                del self._running[job.client]
            if job.client not in self._queues and job.client not in self._running:
                self._served.pop(job.client, None)  # an idle client is a newcomer next time
            self._cond.notify_all()

    def remove(self, job: Job) -> bool:
        """Take a queued job out; False if it already started (or finished)."""
        with self._cond:
            queue = self._queues.get(job.client)
            if queue is None or job not in queue:
                return False
            queue.remove(job)
            if not queue:
                del self._queues[job.client]
            job.state = JobState.DONE
            return True

    def drop_client(self, client: bytes) -> tuple[list[Job], Job | None]:
        """(queued jobs removed, running job) of a client that has gone."""
        with self._cond:
            queued = list(self._queues.pop(client, ()))
            for job in queued:
                job.state = JobState.DONE
            return queued, self._running.get(client)

    def drain(self) -> tuple[list[Job], list[Job]]:
        """(every queued job, removed; every running job): for shutdown."""
        with self._cond:
            queued = [job for queue in self._queues.values() for job in queue]
            self._queues.clear()
            for job in queued:
                job.state = JobState.DONE
            return queued, list(self._running.values())

    def running(self) -> list[Job]:
        with self._cond:
            return list(self._running.values())

    def counts(self) -> dict[str, Any]:
        with self._cond:
            return {"running": len(self._running), "queued": sum(len(q) for q in self._queues.values())}

    def idle(self) -> bool:
        with self._cond:
            return not self._running and not self._queues

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
