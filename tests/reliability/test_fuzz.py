"""Fuzzing the header and frame space of a real daemon: nothing a client sends stops it or harms others.

After every batch a health check runs on a fresh connection: a well-formed `ping` answers, a 64 x 64
`edit` ("make it brighter") and a one-step `run` end with `result`. Every reply the fuzzing clients
get must itself be well formed (UTF-8 JSON object, v 1, a known type, an id that was sent or null,
a known error code, blob frames that match their descriptors).
"""

from __future__ import annotations

import collections
import json
import struct
import time
import zlib
from typing import Any

import pytest
import zmq
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.daemon_util import IDENTITY, Raw
from tests.reliability.harness import ERROR_CODES, FLIP, REPLY_TYPES, health

REQUEST_TYPES = ["hello", "ping", "status", "bricks", "cancel", "plan", "run", "edit"]
CHANNELS = {"RGBA8": 4, "BGRA8": 4, "GRAY8": 1}
EXAMPLES = 300
BATCH = 30  # health check after this many messages
BUDGET_S = 60.0  # fuzzing stops sending (the remaining examples pass at once) after this long


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


class Fuzzer:
    """A few DEALERs sending fuzzed messages; after each one a sentinel ping, so a daemon that stops
    answering is noticed at the message that did it. Every reply read is checked."""

    def __init__(self, daemon, clients: int = 4) -> None:
        self.daemon = daemon
        self.socks = []
        for _ in range(clients):
            sock = zmq.Context.instance().socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.setsockopt(zmq.SNDTIMEO, 5000)
            sock.connect(daemon.endpoint)
            self.socks.append(sock)
        self.sent_ids: set[str] = set()
        self.recent: collections.deque = collections.deque(maxlen=12)
        self.count = 0
        self.replies = collections.Counter()

    def context(self) -> str:
        return "last messages sent:\n" + "\n".join(repr(m)[:300] for m in self.recent)

    def check(self, frames: list[bytes]) -> dict[str, Any]:
        try:
            header = json.loads(frames[0].decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise AssertionError(f"a reply is not UTF-8 JSON ({exc}): {frames[0][:200]!r}\n{self.context()}") from None
        assert isinstance(header, dict), header
        assert header.get("v") == 1, header
        kind = header.get("type")
        assert kind in REPLY_TYPES, header
        rid = header.get("id")
        assert rid is None or _key(rid) in self.sent_ids, f"reply to an id never sent: {header}\n{self.context()}"
        blobs = frames[1:]
        if kind == "error":
            assert header.get("code") in ERROR_CODES, header
        if kind == "result":
            layers = header.get("layers")
            assert isinstance(layers, list) and len(blobs) == len(layers), header
            for layer in layers:
                self._check_image(layer["image"], blobs, header)
        elif kind == "layer":
            assert len(blobs) == 1, header
            self._check_image(header["image"], blobs, header)
        else:
            assert not blobs, header
        self.replies[kind if kind != "error" else f"error:{header['code']}"] += 1
        return header

    @staticmethod
    def _check_image(desc: dict[str, Any], blobs: list[bytes], header: dict[str, Any]) -> None:
        frame = desc["frame"]
        assert 1 <= frame <= len(blobs), header
        if desc["format"] in CHANNELS:
            assert len(blobs[frame - 1]) == desc["width"] * desc["height"] * CHANNELS[desc["format"]], header

    def send(self, frames: list[bytes], header: Any = None, client: int = 0) -> None:
        self.count += 1
        if isinstance(header, dict) and "id" in header:
            self.sent_ids.add(_key(header["id"]))
        self.recent.append(frames if header is None else (header, [len(f) for f in frames[1:]]))
        sock = self.socks[client % len(self.socks)]
        sock.send_multipart(frames)
        self.sync(sock)

    def sync(self, sock, timeout: float = 15.0) -> None:
        """Ping on the same connection and read until its pong; every reply on the way is checked."""
        rid = f"sync-{self.count}"
        self.sent_ids.add(_key(rid))
        sock.send(json.dumps({"v": 1, "id": rid, "type": "ping"}).encode())
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0 and sock.poll(int(left * 1000)), \
                f"the daemon stopped answering pings (alive: {self.daemon.alive()})\n{self.context()}"
            header = self.check(sock.recv_multipart())
            if header.get("id") == rid and header["type"] == "pong":
                return

    def drain(self) -> None:
        for sock in self.socks:
            while sock.poll(0):
                self.check(sock.recv_multipart())

    def health(self) -> None:
        try:
            health(self.daemon)
        except AssertionError as exc:
            raise AssertionError(f"health check failed after {self.count} messages: {exc}\n{self.context()}") from None
        self.drain()

    def close(self) -> None:
        for sock in self.socks:
            sock.close(0)


def encode(header: Any) -> bytes:
    return json.dumps(header).encode()  # ensure_ascii: lone surrogates travel as \\udXXX escapes


def png_head(width: int, height: int) -> bytes:
    """A PNG signature and IHDR chunk claiming width x height (no pixel data)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))


def tiny(fmt: str = "RGBA8", w: int = 3, h: int = 2, frame: int = 1) -> tuple[dict[str, Any], bytes]:
    return {"frame": frame, "width": w, "height": h, "format": fmt}, bytes(w * h * CHANNELS.get(fmt, 4))


def nasty_messages() -> list[tuple[str, list[bytes]]]:
    """Hand-picked messages at the edges of docs/protocol.md (each one named)."""
    desc, pixels = tiny()
    ping = {"v": 1, "type": "ping"}
    run = {"v": 1, "type": "run", "workflow": IDENTITY, "image": desc}
    out: list[tuple[str, list[bytes]]] = [
        ("empty frame 0", [b""]),
        ("two empty frames", [b"", b""]),
        ("not UTF-8", [b"\xff\xfe\xfd{"]),
        ("not JSON", [b"{not json"]),
        ("JSON array", [b"[1, 2]"]),
        ("JSON string", [b'"ping"']),
        ("deep nesting 100000", [b"[" * 100_000]),
        ("deep nested object in a field", [encode({**ping, "id": "deep", "x": json.loads("[" * 500 + "]" * 500)})]),
        ("lone surrogate id", [b'{"v": 1, "id": "\\ud800", "type": "ping"}']),
        ("lone low surrogate id on a job", [encode({**run, "id": "\udfff"}), pixels]),
        ("lone surrogate in a field", [encode({**ping, "id": "s1", "x": "\ud800"})]),
        ("lone surrogate in a key", [b'{"v": 1, "id": "s2", "type": "ping", "\\ud800": 1}']),
        ("lone surrogate instruction", [encode({"v": 1, "id": "s3", "type": "edit", "instruction": "brighter \ud800",
                                                "image": desc}), pixels]),
        ("lone surrogate feedback", [encode({"v": 1, "id": "s4", "type": "edit", "instruction": "make it brighter",
                                             "feedback": ["\ud800"], "image": desc}), pixels]),
        ("lone surrogate workflow text", [encode({**run, "id": "s5", "workflow": "\ud800"}), pixels]),
        ("lone surrogate brick name", [encode({**run, "id": "s6", "workflow": {"process": "x", "pipeline": [
            {"step": 1, "model": "\ud800", "input": {"image": "init[image]"}, "output": {"image": "step1[image]"}},
            {"result": "[step1[image]]"}]}}), pixels]),
        ("lone surrogate cancel target", [encode({"v": 1, "id": "s7", "type": "cancel", "target": "\ud800"})]),
        ("lone surrogate replan_of", [encode({"v": 1, "id": "s8", "type": "edit", "replan_of": "\ud800"})]),
        ("id 257 characters", [encode({**ping, "id": "x" * 257})]),
        ("id 100000 characters", [encode({**ping, "id": "x" * 100_000})]),
        ("id 256 emoji", [encode({**ping, "id": "\U0001f986" * 256})]),
        ("id 2**64", [encode({**ping, "id": 2**64})]),
        ("id -2**63", [encode({**ping, "id": -(2**63)})]),
        ("id 1e308", [b'{"v": 1, "id": 1e308, "type": "ping"}']),
        ("id NaN", [b'{"v": 1, "id": NaN, "type": "ping"}']),
        ("id true", [encode({**ping, "id": True})]),
        ("id list", [encode({**ping, "id": [1]})]),
        ("id object", [encode({**ping, "id": {"a": 1}})]),
        ("id NUL", [encode({**ping, "id": "\x00"})]),
        ("unknown type", [encode({"v": 1, "id": "t1", "type": "explode"})]),
        ("type is a number", [encode({"v": 1, "id": "t2", "type": 7})]),
        ("a reply type as request", [encode({"v": 1, "id": "t3", "type": "result"})]),
        ("v is a string", [encode({"v": "1", "id": "v1", "type": "ping"})]),
        ("v 2", [encode({"v": 2, "id": "v2", "type": "run", "workflow": IDENTITY, "image": desc}), pixels]),
        ("hello huge version", [encode({"v": 1, "id": "h1", "type": "hello", "versions": [2**70]})]),
        ("hello versions text", [encode({"v": 1, "id": "h2", "type": "hello", "versions": "1"})]),
        ("frame 0", [encode({**run, "id": "f0", "image": {**desc, "frame": 0}}), pixels]),
        ("frame -1", [encode({**run, "id": "f1", "image": {**desc, "frame": -1}}), pixels]),
        ("frame 99", [encode({**run, "id": "f2", "image": {**desc, "frame": 99}}), pixels]),
        ("frame as text", [encode({**run, "id": "f3", "image": {**desc, "frame": "1"}}), pixels]),
        ("frame true", [encode({**run, "id": "f4", "image": {**desc, "frame": True}}), pixels]),
        ("frame float", [encode({**run, "id": "f5", "image": {**desc, "frame": 1.0}}), pixels]),
        ("one byte short", [encode({**run, "id": "z1"}), pixels[:-1]]),
        ("one byte long", [encode({**run, "id": "z2"}), pixels + b"\0"]),
        ("no frame", [encode({**run, "id": "z3"})]),
        ("unreferenced frame", [encode({**run, "id": "z4"}), pixels, b"extra"]),
        ("image and mask share a frame", [encode({**run, "id": "z5", "mask": {**desc, "format": "GRAY8"}}), pixels]),
        ("mask of another size", [encode({**run, "id": "z6", "mask": tiny("GRAY8", 5, 5, 2)[0]}), pixels, bytes(25)]),
        ("width 2**31", [encode({**run, "id": "z7", "image": {**desc, "width": 2**31}}), pixels]),
        ("width 0", [encode({**run, "id": "z8", "image": {**desc, "width": 0}}), pixels]),
        ("width negative", [encode({**run, "id": "z9", "image": {**desc, "width": -3, "height": -2}}), pixels]),
        ("width float", [encode({**run, "id": "z10", "image": {**desc, "width": 3.0}}), pixels]),
        ("format lower case", [encode({**run, "id": "z11", "image": {**desc, "format": "rgba8"}}), pixels]),
        ("GRAY8 as image", [encode({**run, "id": "z12", "image": {**desc, "format": "GRAY8"}}), bytes(6)]),
        ("nine frames", [encode({**run, "id": "n9"}), pixels, *[b"x"] * 8]),
        ("sixty frames", [encode({**ping, "id": "n60"}), *[b""] * 60]),
        ("frames on a ping", [encode({**ping, "id": "n1"}), pixels]),
        ("PNG garbage", [encode({**run, "id": "p1", "image": {"frame": 1, "format": "PNG"}}), b"\x89PNG garbage"]),
        ("PNG claims 65536 x 65536", [encode({**run, "id": "p2", "image": {"frame": 1, "format": "PNG"}}),
                                      png_head(65536, 65536)]),
        ("PNG claims 0 x 0", [encode({**run, "id": "p3", "image": {"frame": 1, "format": "PNG"}}), png_head(0, 0)]),
        ("PNG header only", [encode({**run, "id": "p4", "image": {"frame": 1, "format": "PNG"}}), png_head(4, 4)]),
        ("PNG size mismatch", [encode({**run, "id": "p5", "image": {"frame": 1, "format": "PNG", "width": 9}}),
                               png_head(4, 4)]),
        ("workflow text broken", [encode({**run, "id": "w1", "workflow": "{\"process\": "}), pixels]),
        ("workflow unknown brick", [encode({**run, "id": "w2", "workflow": {"process": "x", "pipeline": [
            {"step": 1, "model": "NOPE", "input": {"image": "init[image]"}, "output": {"image": "step1[image]"}},
            {"result": "[step1[image]]"}]}}), pixels]),
        ("workflow result refers to nothing", [encode({**run, "id": "w3", "workflow": {"process": "x", "pipeline": [
            {"result": "[step9[image]]"}]}}), pixels]),
        ("workflow 33 levels deep", [encode({**run, "id": "w4", "workflow": {"process": "x", "pipeline": [
            {"result": "[init[image]]", "x": json.loads("[" * 33 + "]" * 33)}]}}), pixels]),
        ("workflow step numbers huge", [encode({**run, "id": "w5", "workflow": {"process": "x", "pipeline": [
            {"step": 2**70, "model": "FLIP", "input": {"image": "init[image]", "direction": "horizontal"},
             "output": {"image": "step1[image]"}}, {"result": "[step1[image]]"}]}}), pixels]),
        ("FLIP with a number direction", [encode({**run, "id": "w6", "workflow": {**FLIP, "pipeline": [
            {**FLIP["pipeline"][0], "input": {"image": "init[image]", "direction": 1e308}}, FLIP["pipeline"][1]]}}),
            pixels]),
        ("instruction 4001 characters", [encode({"v": 1, "id": "i1", "type": "edit", "instruction": "a" * 4001,
                                                 "image": desc}), pixels]),
        ("instruction whitespace", [encode({"v": 1, "id": "i2", "type": "plan", "instruction": " \t\n"})]),
        ("feedback 33 items", [encode({"v": 1, "id": "i3", "type": "plan", "instruction": "make it brighter",
                                       "feedback": ["x"] * 33})]),
        ("feedback object", [encode({"v": 1, "id": "i4", "type": "plan", "instruction": "x", "feedback": {"a": 1}})]),
        ("backend unknown", [encode({"v": 1, "id": "i5", "type": "plan", "instruction": "make it brighter",
                                     "backend": "\U0001f986"})]),
        ("reply_format unknown", [encode({**run, "id": "r1", "reply_format": "JPEG"}), pixels]),
        ("layers not a bool", [encode({**run, "id": "r2", "layers": "no"}), pixels]),
        ("cancel of nothing", [encode({"v": 1, "id": "c1", "type": "cancel", "target": "never-sent"})]),
        ("cancel of itself", [encode({"v": 1, "id": "c2", "type": "cancel", "target": "c2"})]),
        ("cancel target list", [encode({"v": 1, "id": "c3", "type": "cancel", "target": [1, 2]})]),
        ("replan_of unknown", [encode({"v": 1, "id": "c4", "type": "edit", "replan_of": "nothing"})]),
        ("a bricks request with an image", [encode({"v": 1, "id": "b1", "type": "bricks", "image": desc}), pixels]),
    ]
    return out


def test_hand_picked_edge_messages_leave_the_daemon_healthy(daemon):
    fuzz = Fuzzer(daemon)
    try:
        for n, (name, frames) in enumerate(nasty_messages()):
            try:
                header = json.loads(frames[0]) if frames[0] else None
            except (ValueError, UnicodeDecodeError, RecursionError):
                header = None
            fuzz.recent.append(name)
            fuzz.send(frames, header if isinstance(header, dict) else None, client=n)
            if n % 10 == 9:
                fuzz.health()
        fuzz.health()
    finally:
        fuzz.close()


# -- hypothesis ---------------------------------------------------------------------------------

leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63, max_value=2**80),
                   st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                   st.sampled_from(["\ud800", "\udfff", "a\ud83d", "", "0", "1", "PNG", "RGBA8", "init[image]"]))
json_values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=10)
ids = st.one_of(st.text(min_size=1, max_size=40), st.integers(min_value=-(2**63), max_value=2**63 - 1),
                st.sampled_from(["\ud800", "ok\udfff", "x" * 256, "x" * 257, "x" * 5000, "", "\U0001f986" * 256]),
                json_values)
types = st.one_of(st.sampled_from(REQUEST_TYPES), st.sampled_from(["PING", "result", "pong", "", "hello "]),
                  json_values)
versions = st.one_of(st.just(1), st.sampled_from([0, 2, "1", 1.0, True, -1, 2**64]), json_values)
formats = st.one_of(st.sampled_from(["RGBA8", "BGRA8", "GRAY8", "PNG"]), json_values)
dims = st.one_of(st.integers(min_value=1, max_value=6), st.integers(min_value=-2, max_value=2**33), json_values)
descriptors = st.one_of(
    st.fixed_dictionaries({"frame": st.integers(min_value=1, max_value=3), "width": dims, "height": dims,
                           "format": formats}),
    st.fixed_dictionaries({}, optional={"frame": st.one_of(st.integers(min_value=-1, max_value=12), json_values),
                                        "width": dims, "height": dims, "format": formats}),
    json_values)
steps = st.fixed_dictionaries({"step": st.one_of(st.integers(min_value=0, max_value=3), json_values),
                               "model": st.one_of(st.sampled_from(["FLIP", "FLUX-BRIGHT", "CROP", "ROTATE", "BLUR",
                                                                   "CMI-PRED", "GROW-MASK", "RES"]), json_values),
                               "input": st.dictionaries(st.sampled_from(["image", "mask", "direction", "ratio",
                                                                         "amount", "angle", "aspect", "prompt",
                                                                         "left_ratio", "pixels"]),
                                                        st.one_of(st.sampled_from(["init[image]", "init[mask]",
                                                                                   "step1[image]"]), leaves),
                                                        max_size=4),
                               "output": st.dictionaries(st.sampled_from(["image", "mask", "caption"]),
                                                         st.sampled_from(["step1[image]", "step1[mask]", "step2[image]"]),
                                                         max_size=2)})
workflows = st.one_of(st.just(IDENTITY), st.just(FLIP), json_values, st.text(max_size=40),
                      st.fixed_dictionaries({"process": st.text(max_size=10), "pipeline": st.lists(
                          st.one_of(steps, st.just({"result": "[step1[image]]"}),
                                    st.just({"result": "[init[image]]"})), max_size=4)}))
headers = st.fixed_dictionaries({}, optional={
    "v": versions, "id": ids, "type": types, "image": descriptors, "mask": descriptors, "workflow": workflows,
    "instruction": st.one_of(st.sampled_from(["make it brighter", "flip it horizontally", "remove the red ball"]),
                             st.text(max_size=60), json_values),
    "feedback": st.one_of(st.text(max_size=30), st.lists(st.text(max_size=20), max_size=40), json_values),
    "target": ids, "replan_of": ids, "reply_format": formats, "layers": st.one_of(st.booleans(), json_values),
    "versions": st.one_of(st.lists(st.integers(), max_size=3), json_values), "backend": json_values,
    "extra": json_values,
})
blobs = st.lists(st.one_of(st.binary(max_size=40), st.sampled_from([bytes(24), bytes(6), bytes(36), bytes(4),
                                                                    png_head(3, 2), png_head(2**16, 2**16)])),
                 max_size=10)


@st.composite
def mutated(draw) -> tuple[dict[str, Any], list[bytes]]:
    """A well-formed request (so it gets past the first checks) with one field or frame changed."""
    desc, pixels = tiny()
    rid = draw(st.one_of(st.text(min_size=1, max_size=8), st.integers(min_value=0, max_value=10**6)))
    base = draw(st.sampled_from([
        ({"type": "ping"}, []), ({"type": "status"}, []), ({"type": "bricks"}, []),
        ({"type": "hello", "versions": [1]}, []), ({"type": "cancel", "target": "x"}, []),
        ({"type": "plan", "instruction": "make it brighter"}, []),
        ({"type": "run", "workflow": IDENTITY, "image": desc}, [pixels]),
        ({"type": "run", "workflow": FLIP, "image": desc, "reply_format": "PNG"}, [pixels]),
        ({"type": "edit", "instruction": "make it brighter", "image": desc, "layers": False}, [pixels]),
        ({"type": "edit", "instruction": "flip it horizontally", "image": desc,
          "mask": {**desc, "frame": 2, "format": "GRAY8"}}, [pixels, bytes(6)]),
    ]))
    header, frames = {"v": 1, "id": rid, **base[0]}, list(base[1])
    field = draw(st.sampled_from(sorted({*header, "image", "mask", "feedback", "replan_of", "extra"})))
    how = draw(st.sampled_from(["value", "delete", "descriptor field", "drop frame", "add frame", "truncate",
                                "extend", "none"]))
    if how == "value":
        header[field] = draw(json_values)
    elif how == "delete":
        header.pop(field, None)
    elif how == "descriptor field" and isinstance(header.get("image"), dict):
        header["image"] = {**header["image"], draw(st.sampled_from(["frame", "width", "height", "format"])):
                           draw(st.one_of(dims, json_values))}
    elif how == "drop frame" and frames:
        frames.pop()
    elif how == "add frame":
        frames.append(draw(st.binary(max_size=30)))
    elif how == "truncate" and frames:
        frames[0] = frames[0][:draw(st.integers(min_value=0, max_value=len(frames[0]) - 1))]
    elif how == "extend" and frames:
        frames[-1] = frames[-1] + draw(st.binary(min_size=1, max_size=8))
    return header, frames


messages = st.one_of(
    mutated(), mutated(),
    st.tuples(headers, blobs),
    st.tuples(st.just(None), st.lists(st.binary(max_size=64), min_size=1, max_size=10)),  # raw frame 0 bytes
    st.tuples(st.just(None), st.just([b""])),
)


def test_fuzzed_headers_and_frames_leave_the_daemon_healthy(daemon):
    fuzz = Fuzzer(daemon)
    deadline = time.monotonic() + BUDGET_S

    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(message=messages, client=st.integers(min_value=0, max_value=3), raw_v=st.booleans())
    def one(message, client, raw_v):
        if time.monotonic() > deadline:
            return
        header, frames = message
        if header is not None:
            if raw_v and "v" not in header and header.get("type") in REQUEST_TYPES:
                header = {"v": 1, **header}
            frames = [encode(header), *frames]
        fuzz.send(frames, header, client)
        if fuzz.count % BATCH == 0:
            fuzz.health()

    try:
        one()
        fuzz.health()
        print(f"fuzzed {fuzz.count} messages; replies: {dict(fuzz.replies)}")
    finally:
        fuzz.close()


@pytest.mark.parametrize("seed", [0])
def test_fuzzing_clients_do_not_starve_a_well_behaved_one(daemon, seed):
    """While 4 clients send garbage as fast as they can, a fifth one's edits keep completing."""
    import random

    rng = random.Random(seed)
    fuzz = Fuzzer(daemon)
    good = Raw(daemon.endpoint)
    try:
        from tests.reliability.harness import edit, image

        done = 0
        stop = time.monotonic() + 4.0
        n = 0
        while time.monotonic() < stop:
            for _ in range(20):
                n += 1
                garbage = [rng.randbytes(rng.randrange(0, 200)) for _ in range(rng.randrange(1, 12))]
                fuzz.socks[n % 4].send_multipart(garbage)
            edit(good, f"g{n}", image(n))
            header, _ = good.until_terminal(f"g{n}", timeout=30)[-1]
            assert header["type"] == "result", header
            done += 1
        assert done >= 3
        fuzz.drain()
        health(daemon)
    finally:
        good.close()
        fuzz.close()
