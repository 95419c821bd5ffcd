"""The rules Builder hands what no specialised brick covers to the general EDIT brick when EDIT can run, and
otherwise refuses saying what would make it work. The registry here has the built-in bricks on their classical
backends and an EDIT backend registered by the test: the planner is tested, not an editing engine."""

from __future__ import annotations

import pytest

from lego_edit.bricks.builtin import classical_backends
from lego_edit.bricks.builtin.catalog import ALL
from lego_edit.bricks.checker import check
from lego_edit.bricks.registry import Backend, Brick, Registry
from lego_edit.bricks.workflow import Workflow
from lego_edit.builder.feedback import steps_of
from lego_edit.builder.rules import PlanRefused, plan_rules


def _registry(edit: Backend | None) -> Registry:
    """Every catalog brick on its classical backends (FLUX-POSE has none, so it cannot run), EDIT on `edit`."""
    bricks = []
    for spec in ALL:
        backends = classical_backends(spec.name)
        if spec.name == "EDIT" and edit is not None:
            backends = [edit]
        bricks.append(Brick.from_spec(spec, backends))
    return Registry(bricks)


def _engine() -> Backend:
    return Backend(name="test-engine", fn=lambda ctx, image, prompt, mask=None: {"image": image}, kind="model")


def _no_engine() -> Backend:
    return Backend(name="engine", fn=lambda ctx, **kw: {}, kind="model", check=lambda: "no editing engine is installed",
                   fix="lego-edit models pull qwen-image-edit")


@pytest.fixture(scope="module")
def with_edit() -> Registry:
    return _registry(_engine())


def _steps(plan):
    return [(s.model, s.inputs) for s in steps_of(plan.workflow)]


def _valid(plan, registry: Registry) -> None:
    assert not check(Workflow.from_dict(plan.workflow), registry, inits=("image",)).errors


def test_an_edit_no_brick_covers_runs_on_edit_inside_the_named_objects_mask(with_edit):
    plan = plan_rules("make him bald", registry=with_edit)
    steps = _steps(plan)
    assert [m for m, _ in steps] == ["RES", "EDIT"]
    assert steps[0][1]["prompt"] == "person"
    assert steps[1][1]["mask"] == "step1[mask]" and steps[1][1]["prompt"] == "make him bald"
    assert "EDIT" in plan.reasoning and "no specialised brick" in plan.reasoning
    _valid(plan, with_edit)


def test_without_a_named_object_edit_works_on_the_whole_image(with_edit):
    plan = plan_rules("remove the reflections", registry=with_edit)
    (model, inputs), = _steps(plan)
    assert model == "EDIT" and inputs["mask"] is None and "reflections" in inputs["prompt"]
    _valid(plan, with_edit)


def test_an_expression_goes_to_edit_when_flux_pose_cannot_run(with_edit):
    assert with_edit.get("FLUX-POSE").active_backend() is None
    plan = plan_rules("make him grin", registry=with_edit)
    assert "EDIT" in [m for m, _ in _steps(plan)] and "FLUX-POSE" not in [m for m, _ in _steps(plan)]
    assert "FLUX-POSE cannot run here, so EDIT" in plan.reasoning
    _valid(plan, with_edit)


def test_a_compound_keeps_its_specialised_part_and_hands_over_the_rest(with_edit):
    plan = plan_rules("remove the dog and make him bald", registry=with_edit)
    models = [m for m, _ in _steps(plan)]
    assert models[:3] == ["RES", "FASTINPAINT", "FLUX-INPAINT"] and models[-1] == "EDIT"
    _valid(plan, with_edit)


@pytest.mark.parametrize("text, bricks", [("remove the dog", {"RES", "FASTINPAINT", "FLUX-INPAINT"}),
                                          ("make the car red", {"RES", "FLUX-RCM"}),
                                          ("increase the contrast", {"CONTRAST"})])
def test_edits_a_specialised_brick_covers_never_go_to_edit(with_edit, text, bricks):
    models = {m for m, _ in _steps(plan_rules(text, registry=with_edit))}
    assert models == bricks


def test_questions_and_vague_wishes_are_still_refused(with_edit):
    for text in ("what is in this picture?", "make it better"):
        with pytest.raises(PlanRefused):
            plan_rules(text, registry=with_edit)


def test_without_an_engine_the_refusal_names_the_backends_fix():
    registry = _registry(_no_engine())
    with pytest.raises(PlanRefused) as refused:
        plan_rules("make him bald", registry=registry)
    assert "EDIT" in refused.value.reason and "lego-edit models pull qwen-image-edit" in refused.value.reason
    with pytest.raises(PlanRefused) as refused:
        plan_rules("remove the dog and make him bald", registry=registry)
    assert "but not 'make him bald'" in refused.value.reason and "models pull" in refused.value.reason


def test_offline_catalog_refusal_says_how_to_enable_edit():
    with pytest.raises(PlanRefused) as refused:
        plan_rules("colorize this old photo")
    assert "EDIT" in refused.value.reason and "lego-edit models pull" in refused.value.reason


@pytest.mark.parametrize("text, step, says", [
    ("make it night", "FLUX-ENV", "ENV grades the colours"),
    ("in watercolour style", "FLUX-STYLE", "STYLE applies an OpenCV filter"),
    ("remove the dog", "FLUX-INPAINT", "no diffusion refinement"),
])
def test_steps_on_their_classical_backend_are_not_called_flux_in_the_reasoning(with_edit, text, step, says):
    plan = plan_rules(text, registry=with_edit)
    assert step in [m for m, _ in _steps(plan)]  # the brick keeps its name in the workflow
    assert "FLUX" not in plan.reasoning and "FLUX" not in plan.workflow["process"]
    assert says in plan.reasoning


def test_a_step_on_a_model_backend_keeps_its_name(with_edit):
    registry = _registry(_engine())
    env = registry.get("FLUX-ENV")
    env.backends.insert(0, Backend(name="test-model", fn=lambda ctx, **kw: {}, kind="model"))
    plan = plan_rules("make it night", registry=registry)
    assert "FLUX-ENV" in plan.reasoning and "Offline here" not in plan.reasoning
