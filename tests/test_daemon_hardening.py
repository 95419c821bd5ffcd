"""Hardening of the daemon against hostile or careless clients, over real loopback sockets.

Each test names the defect it pins down (found by a torture test written from docs/protocol.md).
"""

from __future__ import annotations

import logging
import time

import pytest

from tests.daemon_util import (
    IDENTITY,
    STARTS,
    Raw,
    config,
    image_desc,
    noise,
    registry_with_slow,
    running_server,
    slow_workflow,
)

SURROGATE_ID = b'"x\\ud800"'  # valid JSON, but no UTF-8 encoding exists for the string it decodes to


def run_bytes(rid: bytes = SURROGATE_ID, w: int = 4, h: int = 4) -> list[bytes]:
    return [b'{"v":1,"id":' + rid + b',"type":"run","workflow":{"process":"identity","pipeline":[{"result":'
            b'"[init[image]]"}]},"image":{"frame":1,"width":%d,"height":%d,"format":"RGBA8"}}' % (w, h),
            bytes(w * h * 4)]


# -- 1. a request must never kill a worker ---------------------------------------------------------

def test_lone_surrogate_ids_are_bad_requests_with_a_null_id_and_jobs_keep_running():
    with running_server(config(daemon={"workers": 2})) as server:
        raw = Raw(server.endpoint)
        try:
            for _ in range(3):  # more than there are workers
                raw.sock.send_multipart(run_bytes())
                header, _ = raw.recv()
                assert header == header | {"id": None, "type": "error", "code": "bad_request"}
                assert "surrogate" in header["message"]
            for kind in (b"ping", b"status", b"hello", b"bricks"):
                raw.sock.send_multipart([b'{"v":1,"id":' + SURROGATE_ID + b',"type":"' + kind + b'"}'])
                header, _ = raw.recv()
                assert (header["id"], header["type"], header["code"]) == (None, "error", "bad_request"), kind
            for k in range(4):  # both workers are alive: every later job ends
                raw.send({"id": k, "type": "run", "workflow": IDENTITY, "image": image_desc(4, 4)}, bytes(64))
            for k in range(4):
                assert raw.until_terminal(k)[-1][0]["type"] == "result"
            assert server.workers_replaced == 0
        finally:
            raw.close()


def test_surrogates_anywhere_in_the_header_are_refused_with_the_id():
    with running_server(config()) as server:
        raw = Raw(server.endpoint)
        try:
            raw.sock.send_multipart([b'{"v":1,"id":"c","type":"cancel","target":' + SURROGATE_ID + b'}'])
            header, _ = raw.recv()
            assert (header["id"], header["type"], header["code"]) == ("c", "error", "bad_request")
            raw.sock.send_multipart([b'{"v":1,"id":"p","type":"plan","instruction":"brighten \\udc00 it"}'])
            header, _ = raw.recv()
            assert (header["id"], header["type"], header["code"]) == ("p", "error", "bad_request")
            # Jobs still run on every worker.
            for k in range(4):
                raw.send({"id": k, "type": "run", "workflow": IDENTITY, "image": image_desc(4, 4)}, bytes(64))
            for k in range(4):
                assert raw.until_terminal(k)[-1][0]["type"] == "result"
        finally:
            raw.close()


class _Fatal(BaseException):
    """Not an Exception: escapes every handler and ends the worker thread."""


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_dead_worker_is_replaced_logged_and_its_job_ended(caplog):
    caplog.set_level(logging.INFO, logger="lego_edit.daemon")
    with running_server(config(daemon={"workers": 1}), registry=registry_with_slow()) as server:
        real = server.runner
        calls = []

        def runner(job):
            calls.append(job.id)
            if job.id == "boom":
                raise _Fatal()
            if job.id == "nan":  # a reply that cannot be encoded (NaN is not JSON)
                server._send_from_worker(job, "result", {"seconds": float("nan")}, [], True)
                return
            real(job)

        server.runner = runner
        raw = Raw(server.endpoint)
        try:
            raw.send({"id": "boom", "type": "run", "workflow": IDENTITY, "image": image_desc(4, 4)}, bytes(64))
            header = raw.until_terminal("boom")[-1][0]
            assert header["type"] == "error" and header["code"] == "internal"
            raw.send({"id": "nan", "type": "run", "workflow": IDENTITY, "image": image_desc(4, 4)}, bytes(64))
            header = raw.until_terminal("nan")[-1][0]
            assert header["type"] == "error" and header["code"] == "internal"
            raw.send({"id": "after", "type": "run", "workflow": IDENTITY, "image": image_desc(4, 4)}, bytes(64))
            assert raw.until_terminal("after")[-1][0]["type"] == "result"
            assert server.workers_replaced == 1
            raw.send({"id": "s", "type": "status"})
            status = raw.first("s")
            assert status["workers"] == {"configured": 1, "alive": 1, "replaced": 1}
        finally:
            raw.close()
    messages = [r.getMessage() for r in caplog.records]
    assert any("died" in m for m in messages) and any("started a replacement" in m for m in messages)


def test_the_watchdog_reports_a_job_running_far_too_long(caplog):
    caplog.set_level(logging.WARNING, logger="lego_edit.daemon")
    with running_server(config(daemon={"job_watchdog_s": 0.3}), registry=registry_with_slow()) as server:
        raw = Raw(server.endpoint)
        try:
            STARTS.clear()
            raw.send({"id": "slow", "type": "run", "workflow": slow_workflow(1.5), "image": image_desc(8, 8)},
                     noise(8, 8).tobytes())
            time.sleep(0.8)
            raw.send({"id": "s", "type": "status"})
            assert raw.first("s")["stuck_jobs"] == 1
            assert raw.until_terminal("slow")[-1][0]["type"] == "result"
        finally:
            raw.close()
    assert any("running for" in r.getMessage() and "stuck" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("text", ["x\ud800", "a" * 500])
def test_log_text_is_escaped_and_truncated(text):
    from lego_edit.daemon.service.protocol import log_text

    out = log_text(text)
    assert len(out) <= 160 and "\ud800" not in out
    out.encode("utf-8")


# -- 4. a slow reader: bounded outbox, terminal replies never lost -----------------------------------

def chain_workflow(steps: int) -> dict:
    pipeline = [{"step": n, "model": "SLOW", "input": {"image": "init[image]" if n == 1 else f"step{n - 1}[image]",
                                                        "seconds": 0.0}, "output": {"image": f"step{n}[image]"}}
                for n in range(1, steps + 1)]
    return {"process": "chain", "pipeline": [*pipeline, {"result": f"[step{steps}[image]]"}]}


def slow_reader(endpoint: str) -> Raw:
    import zmq

    raw = Raw.__new__(Raw)
    raw.sock = zmq.Context.instance().socket(zmq.DEALER)
    raw.sock.setsockopt(zmq.LINGER, 0)
    raw.sock.setsockopt(zmq.RCVHWM, 1)
    raw.sock.setsockopt(zmq.RCVBUF, 16384)  # keep the kernel from absorbing the backlog
    raw.sock.connect(endpoint)
    raw.plans = set()
    return raw


def test_a_client_that_does_not_read_gets_its_result_and_the_outbox_stays_bounded():
    steps, side = 24, 300  # 23 intermediate layers of 360 kB: about 8 MB for a 1 MB outbox
    cfg = config(limits={"outbox_mb": 1})
    with running_server(cfg, registry=registry_with_slow()) as server:
        raw = slow_reader(server.endpoint)
        try:
            raw.send({"id": "r", "type": "run", "workflow": chain_workflow(steps), "image": image_desc(side, side)},
                     noise(side, side).tobytes())
            deadline = time.monotonic() + 20
            while server.scheduler.counts()["running"] == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            while not server.scheduler.idle() and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)  # the job is over; the client still reads nothing
            (state,) = server.clients.values()
            assert state.outbox.peak_bytes <= 1 << 20
            assert state.outbox.waiting_terminals == 1  # the result waits, it is not dropped
            events = raw.until_terminal("r", timeout=20)
        finally:
            raw.close()
    result = events[-1][0]
    assert result["type"] == "result" and len(events[-1][1]) == 1
    layers = [h for h, _ in events if h["type"] == "layer"]
    assert result["dropped"]["layer"] >= 1
    assert len(layers) + result["dropped"]["layer"] == steps - 1  # every layer is either delivered or counted


def test_outbox_policy_coalesces_progress_drops_oldest_and_keeps_terminals():
    from lego_edit.daemon.service.outbox import ClientOutbox, Message

    box = ClientOutbox(max_bytes=100, max_control=2)
    box.push(Message([b"a"], "accepted", 1))
    for k in range(5):  # one step's running progress: a single waiting message, the newest
        box.push(Message([b"p%d" % k], "progress", 1, coalesce=(1, 1)))
    box.push(Message([b"L" * 60], "layer", 1))
    box.push(Message([b"M" * 60], "layer", 1))  # over 100 bytes: the oldest droppable (the progress) goes first
    box.push(Message([b'{"v":1,"id":1,"type":"result"}', b"R" * 1000], "result", 1, terminal=True))
    for k in range(3):
        box.push(Message([b"pong%d" % k], "pong", "p", control=True))
    sent: list[list] = []
    assert box.pump(lambda frames: sent.append(frames) or True)
    heads = [bytes(f[0])[:5] for f in sent]
    assert heads == [b"a", b"M" * 5, b'{"v":', b"pong1", b"pong2"]
    assert b'"dropped":{"progress":1,"layer":1}' in bytes(sent[2][0]) and len(sent[2][1]) == 1000
    assert box.waiting_terminals == 0 and box.droppable_bytes == 0 and not box.pending()
    # A full ZeroMQ queue keeps the message waiting, in order.
    box.push(Message([b"x"], "accepted", 2))
    assert not box.pump(lambda frames: False) and box.pending()


# -- 3. decode memory bounded, results within the daemon's own limits ---------------------------------

def png_bytes(array) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def _broken_pngs() -> dict[str, bytes]:
    good = png_bytes(noise(20, 20))
    idat = good.index(b"IDAT")
    return {"truncated IDAT": good[:idat + 60], "bad IHDR checksum": good[:29] + b"\0\0\0\0" + good[33:]}


@pytest.mark.parametrize("name", list(_broken_pngs()))
def test_a_png_with_a_broken_chunk_is_a_bad_request(name):
    broken = _broken_pngs()[name]
    with running_server(config()) as server:
        raw = Raw(server.endpoint)
        try:
            raw.send({"id": "b", "type": "run", "workflow": IDENTITY, "reply_format": "RGBA8",
                      "image": {"frame": 1, "format": "PNG"}}, broken)
            header = raw.until_terminal("b")[-1][0]
            assert header["type"] == "error" and header["code"] == "bad_request", header
            assert "PNG" in header["message"]
            assert raw.ping_ok()
        finally:
            raw.close()


def test_png_decoding_is_bounded_by_the_decode_budget():
    with running_server(config(limits={"decode_memory_mb": 1})) as server:
        raw = Raw(server.endpoint)
        try:  # 400 x 400: about 1.9 MB at its decoding peak, over a 1 MiB budget; refused before decoding
            raw.send({"id": "big", "type": "run", "workflow": IDENTITY, "reply_format": "RGBA8",
                      "image": {"frame": 1, "format": "PNG"}}, png_bytes(noise(400, 400)))
            header = raw.until_terminal("big")[-1][0]
            assert header == header | {"type": "error", "code": "too_large"}
            assert "decode_memory_mb" in header["message"]
            raw.send({"id": "small", "type": "run", "workflow": IDENTITY, "reply_format": "RGBA8",
                      "image": {"frame": 1, "format": "PNG"}}, png_bytes(noise(100, 100)))
            assert raw.until_terminal("small")[-1][0]["type"] == "result"
            assert server.decode_budget.held == 0
        finally:
            raw.close()


def test_the_decode_budget_makes_decodes_wait_their_turn():
    import threading

    from lego_edit.daemon.service.pixels import DecodeBudget

    budget = DecodeBudget(100)
    order = []

    def second():
        with budget.hold(50, "image"):
            order.append(("b", budget.held))

    with budget.hold(80, "image"):
        t = threading.Thread(target=second)
        t.start()
        time.sleep(0.2)
        order.append(("a", budget.held))  # b waits while a holds 80 of 100
    t.join(2)
    assert order == [("a", 80), ("b", 50)] and budget.held == 0


def _grow(ctx, image):
    import numpy as np

    return {"image": np.ascontiguousarray(np.repeat(np.repeat(image, 2, axis=0), 2, axis=1))}


def test_an_oversize_result_is_too_large_naming_its_step():
    from lego_edit.bricks.registry import Brick, Port
    from lego_edit.bricks.values import ValueType

    grow = Brick("GROW", "test brick: doubles the image's size", (Port("image", ValueType.IMAGE),),
                 (Port("image", ValueType.IMAGE),))
    grow.backend("test")(_grow)
    registry = registry_with_slow()
    registry.register(grow)
    workflow = {"process": "grow", "pipeline": [
        {"step": 1, "model": "GROW", "input": {"image": "init[image]"}, "output": {"image": "step1[image]"}},
        {"step": 2, "model": "GROW", "input": {"image": "step1[image]"}, "output": {"image": "step2[image]"}},
        {"result": "[step2[image]]"}]}
    with running_server(config(limits={"max_pixels": 100 * 100}), registry=registry) as server:
        raw = Raw(server.endpoint)
        try:  # 40x40 -> 80x80 (a layer, within the limit) -> 160x160: over 10 000 pixels
            raw.send({"id": "g", "type": "run", "workflow": workflow, "image": image_desc(40, 40)},
                     noise(40, 40).tobytes())
            events = raw.until_terminal("g")
            header = events[-1][0]
            assert header == header | {"type": "error", "code": "too_large", "step": 2, "brick": "GROW"}, header
            assert [h["image"]["width"] for h, _ in events if h["type"] == "layer"] == [80]
        finally:
            raw.close()


# -- 7. the daemon never writes into a received buffer ------------------------------------------------

def test_an_in_process_bgra_frame_sent_zero_copy_is_not_modified():
    import zmq

    from tests.daemon_util import make_server

    ctx = zmq.Context()
    server = make_server(config(), context=ctx)
    server.start("inproc://lego-edit-zero-copy")
    sock = ctx.socket(zmq.DEALER)
    try:
        sock.connect("inproc://lego-edit-zero-copy")
        image = noise(16, 16)
        data = image[..., [2, 1, 0, 3]].tobytes()  # immutable bytes, sent without copying
        before = bytes(bytearray(data))
        import json

        for rid, fmt in (("same", "BGRA8"), ("rgba", "RGBA8")):
            header = {"v": 1, "id": rid, "type": "run", "workflow": IDENTITY, "reply_format": fmt,
                      "image": image_desc(16, 16, "BGRA8")}
            sock.send_multipart([json.dumps(header).encode(), data], copy=False)
            while True:
                assert sock.poll(10000)
                frames = sock.recv_multipart()
                reply = json.loads(frames[0])
                if reply["type"] in ("result", "error", "cancelled"):
                    break
            assert reply["type"] == "result", reply
            assert data == before  # the sender's buffer is untouched
            assert frames[1] == (before if fmt == "BGRA8" else image.tobytes())
    finally:
        sock.close(0)
        server.stop()
        ctx.term()


# -- 5. `lego-edit stop` signals only the daemon it started -------------------------------------------

def _fake_daemon(pid: int):
    """A ROUTER that answers like a daemon but claims someone else's pid."""
    import json
    import threading

    import zmq

    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.ROUTER)
    sock.setsockopt(zmq.LINGER, 0)
    port = sock.bind_to_random_port("tcp://127.0.0.1")
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            if not sock.poll(50):
                continue
            route, head, *_ = sock.recv_multipart()
            req = json.loads(head)
            kind = {"hello": "hello", "status": "status"}.get(req.get("type"), "pong")
            fields = {"version": 1, "versions": [1], "server": "lego-edit", "heartbeat_s": 30.0, "curve": False,
                      "instance": "fake", "limits": {}} if kind == "hello" else \
                {"pid": pid, "instance": "fake", "state": "idle"}
            sock.send_multipart([route, json.dumps({"v": 1, "id": req.get("id"), "type": kind, **fields}).encode()])
        sock.close(0)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"tcp://127.0.0.1:{port}", lambda: (stop.set(), thread.join(2))


def test_stop_refuses_to_signal_a_pid_that_is_not_its_daemon(tmp_path):
    import subprocess
    import sys

    from lego_edit.daemon.cli.errors import CliError
    from lego_edit.daemon.control import stop_daemon

    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    endpoint, close = _fake_daemon(victim.pid)
    try:
        cfg = config(tmp_path)
        with pytest.raises(CliError, match="refusing to signal pid") as info:
            stop_daemon(cfg, endpoint, timeout=2)
        assert "\n" not in str(info.value)
        time.sleep(0.2)
        assert victim.poll() is None  # still running: never signalled
    finally:
        close()
        victim.kill()
        victim.wait()


def test_the_daemon_writes_a_private_pid_file_with_its_start_time(tmp_path):
    import json
    import os

    from lego_edit.daemon.control import process_start, verify_daemon_pid

    cfg = config(tmp_path)
    with running_server(cfg) as server:
        path = tmp_path / "daemon.pid"
        record = json.loads(path.read_text())
        assert record == record | {"pid": os.getpid(), "instance": server.instance,
                                   "start": process_start(os.getpid())}
        assert path.stat().st_mode & 0o777 == 0o600
        verify_daemon_pid(cfg, server.endpoint, os.getpid(), server.instance)  # accepted: no exception
    assert not path.exists()  # removed on shutdown


# -- 8. under CURVE a session belongs to the client's key, not to its routing id ----------------------

def test_another_key_reusing_a_routing_id_gets_nothing_of_the_victims_session(tmp_path, caplog):
    import zmq

    from lego_edit.daemon import keys

    caplog.set_level(logging.INFO, logger="lego_edit.daemon")
    cfg = config(tmp_path, daemon={"curve": "always"})
    server_pair, _, _ = keys.ensure_keys(cfg.keys_dir)
    victim_pair, thief_pair = keys.new_pair(), keys.new_pair()
    keys.allow(cfg.keys_dir, victim_pair.public, "victim")
    keys.allow(cfg.keys_dir, thief_pair.public, "thief")
    route = b"krita-1234"

    def connect(pair):
        raw = Raw.__new__(Raw)
        raw.sock = zmq.Context.instance().socket(zmq.DEALER)
        raw.sock.setsockopt(zmq.LINGER, 0)
        raw.sock.setsockopt(zmq.ROUTING_ID, route)
        raw.sock.curve_serverkey = server_pair.public.encode()
        raw.sock.curve_publickey = pair.public.encode()
        raw.sock.curve_secretkey = pair.secret.encode()
        raw.sock.connect(server.endpoint)
        raw.plans = set()
        return raw

    with running_server(cfg) as server:
        victim = connect(victim_pair)
        victim.send({"id": "a", "type": "edit", "instruction": "make it brighter", "image": image_desc(8, 8)},
                    noise(8, 8).tobytes())
        assert victim.until_terminal("a")[-1][0]["type"] == "result"
        # While the victim is connected, a second connection with its routing id is ignored.
        thief = connect(thief_pair)
        thief.send({"id": "t", "type": "ping"})
        with pytest.raises(TimeoutError):
            thief.recv(timeout=0.5)
        assert victim.ping_ok()
        victim.close()
        thief.close()
        time.sleep(0.3)
        # After it left, the same routing id with another key is a new session: no replan of the victim's image.
        thief = connect(thief_pair)
        thief.send({"id": "steal", "type": "edit", "replan_of": "a", "feedback": "use MASK-SEG"})
        header = thief.until_terminal("steal")[-1][0]
        assert header["type"] == "error" and header["code"] == "bad_request" and "replan_of" in header["message"]
        thief.send({"id": "c", "type": "cancel", "target": "a"})
        assert thief.first("c")["state"] == "unknown"
        thief.close()
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert route.hex() not in logged and "krita-1234" not in logged
