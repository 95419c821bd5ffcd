"""Many edits over many open documents, as a host panel keeps them: queue, previews, re-plan, history.

A host panel (the Krita docker) sends edits for whichever document is on screen, while earlier ones
still run; each edit stays bound to the document it was made for. `Workspace` answers, with no host
in sight: which document an edit belongs to, what runs or waits (and whether the daemon's
per-client limit allows one more), which finished edits wait as previews for Apply or Discard
(oldest first), which edit Re-plan starts from, and what to forget when a document closes.

Jobs and documents are the host's own objects. A job needs `done` and `request_id`; documents are
compared with `same` (default `==`: Krita's Document wrappers compare by the document they wrap).
Standard library only.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Placement(str, Enum):
    """Where an edit's result group goes; never inside an earlier result group."""

    ABOVE = "above"  # just above the source layer (above earlier results stacked on it)
    TOP = "top"  # on top of the whole image
    GROUP = "group"  # inside the source's own group (a group source: at its top)

    @property
    def label(self) -> str:
        return {"above": "Above the source layer", "top": "On top of the image",
                "group": "Inside the source's group"}[self.value]


@dataclass
class DocumentState:
    """One document's edits: all sent (oldest first), the previews waiting, the last finished, the message."""

    doc: Any
    jobs: list[Any] = field(default_factory=list)
    previews: list[Any] = field(default_factory=list)  # finished, shown on the canvas, not applied yet
    last: Any = None  # the last edit that finished with a plan: what Re-plan starts from
    message: str = ""
    error: bool = False
    history: list[Any] = field(default_factory=list)  # edit_history.HistoryEntry, oldest first
    history_loaded: bool = False

    @property
    def running(self) -> list[Any]:
        return [job for job in self.jobs if not job.done]

    @property
    def preview(self) -> Any:
        """The preview Apply / Discard act on: the oldest one waiting."""
        return self.previews[0] if self.previews else None

    def say(self, message: str, error: bool = False) -> None:
        self.message, self.error = message, error


class Workspace:
    """Every document's `DocumentState`, and the queue all of them share on one daemon connection."""

    def __init__(self, same: Callable[[Any, Any], bool] = operator.eq) -> None:
        self._same = same
        self.states: list[DocumentState] = []
        self.limit: int | None = None  # the daemon's limits.max_queued_per_client, once it said hello

    # -- documents ----------------------------------------------------------------------------------
    def state(self, doc: Any) -> DocumentState:
        """The state of `doc`, made on first use."""
        found = self.find(doc)
        if found is None:
            found = DocumentState(doc)
            self.states.append(found)
        return found

    def find(self, doc: Any) -> DocumentState | None:
        if doc is None:
            return None
        for state in self.states:
            try:
                if self._same(state.doc, doc):
                    return state
            except Exception:  # a host wrapper of a closed document may refuse to compare
                continue
        return None

    def forget(self, state: DocumentState) -> list[Any]:
        """Drop a closed document's state; returns its unfinished jobs, for the host to cancel."""
        if state in self.states:
            self.states.remove(state)
        return state.running

    # -- jobs ---------------------------------------------------------------------------------------
    def add(self, doc: Any, job: Any) -> DocumentState:
        state = self.state(doc)
        state.jobs.append(job)
        return state

    @property
    def running(self) -> list[Any]:
        """Every unfinished job, oldest first (the daemon runs this client's jobs in that order)."""
        return [job for state in self.states for job in state.running]

    def owner(self, job: Any) -> DocumentState | None:
        return next((state for state in self.states if any(j is job for j in state.jobs)), None)

    def job(self, request_id: Any) -> Any:
        if request_id is None:
            return None
        for state in self.states:
            for job in state.jobs:
                if job.request_id == request_id:
                    return job
        return None

    def finished(self, job: Any, *, preview: bool, replannable: bool) -> None:
        """`job` ended: keep it as a preview (it made layers) and as what Re-plan starts from (it had a plan)."""
        state = self.owner(job)
        if state is None:
            return
        if preview and not any(p is job for p in state.previews):
            state.previews.append(job)
        if replannable:
            state.last = job
        state.jobs = [j for j in state.jobs if not j.done or any(p is j for p in state.previews) or j is state.last]

    def resolved(self, job: Any) -> None:
        """Its preview was applied or discarded."""
        for state in self.states:
            state.previews = [p for p in state.previews if p is not job]

    def heard(self, hello: Mapping[str, Any] | None) -> None:
        """Take the per-client limit from the daemon's hello reply (`limits.max_queued_per_client`)."""
        limits = hello.get("limits") if isinstance(hello, Mapping) else None
        limit = limits.get("max_queued_per_client") if isinstance(limits, Mapping) else None
        self.limit = limit if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0 else None

    @property
    def can_submit(self) -> bool:
        """Whether the daemon takes one more job from this client now."""
        return self.limit is None or len(self.running) < self.limit

    def queue_text(self) -> str:
        """"2 edits running or waiting (the daemon takes 4 at a time)"; "" when nothing runs."""
        count = len(self.running)
        if not count:
            return ""
        text = "1 edit running" if count == 1 else f"{count} edits running or waiting"
        if self.limit:
            text += f" (the daemon takes {self.limit} at a time)"
        return text
