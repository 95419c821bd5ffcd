"""Helpers for the daemon tests: an in-process server on a free loopback port, a raw DEALER, test bricks.

The server is the real one (real sockets, real executor, real bricks); tests only choose its
registry, builder and limits.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import zmq

from lego_edit.bricks.registry import Brick, Port, Registry
from lego_edit.bricks.values import ValueType
from lego_edit.daemon.config import Config, DaemonSection, LimitsSection

TERMINAL = {"result", "error", "cancelled"}
PLAN_TERMINAL = {"plan", "error", "cancelled"}
STARTS: list[float] = []


def _slow(ctx, image, seconds):
    """Sleeps in small slices, reporting progress and honouring cancel (a stand-in for a diffusion brick)."""
    STARTS.append(time.monotonic())
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        ctx.raise_if_cancelled()
        ctx.progress((time.perf_counter() - start) / seconds, "working")
        time.sleep(0.01)
    out = image.copy()
    out[..., 0] = 255 - out[..., 0]
    return {"image": out}


def slow_brick() -> Brick:
    brick = Brick("SLOW", "test brick: sleeps, then inverts the red channel", (Port("image", ValueType.IMAGE),
                  Port("seconds", ValueType.FLOAT)), (Port("image", ValueType.IMAGE),))
    brick.backend("test")(_slow)
    return brick


def registry_with_slow() -> Registry:
    """The built-in bricks plus SLOW."""
    from lego_edit.bricks.builtin import builtin_bricks

    return Registry([*builtin_bricks(), slow_brick()])


def slow_workflow(seconds: float) -> dict[str, Any]:
    return {"process": "slow", "pipeline": [
        {"step": 1, "model": "SLOW", "input": {"image": "init[image]", "seconds": seconds},
         "output": {"image": "step1[image]"}},
        {"result": "[step1[image]]"}]}


IDENTITY = {"process": "identity", "pipeline": [{"result": "[init[image]]"}]}


def config(tmp: Path | None = None, *, daemon: dict[str, Any] | None = None, limits: dict[str, Any] | None = None
           ) -> Config:
    cfg = Config(daemon=replace(DaemonSection(), **(daemon or {})), limits=replace(LimitsSection(), **(limits or {})))
    if tmp is not None:
        cfg.path = tmp / "config.toml"
        cfg.daemon.log_file = str(tmp / "daemon.log")
        cfg.daemon.pid_file = str(tmp / "daemon.pid")
    return cfg


def make_server(cfg: Config | None = None, **kwargs: Any) -> Any:
    """A real daemon (not started). Its executor is made here, so that creating it does not reconfigure
    the process-wide model manager under the other tests (the `serve` command does)."""
    from lego_edit.bricks import default_registry
    from lego_edit.bricks.executor import Executor
    from lego_edit.daemon.service.server import Server

    kwargs.setdefault("registry", default_registry())
    kwargs.setdefault("executor", Executor(kwargs["registry"]))
    return Server(cfg or config(), **kwargs)


@contextmanager
def running_server(cfg: Config | None = None, **kwargs: Any) -> Iterator[Any]:
    """A real daemon serving on a free loopback port, on a background thread."""
    server = make_server(cfg, **kwargs)
    server.start("tcp://127.0.0.1:0")
    try:
        yield server
    finally:
        server.stop()


class Raw:
    """A bare DEALER speaking the wire format by hand."""

    def __init__(self, endpoint: str, ctx: zmq.Context | None = None, **curve: bytes) -> None:
        self.sock = (ctx or zmq.Context.instance()).socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.SNDTIMEO, 3000)  # a DEALER with no usable peer (refused CURVE) blocks on send
        for key, value in curve.items():
            setattr(self.sock, key, value)
        self.sock.connect(endpoint)
        self.plans: set[Any] = set()  # ids of plan requests: they end with `plan`, not `result`

    def send(self, header: dict[str, Any] | bytes, *blobs: bytes) -> None:
        if isinstance(header, dict) and header.get("type") == "plan":
            self.plans.add(header.get("id"))
        head = header if isinstance(header, bytes) else json.dumps({"v": 1, **header}).encode()
        self.sock.send_multipart([head, *blobs])

    def recv(self, timeout: float = 10.0) -> tuple[dict[str, Any], list[bytes]]:
        if not self.sock.poll(int(timeout * 1000)):
            raise TimeoutError("no reply")
        frames = self.sock.recv_multipart()
        return json.loads(frames[0]), frames[1:]

    def until_terminal(self, request_id: Any, timeout: float = 20.0) -> list[tuple[dict[str, Any], list[bytes]]]:
        deadline = time.monotonic() + timeout
        out = []
        while True:
            header, blobs = self.recv(max(0.01, deadline - time.monotonic()))
            if header["id"] == request_id:
                out.append((header, blobs))
                if header["type"] in (PLAN_TERMINAL if request_id in self.plans else TERMINAL):
                    return out

    def first(self, request_id: Any, timeout: float = 10.0) -> dict[str, Any]:
        """The next reply to `request_id` (others are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            header, _ = self.recv(max(0.01, deadline - time.monotonic()))
            if header["id"] == request_id:
                return header

    def ping_ok(self) -> bool:
        rid = f"ping-{time.monotonic_ns()}"
        self.send({"id": rid, "type": "ping"})
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            header, _ = self.recv(5)
            if header["id"] == rid:
                return header["type"] == "pong"
        return False

    def close(self) -> None:
        self.sock.close(0)


def image_desc(width: int, height: int, fmt: str = "RGBA8", frame: int = 1) -> dict[str, Any]:
    return {"frame": frame, "width": width, "height": height, "format": fmt}


def noise(height: int = 24, width: int = 32, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 4), dtype=np.uint8)


def red_disk(size: int = 160) -> np.ndarray:
    """A small real photo (coffee) with a shaded red disk: what RES "red object" finds offline."""
    from tests.conftest import red_disk_photo

    image, _ = red_disk_photo(size=size, centre=(size * 5 // 8, size * 3 // 8), radius=size // 6)
    return image
