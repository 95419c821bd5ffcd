"""The wire decoder on its own: exact checks of frames and descriptors, and hypothesis fuzzing.

Whatever bytes arrive, `decode` returns a checked Request or raises ProtocolError with a known
code; it never raises anything else and never accepts a frame whose size disagrees with its header.
"""

from __future__ import annotations

import io
import json
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from lego_edit.daemon.service import pixels
from lego_edit.daemon.service.protocol import (
    CHANNELS,
    ERROR_CODES,
    Limits,
    ProtocolError,
    decode,
    encode_header,
    negotiate,
    png_size,
)

LIMITS = Limits(max_pixels=10_000, max_header_bytes=4096, max_frames=4)


def frames(header, *blobs):
    return [json.dumps(header).encode(), *blobs]


def run_header(**image):
    return {"v": 1, "id": "r", "type": "run", "workflow": {"pipeline": []},
            "image": {"frame": 1, "width": 4, "height": 2, "format": "RGBA8", **image}}


def refuse(msg_frames, code, *, drop=False):
    with pytest.raises(ProtocolError) as info:
        decode(msg_frames, LIMITS)
    assert info.value.code == code and info.value.drop == drop
    return info.value


def test_a_valid_run_keeps_a_view_on_the_frame():
    blob = bytearray(range(32))
    request = decode(frames(run_header(), blob), LIMITS)
    image = request.images["image"]
    assert (image.width, image.height, image.format, image.frame) == (4, 2, "RGBA8", 1)
    blob[0] = 99  # a view, not a copy
    assert image.data[0] == 99
    array = pixels.to_array(image)
    assert array.shape == (2, 4, 4) and array[0, 0, 0] == 99


def test_bgra_is_swapped_once_and_raw_replies_are_views():
    rgba = np.arange(2 * 4 * 4, dtype=np.uint8).reshape(2, 4, 4)
    bgra = rgba[..., [2, 1, 0, 3]].tobytes()
    request = decode(frames(run_header(format="BGRA8"), bgra), LIMITS)
    assert np.array_equal(pixels.to_array(request.images["image"]), rgba)
    desc, buffer = pixels.encode(rgba, "RGBA8")
    assert desc == {"width": 4, "height": 2, "format": "RGBA8"} and np.shares_memory(buffer, rgba)
    desc, buffer = pixels.encode(rgba, "BGRA8")
    assert bytes(buffer) == bgra
    mask = np.zeros((2, 4), np.uint8)
    assert pixels.encode(mask, "BGRA8")[0]["format"] == "GRAY8"
    assert pixels.encode(mask, "PNG")[0]["format"] == "PNG"


def test_an_unchanged_image_goes_back_as_the_frame_it_came_in():
    bgra = bytes(range(32))
    request = decode(frames(run_header(format="BGRA8"), bgra), LIMITS)
    wire = request.images["image"]
    array = pixels.to_array(wire)
    through = pixels.Passthrough(array, "BGRA8", wire.data)
    view = array.view()
    view.flags.writeable = False  # what the executor hands back
    _, buffer = pixels.encode(view, "BGRA8", through)
    assert buffer is wire.data
    _, buffer = pixels.encode(view, "RGBA8", through)  # another format: converted
    assert buffer is not wire.data


def test_png_size_comes_from_its_header():
    png = io.BytesIO()
    Image.fromarray(np.zeros((3, 5, 4), np.uint8)).save(png, format="PNG")
    assert png_size(png.getvalue()) == (5, 3)
    request = decode(frames(run_header(format="PNG", width=None, height=None), png.getvalue()), LIMITS)
    assert (request.images["image"].width, request.images["image"].height) == (5, 3)
    bomb = png.getvalue()[:16] + struct.pack(">II", 5000, 5000) + png.getvalue()[24:]
    refuse(frames(run_header(format="PNG", width=None, height=None), bomb), "too_large")  # refused before any decoding


@pytest.mark.parametrize("header,blobs,code", [
    ({"v": 1, "id": "x", "type": "ping"}, [b"x"], "bad_request"),  # unreferenced frame
    (run_header(frame=2), [b"\0" * 32], "bad_request"),
    (run_header(frame=0), [b"\0" * 32], "bad_request"),
    (run_header(frame=True), [b"\0" * 32], "bad_request"),
    (run_header(width=-4), [b"\0" * 32], "bad_request"),
    (run_header(width=4.0), [b"\0" * 32], "bad_request"),
    (run_header(), [b"\0" * 31], "bad_request"),
    (run_header(), [b"\0" * 33], "bad_request"),
    (run_header(width=200, height=100), [b"\0" * 80_000], "too_large"),
    ({**run_header(), "mask": {"frame": 1, "width": 4, "height": 2, "format": "GRAY8"}}, [b"\0" * 32],
     "bad_request"),  # two images in one frame
    ({"v": 1, "id": "x", "type": "run", "workflow": {}}, [], "bad_request"),  # no image
    ({"v": 1, "id": "x", "type": "ping", "image": {"frame": 1, "width": 1, "height": 1, "format": "RGBA8"}},
     [b"\0" * 4], "bad_request"),
    ({"v": 1, "id": "x", "type": "run", "workflow": {}}, [b""] * 5, "bad_request"),  # over max_frames
    ({"v": True, "id": "x", "type": "ping"}, [], "unsupported_version"),
    ({"v": 1.0, "id": "x", "type": "ping"}, [], "unsupported_version"),  # the version is an integer
    ({"v": 1, "id": "x", "type": "plan", "instruction": " "}, [], "bad_request"),
    ({"v": 1, "id": "x", "type": "plan", "instruction": "a" * 4001}, [], "bad_request"),
    ({"v": 1, "id": "x", "type": "edit", "instruction": "a", "feedback": [1]}, [], "bad_request"),
    ({"v": 1, "id": "x", "type": "edit", "instruction": "a", "replan_of": "r", "layers": "yes"}, [], "bad_request"),
    ({"v": 1, "id": "x", "type": "hello", "versions": "1"}, [], "bad_request"),
    ({"v": 1, "id": "x", "type": "edit", "replan_of": "r", "seed": -1}, [], "bad_request"),
    ({"v": 1, "id": "x", "type": "edit", "replan_of": "r", "seed": 2**63}, [], "bad_request"),
    ({"v": 1, "id": "x", "type": "edit", "replan_of": "r", "seed": 3.0}, [], "bad_request"),  # an integer only
    ({"v": 1, "id": "x", "type": "edit", "variation_of": "r", "seed": False}, [], "bad_request"),
    ({"v": 1, "id": "x", "type": "edit", "variation_of": True}, [], "bad_request"),
    ({"v": 1, "id": "x", "type": "edit", "variation_of": "r", "instruction": "make it blue"}, [], "bad_request"),
    ({"v": 1, "id": "x", "type": "edit", "variation_of": "r", "replan_of": "r"}, [], "bad_request"),
    ({"v": 1, "id": "x", "type": "edit", "variation_of": "r", "replan_of": 0}, [], "bad_request"),
    ({"v": 1, "id": "x", "type": "edit", "variation_of": "r", "feedback": "too strong"}, [], "bad_request"),
])
def test_refusals(header, blobs, code):
    error = refuse(frames(header, *blobs), code)
    assert error.request_id == "x" if header.get("id") == "x" else True


def test_seeds_and_variations_that_decode():
    seeded = decode(frames({**run_header(), "seed": 2**63 - 1}, b"\0" * 32), LIMITS)
    assert seeded.get("seed") == 2**63 - 1
    again = decode(frames({"v": 1, "id": "x", "type": "edit", "variation_of": "k-7", "seed": 0}), LIMITS)
    assert again.images == {} and again.get("variation_of") == "k-7" and again.get("feedback") == []
    with_image = decode(frames({"v": 1, "id": "x", "type": "edit", "variation_of": 3,
                                "image": {"frame": 1, "width": 4, "height": 2, "format": "RGBA8"}}, b"\0" * 32), LIMITS)
    assert with_image.images["image"].width == 4


@pytest.mark.parametrize("raw", [b"", b"\xff", b"{", b"[]", b'"x"', b"1e999999"])
def test_unreadable_headers(raw):
    with pytest.raises(ProtocolError) as info:
        decode([raw], LIMITS)
    assert info.value.request_id is None and info.value.code == "bad_request"


@pytest.mark.parametrize("rid", [None, True, "", "x" * 257, 1.5, [], {}])
def test_headers_without_a_valid_id_are_dropped(rid):
    header = {"v": 1, "type": "ping"} if rid is None else {"v": 1, "id": rid, "type": "ping"}
    refuse(frames(header), "bad_request", drop=True)


def test_hello_is_read_whatever_its_version_and_negotiates():
    request = decode(frames({"v": 9, "id": 1, "type": "hello", "versions": [9, 1]}), LIMITS)
    assert negotiate(request.get("versions")) == 1 and negotiate([2, 3]) is None


def test_reply_headers_are_plain_json():
    header = json.loads(encode_header("a", "progress", {"fraction": np.float32(0.5), "step": np.int64(2)}))
    assert header == {"v": 1, "id": "a", "type": "progress", "fraction": 0.5, "step": 2}


# -- fuzzing ------------------------------------------------------------------------------------

ids = st.one_of(st.text(max_size=300), st.integers(), st.booleans(), st.none(), st.floats())
formats = st.sampled_from(["RGBA8", "BGRA8", "GRAY8", "PNG", "JPEG", "", None])
dims = st.one_of(st.integers(-2, 120), st.none(), st.floats(), st.text(max_size=3))
descriptors = st.one_of(
    st.fixed_dictionaries({"frame": st.one_of(st.integers(-1, 5), st.booleans(), st.none()), "width": dims,
                           "height": dims, "format": formats}),
    st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=3))
json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                                     st.text(max_size=20)),
                           lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                   st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                           max_leaves=12)
headers = st.fixed_dictionaries(
    {"v": st.one_of(st.just(1), st.integers(-1, 3), st.booleans(), st.none()),
     "id": ids,
     "type": st.sampled_from(["hello", "ping", "status", "bricks", "cancel", "plan", "run", "edit", "nope", ""])},
    optional={"image": descriptors, "mask": descriptors, "workflow": json_values, "instruction": json_values,
              "feedback": json_values, "replan_of": ids, "target": ids, "reply_format": formats,
              "versions": json_values, "layers": json_values, "backend": json_values})


def _size_for(desc):
    if isinstance(desc, dict) and desc.get("format") in CHANNELS and isinstance(desc.get("width"), int) \
            and isinstance(desc.get("height"), int) and desc["width"] > 0 and desc["height"] > 0:
        return desc["width"] * desc["height"] * CHANNELS[desc["format"]]
    return None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=headers, blob_sizes=st.lists(st.integers(0, 300), max_size=4), exact=st.booleans(), data=st.data())
def test_fuzz_structured_headers(header, blob_sizes, exact, data):
    blobs = [bytes(n) for n in blob_sizes]
    if exact:  # make frames match the descriptors often enough to reach the deeper checks
        blobs = []
        for key in ("image", "mask"):
            size = _size_for(header.get(key))
            if size is not None and size <= 40_000:
                header[key]["frame"] = len(blobs) + 1
                blobs.append(bytes(size))
    _check_decode([json.dumps(header).encode(), *blobs])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=200), min_size=1, max_size=6))
def test_fuzz_raw_bytes(raw_frames):
    _check_decode(raw_frames)


def _check_decode(msg_frames):
    try:
        request = decode(msg_frames, LIMITS)
    except ProtocolError as exc:
        assert exc.code in ERROR_CODES and exc.message
        return
    assert request.type in ("hello", "ping", "status", "bricks", "cancel", "plan", "run", "edit")
    used = sorted(w.frame for w in request.images.values())
    assert used == list(range(1, len(msg_frames)))  # every data frame named exactly once
    for wire in request.images.values():
        assert wire.pixels <= LIMITS.max_pixels
        if wire.format != "PNG":
            assert wire.data.nbytes == wire.width * wire.height * CHANNELS[wire.format]
            array = pixels.to_array(wire)
            assert array.shape[:2] == (wire.height, wire.width)


def test_the_named_wire_values_are_the_ones_the_spec_lists():
    """The enums are the spec's strings: each value is listed in docs/protocol.md and encodes as that string."""
    import json as _json
    import re
    from pathlib import Path as _Path

    from lego_edit.daemon.service.jobs import JobState
    from lego_edit.daemon.service.protocol import (
        AckState,
        CancelReason,
        DaemonState,
        EventKind,
        StepState,
        encode_header,
    )

    spec = (_Path(__file__).resolve().parents[1] / "docs" / "protocol.md").read_text(encoding="utf-8")
    glance = spec[spec.index("### Reply types and states at a glance"):spec.index("## 6.")]
    for enum, row in ((EventKind, "reply `type`"), (StepState, "`progress.state`"), (AckState, "`ack.state`"),
                      (DaemonState, "`status.state`")):
        line = next(ln for ln in glance.splitlines() if ln.startswith(f"| {row}"))
        assert set(re.findall(r"`([a-z_]+)`", line.split("|")[2])) == {e.value for e in enum}, enum
    assert {f"### `{k.value}`" for k in EventKind} <= set(spec.splitlines())
    assert {CancelReason.CLIENT.value, CancelReason.SHUTDOWN.value} <= set(re.findall(r"`([a-z]+)`", glance))
    assert {s.value for s in JobState} <= set(re.findall(r"`([a-z]+)`", glance))
    header = _json.loads(encode_header("x", EventKind.CANCELLED, {"reason": CancelReason.SHUTDOWN,
                                                                  "state": JobState.RUNNING}))
    assert header == {"v": 1, "id": "x", "type": "cancelled", "reason": "shutdown", "state": "running"}
    assert EventKind.PLAN == "plan" and f"{EventKind.PLAN}" == "plan" and str(StepState.STARTED) == "started"
