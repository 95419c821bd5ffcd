"""CURVE identity: a second allowed key that reuses the first client's routing id gets none of the first
client's replies, cannot cancel its jobs and cannot re-plan its plans (a session is a key, not an id).

One scenario (module fixture) and one test per promise, so each is reported on its own.
"""

from __future__ import annotations

import json
import time

import pytest
import zmq

from lego_edit.daemon import keys
from tests.reliability.harness import TERMINAL, Daemon, denoise, image

SHARED_ID = b"krita-on-the-laptop"
SIDE = 512


def curve_opts(server, pair) -> dict[str, bytes]:
    return {"curve_serverkey": server.public.encode(), "curve_publickey": pair.public.encode(),
            "curve_secretkey": pair.secret.encode()}


def dealer(endpoint: str, server, pair, routing_id: bytes) -> zmq.Socket:
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.ROUTING_ID, routing_id)
    for key, value in curve_opts(server, pair).items():
        setattr(sock, key, value)
    sock.connect(endpoint)
    return sock


def send(sock: zmq.Socket, header: dict, *blobs: bytes) -> None:
    sock.send_multipart([json.dumps({"v": 1, **header}).encode(), *blobs])


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """Alice (key A, routing id X) makes a plan p1 and starts a slow job; then Bob (key B, also allowed,
    the same routing id X) connects, cancels Alice's job by its id, re-plans p1 and pings. Both read
    until Alice's job ends (or 15 s). Returns what each of them received."""
    root = tmp_path_factory.mktemp("curve")
    daemon = Daemon(root, {"daemon": {"curve": "always"}})
    server, _, _ = keys.ensure_keys(daemon.keys_dir)
    alice_pair, bob_pair = keys.new_pair(), keys.new_pair()
    keys.allow(daemon.keys_dir, alice_pair.public, "alice")
    keys.allow(daemon.keys_dir, bob_pair.public, "bob")
    daemon.start(**curve_opts(server, alice_pair))
    alice = dealer(daemon.endpoint, server, alice_pair, SHARED_ID)
    bob = None
    seen: dict[str, list[dict]] = {"alice": [], "bob": []}
    try:
        send(alice, {"id": "p1", "type": "plan", "instruction": "make it brighter"})
        deadline = time.monotonic() + 30
        while not any(h["id"] == "p1" and h["type"] == "plan" for h in seen["alice"]):
            assert time.monotonic() < deadline, seen  # a quiet second is no failure: the Builder may still be warming up
            if alice.poll(1000):
                seen["alice"].append(json.loads(alice.recv_multipart()[0]))
        send(alice, {"id": "job", "type": "run", "workflow": denoise(),
                     "image": {"frame": 1, "width": SIDE, "height": SIDE, "format": "RGBA8"}},
             image(11, SIDE).tobytes())
        while not any(h["id"] == "job" and h["type"] == "progress" for h in seen["alice"]):
            assert time.monotonic() < deadline, seen  # a quiet second is no failure: the Builder may still be warming up
            if alice.poll(1000):
                seen["alice"].append(json.loads(alice.recv_multipart()[0]))
        bob = dealer(daemon.endpoint, server, bob_pair, SHARED_ID)
        time.sleep(0.3)  # Bob's handshake
        send(bob, {"id": "b-cancel", "type": "cancel", "target": "job"})
        send(bob, {"id": "b-replan", "type": "plan", "replan_of": "p1", "feedback": "too strong"})
        send(bob, {"id": "b-ping", "type": "ping"})
        poller = zmq.Poller()
        poller.register(alice, zmq.POLLIN)
        poller.register(bob, zmq.POLLIN)
        names = {alice: "alice", bob: "bob"}
        deadline = time.monotonic() + 15
        last_ping = time.monotonic()
        while time.monotonic() < deadline:
            if any(h["id"] == "job" and h["type"] in TERMINAL for h in seen["alice"]):
                break
            for sock, _ in poller.poll(200):
                seen[names[sock]].append(json.loads(sock.recv_multipart()[0]))
            if time.monotonic() - last_ping > 1:  # Alice's heartbeat
                send(alice, {"id": f"a-hb-{time.monotonic_ns()}", "type": "ping"})
                last_ping = time.monotonic()
        for sock, _ in poller.poll(500):  # stragglers
            seen[names[sock]].append(json.loads(sock.recv_multipart()[0]))
        yield seen
    finally:
        alice.close(0)
        if bob is not None:
            bob.close(0)
        daemon.close()


def _alice_ids(header: dict) -> bool:
    return header.get("id") in ("p1", "job")


def test_the_second_key_receives_none_of_the_first_clients_replies(scenario):
    leaked = [h for h in scenario["bob"] if _alice_ids(h)]
    assert not leaked, f"Bob received {len(leaked)} of Alice's replies: {[h['type'] for h in leaked]}"


def test_the_second_key_cannot_cancel_the_first_clients_job(scenario):
    acks = [h for h in scenario["bob"] if h.get("id") == "b-cancel"]
    assert all(h["type"] == "ack" and h["state"] == "unknown" for h in acks), acks
    ends = [h for h in scenario["alice"] if h["id"] == "job" and h["type"] in TERMINAL]
    assert ends and ends[-1]["type"] == "result", f"Alice's job ended with {ends} (after Bob's cancel)"


def test_the_second_key_cannot_replan_the_first_clients_plan(scenario):
    replies = [h for h in scenario["bob"] if h.get("id") == "b-replan"]
    assert all(h["type"] == "error" and h["code"] == "bad_request" for h in replies), \
        [(h["type"], h.get("code"), h.get("workflow")) for h in replies]
