"""Wire format of protocol v1: decoding request frames into checked requests, encoding replies.

Pure Python (json + struct): no sockets, no numpy. The server hands it the frames' buffers as
received (no copy); image bytes stay where libzmq put them, this module only checks their sizes.
docs/protocol.md is the specification this module implements.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeGuard

VERSION = 1
SUPPORTED_VERSIONS = (1,)

IMAGE_FORMATS = ("RGBA8", "BGRA8", "PNG")
MASK_FORMATS = ("GRAY8", "PNG")
REPLY_FORMATS = ("RGBA8", "BGRA8", "PNG")
CHANNELS = {"RGBA8": 4, "BGRA8": 4, "GRAY8": 1}

ERROR_CODES = (
    "bad_request", "unsupported_version", "too_large", "invalid_workflow", "plan_refused",
    "brick_unavailable", "brick_failed", "busy", "unauthorized", "internal",
)
JOB_TYPES = ("plan", "run", "edit")
REQUEST_TYPES = ("hello", "ping", "status", "bricks", "cancel") + JOB_TYPES

MAX_ID_LENGTH = 256
MAX_INSTRUCTION = 4000
MAX_FEEDBACK_ITEMS = 32
MAX_FEEDBACK_CHARS = 2000  # per item: a correction is a sentence or two
MAX_DEPTH = 32  # nesting of JSON arrays/objects in a header: a workflow needs 5
SEED_LIMIT = 2**63  # a job's seed is 0 <= seed < 2**63 (a signed 64-bit integer; the executor's limit too)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"



class WireName(str, Enum):
    """A name sent on the wire: compares, hashes and JSON-encodes as its plain string value."""

    def __str__(self) -> str:
        return self.value


class EventKind(WireName):
    """The `type` of a reply. A job's events are ACCEPTED, then PLAN / PROGRESS / LAYER, ended by
    exactly one of RESULT, ERROR, CANCELLED (PLAN ends a `plan` request)."""

    HELLO = "hello"
    PONG = "pong"
    STATUS = "status"
    BRICKS = "bricks"
    ACK = "ack"
    ACCEPTED = "accepted"
    PLAN = "plan"
    PROGRESS = "progress"
    LAYER = "layer"
    RESULT = "result"
    ERROR = "error"
    CANCELLED = "cancelled"


class StepState(WireName):
    """`state` of a `progress` event."""

    STARTED = "started"
    RUNNING = "running"
    FINISHED = "finished"


class CancelReason(WireName):
    """`reason` of a `cancelled` event. VANISHED stays inside the daemon: a client silent past the
    heartbeat timeout is gone, so nothing is sent to it."""

    CLIENT = "client"
    SHUTDOWN = "shutdown"
    VANISHED = "vanished"


class AckState(WireName):
    """`state` of an `ack`: where the cancelled job was."""

    QUEUED = "queued"
    RUNNING = "running"
    UNKNOWN = "unknown"


class DaemonState(WireName):
    """`state` of a `status` reply."""

    IDLE = "idle"
    BUSY = "busy"


RequestId = str | int
Buffer = bytes | bytearray | memoryview


@dataclass(frozen=True)
class Limits:
    """What the daemon accepts; announced to clients in the `hello` reply."""

    max_pixels: int = 8192 * 8192
    max_header_bytes: int = 1 << 20
    max_frames: int = 8
    max_frame_bytes: int = 0  # 0: derived, 4 bytes a pixel at max_pixels plus 1 MiB

    @property
    def frame_bytes(self) -> int:
        return self.max_frame_bytes or 4 * self.max_pixels + (1 << 20)

    def to_wire(self) -> dict[str, int]:
        return {"max_pixels": self.max_pixels, "max_header_bytes": self.max_header_bytes,
                "max_frames": self.max_frames, "max_frame_bytes": self.frame_bytes}


class ProtocolError(Exception):
    """A request the daemon refuses. `request_id` None: the reply carries `"id": null`.

    `drop`: no reply at all (a header without an id has nobody to answer).
    """

    def __init__(self, code: str, message: str, request_id: RequestId | None = None, *, drop: bool = False,
                 **details: Any) -> None:
        assert code in ERROR_CODES, code
        super().__init__(message)
        self.code, self.message, self.request_id, self.drop, self.details = code, message, request_id, drop, details


@dataclass
class WireImage:
    """An image or mask as it arrived: its descriptor and a view on its frame's bytes."""

    role: str  # "image" | "mask"
    format: str
    width: int
    height: int
    frame: int
    data: memoryview

    @property
    def pixels(self) -> int:
        return self.width * self.height


@dataclass
class Request:
    id: RequestId
    type: str
    header: dict[str, Any]
    images: dict[str, WireImage] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        return self.header.get(name, default)


# -- decoding -----------------------------------------------------------------------------------

def valid_id(value: Any) -> TypeGuard[RequestId]:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH and unicode_ok(value)


def unicode_ok(text: str) -> bool:
    """Whether `text` can be sent as UTF-8 (JSON's \\ud800 escapes decode to lone surrogates, which cannot)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_tree(header: dict[str, Any], rid: RequestId) -> None:
    """Every string of the header is sendable Unicode, and nothing nests deeper than MAX_DEPTH (no recursion)."""
    stack: list[tuple[Any, int]] = [(header, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if not unicode_ok(value):
                raise ProtocolError("bad_request", "the header holds a string that is not valid Unicode "
                                                   "(a lone surrogate escape such as \\ud800)", rid)
        elif isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                raise ProtocolError("bad_request", f"the header nests arrays/objects deeper than {MAX_DEPTH} levels",
                                    rid)
            items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
            for key, item in items:
                if key is not None:
                    stack.append((key, depth))
                stack.append((item, depth + 1))


def parse_header(raw: Buffer, limits: Limits) -> dict[str, Any]:
    """Frame 0 -> the header object. Errors carry no id: the header could not be read."""
    if len(raw) > limits.max_header_bytes:
        raise ProtocolError("too_large", f"the header is {len(raw)} bytes; the limit is {limits.max_header_bytes}")
    try:
        header = json.loads(bytes(raw).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError("bad_request", f"frame 0 is not a UTF-8 JSON header ({type(exc).__name__})") from None
    if not isinstance(header, dict):
        raise ProtocolError("bad_request", "the header must be a JSON object", drop=True)
    return header


def decode(frames: Sequence[Buffer], limits: Limits) -> Request:
    """Frames of one message (routing id already removed) -> a checked Request, or ProtocolError."""
    if not frames:
        raise ProtocolError("bad_request", "empty message", drop=True)
    header = parse_header(frames[0], limits)
    rid = header.get("id")
    if isinstance(rid, str) and 0 < len(rid) <= MAX_ID_LENGTH and not unicode_ok(rid):
        raise ProtocolError("bad_request", "the id is not valid Unicode (it holds a lone surrogate escape); "
                                           "the reply's id is null", None)
    if not valid_id(rid):
        raise ProtocolError("bad_request", "the header has no valid id (a string of 1-256 characters or an integer)",
                            drop=True)
    _check_tree(header, rid)
    kind = header.get("type")
    if kind not in REQUEST_TYPES:
        raise ProtocolError("bad_request", f"unknown request type {kind!r} (known: {', '.join(REQUEST_TYPES)})", rid)
    if kind != "hello":  # hello is how a client finds out which versions exist
        version = header.get("v")
        if type(version) is not int or version not in SUPPORTED_VERSIONS:  # an integer: 1.0 and True are not 1
            raise ProtocolError("unsupported_version", f"protocol version {version!r} is not supported",
                                rid, supported=list(SUPPORTED_VERSIONS))
    blobs = frames[1:]
    if len(blobs) > limits.max_frames:
        raise ProtocolError("bad_request", f"{len(blobs)} data frames; at most {limits.max_frames} are accepted", rid)
    request = Request(id=rid, type=kind, header=header)
    _FIELD_CHECKS[kind](request)
    used: set[int] = set()
    for role, formats in (("image", IMAGE_FORMATS), ("mask", MASK_FORMATS)):
        if header.get(role) is not None:
            if kind not in ("plan", "run", "edit"):
                raise ProtocolError("bad_request", f"a {kind} request takes no {role}", rid)
            request.images[role] = _image(role, header[role], formats, blobs, used, limits, rid)
    if len(used) != len(blobs):
        unused = sorted(set(range(1, len(blobs) + 1)) - used)
        raise ProtocolError("bad_request", f"frame(s) {unused} are not referenced by the header", rid)
    image, mask = request.images.get("image"), request.images.get("mask")
    if image and mask and (image.width, image.height) != (mask.width, mask.height):
        raise ProtocolError("bad_request", f"the mask is {mask.width}x{mask.height} but the image is "
                                           f"{image.width}x{image.height}", rid)
    reuses = header.get("replan_of") is not None or header.get("variation_of") is not None
    if kind in ("run", "edit") and image is None and not (kind == "edit" and reuses):
        raise ProtocolError("bad_request", f"a {kind} request needs an image", rid)
    if kind == "plan" and mask is not None and image is None:
        raise ProtocolError("bad_request", "a mask needs the image it belongs to", rid)
    return request


def png_size(data: Buffer) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk, without decoding any pixel."""
    head = bytes(data[:24])
    if len(head) < 24 or head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    return struct.unpack(">II", head[16:24])


def _dim(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 1 << 20


def _image(role: str, desc: Any, formats: tuple[str, ...], blobs: Sequence[Buffer], used: set[int],
           limits: Limits, rid: RequestId) -> WireImage:
    if not isinstance(desc, dict):
        raise ProtocolError("bad_request", f"{role}: an image descriptor is an object {{frame, width, height, format}}",
                            rid)
    fmt = desc.get("format")
    if fmt not in formats:
        raise ProtocolError("bad_request", f"{role}: format {fmt!r} is not one of {', '.join(formats)}", rid)
    index = desc.get("frame")
    if isinstance(index, bool) or not isinstance(index, int) or not 1 <= index <= len(blobs):
        raise ProtocolError("bad_request", f"{role}: frame {index!r} does not exist (the message has "
                                           f"{len(blobs)} data frame(s), numbered from 1)", rid)
    if index in used:
        raise ProtocolError("bad_request", f"{role}: frame {index} is already used by another image", rid)
    used.add(index)
    data = memoryview(blobs[index - 1])
    if data.format != "B" or data.ndim != 1:
        data = data.cast("B")
    width, height = desc.get("width"), desc.get("height")
    if fmt == "PNG":
        try:
            png_w, png_h = png_size(data)
        except ValueError:
            raise ProtocolError("bad_request", f"{role}: frame {index} is not a PNG file", rid) from None
        if (width is not None and width != png_w) or (height is not None and height != png_h):
            raise ProtocolError("bad_request", f"{role}: the PNG is {png_w}x{png_h}, the descriptor says "
                                               f"{width}x{height}", rid)
        width, height = png_w, png_h
        if not (_dim(width) and _dim(height)):
            raise ProtocolError("bad_request", f"{role}: the PNG has an impossible size {width}x{height}", rid)
    elif not (_dim(width) and _dim(height)):
        raise ProtocolError("bad_request", f"{role}: width and height must be positive integers", rid)
    if width * height > limits.max_pixels:
        raise ProtocolError("too_large", f"{role}: {width}x{height} is {width * height} pixels; the limit is "
                                         f"{limits.max_pixels}", rid)
    if fmt != "PNG":
        need = width * height * CHANNELS[fmt]
        if data.nbytes != need:
            raise ProtocolError("bad_request", f"{role}: frame {index} holds {data.nbytes} bytes; "
                                               f"{width}x{height} {fmt} needs exactly {need}", rid)
    return WireImage(role=role, format=fmt, width=width, height=height, frame=index, data=data)


# -- per-type fields ----------------------------------------------------------------------------

def _bad(request: Request, message: str) -> ProtocolError:
    return ProtocolError("bad_request", message, request.id)


def _check_nothing(request: Request) -> None:
    return None


def _check_hello(request: Request) -> None:
    versions = request.get("versions", [request.get("v", VERSION)])
    if not isinstance(versions, list) or not versions or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in versions):
        raise _bad(request, "hello: versions must be a non-empty list of integers")


def _check_cancel(request: Request) -> None:
    if not valid_id(request.get("target")):
        raise _bad(request, "cancel: target must be the id of an earlier request")


def _check_reply_format(request: Request) -> None:
    fmt = request.get("reply_format")
    if fmt is not None and fmt not in REPLY_FORMATS:
        raise _bad(request, f"reply_format {fmt!r} is not one of {', '.join(REPLY_FORMATS)}")
    layers = request.get("layers", True)
    if not isinstance(layers, bool):
        raise _bad(request, "layers must be true or false")


def _check_planning(request: Request) -> None:
    replan_of = request.get("replan_of")
    if replan_of is not None and not valid_id(replan_of):
        raise _bad(request, "replan_of must be the id of an earlier plan, run or edit")
    instruction = request.get("instruction")
    if instruction is None and replan_of is None:
        raise _bad(request, f"a {request.type} request needs an instruction")
    if instruction is not None and (not isinstance(instruction, str) or not instruction.strip()):
        raise _bad(request, "instruction must be a non-empty string")
    if isinstance(instruction, str) and len(instruction) > MAX_INSTRUCTION:
        raise _bad(request, f"the instruction is longer than {MAX_INSTRUCTION} characters")
    feedback = request.get("feedback", [])
    if isinstance(feedback, str):
        feedback = [feedback]
    if not isinstance(feedback, list) or not all(isinstance(f, str) for f in feedback) \
            or len(feedback) > MAX_FEEDBACK_ITEMS:
        raise _bad(request, f"feedback must be a string or a list of at most {MAX_FEEDBACK_ITEMS} strings")
    if any(len(f) > MAX_FEEDBACK_CHARS for f in feedback):
        raise _bad(request, f"each feedback item must be at most {MAX_FEEDBACK_CHARS} characters")
    request.header["feedback"] = [f for f in feedback if f.strip()]
    backend = request.get("backend")
    if backend is not None and not isinstance(backend, str):
        raise _bad(request, "backend must be a string (a Builder backend name) or null")


def _check_seed(request: Request) -> None:
    seed = request.get("seed")
    if seed is not None and (type(seed) is not int or not 0 <= seed < SEED_LIMIT):  # 1.0 and true are not seeds
        raise _bad(request, f"seed must be an integer from 0 to 2**63 - 1, not {log_text(seed, 40)}")


def _check_run(request: Request) -> None:
    workflow = request.get("workflow")
    if not isinstance(workflow, (dict, str)):
        raise _bad(request, "run: workflow must be a workflow object (or its JSON text)")
    _check_reply_format(request)
    _check_seed(request)


def _check_variation(request: Request) -> None:
    """`variation_of` runs an earlier request's workflow again as it was, with a new seed: nothing to plan."""
    if not valid_id(request.get("variation_of")):
        raise _bad(request, "variation_of must be the id of an earlier run or edit")
    changes = [name for name in ("replan_of", "instruction", "feedback", "backend")
               if request.get(name) not in (None, "", [])]
    if changes:
        raise _bad(request, f"variation_of runs the earlier workflow as it was, so it takes no {changes[0]} "
                            "(to change the plan, send replan_of with feedback)")
    request.header["feedback"] = []


def _check_edit(request: Request) -> None:
    if request.get("variation_of") is not None:
        _check_variation(request)
    else:
        _check_planning(request)
    _check_reply_format(request)
    _check_seed(request)


_FIELD_CHECKS = {
    "hello": _check_hello, "ping": _check_nothing, "status": _check_nothing, "bricks": _check_nothing,
    "cancel": _check_cancel, "plan": _check_planning, "run": _check_run, "edit": _check_edit,
}


# -- encoding -----------------------------------------------------------------------------------

def negotiate(offered: Sequence[int]) -> int | None:
    """The highest version both sides speak, or None."""
    common = set(offered) & set(SUPPORTED_VERSIONS)
    return max(common) if common else None


def encode_header(request_id: RequestId | None, kind: EventKind | str, fields: dict[str, Any] | None = None) -> bytes:
    header = {"v": VERSION, "id": request_id, "type": str(kind)}
    if fields:
        header.update(fields)
    try:
        return json.dumps(header, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                          default=_jsonable).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate somewhere: \\u escapes are plain ASCII JSON
        return json.dumps(header, ensure_ascii=True, separators=(",", ":"), allow_nan=False,
                          default=_jsonable).encode("ascii")


def encode_header_safe(request_id: RequestId | None, kind: EventKind | str,
                       fields: dict[str, Any] | None = None) -> tuple[bytes, bool]:
    """(header bytes, encoded as asked?). Never raises: a reply that cannot be encoded becomes an
    `internal` error for the same id (or for id null, if even the id cannot be encoded)."""
    try:
        return encode_header(request_id, kind, fields), True
    except Exception:  # any failure here would otherwise kill the sending thread
        pass
    internal = error_fields("internal", f"the daemon could not encode its {str(kind)!r} reply; see its log")
    try:
        return encode_header(request_id, EventKind.ERROR, internal), False
    except Exception:
        return encode_header(None, EventKind.ERROR, internal), False


def error_fields(code: str, message: str, **details: Any) -> dict[str, Any]:
    fields = {"code": code, "message": message}
    fields.update({k: v for k, v in details.items() if v is not None})
    return fields


def _jsonable(value: Any) -> Any:
    """numpy scalars (a brick's float score) as plain JSON numbers; anything else as its text."""
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    return str(value)


def log_text(value: Any, limit: int = 120) -> str:
    """A client-supplied value as a log line may hold it: repr'd (escapes control characters and
    lone surrogates) and truncated, so a client cannot fill or forge the log."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}…(+{len(text) - limit} chars)"
