"""The plans a client may re-plan (`replan_of`): bounded per client, in clients, and in bytes of pixels.

Kept apart from the runner so the memory bounds can be reasoned about (and tested) on their own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lego_edit.daemon.service.protocol import RequestId


@dataclass
class PlanRecord:
    """What `replan_of` and `variation_of` need: the instruction, the feedback so far, the workflow and its
    inputs, the Builder's reasoning, and the seed it ran with (None: it did not run)."""

    instruction: str
    feedback: list[str]
    workflow: Any
    inputs: dict[str, Any]
    reply_format: str
    reasoning: str = ""
    seed: int | None = None


class PlanStore:
    """Each client's last plans, by request id, bounded per client, in clients and in bytes of pixels.

    Past `max_bytes` records lose their pixels (a re-plan of those must send the image again) but
    keep their workflow. The bounds are fair between clients: what goes first belongs to clients
    that are gone (`is_live` false), then to the client holding the most bytes, oldest first — so
    one client's big images or many connections cost that client, not the others.
    """

    def __init__(self, per_client: int, max_bytes: int = 256 << 20, max_clients: int = 64,
                 is_live: Callable[[bytes], bool] | None = None) -> None:
        self.per_client, self.max_bytes, self.max_clients = per_client, max_bytes, max_clients
        self.is_live = is_live or (lambda client: True)
        self._plans: OrderedDict[bytes, OrderedDict[RequestId, PlanRecord]] = OrderedDict()  # least recent first
        self._held: OrderedDict[tuple[bytes, RequestId], int] = OrderedDict()  # records holding pixels, oldest first
        self._client_bytes: dict[bytes, int] = {}
        self._held_bytes = 0
        self._lock = threading.Lock()

    def put(self, client: bytes, request_id: RequestId, record: PlanRecord) -> None:
        with self._lock:
            plans = self._plans.pop(client, None) or OrderedDict()
            if plans.pop(request_id, None) is not None:
                self._forget(client, request_id)
            plans[request_id] = record
            size = sum(v.nbytes for v in record.inputs.values() if isinstance(v, np.ndarray))
            self._held[(client, request_id)] = size
            self._client_bytes[client] = self._client_bytes.get(client, 0) + size
            self._held_bytes += size
            while len(plans) > self.per_client:
                old_id, _ = plans.popitem(last=False)
                self._forget(client, old_id)
            self._plans[client] = plans
            while len(self._plans) > self.max_clients:
                self._drop_client(self._client_to_drop(client))
            while self._held_bytes > self.max_bytes and self._held:  # 0 bytes: no images kept at all
                old_client, old_id = self._pixels_to_drop()
                self._plans[old_client][old_id].inputs = {}
                self._forget(old_client, old_id)

    def _client_to_drop(self, newest: bytes) -> bytes:
        gone = next((c for c in self._plans if c != newest and not self.is_live(c)), None)
        return gone if gone is not None else next(iter(self._plans))

    def _drop_client(self, client: bytes) -> None:
        for old_id in self._plans.pop(client):
            self._forget(client, old_id)
        self._client_bytes.pop(client, None)

    def _pixels_to_drop(self) -> tuple[bytes, RequestId]:
        held = [key for key in self._held if not self.is_live(key[0])]
        if not held:
            biggest = max(self._client_bytes, key=self._client_bytes.__getitem__)
            held = [key for key in self._held if key[0] == biggest]
        return held[0]

    def _forget(self, client: bytes, request_id: RequestId | None) -> None:
        if request_id is not None and (client, request_id) in self._held:
            size = self._held.pop((client, request_id))
            self._held_bytes -= size
            left = self._client_bytes.get(client, 0) - size
            if left > 0:
                self._client_bytes[client] = left
            else:
                self._client_bytes.pop(client, None)

    def get(self, client: bytes, request_id: RequestId) -> PlanRecord | None:
        with self._lock:
            plans = self._plans.get(client)
            return plans.get(request_id) if plans else None

    @property
    def held_bytes(self) -> int:
        return self._held_bytes

    def held_by(self, client: bytes) -> int:
        """Bytes of pixels kept for `client`'s plans."""
        return self._client_bytes.get(client, 0)
