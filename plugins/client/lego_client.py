"""Lego Edit client: the one module the Krita and GIMP plugins ship to talk to the daemon.

Standard library + pyzmq only (no numpy), Python 3.10-3.13: it runs inside the host program's own
Python. It speaks protocol v1 (docs/protocol.md) over a DEALER socket.

Two ways to use it:

- Non-blocking, for a host UI: `send_edit(...)` returns a request id at once; a Qt timer or a GLib
  idle/timeout calls `poll()` (timeout 0) and gets the events that arrived. `poll()` also sends the
  heartbeats and notices a daemon that went away (then every pending request gets an `error` event
  with code "disconnected" and the socket is rebuilt). `cancel(id)` stops a queued or running job.
- Blocking, for scripts: `edit(...)` waits for the result and returns its layers; `on_event` sees
  each progress/layer event on the way.

Every `run` / `edit` has a seed (`seed=`, or one the daemon draws; `Result.seed` says which), so a
result can be made again. `variation(result.request_id)` runs the same workflow with a new seed:
the daemon re-runs only its stochastic steps; `Result.variation` is False when it has none (offline
classical bricks), so another seed could not change a pixel.

Pixels are bytes: `ImageData.bgra(data, w, h)` for Krita's `pixelData`, `ImageData.rgba(...)` for
GIMP's "R'G'B'A u8", `ImageData.gray(...)` for a selection mask. Results come back as `Layer`s in
the `reply_format` asked for (by default the format the image was sent in).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

try:
    import zmq
except ImportError:  # pyzmq vendored by `lego-edit install` into the plugin folder, one level above this package
    sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import zmq

PROTOCOL_VERSION = 1
DEFAULT_ENDPOINT = "tcp://127.0.0.1:5588"
ENDPOINT_ENV = "LEGO_EDIT_ENDPOINT"
CHANNELS = {"RGBA8": 4, "BGRA8": 4, "GRAY8": 1}
ZERO_COPY_MIN = 64 * 1024  # pyzmq copies small frames anyway

# Which reply ends a request, by request type. Anything else is an intermediate event.
_TERMINAL = {
    "hello": {"hello", "error"}, "ping": {"pong", "error"}, "status": {"status", "error"},
    "bricks": {"bricks", "error"}, "cancel": {"ack", "error"}, "plan": {"plan", "error", "cancelled"},
    "run": {"result", "error", "cancelled"}, "edit": {"result", "error", "cancelled"},
}

Bytes = bytes | bytearray | memoryview
RequestId = str | int


def default_endpoint() -> str:
    return os.environ.get(ENDPOINT_ENV) or DEFAULT_ENDPOINT


class LegoError(Exception):
    """An `error` reply (or a local failure: code "disconnected", "timeout", "too_large")."""

    def __init__(self, code: str, message: str, *, step: int | None = None, brick: str | None = None,
                 header: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.step, self.brick = code, message, step, brick
        self.header = header or {}


@dataclass
class ImageData:
    """Pixels to send: raw bytes in RGBA8 / BGRA8 / GRAY8 (row-major, no padding), or a PNG file's bytes."""

    data: Bytes
    width: int = 0
    height: int = 0
    format: str = "RGBA8"

    def __post_init__(self) -> None:
        if self.format == "PNG":
            head = bytes(self.data[:24])
            if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
                raise ValueError("ImageData.png: the data is not a PNG file")
            self.width = int.from_bytes(head[16:20], "big")
            self.height = int.from_bytes(head[20:24], "big")
            return
        if self.format not in CHANNELS:
            raise ValueError(f"unknown pixel format {self.format!r} (RGBA8, BGRA8, GRAY8 or PNG)")
        if self.width <= 0 or self.height <= 0:
            raise ValueError("width and height must be positive")
        need = self.width * self.height * CHANNELS[self.format]
        size = memoryview(self.data).nbytes
        if size != need:
            raise ValueError(f"{self.width}x{self.height} {self.format} needs {need} bytes, got {size}")

    @classmethod
    def rgba(cls, data: Bytes, width: int, height: int) -> ImageData:
        return cls(data, width, height, "RGBA8")

    @classmethod
    def bgra(cls, data: Bytes, width: int, height: int) -> ImageData:
        return cls(data, width, height, "BGRA8")

    @classmethod
    def gray(cls, data: Bytes, width: int, height: int) -> ImageData:
        return cls(data, width, height, "GRAY8")

    @classmethod
    def png(cls, data: Bytes) -> ImageData:
        return cls(data, format="PNG")

    @property
    def pixels(self) -> int:
        return self.width * self.height

    def descriptor(self, frame: int) -> dict[str, Any]:
        return {"frame": frame, "width": self.width, "height": self.height, "format": self.format}


@dataclass
class Layer:
    """An image or mask the daemon sent: `data` is a view on the received frame (no copy)."""

    name: str
    role: str  # "image" / "mask" for intermediates, "result" for final layers
    kind: str  # "image" | "mask"
    ref: str  # "step2[image]", "init[image]"
    step: int | None
    width: int
    height: int
    format: str  # RGBA8 / BGRA8 / GRAY8 / PNG
    data: memoryview
    brick: str | None = None
    cached: bool = False

    def tobytes(self) -> bytes:
        return bytes(self.data)


@dataclass
class Event:
    """One reply (or a local event: "connected", "disconnected"). `header` holds every field."""

    id: RequestId | None
    type: str
    header: dict[str, Any]
    layers: list[Layer] = field(default_factory=list)
    terminal: bool = False  # the last event of its request

    def get(self, key: str, default: Any = None) -> Any:
        return self.header.get(key, default)

    @property
    def layer(self) -> Layer | None:
        return self.layers[0] if self.layers else None

    def raise_for_error(self) -> Event:
        if self.type == "error":
            raise LegoError(self.get("code", "internal"), self.get("message", ""), step=self.get("step"),
                            brick=self.get("brick"), header=self.header)
        if self.type == "cancelled":
            raise LegoError("cancelled", f"the request was cancelled ({self.get('reason', 'client')})",
                            header=self.header)
        return self


@dataclass
class Result:
    """What `edit` / `run` return: the final layers, scalar results, the plan and the intermediates,
    and the seed the job ran with (None from a daemon that could not apply one)."""

    layers: list[Layer]
    values: dict[str, Any]
    plan: dict[str, Any] | None
    intermediates: list[Layer]
    steps: list[dict[str, Any]]
    executed: list[int]
    cached: list[int]
    events: list[Event]
    request_id: RequestId | None = None
    seed: int | None = None
    stochastic: list[int] = field(default_factory=list)  # the steps whose result depends on the seed
    variation: bool | None = None  # whether another seed could change the result (None: not said)


@dataclass
class CurveKeys:
    """CURVE settings for a daemon that requires them (Z85 text keys, 40 characters each)."""

    server_public: str
    public: str
    secret: str

    @classmethod
    def from_files(cls, server_key_file: str, client_secret_file: str) -> CurveKeys:
        """From ZeroMQ certificate files: the daemon's `server.key` and this client's `*.key_secret`."""
        server = read_key_file(server_key_file)
        client = read_key_file(client_secret_file)
        if "secret-key" not in client:
            raise ValueError(f"{client_secret_file} holds no secret key")
        return cls(server["public-key"], client["public-key"], client["secret-key"])


def read_key_file(path: str) -> dict[str, str]:
    with open(path, encoding="ascii") as fh:
        found = dict(re.findall(r'(public-key|secret-key)\s*=\s*"([^"]{40})"', fh.read()))
    if "public-key" not in found:
        raise ValueError(f"{path} is not a CURVE certificate file")
    return found


def generate_keypair() -> tuple[str, str]:
    """(public, secret) for a new client; give the public one to `lego-edit keys --allow` on the daemon."""
    public, secret = zmq.curve_keypair()
    return public.decode("ascii"), secret.decode("ascii")


class Client:
    """A connection to the daemon. Not thread-safe: use it from one thread (the host's UI thread)."""

    def __init__(self, endpoint: str | None = None, *, curve: CurveKeys | None = None, heartbeat_s: float = 5.0,
                 timeout_s: float = 15.0, keepalive: bool = True, context: zmq.Context | None = None) -> None:
        self.endpoint = endpoint or default_endpoint()
        self.curve = curve
        self.heartbeat_s = heartbeat_s
        self.timeout_s = timeout_s
        self.keepalive = keepalive
        self.ctx = context or zmq.Context.instance()
        self.identity = b"lego-" + uuid.uuid4().hex.encode("ascii")
        self.connected = False
        self.server: dict[str, Any] = {}  # the daemon's hello reply
        self.pending: dict[RequestId, str] = {}  # request id -> request type
        self._prefix = uuid.uuid4().hex[:6]
        self._ids = itertools.count(1)
        self._sock: zmq.Socket | None = None
        self._last_sent = 0.0
        self._last_heard = 0.0
        self._instance: str | None = None
        self._local: list[Event] = []  # events already received, kept for the next poll
        self._heartbeats: set[RequestId] = set()  # ids of our own pings (their replies are not events)
        self._internal: set[RequestId] = set()  # our own hellos (their replies are events, failures are not)
        self._reported_down = False

    # -- connection -----------------------------------------------------------------------------
    def _socket(self) -> zmq.Socket:
        if self._sock is None:
            sock = self.ctx.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.setsockopt(zmq.ROUTING_ID, self.identity)
            sock.setsockopt(zmq.RECONNECT_IVL, 100)
            sock.setsockopt(zmq.RECONNECT_IVL_MAX, 2000)
            if self.curve is not None:
                sock.curve_serverkey = self.curve.server_public.encode("ascii")
                sock.curve_publickey = self.curve.public.encode("ascii")
                sock.curve_secretkey = self.curve.secret.encode("ascii")
            sock.connect(self.endpoint)
            self._sock = sock
            self._last_heard = time.monotonic()
            try:  # its reply is the first event: `connected`, then `hello` with the daemon's limits
                self._internal.add(self._send_header(self._new_id(), "hello", {"versions": [PROTOCOL_VERSION]}))
            except LegoError:
                pass  # no link yet: the heartbeat's timeout reports it
        return self._sock

    def fileno(self) -> int:
        """ZeroMQ's notification fd (edge-triggered): after it fires, call `poll()` until it returns nothing."""
        return self._socket().fileno()  # pyzmq's own fileno(): the zmq.FD option, typed int

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close(0)
            self._sock = None
        self.connected = False
        for rid in self._heartbeats | self._internal:  # requests of this module, not of the caller
            self.pending.pop(rid, None)
        self._heartbeats.clear()
        self._internal.clear()

    def __enter__(self) -> Client:
        self._socket()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- sending --------------------------------------------------------------------------------
    def _new_id(self) -> str:
        return f"{self._prefix}-{next(self._ids)}"

    def _send_header(self, request_id: RequestId, kind: str, fields: dict[str, Any] | None = None,
                     blobs: Sequence[Bytes] = ()) -> RequestId:
        header = {"v": PROTOCOL_VERSION, "id": request_id, "type": kind}
        header.update(fields or {})
        frames = [json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), *blobs]
        big = any(memoryview(b).nbytes >= ZERO_COPY_MIN for b in blobs)
        sock = self._socket()
        try:  # never block the host's UI: with no usable link ZeroMQ would wait forever
            sock.send_multipart(frames, flags=zmq.NOBLOCK, copy=not big)
        except zmq.Again:
            raise LegoError("disconnected", f"cannot send to {self.endpoint}: no connection to the daemon "
                                            f"(not running, or refusing this client's keys)") from None
        self._last_sent = time.monotonic()
        self.pending[request_id] = kind
        return request_id

    def send(self, kind: str, fields: dict[str, Any] | None = None, images: dict[str, ImageData | None] | None = None,
             request_id: RequestId | None = None) -> RequestId:
        """Any request: `images` maps header names ("image", "mask") to pixels. Returns the request id."""
        fields = dict(fields or {})
        blobs: list[Bytes] = []
        limit = self.server.get("limits", {}).get("max_pixels")
        for name, image in (images or {}).items():
            if image is None:
                continue
            if limit and image.pixels > limit:
                raise LegoError("too_large", f"{name}: {image.width}x{image.height} is more than the daemon's "
                                             f"{limit} pixels")
            blobs.append(image.data)
            fields[name] = image.descriptor(len(blobs))
        return self._send_header(request_id if request_id is not None else self._new_id(), kind, fields, blobs)

    def send_hello(self) -> RequestId:
        return self.send("hello", {"versions": [PROTOCOL_VERSION]})

    def send_ping(self) -> RequestId:
        return self.send("ping")

    def send_status(self) -> RequestId:
        return self.send("status")

    def send_bricks(self) -> RequestId:
        return self.send("bricks")

    def send_plan(self, instruction: str | None, image: ImageData | None = None, mask: ImageData | None = None, *,
                  feedback: Iterable[str] = (), replan_of: RequestId | None = None,
                  backend: str | None = None) -> RequestId:
        return self.send("plan", _planning(instruction, feedback, replan_of, backend), {"image": image, "mask": mask})

    def send_run(self, workflow: dict[str, Any] | str, image: ImageData, mask: ImageData | None = None, *,
                 reply_format: str | None = None, layers: bool = True, seed: int | None = None) -> RequestId:
        fields: dict[str, Any] = {"workflow": workflow, "layers": layers}
        if reply_format:
            fields["reply_format"] = reply_format
        if seed is not None:
            fields["seed"] = seed
        return self.send("run", fields, {"image": image, "mask": mask})

    def send_edit(self, instruction: str | None, image: ImageData | None = None, mask: ImageData | None = None, *,
                  feedback: Iterable[str] = (), replan_of: RequestId | None = None, reply_format: str | None = None,
                  backend: str | None = None, layers: bool = True, seed: int | None = None) -> RequestId:
        """Plan and run an edit. With `replan_of` (an earlier plan/run/edit id) the image may be left out:
        the daemon re-plans with the feedback and re-runs only the steps that changed (keeping that
        request's seed unless `seed` is given). `seed`: None lets the daemon draw one."""
        fields = _planning(instruction, feedback, replan_of, backend)
        fields["layers"] = layers
        if reply_format:
            fields["reply_format"] = reply_format
        if seed is not None:
            fields["seed"] = seed
        return self.send("edit", fields, {"image": image, "mask": mask})

    def send_variation(self, of: RequestId, image: ImageData | None = None, mask: ImageData | None = None, *,
                       seed: int | None = None, reply_format: str | None = None, layers: bool = True) -> RequestId:
        """Next variation: request `of`'s workflow again, unplanned, on its kept image (or `image`, when the
        daemon no longer holds it) with a new seed (`seed`, or one the daemon draws that differs from
        `of`'s). Only the stochastic steps and what reads them run again; the rest come from the cache."""
        fields: dict[str, Any] = {"variation_of": of, "layers": layers}
        if reply_format:
            fields["reply_format"] = reply_format
        if seed is not None:
            fields["seed"] = seed
        return self.send("edit", fields, {"image": image, "mask": mask})

    def cancel(self, target: RequestId) -> RequestId:
        """Cancel a queued or running request; it ends with a `cancelled` event."""
        return self.send("cancel", {"target": target})

    # -- receiving ------------------------------------------------------------------------------
    def poll(self, timeout: float = 0.0) -> list[Event]:
        """Events that arrived, waiting up to `timeout` seconds for the first. Also keeps the link alive."""
        sock = self._socket()
        events, self._local = self._local, []
        if not events:
            sock.poll(max(0, int(timeout * 1000)), zmq.POLLIN)
        while True:
            try:
                frames = sock.recv_multipart(zmq.NOBLOCK, copy=False)
            except zmq.Again:
                break
            events.extend(self._events(frames))
        self._heartbeat(events)
        return events

    def _events(self, frames: list[Any]) -> list[Event]:
        """The events one reply gives: itself, and "connected" or restart failures it reveals."""
        try:
            header = json.loads(frames[0].bytes.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return []
        if not isinstance(header, dict):
            return []
        self._last_heard = time.monotonic()
        kind, rid = header.get("type", ""), header.get("id")
        events: list[Event] = []
        if not self.connected:
            self.connected, self._reported_down = True, False
            events.append(Event(None, "connected", {"endpoint": self.endpoint}))
        instance = header.get("instance")
        if instance and kind in ("hello", "pong"):
            if self._instance and instance != self._instance:  # the daemon restarted: its jobs are gone
                events.extend(self._fail_pending("disconnected", "the daemon restarted", keep={rid}))
            self._instance = instance
        if kind == "hello" and header.get("version"):
            self.server = header
            server_timeout = header.get("heartbeat_s")
            if isinstance(server_timeout, (int, float)) and server_timeout > 0:
                self.heartbeat_s = min(self.heartbeat_s, server_timeout / 3)
        if rid in self._heartbeats:
            self._heartbeats.discard(rid)
            self.pending.pop(rid, None)
            return events  # heartbeats are this module's business
        self._internal.discard(rid)
        layers = []
        for desc in _layer_descriptors(kind, header):
            image = desc.get("image") or {}
            index = image.get("frame")
            if isinstance(index, int) and 1 <= index < len(frames):
                layers.append(Layer(name=desc.get("name", ""), role=desc.get("role", ""), kind=desc.get("kind", ""),
                                    ref=desc.get("ref", ""), step=desc.get("step"), width=image.get("width", 0),
                                    height=image.get("height", 0), format=image.get("format", ""),
                                    data=frames[index].buffer, brick=desc.get("brick"),
                                    cached=bool(desc.get("cached", False))))
        request_type = self.pending.get(rid) if rid is not None else None
        terminal = request_type is not None and kind in _TERMINAL.get(request_type, ())
        if terminal and rid is not None:
            del self.pending[rid]
        events.append(Event(rid, kind, header, layers, terminal))
        return events

    def _heartbeat(self, events: list[Event]) -> None:
        now = time.monotonic()
        waiting = bool(self.pending)
        if (waiting or self.keepalive) and now - self._last_sent >= self.heartbeat_s:
            try:
                self._heartbeats.add(self._send_header(self._new_id(), "ping"))
            except LegoError:
                self._last_sent = now  # nothing to ping yet; the timeout below notices a dead link
        if (waiting or self.keepalive) and now - self._last_heard > self.timeout_s:
            events.extend(self._fail_pending("disconnected", f"no answer from the daemon at {self.endpoint} "
                                                             f"for {self.timeout_s:.0f} s"))
            if not self._reported_down:
                events.append(Event(None, "disconnected", {"endpoint": self.endpoint}))
                self._reported_down = True
            self.close()  # drops what was queued for the old link: failed requests must not run later
            self._heartbeats.clear()
            self._socket()

    def _fail_pending(self, code: str, message: str, keep: Iterable[Any] = ()) -> list[Event]:
        keep = set(keep)
        failed = []
        for rid in list(self.pending):
            if rid in keep or rid in self._heartbeats:
                continue
            del self.pending[rid]
            if rid in self._internal:
                continue
            failed.append(Event(rid, "error", {"v": PROTOCOL_VERSION, "id": rid, "type": "error", "code": code,
                                               "message": message, "local": True}, terminal=True))
        return failed

    # -- blocking helpers -----------------------------------------------------------------------
    def wait(self, request_id: RequestId, *, timeout: float | None = None,
             on_event: Callable[[Event], None] | None = None) -> list[Event]:
        """Events of one request until its last; events of other requests are kept for later polls."""
        deadline = None if timeout is None else time.monotonic() + timeout
        mine: list[Event] = []
        others: list[Event] = []
        try:
            while True:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    self.pending.pop(request_id, None)
                    raise LegoError("timeout", f"no answer to {request_id!r} within {timeout} s")
                step = min(self.heartbeat_s / 2, 0.5 if remaining is None else max(remaining, 0))
                for event in self.poll(step):
                    if event.id == request_id:
                        mine.append(event)
                        if on_event is not None:
                            on_event(event)
                        if event.terminal:
                            return mine
                    else:
                        others.append(event)
        finally:
            self._local[:0] = others

    def call(self, kind: str, fields: dict[str, Any] | None = None, images: dict[str, ImageData | None] | None = None,
             *, timeout: float | None = 10.0, on_event: Callable[[Event], None] | None = None) -> Event:
        """Send a request and wait for its last event (raising LegoError for `error` / `cancelled`)."""
        request_id = self.send(kind, fields, images)
        try:
            events = self.wait(request_id, timeout=timeout, on_event=on_event)
        except KeyboardInterrupt:
            self.cancel(request_id)
            raise
        return events[-1].raise_for_error()

    def hello(self, timeout: float = 5.0) -> dict[str, Any]:
        return self.call("hello", {"versions": [PROTOCOL_VERSION]}, timeout=timeout).header

    def ping(self, timeout: float = 5.0) -> dict[str, Any]:
        return self.call("ping", timeout=timeout).header

    def status(self, timeout: float = 5.0) -> dict[str, Any]:
        return self.call("status", timeout=timeout).header

    def bricks(self, timeout: float = 30.0) -> list[dict[str, Any]]:
        return self.call("bricks", timeout=timeout).get("bricks", [])

    def plan(self, instruction: str | None, image: ImageData | None = None, mask: ImageData | None = None, *,
             feedback: Iterable[str] = (), replan_of: RequestId | None = None, backend: str | None = None,
             timeout: float | None = None) -> Event:
        return self.call("plan", _planning(instruction, feedback, replan_of, backend), {"image": image, "mask": mask},
                         timeout=timeout)

    def edit(self, instruction: str | None, image: ImageData | None = None, mask: ImageData | None = None, *,
             feedback: Iterable[str] = (), replan_of: RequestId | None = None, reply_format: str | None = None,
             backend: str | None = None, seed: int | None = None, on_event: Callable[[Event], None] | None = None,
             timeout: float | None = None) -> Result:
        """Plan and run; returns the final layers and the seed used (raises LegoError on `error` or `cancelled`)."""
        request_id = self.send_edit(instruction, image, mask, feedback=feedback, replan_of=replan_of,
                                    reply_format=reply_format, backend=backend, seed=seed)
        return self._collect(request_id, on_event, timeout)

    def run(self, workflow: dict[str, Any] | str, image: ImageData, mask: ImageData | None = None, *,
            reply_format: str | None = None, seed: int | None = None, on_event: Callable[[Event], None] | None = None,
            timeout: float | None = None) -> Result:
        request_id = self.send_run(workflow, image, mask, reply_format=reply_format, seed=seed)
        return self._collect(request_id, on_event, timeout)

    def variation(self, of: RequestId, image: ImageData | None = None, mask: ImageData | None = None, *,
                  seed: int | None = None, reply_format: str | None = None,
                  on_event: Callable[[Event], None] | None = None, timeout: float | None = None) -> Result:
        """`send_variation` and wait: the same workflow as request `of`, a new seed. Check `Result.variation`:
        False means no step depends on the seed, so the pixels are the same as `of`'s."""
        request_id = self.send_variation(of, image, mask, seed=seed, reply_format=reply_format)
        return self._collect(request_id, on_event, timeout)

    def _collect(self, request_id: RequestId, on_event: Callable[[Event], None] | None,
                 timeout: float | None) -> Result:
        try:
            events = self.wait(request_id, timeout=timeout, on_event=on_event)
        except KeyboardInterrupt:
            self.cancel(request_id)
            raise
        last = events[-1].raise_for_error()
        plan = next((e.header for e in events if e.type == "plan"), None)
        intermediates = [layer for e in events if e.type == "layer" for layer in e.layers]
        seed, variation = last.get("seed"), last.get("variation")
        return Result(layers=last.layers, values=last.get("values", {}), plan=plan, intermediates=intermediates,
                      steps=last.get("steps", []), executed=last.get("executed", []), cached=last.get("cached", []),
                      events=events, request_id=request_id,
                      seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
                      stochastic=list(last.get("stochastic") or []),
                      variation=variation if isinstance(variation, bool) else None)


def _planning(instruction: str | None, feedback: Iterable[str], replan_of: RequestId | None,
              backend: str | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if instruction is not None:
        fields["instruction"] = instruction
    if isinstance(feedback, str):
        feedback = [feedback]
    feedback = [f for f in feedback if f]
    if feedback:
        fields["feedback"] = feedback
    if replan_of is not None:
        fields["replan_of"] = replan_of
    if backend:
        fields["backend"] = backend
    return fields


def _layer_descriptors(kind: str, header: dict[str, Any]) -> list[dict[str, Any]]:
    if kind == "layer":
        return [header]
    if kind == "result":
        return [d for d in header.get("layers", []) if isinstance(d, dict)]
    return []
