"""The `auto` Builder (the default): a configured model Builder that answers, the rules Builder
otherwise; rules refusals say which Builder could do it and how to turn it on. The model is a real
OpenAI-compatible endpoint on loopback (tests/chat_server.py)."""

from __future__ import annotations

import json

import pytest

from lego_edit.builder import Builder, BuilderConfig, PlanError, planner
from lego_edit.daemon.cli.app import build_parser
from lego_edit.daemon.config import BuilderSection

# Something the rules Builder refuses; the model answers it with a plan.
UNRULY = "qwzx vlorp the frobnicator"
MODEL_PLAN = {"process": "brighten", "pipeline": [
    {"step": 1, "model": "FLUX-BRIGHT", "input": {"image": "init[image]", "ratio": 0.7}, "output": {"image": "step1[image]"}},
    {"result": "[step1[image]]"}]}


@pytest.fixture(autouse=True)
def fresh_probes():
    planner._probes.clear()
    yield
    planner._probes.clear()


def auto(registry, **kw):
    return Builder(registry, BuilderConfig(backend="auto", **kw))


def test_auto_is_the_default_everywhere():
    assert BuilderConfig().backend == "auto" and BuilderSection().backend == "auto"
    assert "auto" in planner.BACKENDS and {"rules", "local", "openai"} <= set(planner.BACKENDS)
    parser = build_parser()
    for command in ("plan", "edit"):
        argv = [command, "a.png", "x"] + (["-o", "out.png"] if command == "edit" else [])
        for name in ("auto", "rules", "local", "openai"):
            assert parser.parse_args([*argv, "--builder", name]).builder == name


def test_auto_with_nothing_configured_is_rules(registry):
    builder = auto(registry)
    assert builder.model_backend() == (None, [])
    plan = builder.plan("remove the red ball")
    assert plan.backend == "rules"
    with pytest.raises(PlanError) as info:
        builder.plan(UNRULY)
    message = str(info.value)
    assert info.value.code == "refused"
    for how in ("builder.backend", "builder.openai_base_url", "builder.local_model", "LEGO_EDIT_OPENAI_BASE_URL",
                "LEGO_EDIT_LOCAL_MODEL"):
        assert how in message


def test_rules_refusal_says_how_to_enable_a_model_builder(registry, chat):
    with pytest.raises(PlanError) as info:
        Builder(registry, BuilderConfig(backend="rules")).plan(UNRULY)
    assert "LEGO_EDIT_OPENAI_BASE_URL" in str(info.value)
    server = chat()
    with pytest.raises(PlanError) as info:  # rules stays selectable: it does not ask the configured model
        Builder(registry, BuilderConfig(backend="rules", openai_base_url=server.url, openai_model="m")).plan(UNRULY)
    assert "openai model Builder is configured" in str(info.value) and not server.requests


def test_auto_with_a_reachable_model_lets_it_plan(registry, chat):
    server = chat(json.dumps(MODEL_PLAN), json.dumps(MODEL_PLAN))
    builder = auto(registry, openai_base_url=server.url, openai_model="lego-builder")
    assert builder.model_backend() == ("openai", [])
    plan = builder.plan(UNRULY)  # the rules Builder refuses this one; the model answers it
    assert plan.backend == "openai" and [s.model for s in plan.workflow.steps] == ["FLUX-BRIGHT"]
    assert server.requests and server.requests[0]["path"] == "/v1/chat/completions"
    assert builder.plan("make it brighter").backend == "openai"


def test_auto_falls_back_to_rules_when_the_model_fails(registry, chat):
    server = chat(500)  # it answers the probe, then fails the request
    plan = auto(registry, openai_base_url=server.url, openai_model="lego-builder").plan("remove the red ball")
    assert plan.backend == "rules" and any("openai model Builder failed" in w for w in plan.warnings)


def test_auto_with_the_model_down_is_rules_and_says_it_was_unreachable(registry, chat):
    server = chat()
    url = server.url
    server.close()
    server.httpd.server_close()  # configured, but nothing listens there any more
    builder = auto(registry, openai_base_url=url, openai_model="lego-builder")
    name, reasons = builder.model_backend()
    assert name is None and "unreachable" in reasons[0]
    assert builder.plan("remove the red ball").backend == "rules"
    with pytest.raises(PlanError) as info:
        builder.plan(UNRULY)
    assert info.value.code == "refused" and "unreachable" in str(info.value) and url in str(info.value)


def test_a_model_that_comes_back_gets_the_refused_instruction(registry, chat, monkeypatch):
    answers = iter([(False, "the openai model Builder at x was unreachable"), (True, "")])
    monkeypatch.setattr(planner, "_probe_openai", lambda url: next(answers))
    server = chat(json.dumps(MODEL_PLAN))
    builder = auto(registry, openai_base_url=server.url, openai_model="lego-builder")
    assert builder.plan(UNRULY).backend == "openai"  # rules refused: asked again, and it answers now


def test_the_probe_is_cached(registry, monkeypatch):
    calls = []
    monkeypatch.setattr(planner, "_probe_openai", lambda url: calls.append(url) or (True, ""))
    builder = auto(registry, openai_base_url="http://127.0.0.1:9/v1", openai_model="m")
    for _ in range(3):
        assert builder.model_backend()[0] == "openai"
    assert len(calls) == 1
    builder.model_backend(fresh=True)
    assert len(calls) == 2


def test_half_configured_openai_is_explained(registry):
    builder = auto(registry, openai_base_url="http://127.0.0.1:9/v1")
    assert builder.model_backend()[0] is None
    with pytest.raises(PlanError) as info:
        builder.plan(UNRULY)
    assert "builder.openai_model" in str(info.value)


def test_local_model_that_is_not_there_is_not_used(registry, tmp_path):
    builder = auto(registry, local_model=str(tmp_path / "no-such-model"))
    name, reasons = builder.model_backend()
    assert name is None and reasons and "local model Builder" in reasons[0]
    assert builder.plan("remove the red ball").backend == "rules"
