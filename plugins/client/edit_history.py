"""A document's edit history, kept inside the document (GIMP parasites, Krita annotations).

Each applied edit is one `HistoryEntry`: the instruction, any feedback, the plan in plain words, the
time and a small PNG thumbnail of the result. The list is stored as UTF-8 JSON, so any host can
keep it in whatever per-document blob it has, and a saved and reopened file lists its edits again.
Standard library only (the thumbnail is a PNG written with zlib), no host needed.
"""

from __future__ import annotations

import base64
import json
import struct
import time
import zlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

FORMAT = "lego-edit-history/1"
THUMBNAIL_SIZE = 64  # pixels on the longer side
MAX_ENTRIES = 50  # older entries are dropped: the blob stays small (about 8 KiB an entry with its thumbnail)


@dataclass(frozen=True)
class HistoryEntry:
    instruction: str
    plan: str  # the plan in plain words ("find red ball, then remove")
    time: float = field(default_factory=time.time)  # seconds since the epoch
    feedback: tuple[str, ...] = ()
    layer: str = ""  # the name of the group the result went in
    thumbnail: bytes = b""  # a PNG, at most THUMBNAIL_SIZE on its longer side; b"" for none

    @property
    def when(self) -> str:
        """"2026-12-01 11:42" in local time."""
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.time))

    @property
    def text(self) -> str:
        """One line for a list: "11:42 remove the red ball (keep the shadow): find red ball, then remove"."""
        notes = f" ({'; '.join(self.feedback)})" if self.feedback else ""
        return f"{self.when} {self.instruction}{notes}: {self.plan}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["feedback"] = list(self.feedback)
        data["thumbnail"] = base64.b64encode(self.thumbnail).decode("ascii")
        return data

    @classmethod
    def from_json(cls, data: Any) -> HistoryEntry | None:
        if not isinstance(data, dict) or not isinstance(data.get("instruction"), str):
            return None
        try:
            thumbnail = base64.b64decode(str(data.get("thumbnail") or ""), validate=True)
        except ValueError:
            thumbnail = b""
        feedback = data.get("feedback")
        stamp = data.get("time")
        return cls(instruction=data["instruction"], plan=str(data.get("plan") or ""),
                   time=float(stamp) if isinstance(stamp, (int, float)) else 0.0,
                   feedback=tuple(str(f) for f in feedback) if isinstance(feedback, list) else (),
                   layer=str(data.get("layer") or ""),
                   thumbnail=thumbnail if thumbnail.startswith(b"\x89PNG") else b"")


def encode(entries: Iterable[HistoryEntry]) -> bytes:
    """The blob to store: the newest MAX_ENTRIES entries, oldest first."""
    items = [entry.to_json() for entry in entries][-MAX_ENTRIES:]
    return json.dumps({"format": FORMAT, "entries": items}, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def decode(blob: bytes | bytearray | memoryview | None) -> list[HistoryEntry]:
    """The entries of a stored blob; [] for none or for a blob this version cannot read (never raises)."""
    if not blob:
        return []
    try:
        data = json.loads(bytes(blob).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return []
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("entries"), list):
        return []
    return [entry for entry in map(HistoryEntry.from_json, data["entries"]) if entry is not None]


def thumbnail_png(rgba: bytes | bytearray | memoryview, width: int, height: int, size: int = THUMBNAIL_SIZE) -> bytes:
    """A PNG thumbnail (nearest pixel, RGBA) of packed RGBA8 pixels, at most `size` on its longer side."""
    if width <= 0 or height <= 0:
        return b""
    scale = max(width, height) / size if max(width, height) > size else 1.0
    tw, th = max(1, round(width / scale)), max(1, round(height / scale))
    view = memoryview(rgba).cast("B")
    columns = [min(int(x * scale), width - 1) * 4 for x in range(tw)]
    rows = bytearray()
    for y in range(th):
        start = min(int(y * scale), height - 1) * width * 4
        rows.append(0)  # filter: none
        for column in columns:
            rows += view[start + column:start + column + 4]
    return png_bytes(bytes(rows), tw, th)


def png_bytes(filtered_rows: bytes, width: int, height: int) -> bytes:
    """An RGBA8 PNG from rows that each start with their filter byte."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(filtered_rows, 9))
            + chunk(b"IEND", b""))
