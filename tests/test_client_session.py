"""plugins/client/session.py: one edit's events -> what Krita and GIMP show, without a host.

The event sequences are the daemon's own: `RECORDED` was captured from a real daemon (an edit of
a small photo with the rules planner), and the last tests drive a real daemon on loopback.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from lego_edit.plugins.client import Client, EditSession, ImageData, Phase
from lego_edit.plugins.client.session import (
    LayerName,
    PlanSummary,
    error_sentence,
    group_name,
    layer_name,
)
from tests.daemon_util import config, red_disk, registry_with_slow, running_server, slow_workflow

SESSION_FILE = Path(__file__).resolve().parents[1] / "plugins" / "client" / "session.py"
EP = "tcp://127.0.0.1:5588"

WORKFLOW = {"process": "remove the red object", "pipeline": [
    {"step": 1, "model": "RES", "input": {"image": "init[image]", "prompt": "red object"},
     "output": {"mask": "step1[mask]", "image": "step1[image]"}},
    {"step": 2, "model": "FASTINPAINT", "input": {"image": "init[image]", "mask": "step1[mask]"},
     "output": {"image": "step2[image]", "score": "step2[score]"}},
    {"step": 3, "model": "FLUX-INPAINT", "input": {"image": "step2[image]", "mask": "step1[mask]"},
     "output": {"image": "step3[image]"}},
    {"result": "[step3[image]]"}]}


def _h(type_, **fields):
    return {"v": 1, "id": "k-7", "type": type_, **fields}


def _progress(step, brick, state, fraction, message="", **extra):
    return _h("progress", step=step, steps=3, brick=brick, state=state, fraction=fraction, message=message, **extra)


def _layer(ref, step, brick, kind):
    return _h("layer", name=f"{brick} {ref[ref.index('[') + 1:-1]} (step {step})", role=kind, kind=kind, ref=ref,
              step=step, brick=brick, cached=False, image={"width": 64, "height": 64, "format": "RGBA8", "frame": 1})


RECORDED = [
    _h("accepted", position=0, queued=1, running=0),
    _h("plan", reasoning="The instruction asks for one edit. (1) remove the red object: RES segments 'red object'; "
                         "FASTINPAINT fills it in quickly and FLUX-INPAINT refines the fill.",
       workflow=WORKFLOW, backend="rules", attempts=1, warnings=[], steps=3),
    _progress(1, "RES", "started", 0.0, "rules"),
    _progress(1, "RES", "running", 1.0, "done"),
    _layer("step1[mask]", 1, "RES", "mask"),
    _layer("step1[image]", 1, "RES", "image"),
    _progress(1, "RES", "finished", 1.0, seconds=0.005, cached=False, values={}),
    _progress(2, "FASTINPAINT", "started", 0.0, "opencv"),
    _progress(2, "FASTINPAINT", "running", 0.2, "inpainting"),
    _progress(2, "FASTINPAINT", "running", 1.0, "done"),
    _layer("step2[image]", 2, "FASTINPAINT", "image"),
    _progress(2, "FASTINPAINT", "finished", 1.0, seconds=0.138, cached=False, values={"step2[score]": 0.616}),
    _progress(3, "FLUX-INPAINT", "started", 0.0, "grain-match"),
    _progress(3, "FLUX-INPAINT", "running", 0.3, "measuring grain"),
    _progress(3, "FLUX-INPAINT", "finished", 1.0, seconds=0.003, cached=False, values={}),
    _h("result", layers=[{"name": "FLUX-INPAINT image (step 3)", "role": "result", "kind": "image",
                          "ref": "step3[image]", "step": 3, "brick": "FLUX-INPAINT",
                          "image": {"width": 64, "height": 64, "format": "RGBA8", "frame": 1}}],
       values={}, steps=[{"step": 1, "brick": "RES", "seconds": 0.005, "cached": False}], executed=[1, 2, 3],
       cached=[], seconds=0.1512),
]


def feed_all(session, headers):
    """(status, fraction) after each event that changed what to show."""
    shown = []
    for header in headers:
        if session.feed(header):
            shown.append((session.status, session.fraction))
    return shown


def assert_monotonic_0_to_1(fractions):
    assert fractions[0] == 0.0 and fractions[-1] == 1.0, fractions
    assert fractions == sorted(fractions), fractions
    assert all(0.0 <= f <= 1.0 for f in fractions)


# -- the module itself ------------------------------------------------------------------------------

def test_the_session_needs_only_the_standard_library_on_python_3_10():
    tree = ast.parse(SESSION_FILE.read_text(), feature_version=(3, 10))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative import: session.py stands alone"
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)


SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin")


@pytest.mark.skipif(not SYSTEM_PYTHON, reason="no /usr/bin/python3 (the Python Krita runs on, here)")
def test_the_session_runs_on_a_host_python_without_pyzmq_or_numpy():
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(SESSION_FILE.parent)!r})
        import session
        s = session.EditSession("remove it")
        s.feed({{"type": "accepted", "position": 0}})
        s.feed({{"type": "plan", "steps": 1, "workflow": {{"pipeline": [{{"step": 1, "model": "RES"}}]}}}})
        s.feed({{"type": "progress", "step": 1, "steps": 1, "brick": "RES", "state": "finished", "fraction": 1.0}})
        print(s.status, s.fraction, sorted(m for m in sys.modules if m in ("zmq", "numpy")))
    """)
    out = subprocess.run([SYSTEM_PYTHON, "-c", script], capture_output=True, text=True, timeout=30, cwd="/")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Step 1/1 \u00b7 RES 1.0 []"


# -- a recorded edit --------------------------------------------------------------------------------

def test_a_recorded_edit_status_texts_and_fraction():
    session = EditSession("remove the red object", endpoint=EP)
    assert session.phase is Phase.NEW and session.fraction == 0.0
    session.sent("k-7")
    assert session.phase is Phase.WAITING and session.status == "Waiting for the daemon\u2026"
    shown = feed_all(session, RECORDED)
    statuses = [status for status, _ in shown]
    assert statuses == [
        "Planning\u2026",
        "Plan: RES \u2192 FASTINPAINT \u2192 FLUX-INPAINT",
        "Step 1/3 \u00b7 RES \u2014 rules",
        "Step 1/3 \u00b7 RES \u2014 done",
        "Step 1/3 \u00b7 RES",
        "Step 2/3 \u00b7 FASTINPAINT \u2014 opencv",
        "Step 2/3 \u00b7 FASTINPAINT \u2014 inpainting",
        "Step 2/3 \u00b7 FASTINPAINT \u2014 done",
        "Step 2/3 \u00b7 FASTINPAINT",
        "Step 3/3 \u00b7 FLUX-INPAINT \u2014 grain-match",
        "Step 3/3 \u00b7 FLUX-INPAINT \u2014 measuring grain",
        "Step 3/3 \u00b7 FLUX-INPAINT",
        "Done in 0.2 s",
    ]
    fractions = [fraction for _, fraction in shown]
    assert_monotonic_0_to_1(fractions)
    assert fractions[fractions.index(1 / 3):][:2] == [1 / 3, 1 / 3]  # step 1 done: a third, started 2 adds nothing
    assert fractions[6] == pytest.approx((1 + 0.2) / 3)
    assert session.phase is Phase.DONE and session.done and session.failure is None
    assert session.steps == 3 and session.seconds == pytest.approx(0.1512)
    # events after the last one change nothing
    assert not session.feed(_h("error", code="internal", message="late")) and session.phase is Phase.DONE


def test_the_seed_and_whether_a_variation_can_differ():
    """An older daemon says nothing of seeds: unknown, and a variation may still be tried."""
    old = EditSession("remove the red object", endpoint=EP)
    old.sent("k-7")
    feed_all(old, RECORDED)
    assert old.seed is None and old.variation is None and old.can_vary and old.variation_sentence is None
    assert old.seed_text == ""

    seeded = [dict(h, seed=77) if h["type"] == "plan" else h for h in RECORDED[:-1]]
    seeded.append(dict(RECORDED[-1], seed=77, stochastic=[3], variation=True))
    session = EditSession("remove the red object", endpoint=EP)
    session.sent("k-7")
    feed_all(session, seeded[:2])
    assert session.seed == 77 and session.variation is None  # the plan says the seed; the result the rest
    feed_all(session, seeded[2:])
    assert session.stochastic_steps == (3,) and session.can_vary and session.seed_text == "seed 77"
    assert session.status == "Done in 0.2 s"

    offline = [dict(RECORDED[-1], seed=78, stochastic=[], variation=False)]
    first = EditSession("remove the red object", feedback=["keep the shadow"], endpoint=EP)
    first.sent("k-7")
    feed_all(first, RECORDED[:-1] + offline)
    assert first.variation is False and not first.can_vary and first.status == "Done in 0.2 s"
    again = EditSession.next_variation(first)
    assert (again.instruction, again.feedback, again.variation_of) == ("remove the red object", ["keep the shadow"],
                                                                      "k-7")
    again.sent("k-8")
    feed_all(again, [dict(h, id="k-8") for h in RECORDED[:-1] + offline])
    assert again.phase is Phase.DONE and again.status == again.variation_sentence
    assert again.status.startswith("No variation:") and "deterministic" in again.status


def test_layer_events_do_not_change_the_status():
    session = EditSession("x")
    feed_all(session, RECORDED[:4])
    before = (session.status, session.fraction)
    assert session.feed(RECORDED[4]) is False
    assert (session.status, session.fraction) == before


def test_steps_are_counted_from_the_plan():
    """The plan's step count is the total from the start; progress of a `run` (no plan) brings its own."""
    session = EditSession("x")
    session.feed(_h("plan", workflow=WORKFLOW))  # no `steps` field: counted from the pipeline
    assert session.steps == 3
    session.feed(_progress(1, "RES", "finished", 1.0))
    assert session.fraction == pytest.approx(1 / 3) and session.status == "Step 1/3 \u00b7 RES"
    run = EditSession(None, plans=False)
    run.feed(_h("accepted", position=0))
    assert run.status == "Running\u2026"
    run.feed({"type": "progress", "step": 1, "steps": 4, "brick": "SLOW", "state": "running", "fraction": 0.5})
    assert run.steps == 4 and run.fraction == pytest.approx(0.125)


def test_interleaved_and_cached_steps_keep_the_fraction_monotonic():
    """Independent steps may interleave and cached ones send only `finished`: the fraction never goes back."""
    session = EditSession("x")
    events = [_h("accepted", position=0), _h("plan", workflow=WORKFLOW, steps=3),
              _progress(1, "RES", "finished", 1.0, cached=True),
              _progress(2, "FASTINPAINT", "started", 0.0), _progress(3, "FLUX-INPAINT", "started", 0.0),
              _progress(3, "FLUX-INPAINT", "running", 0.6), _progress(2, "FASTINPAINT", "running", 0.5),
              _progress(3, "FLUX-INPAINT", "running", 0.2),  # lower than before: never shown as a step back
              _progress(2, "FASTINPAINT", "finished", 1.0), _progress(3, "FLUX-INPAINT", "finished", 1.0),
              RECORDED[-1]]
    shown = feed_all(session, events)
    assert shown[2][0] == "Step 1/3 \u00b7 RES (cached)"
    assert_monotonic_0_to_1([fraction for _, fraction in shown])
    assert shown[6][1] == pytest.approx((1 + 0.5 + 0.6) / 3)


def test_queued_behind_earlier_edits_reads_position():
    """`accepted` carries `position` (docs/protocol.md); there is no `queue_position`."""
    session = EditSession("x")
    session.feed(_h("accepted", position=2, queued=3, running=1))
    assert session.phase is Phase.QUEUED and session.status == "Queued (2 ahead)"
    other = EditSession("x")
    other.feed(_h("accepted", position=0, queue_position=5))
    assert other.phase is Phase.PLANNING and other.status == "Planning\u2026"


def test_unknown_events_and_fields_are_ignored():
    session = EditSession("x")
    assert session.feed(_h("telemetry", gpu=0.9)) is False
    session.feed(_h("accepted", position=0, new_field=[1, 2]))
    assert session.status == "Planning\u2026"


def test_client_events_are_accepted_as_well_as_headers():
    session = EditSession("x")
    assert session.feed(SimpleNamespace(type="accepted", header=_h("accepted", position=1)))
    assert session.status == "Queued (1 ahead)"


# -- plan summary ----------------------------------------------------------------------------------

def test_plan_summary():
    session = EditSession("remove the red object")
    feed_all(session, RECORDED[:2])
    plan = session.plan
    assert isinstance(plan, PlanSummary) and plan.backend == "rules" and plan.warnings == ()
    assert plan.reasoning.startswith("The instruction asks for one edit.")
    assert [(s.number, s.brick) for s in plan.steps] == [(1, "RES"), (2, "FASTINPAINT"), (3, "FLUX-INPAINT")]
    assert plan.steps[0].inputs == {"image": "init[image]", "prompt": "red object"}
    assert plan.chain == "RES \u2192 FASTINPAINT \u2192 FLUX-INPAINT"
    lines = plan.text.splitlines()
    assert lines[0] == plan.reasoning
    assert lines[1] == "1. RES(image=init[image], prompt='red object') \u2192 mask, image"
    assert lines[3] == "3. FLUX-INPAINT(image=step2[image], mask=step1[mask]) \u2192 image"
    assert session.plan_header["workflow"] == WORKFLOW
    identity = PlanSummary.from_header({"reasoning": "", "workflow": {"pipeline": [{"result": "[init[image]]"}]},
                                        "warnings": ["nothing to do"]})
    assert identity.steps == () and "no steps" in identity.text and "warning: nothing to do" in identity.text


# -- names ------------------------------------------------------------------------------------------

def test_group_names():
    assert group_name("  remove the\n red ball ") == "Lego Edit: remove the red ball"
    assert group_name("remove the selected object", ["don't use FLUX-INPAINT", " "]) == \
        "Lego Edit: remove the selected object (don't use FLUX-INPAINT)"
    assert group_name(None, ["keep the sky"]) == "Lego Edit: re-plan (keep the sky)"
    long = group_name("x" * 200)
    assert len(long) == len("Lego Edit: ") + 80 and long.endswith("\u2026")
    assert EditSession("add a hat", feedback=["a red one"]).group_name == "Lego Edit: add a hat (a red one)"


def test_layer_names_from_step_brick_and_role():
    mask = layer_name("step1[mask]", brick="RES", kind="mask", role="mask")
    assert mask == LayerName("step1[mask]", "mask", 1, "RES", "mask", False)
    assert (mask.label, mask.stacked) == ("RES mask (step 1)", "step 1 RES mask")
    final = layer_name("step2[image]", step=2, brick="FASTINPAINT", kind="image", role="result")
    assert (final.label, final.stacked) == ("FASTINPAINT image (step 2)", "Result: step 2 FASTINPAINT image")
    result_mask = layer_name("step1[mask]", brick="RES", kind="mask", role="result")
    assert result_mask.stacked == "step 1 RES mask", "a result mask is no result image"
    init = layer_name("init[image]", kind="image", role="result")
    assert (init.label, init.stacked) == ("image", "Result: image")


def test_session_names_result_layers_with_the_plans_bricks():
    """The session names result layers from their ref, step and brick (the plan's, else the layer's own)."""
    session = EditSession("remove the red object")
    feed_all(session, RECORDED)
    (final,) = RECORDED[-1]["layers"]
    assert session.layer_name(final).label == final["name"] == "FLUX-INPAINT image (step 3)"
    assert session.layer_name(final).stacked == "Result: step 3 FLUX-INPAINT image"
    for header in RECORDED:
        if header["type"] == "layer":
            assert session.layer_name(header).label == header["name"]
    planless = EditSession("x")  # no plan seen: the brick the result layer carries
    assert planless.layer_name(final).stacked == "Result: step 3 FLUX-INPAINT image"
    assert planless.layer_name({**final, "brick": None, "name": "FLUX-INPAINT image (step 3)"}).stacked == \
        "Result: step 3 image", "never parsed out of the free-text name"


# -- failures ----------------------------------------------------------------------------------------

SENTENCES = {
    "bad_request": ("Lego Edit: the daemon refused the request (image: frame 1 holds 3 bytes).",),
    "unsupported_version": ("speak different protocol versions", "lego-edit install"),
    "too_large": ("Lego Edit: the image is too large for the daemon",),
    "invalid_workflow": ("Lego Edit could not do \u201cremove it\u201d", "the plan does not check"),
    "plan_refused": ("Lego Edit could not do \u201cremove it\u201d: ",),
    "brick_unavailable": ("Lego Edit could not do \u201cremove it\u201d (step 2 FLUX-FILL)", "not available"),
    "brick_failed": ("Lego Edit could not do \u201cremove it\u201d (step 2 FLUX-FILL): ",),
    "busy": ("busy with other edits", "try again"),
    "internal": ("internal error", "log"),
}


@pytest.mark.parametrize("code", sorted(SENTENCES))
def test_an_error_sentence_for_every_daemon_code(code):
    message = "image: frame 1 holds 3 bytes" if code == "bad_request" else "the cause"
    session = EditSession("remove it", endpoint=EP)
    session.sent("k-1")
    session.feed(_h("accepted", position=0))
    where = {"step": 2, "brick": "FLUX-FILL"} if code.startswith("brick_") else {}  # as the daemon sends them
    assert session.feed(_h("error", code=code, message=message, **where))
    failure = session.failure
    assert session.phase is Phase.FAILED and session.done
    assert (failure.code, failure.message, failure.step, failure.brick) == (code, message, where.get("step"),
                                                                            where.get("brick"))
    assert session.status == failure.sentence == str(failure)
    for part in SENTENCES[code]:
        assert part in failure.sentence, failure.sentence
    assert message in failure.sentence and "_" not in failure.sentence.replace(message, ""), "no raw code"
    assert session.fail("internal", "later") is failure, "the first failure stays"


def test_connection_failures():
    never = EditSession("remove it", endpoint=EP)
    failure = never.fail("timeout", "no answer to 'x-1' within 3.0 s")
    assert failure.sentence.startswith(f"Lego Edit: no daemon answers at {EP}. Is it running?")
    assert "lego-edit serve" in failure.sentence and "x-1" not in failure.sentence
    assert error_sentence("not_running", endpoint=EP) == failure.sentence
    lost = EditSession("remove it", endpoint=EP)
    lost.feed(_h("accepted", position=0))  # the daemon answered: later silence means it went away
    lost.feed({"type": "error", "id": "k-7", "code": "disconnected", "message": "the daemon restarted", "local": True})
    assert lost.failure.sentence.startswith(f"Lego Edit: lost the daemon at {EP} during the edit (the daemon "
                                            f"restarted).") and "lego-edit serve" in lost.failure.sentence
    slow = EditSession("x", endpoint=EP, connected=True)
    assert "sent no result in time" in slow.fail("timeout", "no result within 5 s").sentence
    local = EditSession("x", connected=True)
    assert local.fail("host_error", "adding the layers failed: boom").sentence == \
        "Lego Edit could not do \u201cx\u201d: adding the layers failed: boom"


def test_a_cancelled_run():
    session = EditSession("remove the red object")
    session.sent("k-9")
    shown = feed_all(session, RECORDED[:9] + [_h("cancelled", reason="client")])
    assert shown[-1] == ("Cancelled", shown[-2][1]), "cancelling keeps the progress shown"
    assert session.phase is Phase.CANCELLED and session.done
    assert session.failure.code == "cancelled" and session.failure.sentence == "Lego Edit: the edit was cancelled."
    assert not session.feed(RECORDED[-1]) and session.phase is Phase.CANCELLED, "nothing after the end"
    fractions = [f for _, f in shown]
    assert fractions == sorted(fractions) and fractions[-1] < 1.0


# -- against a real daemon on loopback -----------------------------------------------------------------

@pytest.fixture(scope="module")
def server():
    with running_server(config(), registry=registry_with_slow()) as srv:
        yield srv


def pump(client, session, timeout=30.0):
    """The way a host drives it: non-blocking polls, each event of the edit fed to the session."""
    shown, layers = [], []
    deadline = time.monotonic() + timeout
    while not session.done:
        assert time.monotonic() < deadline, f"no end within {timeout} s: {shown}"
        for event in client.poll(0.05):
            if event.id == session.request_id:
                if event.type == "layer":
                    layers.extend(event.layers)
                if session.feed(event):
                    shown.append((session.status, session.fraction))
                if event.type == "result":
                    layers.extend(event.layers)
    return shown, layers


def test_a_real_edit_through_the_session(server):
    image = red_disk(96)
    with Client(server.endpoint) as client:
        session = EditSession("remove the red object", endpoint=client.endpoint)
        session.sent(client.send_edit(session.instruction, ImageData.rgba(image.tobytes(), 96, 96)))
        shown, layers = pump(client, session)
    assert session.phase is Phase.DONE and session.failure is None and session.connected
    statuses = [s for s, _ in shown]
    assert statuses[0] == "Planning\u2026" and statuses[1] == f"Plan: {session.plan.chain}"
    assert session.plan.steps and session.steps == len(session.plan.steps)
    assert any(s.startswith(f"Step 1/{session.steps} \u00b7 {session.plan.steps[0].brick}") for s in statuses)
    assert statuses[-1].startswith("Done in ")
    assert_monotonic_0_to_1([f for _, f in shown])
    names = [session.layer_name(layer) for layer in layers]
    assert [n.label for n in names] == [layer.name for layer in layers], "the daemon labels them the same way"
    assert names[-1].stacked.startswith(f"Result: step {session.steps} ")
    assert any(n.kind == "mask" and n.stacked.startswith("step 1 ") for n in names)


def test_a_real_refusal_and_a_real_cancel(server):
    with Client(server.endpoint) as client:
        refused = EditSession("flibber the wobble", endpoint=client.endpoint)
        refused.sent(client.send_edit(refused.instruction, ImageData.rgba(red_disk(32).tobytes(), 32, 32)))
        pump(client, refused)
        assert refused.failure.code in ("plan_refused", "invalid_workflow")
        assert refused.status.startswith("Lego Edit could not do \u201cflibber the wobble\u201d")
        assert "could not find an edit" in refused.status

        run = EditSession(None, plans=False, endpoint=client.endpoint)
        run.sent(client.send_run(slow_workflow(10), ImageData.rgba(red_disk(16).tobytes(), 16, 16)))
        while run.phase is not Phase.RUNNING or run.fraction == 0.0:  # wait until SLOW reports progress
            for event in client.poll(0.5):
                if event.id == run.request_id:
                    run.feed(event)
        assert run.status.startswith("Step 1/1 \u00b7 SLOW \u2014 working") and 0 < run.fraction < 1
        client.cancel(run.request_id)
        shown, _ = pump(client, run)
    assert run.phase is Phase.CANCELLED and shown[-1][0] == "Cancelled" and run.fraction < 1.0


def test_no_daemon_at_the_endpoint():
    from tests.net import free_port

    endpoint = f"tcp://127.0.0.1:{free_port()}"
    session = EditSession("remove it", endpoint=endpoint)
    with Client(endpoint, keepalive=False) as client:
        try:
            client.hello(timeout=0.3)
        except Exception as exc:  # LegoError "timeout": nothing answers
            failure = session.fail(exc.code, exc.message)
    assert failure.sentence.startswith(f"Lego Edit: no daemon answers at {endpoint}")


# -- asking for a selection instead of guessing --------------------------------------------------------

# the daemon's own words when RES has no segmentation model and the noun is beyond its rules
NO_MODEL = ("step 1 (RES) failed: segmenting 'red box' needs the text-prompted segmentation model (run `lego-edit "
            "models pull grounded-sam`): offline rules cannot tell what 'box' is; select it in Krita/GIMP and use the "
            "selection as the mask, or pull the segmentation model (run `lego-edit models pull grounded-sam`, i.e. "
            "grounding-dino + sam).")


def test_a_refusal_that_asks_for_a_selection_names_the_object():
    session = EditSession("make the red box green")
    session.feed(_h("error", code="brick_failed", message=NO_MODEL, step=1, brick="RES"))
    failure = session.failure
    assert failure.selection_subject == "red box"
    sentence = failure.selection_sentence
    assert sentence.startswith("Lego Edit cannot find \u201cred box\u201d by itself here")
    assert "Select it on the canvas" in sentence and "RES" not in sentence and "pull" not in sentence
    other = EditSession("x")
    other.feed(_h("error", code="brick_failed", message="the inpainting left a visible seam", step=2))
    assert other.failure.selection_subject is None and other.failure.selection_sentence is None
    newer = EditSession("remove the blue cup")  # the daemon's wording changes; the request stays recognisable
    newer.feed(_h("error", code="brick_failed", step=1, brick="RES", message=(
        "segmenting 'blue cup': offline rules cannot tell what 'cup' is; select it (in Krita or GIMP the selection "
        "becomes the mask; on the command line, --mask FILE), or pull the segmentation model")))
    assert newer.failure.selection_subject == "blue cup"
    bare = EditSession("x")
    bare.feed(_h("error", code="brick_failed", message="found no salient object in the image; select it in "
                                                       "Krita/GIMP and use the selection as the mask"))
    assert bare.failure.selection_subject == "the object"
    # The daemon says it in fields too (`needs`, `subject`): no wording needed at all.
    told = EditSession("make the vase gold")
    told.feed(_h("error", code="brick_failed", message="anything", step=1, brick="RES", needs="selection",
                 subject="vase"))
    assert (told.failure.needs, told.failure.selection_subject) == ("selection", "vase")


def test_the_last_progress_is_kept_for_plain_words():
    session = EditSession("remove the red object")
    feed_all(session, RECORDED[:9])
    assert session.progress_header["step"] == 2 and session.progress_header["brick"] == "FASTINPAINT"
    from lego_edit.plugins.client import plain_words

    assert plain_words.status_line(session, session.progress_header) == "Removing (2/3)\u2026"


# -- many edits over many documents -------------------------------------------------------------------

class FakeJob:
    """The two things the workspace reads of a host's job."""

    def __init__(self, request_id):
        self.request_id, self.done = request_id, False


class Doc:
    """A host document wrapper: a new wrapper for the same document compares equal, as Krita's do."""

    def __init__(self, key):
        self.key = key

    def __eq__(self, other):
        return isinstance(other, Doc) and other.key == self.key

    __hash__ = None


def test_the_workspace_keeps_each_documents_edits_apart():
    from lego_edit.plugins.client.workspace import Placement, Workspace

    space = Workspace()
    a, b = Doc("a"), Doc("b")
    first, second, third = FakeJob("r1"), FakeJob("r2"), FakeJob("r3")
    space.add(a, first)
    space.add(Doc("a"), second)  # another wrapper of the same document
    space.add(b, third)
    assert space.state(Doc("a")).running == [first, second] and space.state(b).running == [third]
    assert space.running == [first, second, third] and space.job("r2") is second and space.job("nope") is None
    space.limit = 3
    assert not space.can_submit and space.queue_text() == "3 edits running or waiting (the daemon takes 3 at a time)"
    first.done = True
    space.finished(first, preview=True, replannable=True)
    second.done = True
    space.finished(second, preview=True, replannable=True)
    state = space.state(a)
    assert space.can_submit and state.preview is first and state.last is second, "previews oldest first"
    space.resolved(first)
    assert state.preview is second
    assert space.forget(space.state(b)) == [third], "a closed document hands back its running jobs to cancel"
    assert space.find(b) is None and space.queue_text() == ""
    assert [p.value for p in Placement] == ["above", "top", "group"] and Placement("top").label == "On top of the image"


def test_the_daemons_queue_limit_comes_with_its_hello(server):
    with Client(server.endpoint) as client:
        deadline = time.monotonic() + 10
        while not client.server and time.monotonic() < deadline:
            client.poll(0.05)
    assert client.server["limits"]["max_queued_per_client"] == server.config.limits.max_queued_per_client
