"""The plans a client may re-plan (`replan_of`): bounded per client, in clients, and in bytes of pixels.

Kept apart from the runner so the memory bounds can be reasoned about (and tested) on their own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from lego_edit.daemon.service.protocol import RequestId


@dataclass
class PlanRecord:
    """What `replan_of` needs: the instruction, the feedback so far, the workflow and its inputs."""

    instruction: str
    feedback: list[str]
    workflow: Any
    inputs: dict[str, Any]
    reply_format: str


class PlanStore:
    """Each client's last plans, by request id, bounded per client and in clients (LRU).

    The images kept for `replan_of` are bounded in bytes too: past `max_bytes` the oldest records
    lose their pixels (a re-plan of those must send the image again) but keep their workflow.
    """

    def __init__(self, per_client: int, max_bytes: int = 256 << 20, max_clients: int = 64) -> None:
        self.per_client, self.max_bytes, self.max_clients = per_client, max_bytes, max_clients
        self._plans: OrderedDict[bytes, OrderedDict[RequestId, PlanRecord]] = OrderedDict()
        self._held: OrderedDict[tuple[bytes, RequestId], int] = OrderedDict()  # records holding pixels, oldest first
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
            self._held_bytes += size
            while len(plans) > self.per_client:
                old_id, _ = plans.popitem(last=False)
                self._forget(client, old_id)
            self._plans[client] = plans
            while len(self._plans) > self.max_clients:
                old_client, old_plans = self._plans.popitem(last=False)
                for old_id in old_plans:
                    self._forget(old_client, old_id)
            while self._held_bytes > self.max_bytes and self._held:  # 0 bytes: no images kept at all
                (old_client, old_id), _ = next(iter(self._held.items()))
                self._plans[old_client][old_id].inputs = {}
                self._forget(old_client, old_id)

    def _forget(self, client: bytes, request_id: RequestId | None) -> None:
        if request_id is not None and (client, request_id) in self._held:
            self._held_bytes -= self._held.pop((client, request_id))

    def get(self, client: bytes, request_id: RequestId) -> PlanRecord | None:
        with self._lock:
            plans = self._plans.get(client)
            return plans.get(request_id) if plans else None

    @property
    def held_bytes(self) -> int:
        return self._held_bytes
