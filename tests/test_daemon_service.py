"""The daemon over real loopback sockets: edit events, re-plan, formats, fairness, cancel, heartbeats, limits."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from PIL import Image

from tests.daemon_util import (
    IDENTITY,
    STARTS,
    Raw,
    config,
    image_desc,
    noise,
    red_disk,
    registry_with_slow,
    running_server,
    slow_workflow,
)


@pytest.fixture(scope="module")
def server():
    with running_server(config(limits={"max_pixels": 400 * 400}), registry=registry_with_slow()) as srv:
        yield srv


@pytest.fixture
def raw(server):
    client = Raw(server.endpoint)
    yield client
    client.close()


def kinds(events):
    return [h["type"] for h, _ in events]


def test_edit_streams_plan_progress_masks_then_result(raw):
    image = red_disk(160)
    raw.send({"id": "e1", "type": "edit", "instruction": "remove the red object",
              "image": image_desc(160, 160)}, image.tobytes())
    events = raw.until_terminal("e1", timeout=60)
    types = kinds(events)
    assert types[0] == "accepted" and types[1] == "plan" and types[-1] == "result"
    plan = events[1][0]
    steps = [s["model"] for s in plan["workflow"]["pipeline"] if "model" in s]
    assert steps[0] == "RES" and "FASTINPAINT" in steps and plan["steps"] == len(steps)

    # Per step: started before its layers, layers before finished.
    for n in range(1, len(steps) + 1):
        mine = [(h["type"], h.get("state")) for h, _ in events if h.get("step") == n and h["type"] != "result"]
        assert mine[0] == ("progress", "started") and mine[-1] == ("progress", "finished")
    layers = [(h, blobs) for h, blobs in events if h["type"] == "layer"]
    mask_header, mask_blobs = next((h, b) for h, b in layers if h["ref"] == "step1[mask]")
    assert mask_header["role"] == "mask" and mask_header["image"]["format"] == "GRAY8"
    mask = np.frombuffer(mask_blobs[0], np.uint8).reshape(160, 160)
    red = (image[..., 0] > 150) & (image[..., 1] < 80)
    assert mask[red].mean() > 200 and mask[~red].mean() < 30  # the mask is the red disk
    # The inpainting score arrives with its step, the final image with the result.
    finished = [h for h, _ in events if h["type"] == "progress" and h["state"] == "finished"]
    assert any("step2[score]" in h["values"] for h in finished)
    result, blobs = events[-1]
    assert result["executed"] == list(range(1, len(steps) + 1)) and result["cached"] == []
    (layer,) = result["layers"]
    assert layer["role"] == "result" and layer["image"]["format"] == "RGBA8"
    assert layer["brick"] == steps[layer["step"] - 1] and layer["name"] == f"{layer['brick']} image (step {layer['step']})"
    out = np.frombuffer(blobs[layer["image"]["frame"] - 1], np.uint8).reshape(160, 160, 4)
    assert out[red][:, 0].mean() < image[red][:, 0].mean() - 60  # the red is gone
    assert np.array_equal(out[..., 3], image[..., 3])
    assert raw.ping_ok()


def test_replan_with_feedback_reruns_only_changed_steps(raw):
    image = red_disk(160)
    raw.send({"id": "a", "type": "edit", "instruction": "remove the red object", "image": image_desc(160, 160)},
             image.tobytes())
    first = raw.until_terminal("a", timeout=60)
    assert first[-1][0]["type"] == "result"
    raw.send({"id": "b", "type": "edit", "replan_of": "a", "feedback": ["use MASK-SEG"]})  # no image: reuses a's
    second = raw.until_terminal("b", timeout=60)
    assert kinds(second)[:2] == ["accepted", "plan"] and second[-1][0]["type"] == "result"
    new_steps = [s["model"] for s in second[1][0]["workflow"]["pipeline"] if "model" in s]
    assert "MASK-SEG" in new_steps
    result = second[-1][0]
    assert result["cached"] == [1]  # RES, unchanged, comes from the cache
    assert result["executed"] == list(range(2, len(new_steps) + 1))
    cached_layers = [h for h, _ in second if h["type"] == "layer" and h["step"] == 1]
    assert cached_layers and all(h["cached"] for h in cached_layers)
    assert not any(h["type"] == "progress" and h["state"] == "started" and h["step"] == 1 for h, _ in second)

    # Feedback the Builder cannot use is refused with its reason; unknown ids are bad requests.
    raw.send({"id": "c", "type": "edit", "replan_of": "a", "feedback": "flibbertigibbet"})
    header = raw.until_terminal("c")[-1][0]
    assert header["code"] == "plan_refused" and header["reason"] == "bad_feedback"
    raw.send({"id": "d", "type": "edit", "replan_of": "nope", "feedback": "use MASK-SEG"})
    header = raw.until_terminal("d")[-1][0]
    assert header["type"] == "error" and header["code"] == "bad_request" and "replan_of" in header["message"]


def test_pixels_kept_for_replans_are_bounded():
    with running_server(config(limits={"plans_memory_mb": 1})) as server:
        raw = Raw(server.endpoint)
        for rid, seed in (("A", 1), ("B", 2)):  # 640 kB each: B pushes A's pixels out
            raw.send({"id": rid, "type": "edit", "instruction": "make it brighter", "image": image_desc(400, 400)},
                     noise(400, 400, seed).tobytes())
            assert raw.until_terminal(rid)[-1][0]["type"] == "result"
        assert server.plans.held_bytes == 400 * 400 * 4
        raw.send({"id": "again-A", "type": "edit", "replan_of": "A", "feedback": "use MASK-SEG"})
        header = raw.until_terminal("again-A")[-1][0]
        assert header["code"] == "bad_request" and "no longer kept" in header["message"]
        raw.send({"id": "again-B", "type": "edit", "replan_of": "B", "instruction": "make it darker"})
        events = raw.until_terminal("again-B")
        assert events[-1][0]["type"] == "result" and events[1][0]["workflow"]["pipeline"][0]["model"] == "FLUX-BRIGHT"
        raw.close()


def test_no_pixels_are_kept_for_replans_with_a_zero_budget():
    with running_server(config(limits={"plans_memory_mb": 0})) as server:
        raw = Raw(server.endpoint)
        raw.send({"id": "A", "type": "edit", "instruction": "make it brighter", "image": image_desc(64, 64)},
                 noise(64, 64, 1).tobytes())
        assert raw.until_terminal("A")[-1][0]["type"] == "result"
        assert server.plans.held_bytes == 0, "plans_memory_mb = 0 keeps no image, not even the newest"
        raw.send({"id": "again-A", "type": "edit", "replan_of": "A", "feedback": "use MASK-SEG"})
        header = raw.until_terminal("again-A")[-1][0]
        assert header["code"] == "bad_request" and "no longer kept" in header["message"]
        raw.close()


def test_unplannable_instruction_is_plan_refused(raw):
    raw.send({"id": "r", "type": "plan", "instruction": "qwzx vlorp"})
    header = raw.until_terminal("r")[-1][0]
    assert header["type"] == "error" and header["code"] == "plan_refused" and header["reason"] == "refused"


def test_plan_request_answers_with_the_workflow(raw):
    raw.send({"id": "p", "type": "plan", "instruction": "make it brighter"})
    events = raw.until_terminal("p")
    assert kinds(events) == ["accepted", "plan"]
    assert events[-1][0]["workflow"]["pipeline"][0]["model"] == "FLUX-BRIGHT"


def test_bgra_and_rgba_give_the_same_pixels(raw):
    image = red_disk(96)
    bgra = image[..., [2, 1, 0, 3]].copy()
    results = {}
    for fmt, data in (("RGBA8", image), ("BGRA8", bgra)):
        rid = f"fmt-{fmt}"
        raw.send({"id": rid, "type": "edit", "instruction": "make the red object blue", "reply_format": "RGBA8",
                  "image": image_desc(96, 96, fmt)}, data.tobytes())
        events = raw.until_terminal(rid, timeout=60)
        header, blobs = events[-1]
        assert header["type"] == "result", header
        results[fmt] = blobs[0]
        masks = [b[0] for h, b in events if h["type"] == "layer" and h["kind"] == "mask"]
        results[fmt + "-mask"] = masks[0]
    assert results["RGBA8"] == results["BGRA8"]
    assert results["RGBA8-mask"] == results["BGRA8-mask"]
    # Asking for BGRA8 back gives the same pixels with R and B swapped.
    raw.send({"id": "back", "type": "edit", "instruction": "make the red object blue", "reply_format": "BGRA8",
              "image": image_desc(96, 96)}, image.tobytes())
    header, blobs = raw.until_terminal("back", timeout=60)[-1]
    assert header["layers"][0]["image"]["format"] == "BGRA8"
    swapped = np.frombuffer(blobs[0], np.uint8).reshape(96, 96, 4)[..., [2, 1, 0, 3]]
    assert swapped.tobytes() == results["RGBA8"]


def test_identity_run_returns_the_same_bytes_in_every_format(raw):
    image = noise(30, 40)
    for fmt, data in (("RGBA8", image.tobytes()), ("BGRA8", image[..., [2, 1, 0, 3]].tobytes())):
        raw.send({"id": fmt, "type": "run", "workflow": IDENTITY, "image": image_desc(40, 30, fmt)}, data)
        header, blobs = raw.until_terminal(fmt)[-1]
        assert header["layers"][0]["image"]["format"] == fmt and blobs[0] == data
    png = io.BytesIO()
    Image.fromarray(image).save(png, format="PNG")
    raw.send({"id": "png", "type": "run", "workflow": IDENTITY, "image": {"frame": 1, "format": "PNG"}}, png.getvalue())
    header, blobs = raw.until_terminal("png")[-1]
    assert header["layers"][0]["image"] == {"frame": 1, "width": 40, "height": 30, "format": "PNG"}
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(blobs[0]))), image)
    raw.send({"id": "to-png", "type": "run", "workflow": IDENTITY, "reply_format": "PNG",
              "image": image_desc(40, 30)}, image.tobytes())
    header, blobs = raw.until_terminal("to-png")[-1]
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(blobs[0]))), image)


def test_layers_false_sends_only_the_result(raw):
    raw.send({"id": "quiet", "type": "edit", "instruction": "make the red object blue", "layers": False,
              "image": image_desc(64, 64)}, red_disk(64).tobytes())
    events = raw.until_terminal("quiet")
    assert "layer" not in kinds(events) and "progress" in kinds(events) and events[-1][0]["type"] == "result"


def test_mask_is_init_mask(raw):
    image = noise(20, 20)
    mask = np.zeros((20, 20), np.uint8)
    mask[5:10, 2:8] = 255
    wf = {"process": "bbox", "pipeline": [
        {"step": 1, "model": "BBOX", "input": {"mask": "init[mask]"}, "output": {"mask": "step1[mask]"}},
        {"result": "[step1[mask], init[image]]"}]}
    raw.send({"id": "m", "type": "run", "workflow": wf, "image": image_desc(20, 20),
              "mask": image_desc(20, 20, "GRAY8", frame=2)}, image.tobytes(), mask.tobytes())
    header, blobs = raw.until_terminal("m")[-1]
    assert [la["ref"] for la in header["layers"]] == ["step1[mask]", "init[image]"]
    assert header["layers"][0]["image"]["format"] == "GRAY8" and blobs[0] == mask.tobytes()


def test_two_clients_at_once_get_only_their_own_replies(server):
    clients = [Raw(server.endpoint) for _ in range(2)]
    images = [noise(16, 16, seed) for seed in (1, 2)]
    try:
        for client, image in zip(clients, images, strict=True):
            for k in range(3):  # the same ids on both clients: ids are per connection
                client.send({"id": k, "type": "run", "workflow": slow_workflow(0.05) if k == 1 else IDENTITY,
                             "image": image_desc(16, 16)}, image.tobytes())
        for client, image in zip(clients, images, strict=True):
            for k in range(3):
                header, blobs = client.until_terminal(k)[-1]
                expected = image.copy()
                if k == 1:
                    expected[..., 0] = 255 - expected[..., 0]
                assert header["type"] == "result" and blobs[0] == expected.tobytes()
    finally:
        for c in clients:
            c.close()


def test_clients_are_served_round_robin():
    """With one worker, a client with a long queue holds another client back by one job, not four."""
    with running_server(config(daemon={"workers": 1}), registry=registry_with_slow()) as server:
        greedy, other = Raw(server.endpoint), Raw(server.endpoint)
        try:
            image = noise(8, 8)
            for k in range(4):
                greedy.send({"id": k, "type": "run", "workflow": slow_workflow(0.3 + k / 100),
                             "image": image_desc(8, 8)}, image.tobytes())
            assert greedy.recv()[0]["position"] == 0
            greedy.send({"id": "too-many", "type": "run", "workflow": IDENTITY, "image": image_desc(8, 8)},
                        image.tobytes())
            assert greedy.until_terminal("too-many")[-1][0]["code"] == "busy"  # four queued or running is the limit
            start = time.monotonic()
            other.send({"id": "x", "type": "run", "workflow": slow_workflow(0.01), "image": image_desc(8, 8)},
                       image.tobytes())
            assert other.until_terminal("x")[-1][0]["type"] == "result"
            waited = time.monotonic() - start
            assert waited < 0.55, waited  # behind greedy's running job only (0.3 s), not the next ones
            for k in range(4):
                assert greedy.until_terminal(k)[-1][0]["type"] == "result"
        finally:
            greedy.close()
            other.close()


def test_scheduler_takes_turns_between_clients():
    """One worker: a client's jobs run one at a time, and a newcomer goes before the client just served."""
    from lego_edit.daemon.service.jobs import Job, QueueFull, Scheduler
    from lego_edit.daemon.service.protocol import Request

    def job(client, k):
        return Job(client, Request(id=k, type="run", header={}))

    sched = Scheduler(max_per_client=3)
    a = [job(b"a", k) for k in range(3)]
    for j in a:
        sched.submit(j)
    with pytest.raises(QueueFull):
        sched.submit(job(b"a", 9))
    assert sched.next(0) is a[0]
    assert sched.next(0) is None  # a's next job waits for a[0]
    b = [job(b"b", k) for k in range(2)]
    for j in b:
        sched.submit(j)
    served = []
    running = a[0]
    for _ in range(4):
        sched.done(running)
        running = sched.next(0)
        served.append(running)
    assert served == [b[0], a[1], b[1], a[2]]
    sched.done(running)
    assert sched.idle()


def test_cancel_queued_and_running_jobs(raw):
    image = noise(8, 8)
    STARTS.clear()
    raw.send({"id": "long", "type": "run", "workflow": slow_workflow(5), "image": image_desc(8, 8)}, image.tobytes())
    raw.send({"id": "next", "type": "run", "workflow": slow_workflow(0.5), "image": image_desc(8, 8)},
             image.tobytes())
    events = []
    while not any(h["type"] == "progress" and h["id"] == "long" for h, _ in events):
        events.append(raw.recv())
    raw.send({"id": "c1", "type": "cancel", "target": "next"})  # still queued behind "long"
    assert raw.until_terminal("next")[-1][0] == {"v": 1, "id": "next", "type": "cancelled", "reason": "client"}
    ack = raw.first("c1")
    assert ack == ack | {"type": "ack", "target": "next", "state": "queued"}
    start = time.monotonic()
    raw.send({"id": "c2", "type": "cancel", "target": "long"})
    tail = raw.until_terminal("long")
    assert tail[-1][0]["type"] == "cancelled" and time.monotonic() - start < 1.0
    assert len(STARTS) == 1  # "next" never ran
    raw.send({"id": "c3", "type": "cancel", "target": "long"})  # already over
    header = raw.first("c3")
    assert header["type"] == "ack" and header["state"] == "unknown"
    assert raw.ping_ok()


def test_vanished_client_has_its_job_cancelled():
    cfg = config(daemon={"heartbeat_timeout_s": 0.4})
    with running_server(cfg, registry=registry_with_slow()) as server:
        gone = Raw(server.endpoint)
        STARTS.clear()
        gone.send({"id": 1, "type": "run", "workflow": slow_workflow(20), "image": image_desc(8, 8)},
                  noise(8, 8).tobytes())
        gone.send({"id": 2, "type": "run", "workflow": slow_workflow(20), "image": image_desc(8, 8)},
                  noise(8, 8).tobytes())
        while not STARTS:
            time.sleep(0.01)
        gone.close()  # no goodbye, no more pings
        deadline = time.monotonic() + 5
        while server.scheduler.counts() != {"running": 0, "queued": 0} and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.scheduler.counts() == {"running": 0, "queued": 0}
        assert len(STARTS) == 1 and not server.clients
        # A client that keeps pinging is not gone, even with a job longer than the timeout.
        alive = Raw(server.endpoint)
        alive.send({"id": "ok", "type": "run", "workflow": slow_workflow(1.0), "image": image_desc(8, 8)},
                   noise(8, 8).tobytes())
        last = None
        deadline = time.monotonic() + 10
        while last is None and time.monotonic() < deadline:
            alive.send({"id": "hb", "type": "ping"})
            try:
                header, _ = alive.recv(timeout=0.1)
            except TimeoutError:
                continue
            if header["id"] == "ok" and header["type"] in ("result", "error", "cancelled"):
                last = header
        assert last is not None and last["type"] == "result"
        alive.close()


BAD_INPUTS = [
    ("malformed json", [b"{not json"], None, "bad_request"),
    ("not utf-8", [b"\xff\xfe"], None, "bad_request"),
    ("unknown type", [b'{"v":1,"id":"u","type":"teleport"}'], "u", "bad_request"),
    ("unsupported version", [b'{"v":7,"id":"v","type":"ping"}'], "v", "unsupported_version"),
    ("missing version", [b'{"id":"v0","type":"status"}'], "v0", "unsupported_version"),
    ("hello with no common version", [b'{"v":1,"id":"h","type":"hello","versions":[5,6]}'], "h",
     "unsupported_version"),
    ("frame missing", [b'{"v":1,"id":"f","type":"run","workflow":{},"image":{"frame":1,"width":2,"height":2,'
                       b'"format":"RGBA8"}}'], "f", "bad_request"),
    ("frame too short", [b'{"v":1,"id":"s","type":"run","workflow":{"pipeline":[]},"image":{"frame":1,"width":2,'
                         b'"height":2,"format":"RGBA8"}}', b"\0" * 15], "s", "bad_request"),
    ("extra frame", [b'{"v":1,"id":"x","type":"ping"}', b"junk"], "x", "bad_request"),
    ("bad format", [b'{"v":1,"id":"bf","type":"run","workflow":{},"image":{"frame":1,"width":1,"height":1,'
                    b'"format":"CMYK"}}', b"\0" * 4], "bf", "bad_request"),
    ("too many pixels", [b'{"v":1,"id":"big","type":"run","workflow":{},"image":{"frame":1,"width":401,'
                         b'"height":400,"format":"RGBA8"}}', b"\0" * (401 * 400 * 4)], "big", "too_large"),
    ("png lying about its size", None, "pl", "bad_request"),
    ("not a png", [b'{"v":1,"id":"np","type":"run","workflow":{},"image":{"frame":1,"format":"PNG"}}', b"GIF89a" * 5],
     "np", "bad_request"),
    ("mask size mismatch", [b'{"v":1,"id":"mm","type":"run","workflow":{},"image":{"frame":1,"width":2,"height":2,'
                            b'"format":"RGBA8"},"mask":{"frame":2,"width":3,"height":2,"format":"GRAY8"}}',
                            b"\0" * 16, b"\0" * 6], "mm", "bad_request"),
    ("invalid workflow", [b'{"v":1,"id":"iw","type":"run","workflow":{"pipeline":[{"step":1,"model":"NOPE",'
                          b'"input":{},"output":{}},{"result":"[step1[image]]"}]},"image":{"frame":1,"width":1,'
                          b'"height":1,"format":"RGBA8"}}', b"\0" * 4], "iw", "invalid_workflow"),
    ("workflow not an object", [b'{"v":1,"id":"wn","type":"run","workflow":3,"image":{"frame":1,"width":1,'
                                b'"height":1,"format":"RGBA8"}}', b"\0" * 4], "wn", "bad_request"),
    ("edit without instruction", [b'{"v":1,"id":"ni","type":"edit","image":{"frame":1,"width":1,"height":1,'
                                  b'"format":"RGBA8"}}', b"\0" * 4], "ni", "bad_request"),
    ("cancel without target", [b'{"v":1,"id":"ct","type":"cancel"}'], "ct", "bad_request"),
    ("bad reply format", [b'{"v":1,"id":"rf","type":"run","workflow":{},"reply_format":"JPEG","image":{"frame":1,'
                          b'"width":1,"height":1,"format":"RGBA8"}}', b"\0" * 4], "rf", "bad_request"),
]


@pytest.mark.parametrize("name,frames,rid,code", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gets_an_error_and_the_daemon_keeps_serving(raw, name, frames, rid, code):
    if frames is None:  # a real PNG whose descriptor claims another size
        png = io.BytesIO()
        Image.fromarray(noise(4, 4)).save(png, format="PNG")
        frames = [b'{"v":1,"id":"pl","type":"run","workflow":{},"image":{"frame":1,"width":5,"height":4,'
                  b'"format":"PNG"}}', png.getvalue()]
    raw.sock.send_multipart(frames)
    header, _ = raw.recv()
    if header["type"] == "accepted":  # checked by the worker (the workflow)
        header, _ = raw.recv()
    assert header["type"] == "error" and header["id"] == rid and header["code"] == code, header
    assert header["message"]
    if code == "invalid_workflow":
        assert any(p["step"] == 1 and p["field"] == "model" for p in header["problems"])
    if code == "unsupported_version":
        assert header["supported"] == [1]
    assert raw.ping_ok()


def test_header_without_id_is_logged_and_dropped(raw, caplog):
    caplog.set_level("WARNING", logger="lego_edit.daemon")
    raw.send({"type": "ping"})
    raw.send({"id": True, "type": "ping"})
    raw.sock.send_multipart([b"[1, 2]"])
    with pytest.raises(TimeoutError):
        raw.recv(timeout=0.3)
    assert raw.ping_ok()
    dropped = [r.getMessage() for r in caplog.records if "dropped a message" in r.getMessage()]
    assert len(dropped) == 3 and "no valid id" in dropped[0] and "JSON object" in dropped[2]


def test_oversize_frame_is_refused_unread():
    with running_server(config(limits={"max_pixels": 100, "max_frame_bytes": 10_000, "max_header_bytes": 2048})) \
            as server:
        big, bystander = Raw(server.endpoint), Raw(server.endpoint)
        try:
            big.send({"id": "big", "type": "run", "workflow": IDENTITY, "image": image_desc(100, 100)},
                     b"\0" * 40_000)
            with pytest.raises(TimeoutError):
                big.recv(timeout=0.5)
            assert bystander.ping_ok()
            assert big.ping_ok()  # the client's socket reconnects by itself
            huge_header = b'{"v":1,"id":"hh","type":"ping","pad":"' + b"x" * 5000 + b'"}'
            big.sock.send_multipart([huge_header])
            header, _ = big.recv()
            assert header == header | {"id": None, "type": "error", "code": "too_large"}
            assert big.ping_ok()
        finally:
            big.close()
            bystander.close()


def test_duplicate_id_of_an_unfinished_request(raw):
    image = noise(8, 8)
    raw.send({"id": "dup", "type": "run", "workflow": slow_workflow(0.3), "image": image_desc(8, 8)}, image.tobytes())
    raw.send({"id": "dup", "type": "run", "workflow": IDENTITY, "image": image_desc(8, 8)}, image.tobytes())
    first = raw.until_terminal("dup")  # the refusal of the second ends this read (it may follow some progress)
    assert first[0][0]["type"] == "accepted" and first[-1][0]["type"] == "error"
    assert first[-1][0]["code"] == "bad_request" and "already in use" in first[-1][0]["message"]
    assert raw.until_terminal("dup")[-1][0]["type"] == "result"  # the first request is not disturbed


def test_failing_and_unavailable_bricks_name_step_and_brick(raw):
    image = np.zeros((16, 16, 4), np.uint8)
    image[..., 3] = 255
    wf = {"process": "sos on black", "pipeline": [
        {"step": 1, "model": "SOS", "input": {"image": "init[image]"}, "output": {"mask": "step1[mask]"}},
        {"result": "[step1[mask]]"}]}
    raw.send({"id": "f", "type": "run", "workflow": wf, "image": image_desc(16, 16)}, image.tobytes())
    header = raw.until_terminal("f")[-1][0]
    assert header == header | {"type": "error", "code": "brick_failed", "step": 1, "brick": "SOS"}
    wf = {"process": "pose", "pipeline": [
        {"step": 1, "model": "FLUX-POSE", "input": {"image": "init[image]", "prompt": "wave"},
         "output": {"image": "step1[image]"}}, {"result": "[step1[image]]"}]}
    raw.send({"id": "u", "type": "run", "workflow": wf, "image": image_desc(16, 16)}, image.tobytes())
    header = raw.until_terminal("u")[-1][0]
    assert header == header | {"type": "error", "code": "brick_unavailable", "step": 1, "brick": "FLUX-POSE"}
    assert "lego-edit models pull" in header["message"]


def test_hello_status_bricks(raw, server):
    raw.send({"id": "h", "type": "hello", "versions": [1, 2]})
    hello = raw.recv()[0]
    assert hello["version"] == 1 and hello["limits"]["max_pixels"] == 400 * 400
    assert hello["instance"] == server.instance and hello["heartbeat_s"] > 0
    raw.send({"id": "s", "type": "status"})
    status = raw.recv()[0]
    assert status["state"] in ("idle", "busy") and status["endpoint"] == server.endpoint
    raw.send({"id": "b", "type": "bricks"})
    bricks = raw.recv()[0]
    names = {b["name"]: b for b in bricks["bricks"]}
    assert {"RES", "FASTINPAINT", "SLOW"} <= set(names) and names["SLOW"]["available"]


def test_fuzzed_messages_never_stop_the_service(raw):
    rng = np.random.default_rng(7)
    pieces = [b'{"v":1,"id":', b'"z"', b'1', b',"type":', b'"run"', b'"edit"', b'"cancel"', b'"hello"',
              b',"image":{"frame":', b'2', b'0', b',"width":3,"height":1,"format":"RGBA8"}', b'}', b'[', b'"',
              b'\x00', b',"workflow":{"pipeline":[]}', b',"target":"z"', b',"versions":[]', b'null']
    for _ in range(150):
        header = b"".join(pieces[i] for i in rng.integers(0, len(pieces), rng.integers(1, 12)))
        blobs = [bytes(rng.integers(0, 256, rng.integers(0, 20), dtype=np.uint8)) for _ in range(rng.integers(0, 3))]
        raw.sock.send_multipart([header, *blobs])
    assert raw.ping_ok()
