"""Each client's outbox: replies waiting for ZeroMQ to take them, bounded, with a drop policy.

ZeroMQ's own send queue is kept short (`SNDHWM`, a few messages a client) and the socket uses
`ROUTER_MANDATORY`, so a full queue is an error the daemon sees instead of a reply silently lost.
What does not fit waits here. The policy (docs/protocol.md §8):

- a `progress` event of state `running` replaces the one of the same job and step still waiting;
- `progress` and `layer` events are droppable: past `max_bytes` (or `max_droppable` messages) the
  oldest droppable ones go first; the job's terminal reply then says how many in `dropped`;
- the answers to `hello`/`ping`/`status`/`bricks` and refusals ("control" replies) keep their
  place in line; past `max_control` of them waiting, the oldest are dropped;
- everything else (`accepted`, `plan`, `result`, `error`, `cancelled`) is never dropped; a client
  whose terminal replies pile up unread gets `busy` for new jobs instead (server.py).

Only the socket thread uses these objects.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lego_edit.daemon.service.protocol import EventKind, RequestId, encode_header_safe

DROPPABLE = (str(EventKind.PROGRESS), str(EventKind.LAYER))


def _nbytes(frame: Any) -> int:
    size = getattr(frame, "nbytes", None)
    return int(size) if size is not None else len(frame)


@dataclass(eq=False)
class Message:
    frames: list[Any]  # encoded header, then blobs
    kind: str
    request_id: RequestId | None
    terminal: bool = False
    control: bool = False
    coalesce: tuple[Any, ...] | None = None
    nbytes: int = 0
    dropped: bool = False

    @property
    def droppable(self) -> bool:
        return not self.control and self.kind in DROPPABLE


@dataclass
class ClientOutbox:
    max_bytes: int
    max_droppable: int = 512
    max_control: int = 256
    stream: deque[Message] = field(default_factory=deque)  # every waiting reply, in the order made
    _controls: deque[Message] = field(default_factory=deque)  # the control replies among them, oldest first
    waiting_controls: int = 0
    droppable_bytes: int = 0
    droppable_count: int = 0
    waiting_terminals: int = 0
    peak_bytes: int = 0  # the most bytes of droppable messages ever waiting (tests and status)
    dropped_total: int = 0
    dropped: dict[RequestId, dict[str, int]] = field(default_factory=dict)  # per job, by kind
    _droppable: deque[Message] = field(default_factory=deque)  # the droppable ones, oldest first
    _coalesce: dict[tuple[Any, ...], Message] = field(default_factory=dict)

    # -- adding ---------------------------------------------------------------------------------
    def push(self, message: Message) -> None:
        message.nbytes = sum(_nbytes(f) for f in message.frames)
        if message.control:
            self.stream.append(message)
            self._controls.append(message)
            self.waiting_controls += 1
            while self.waiting_controls > self.max_control and self._controls:
                old = self._controls.popleft()
                if not old.dropped:
                    old.dropped, old.frames = True, []
                    self.waiting_controls -= 1
                    self.dropped_total += 1
            return
        if message.coalesce is not None:
            waiting = self._coalesce.get(message.coalesce)
            if waiting is not None and not waiting.dropped:
                self.droppable_bytes += message.nbytes - waiting.nbytes
                waiting.frames, waiting.nbytes = message.frames, message.nbytes
                self._count(waiting.request_id, "coalesced")
                self._enforce()
                return
            self._coalesce[message.coalesce] = message
        self.stream.append(message)
        if message.terminal:
            self.waiting_terminals += 1
        if message.droppable:
            self._droppable.append(message)
            self.droppable_bytes += message.nbytes
            self.droppable_count += 1
            self._enforce()

    def _count(self, request_id: RequestId | None, what: str) -> None:
        if request_id is not None:
            counts = self.dropped.setdefault(request_id, {})
            counts[what] = counts.get(what, 0) + 1

    def _enforce(self) -> None:
        while (self.droppable_bytes > self.max_bytes or self.droppable_count > self.max_droppable) and self._droppable:
            old = self._droppable.popleft()
            if old.dropped:
                continue
            self._release(old)
            old.dropped = True
            old.frames = []
            self.dropped_total += 1
            self._count(old.request_id, old.kind)
        self.peak_bytes = max(self.peak_bytes, self.droppable_bytes)

    def _release(self, message: Message) -> None:
        if message.droppable and not message.dropped:
            self.droppable_bytes -= message.nbytes
            self.droppable_count -= 1
        if message.coalesce is not None and self._coalesce.get(message.coalesce) is message:
            del self._coalesce[message.coalesce]

    # -- sending --------------------------------------------------------------------------------
    def pending(self) -> bool:
        return bool(self.stream)

    def pump(self, send: Callable[[list[Any]], bool]) -> bool:
        """Hand waiting messages to `send` (False: ZeroMQ's queue is full) in order; True if all went."""
        queue = self.stream
        while queue:
            message = queue[0]
            if message.dropped:
                queue.popleft()
                continue
            frames = message.frames
            if message.terminal and message.request_id in self.dropped:
                frames = self._with_drop_counts(message)
            if not send(frames):
                self._prune()
                return False
            queue.popleft()
            self._release(message)
            if message.control:
                self.waiting_controls -= 1
            message.dropped = True  # gone: a later coalesce or drop must not count it
            message.frames = []
            if message.terminal:
                self.waiting_terminals -= 1
                if message.request_id is not None:
                    self.dropped.pop(message.request_id, None)
        self._prune()
        return True

    def _prune(self) -> None:
        for queue in (self._droppable, self._controls):
            while queue and queue[0].dropped:
                queue.popleft()

    def _with_drop_counts(self, message: Message) -> list[Any]:
        if message.request_id is None:
            return message.frames
        counts = {k: v for k, v in self.dropped.get(message.request_id, {}).items() if k in DROPPABLE}
        if not counts:
            return message.frames
        try:
            header = json.loads(bytes(message.frames[0]))
        except ValueError:
            return message.frames
        header["dropped"] = counts
        fields = {k: v for k, v in header.items() if k not in ("v", "id", "type")}
        encoded, ok = encode_header_safe(header.get("id"), header.get("type", message.kind), fields)
        return [encoded, *message.frames[1:]] if ok else message.frames

    def clear(self) -> None:
        self.stream.clear()
        self._controls.clear()
        self._droppable.clear()
        self._coalesce.clear()
        self.droppable_bytes = self.droppable_count = self.waiting_terminals = self.waiting_controls = 0
