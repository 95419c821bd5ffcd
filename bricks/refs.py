"""The one parser of workflow references: `init[key]` (the caller's inputs) and `stepN[key]`.

Pure Python (no numpy), so the Builder, the feedback rules and the daemon can read references
without loading the image stack.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_BODY = r"(init|step(\d+))\[([A-Za-z_][A-Za-z0-9_]*)\]"
REF_RE = re.compile(rf"^\s*{_BODY}\s*$")  # a whole value that is one reference
REF_FIND_RE = re.compile(_BODY)  # references inside a longer text (a `result` string)


@dataclass(frozen=True)
class Ref:
    """`init[key]` (step None) or `stepN[key]`."""

    step: int | None
    key: str

    def __str__(self) -> str:
        return f"init[{self.key}]" if self.step is None else f"step{self.step}[{self.key}]"

    @classmethod
    def parse(cls, value: Any) -> Ref | None:
        """The reference a value is, or None for a literal."""
        if not isinstance(value, str):
            return None
        m = REF_RE.match(value)
        return None if m is None else cls._of(m)

    @classmethod
    def find_all(cls, text: str) -> Iterator[Ref]:
        """Every reference inside a text, in order."""
        for m in REF_FIND_RE.finditer(text):
            yield cls._of(m)

    @classmethod
    def _of(cls, m: re.Match[str]) -> Ref:
        return cls(None if m.group(1) == "init" else int(m.group(2)), m.group(3))


def step_ref(step: int, key: str) -> str:
    """The text of a reference to output `key` of step `step`."""
    return str(Ref(step, key))
