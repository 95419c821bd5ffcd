"""A third-party client written from docs/protocol.md alone: raw pyzmq, no project code on the client side.

Everything the client does here is what the document says (section numbers in the comments); the
daemon under test is the real one.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import zmq

from tests.daemon_util import registry_with_slow, running_server

DOC = Path(__file__).resolve().parents[1] / "docs" / "protocol.md"
TERMINAL = {"result", "error", "cancelled"}  # §6


class DocClient:
    """§1: a DEALER with a fixed routing id; §2: frame 0 JSON header, frames 1..n blobs."""

    def __init__(self, endpoint: str) -> None:
        self.sock = zmq.Context.instance().socket(zmq.DEALER)
        self.sock.setsockopt(zmq.ROUTING_ID, b"doc-client")
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self.version = 1

    def send(self, header: dict, *blobs: bytes) -> None:
        self.sock.send_multipart([json.dumps({"v": self.version, **header}).encode("utf-8"), *blobs])

    def receive(self, timeout: float = 10.0) -> tuple[dict, list[bytes]]:
        assert self.sock.poll(int(timeout * 1000)), "no reply"
        frames = self.sock.recv_multipart()
        return json.loads(frames[0].decode("utf-8")), frames[1:]

    def job(self, request_id, *, ping_every: float = 1.0, timeout: float = 60.0) -> list[tuple[dict, list[bytes]]]:
        """All replies of one job, pinging while it is pending (§7)."""
        out, last_ping, deadline = [], time.monotonic(), time.monotonic() + timeout
        while time.monotonic() < deadline:
            if time.monotonic() - last_ping > ping_every:
                self.send({"id": "keepalive", "type": "ping"})
                last_ping = time.monotonic()
            if not self.sock.poll(100):
                continue
            header, blobs = self.receive()
            if header["id"] == request_id:
                out.append((header, blobs))
                if header["type"] in TERMINAL:
                    return out
        raise AssertionError(f"{request_id} did not end")

    def close(self) -> None:
        self.sock.close(0)


@pytest.fixture(scope="module")
def endpoint():
    with running_server(registry=registry_with_slow()) as server:
        yield server.endpoint


@pytest.fixture
def doc(endpoint):
    c = DocClient(endpoint)
    yield c
    c.close()


def image_from_layer(descriptor: dict, blobs: list[bytes]) -> bytes:
    data = blobs[descriptor["frame"] - 1]  # §3: frame indexes that reply's frames
    channels = {"RGBA8": 4, "BGRA8": 4, "GRAY8": 1}[descriptor["format"]]
    assert len(data) == descriptor["width"] * descriptor["height"] * channels
    return data


def test_hello_negotiates_the_version(doc):
    doc.send({"id": "h", "type": "hello", "versions": [1, 2]})  # §10
    header, _ = doc.receive()
    assert header["type"] == "hello" and header["version"] == 1
    assert {"max_pixels", "max_header_bytes", "max_frames", "max_frame_bytes"} <= set(header["limits"])
    doc.send({"id": "h2", "type": "hello", "versions": [2]})
    header, _ = doc.receive()
    assert header["code"] == "unsupported_version" and header["supported"] == [1]


def test_worked_example_pure_transport(doc):
    """§11 "Pure transport", byte for byte."""
    doc.send({"id": "r1", "type": "run", "reply_format": "RGBA8",
              "workflow": {"process": "identity", "pipeline": [{"result": "[init[image]]"}]},
              "image": {"frame": 1, "width": 2, "height": 1, "format": "RGBA8"}},
             bytes.fromhex("ff0000ff00ff0080"))
    (accepted, _), (result, blobs) = doc.job("r1")
    assert accepted["type"] == "accepted" and accepted["position"] == 0
    assert result["type"] == "result" and result["values"] == {} and result["executed"] == []
    (layer,) = result["layers"]
    assert layer["ref"] == "init[image]" and layer["step"] is None and layer["role"] == "result"
    assert image_from_layer(layer["image"], blobs) == bytes.fromhex("ff0000ff00ff0080")


def test_an_edit_from_krita_follows_the_documented_order(doc):
    """§6 event order, §3 BGRA8 in / BGRA8 back (the image's own format), GRAY8 mask, §5 layers."""
    width, height = 48, 32
    pixels = bytearray()
    for y in range(height):
        for x in range(width):
            red = 12 <= x < 30 and 8 <= y < 24
            pixels += bytes([30, 30, 220, 255]) if red else bytes([40 + x, 120, 60 + y, 255])  # B, G, R, A
    selection = bytes([255] * (width * height))
    doc.send({"id": "k-7", "type": "edit", "instruction": "make the red object blue",
              "image": {"frame": 1, "width": width, "height": height, "format": "BGRA8"},
              "mask": {"frame": 2, "width": width, "height": height, "format": "GRAY8"}},
             bytes(pixels), selection)
    replies = doc.job("k-7")
    types = [h["type"] for h, _ in replies]
    assert types[0] == "accepted" and types[1] == "plan" and types[-1] == "result"
    plan = replies[1][0]
    assert plan["steps"] == len([s for s in plan["workflow"]["pipeline"] if "model" in s])
    started, finished = set(), set()
    for header, blobs in replies[2:-1]:
        assert header["type"] in ("progress", "layer")
        if header["type"] == "progress":
            assert 0.0 <= header["fraction"] <= 1.0 and header["steps"] == plan["steps"]
            if header["state"] == "started":
                started.add(header["step"])
            elif header["state"] == "finished":
                assert header["step"] in started or header["cached"]
                finished.add(header["step"])
        else:
            assert header["step"] not in finished  # layers come before their step's "finished"
            data = image_from_layer(header["image"], blobs)
            assert header["image"]["format"] == ("GRAY8" if header["kind"] == "mask" else "BGRA8") and data
    assert finished == set(range(1, plan["steps"] + 1))
    result, blobs = replies[-1]
    (layer,) = result["layers"]
    assert layer["image"]["format"] == "BGRA8"  # no reply_format: the format the image came in
    out = image_from_layer(layer["image"], blobs)
    b, g, r, a = out[(16 * width + 20) * 4:(16 * width + 20) * 4 + 4]
    assert b > r and a == 255  # the red object is blue now


def test_cancel_and_ack(doc):
    workflow = {"process": "slow", "pipeline": [
        {"step": 1, "model": "SLOW", "input": {"image": "init[image]", "seconds": 20}, "output": {"image": "step1[image]"}},
        {"result": "[step1[image]]"}]}
    doc.send({"id": "k-9", "type": "run", "workflow": workflow,
              "image": {"frame": 1, "width": 1, "height": 1, "format": "RGBA8"}}, bytes(4))
    header, _ = doc.receive()
    assert header["type"] == "accepted"
    doc.send({"id": "c-1", "type": "cancel", "target": "k-9"})
    seen = {}
    while len(seen) < 2:
        header, _ = doc.receive()
        if header["type"] in ("cancelled", "ack"):
            seen[header["type"]] = header
    assert seen["cancelled"]["id"] == "k-9" and seen["cancelled"]["reason"] == "client"
    assert seen["ack"]["id"] == "c-1" and seen["ack"]["target"] == "k-9" and seen["ack"]["state"] in ("queued",
                                                                                                      "running")


def test_documented_errors(doc):
    doc.send({"id": 5, "type": "run", "workflow": {"process": "identity", "pipeline": [{"result": "[init[image]]"}]},
              "image": {"frame": 1, "width": 100, "height": 100, "format": "RGBA8"}}, bytes(39996))
    header, _ = doc.receive()
    assert header["id"] == 5 and header["code"] == "bad_request" and "40000" in header["message"]
    doc.version = 2
    doc.send({"id": "x", "type": "ping"})
    header, _ = doc.receive()
    assert header["code"] == "unsupported_version" and header["v"] == 1
    doc.sock.send_multipart([b"{not json"])
    header, _ = doc.receive()
    assert header["id"] is None and header["code"] == "bad_request"
    doc.version = 1
    doc.send({"id": "p", "type": "ping"})
    header, _ = doc.receive()
    assert header["type"] == "pong" and "instance" in header


def test_seed_and_next_variation(doc):
    """§4 `seed` and `variation_of`, §5 `result`'s seed / stochastic / variation: offline, no variation."""
    pixels = bytes([160, 60, 40, 255]) * 12
    desc = {"frame": 1, "width": 4, "height": 3, "format": "RGBA8"}
    doc.send({"id": "s1", "type": "edit", "instruction": "make it brighter", "image": desc, "seed": 31337}, pixels)
    replies = doc.job("s1")
    first, (result, blobs) = replies[1][0], replies[-1]
    assert first["seed"] == 31337 and result["seed"] == 31337
    assert result["stochastic"] == [] and result["variation"] is False
    assert all(step["stochastic"] is False for step in result["steps"])
    doc.send({"id": "s2", "type": "edit", "variation_of": "s1"})
    replies = doc.job("s2")
    plan, (again, again_blobs) = replies[1][0], replies[-1]
    assert plan["backend"] == "variation" and plan["variation_of"] == "s1" and plan["workflow"] == first["workflow"]
    assert again["seed"] != 31337 and again["variation"] is False and again["executed"] == []
    assert again_blobs == blobs  # the same pixels: offline bricks give one answer
    doc.send({"id": "s3", "type": "run", "workflow": {"process": "identity", "pipeline": [{"result": "[init[image]]"}]},
              "image": desc, "seed": 2**63}, pixels)
    header, _ = doc.receive()
    assert header["id"] == "s3" and header["type"] == "error" and header["code"] == "bad_request"


def test_the_minimal_client_in_the_document_runs(endpoint):
    code = re.search(r"## 12\. A minimal client.*?```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    code = code.replace("tcp://127.0.0.1:5588", endpoint)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd="/")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "1" and lines[-1] == "result ['step1[image]']"
