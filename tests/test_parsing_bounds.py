"""Parsing is bounded whatever the text: feedback, instructions and workflow texts of adversarial shapes
(repeated words, runs of one character, nested brackets) are read, or refused, in linear time.

The daemon parses these holding its plan lock and the GIL: a quadratic regex on a 48 KB feedback
string froze it for 20 s. Each case here has a time bound well above the linear cost and far below
the quadratic one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lego_edit.builder.corrections import parse_correction, read_feedback
from lego_edit.builder.feedback import (
    MAX_CLAUSE_CHARS,
    MAX_FEEDBACK_CHARS,
    ForbidOrder,
    clause_constraints,
    parse_feedback,
    split_clauses,
)

MIB = 1 << 20


def _shapes(n: int) -> Iterator[tuple[str, str]]:
    """(name, text of about n characters) for the shapes that made the old patterns backtrack."""
    yield "repeated use", "don't " + "use " * (n // 4) + "x"
    yield "repeated words", "keep the " + "sky " * (n // 4)
    yield "repeated tail", "keep the sky" + " unchanged" * (n // 10) + " x"
    yield "repeated before", "don't use " + "a before " * (n // 9) + "!"
    yield "repeated and", "keep " + "a and " * (n // 6)
    yield "repeated comma", "a, " * (n // 3)
    yield "repeated not", "not " * (n // 4)
    yield "missed the", "you missed " + "the " * (n // 4) + "too x"
    yield "still there", "the " + "x " * (n // 2) + "is still q"
    yield "letters", "a" * n
    yield "capitals", "A" * n + "a"
    yield "capital dashes", "A-" * (n // 2) + "a"
    yield "spaces", "use" + " " * n + "x"
    yield "tabs and newlines", "keep" + " \t" * (n // 4) + "\n" * (n // 2) + "x"
    yield "dashes", "don't use " + "-" * n
    yield "brackets", "[" * (n // 2) + "]" * (n // 2)
    yield "braces", "{" * (n // 2) + "}" * (n // 2)


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    try:
        result = call()
    except ValueError as e:
        result = e
    return time.perf_counter() - start, result


SHAPE_NAMES = [name for name, _ in _shapes(100)]


@pytest.mark.parametrize("shape", SHAPE_NAMES)
@pytest.mark.parametrize("reader", [parse_feedback, read_feedback], ids=["parse_feedback", "read_feedback"])
def test_feedback_of_one_mebibyte_is_refused_fast(shape: str, reader: Callable[[str], Any]) -> None:
    text = dict(_shapes(MIB))[shape]
    assert len(text) > MAX_FEEDBACK_CHARS
    elapsed, result = _timed(lambda: reader(text))
    assert elapsed < 0.2, f"{shape}: {elapsed:.3f} s"
    assert isinstance(result, ValueError)
    assert "characters long" in str(result) and str(MAX_FEEDBACK_CHARS) in str(result)
    assert len(str(result)) < 400  # the message does not quote the megabyte back


@pytest.mark.parametrize("shape", SHAPE_NAMES)
@pytest.mark.parametrize("reader", [parse_feedback, read_feedback, split_clauses],
                         ids=["parse_feedback", "read_feedback", "split_clauses"])
def test_feedback_just_under_the_limit_is_linear(shape: str, reader: Callable[[str], Any]) -> None:
    text = dict(_shapes(MAX_FEEDBACK_CHARS))[shape][:MAX_FEEDBACK_CHARS]
    elapsed, result = _timed(lambda: reader(text))
    assert elapsed < 0.2, f"{shape}: {elapsed:.3f} s"
    if isinstance(result, ValueError):
        assert len(str(result)) < 600


@pytest.mark.parametrize("shape", SHAPE_NAMES)
def test_one_clause_of_one_mebibyte_matches_nothing_fast(shape: str) -> None:
    text = dict(_shapes(MIB))[shape]
    elapsed, (constraints, correction) = _timed(lambda: (clause_constraints(text), parse_correction(text)))
    assert elapsed < 0.2, f"{shape}: {elapsed:.3f} s"
    assert constraints is None and correction is None


@pytest.mark.parametrize("shape", SHAPE_NAMES)
def test_clauses_at_the_clause_limit_are_matched_in_linear_time(shape: str) -> None:
    text = dict(_shapes(MAX_CLAUSE_CHARS))[shape][:MAX_CLAUSE_CHARS]
    start = time.perf_counter()
    for _ in range(20):
        clause_constraints(text)
        parse_correction(text)
    elapsed = (time.perf_counter() - start) / 20
    assert elapsed < 0.01, f"{shape}: {elapsed:.4f} s a clause"


def test_a_long_clause_is_refused_with_a_clear_message() -> None:
    text = "don't use " + "use " * 200 + "SOS"
    for reader in (parse_feedback, read_feedback):
        with pytest.raises(ValueError, match=rf"above the limit of {MAX_CLAUSE_CHARS}"):
            reader(text)


def test_feedback_with_odd_whitespace_still_parses() -> None:
    assert parse_feedback("don't   use\tRES    before  FASTINPAINT") == [ForbidOrder("RES", "FASTINPAINT")]
    said = read_feedback("there's   still a  smudge \n\n and   keep the sky")
    assert [type(c).__name__ for c in said.corrections] == ["Residue", "Exclude"]


# -- the rules planner ----------------------------------------------------------------------------------
def _instructions(n: int) -> Iterator[tuple[str, str]]:
    yield "repeated use", "don't " + "use " * (n // 4) + "x"
    yield "repeated noun", "remove the " + "dog " * (n // 4)
    yield "repeated request", "remove the dog and " * (n // 19)
    yield "repeated adjective", "make it " + "very " * (n // 5) + "bright"
    yield "repeated of", "the " + "of the " * (n // 7) + "dog"
    yield "repeated possessive", "the dog's " * (n // 9)
    yield "repeated comma", "a, " * (n // 3)
    yield "letters", "a" * n
    yield "spaces", "remove" + " " * n + "x"
    yield "spaces and dots", "remove the dog" + " " * n + "... x"
    yield "dashes", "remove the " + "-" * n
    yield "digits", "brighten by " + "1" * n + "%"
    yield "quotes", "'" * n
    yield "parentheses", "(" * (n // 2) + ")" * (n // 2)
    yield "brackets", "[" * (n // 2) + "]" * (n // 2)


@pytest.mark.parametrize("shape", [name for name, _ in _instructions(100)])
def test_rules_planner_plans_100_kb_adversarial_instructions_in_bounded_time(shape: str) -> None:
    from lego_edit.builder.rules import plan_rules

    text = dict(_instructions(100_000))[shape]
    start = time.perf_counter()
    try:
        plan_rules(text)
    except Exception as e:  # a refusal is an answer; only the time is judged here
        assert not isinstance(e, (RecursionError, MemoryError)), e
    elapsed = time.perf_counter() - start
    # Linear costs here are at most ~3 s (a loaded machine); the quadratic space-run pattern this guards against took ~80 s.
    assert elapsed < 10.0, f"{shape}: {elapsed:.2f} s"


# -- workflow texts -------------------------------------------------------------------------------------
def _step(n: Any, model: str = "BBOX", source: str = "init[mask]") -> dict[str, Any]:
    return {"step": n, "model": model, "input": {"mask": source}, "output": {"mask": f"step{n}[mask]"}}


def _adversarial_workflows() -> Iterator[tuple[str, str, str]]:
    """(name, text, what the WorkflowSyntaxError says)."""
    from lego_edit.bricks.workflow import MAX_WORKFLOW_CHARS

    yield "200 KB of {", "{" * 200_000, "levels deep"
    yield "20 KB of {", "{" * 20_000, "levels deep"
    yield "1 MiB of {", "{" * MIB, "characters long"
    yield "just over the size limit", '{"pipeline": []}' + " " * MAX_WORKFLOW_CHARS, "characters long"
    yield "deep arrays", '{"pipeline": ' + "[" * 60_000 + "]" * 60_000 + "}", "levels deep"
    yield "deep objects", '{"pipeline": [' + '{"a":' * 40_000 + "1" + "}" * 40_000 + "]}", "levels deep"
    yield "deep and unclosed", '{"pipeline": ' + "[" * 100_000, "levels deep"
    yield "shallow unreadable", '{"a":' + "[{" * 5 + "x," * 100_000, "tolerant reader"
    yield "colons", "{" + ":" * 200_000 + "}", "tolerant reader"


@pytest.mark.parametrize("case", [name for name, _, _ in _adversarial_workflows()])
def test_adversarial_workflow_texts_are_refused_fast(case: str) -> None:
    from lego_edit.bricks.workflow import WorkflowSyntaxError, parse_workflow

    _, text, said = next(c for c in _adversarial_workflows() if c[0] == case)
    start = time.perf_counter()
    with pytest.raises(WorkflowSyntaxError, match=said) as caught:
        parse_workflow(text)
    assert time.perf_counter() - start < 0.5, f"{case}: {time.perf_counter() - start:.2f} s"
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize("shape", ["x,", '"a" "b" ', "[{", "{", ":", '\\"'])
def test_the_tolerant_reader_is_bounded_at_its_limits(shape: str) -> None:
    """The worst malformed text json_repair is still given (MAX_REPAIR_CHARS, MAX_REPAIR_NESTING) and
    a little over: both answer quickly."""
    from lego_edit.bricks.workflow import MAX_REPAIR_CHARS, MAX_REPAIR_NESTING, WorkflowSyntaxError, parse_workflow

    head = '{"pipeline": [' + "{" * (MAX_REPAIR_NESTING - 2)
    for size in (MAX_REPAIR_CHARS, MAX_REPAIR_CHARS + 100):
        text = (head + shape * size)[:size]
        start = time.perf_counter()
        try:
            parse_workflow(text)
        except WorkflowSyntaxError:
            pass
        elapsed = time.perf_counter() - start
        assert elapsed < 2.0, f"{shape!r} at {size}: {elapsed:.2f} s"


def test_usual_model_slips_are_still_repaired() -> None:
    from lego_edit.bricks.workflow import parse_workflow

    good = {"process": "p", "pipeline": [_step(1), {"result": "[step1[mask]]"}]}
    import json
    text = json.dumps(good)
    for slipped in (text[:-2], text[:-1], text.replace("}]", "},]"), "<think>x</think>```json\n" + text + "\n```",
                    text.replace(",", "\uff0c").replace('"process"\uff0c', '"process",')):
        wf = parse_workflow(slipped)
        assert [s.model for s in wf.steps] == ["BBOX"] and [str(r) for r in wf.result] == ["step1[mask]"]


@pytest.mark.parametrize("number", [[1], {"a": 1}, [[1, 2], {"b": [3]}], list(range(10_000))])
def test_a_step_number_that_is_a_list_or_object_is_a_checker_problem(number: Any) -> None:
    import json

    from lego_edit.bricks.checker import ProblemCode, check
    from lego_edit.bricks.registry import default_registry
    from lego_edit.bricks.workflow import parse_workflow

    text = json.dumps({"pipeline": [_step(number), _step(2, source="step1[mask]"), {"result": "[step2[mask]]"}]})
    report = check(parse_workflow(text), default_registry())
    bad = [p for p in report.problems if p.code == ProblemCode.BAD_STEP_NUMBER]
    assert len(bad) == 1 and len(bad[0].message) < 200
    assert bad[0].to_dict()["step"] is None
    json.dumps([p.to_dict() for p in report.problems])  # the daemon's invalid_workflow.problems


def test_a_long_chain_and_a_long_cycle_are_checked_without_recursion() -> None:
    import json

    from lego_edit.bricks.checker import ProblemCode, check
    from lego_edit.bricks.registry import default_registry
    from lego_edit.bricks.workflow import parse_workflow

    n = 1500
    # Listed last step first, so a recursive walk would go n frames deep.
    chain = [_step(i, source=f"step{i - 1}[mask]" if i > 1 else "init[mask]") for i in range(n, 0, -1)]
    text = json.dumps({"pipeline": [*chain, {"result": f"[step{n}[mask]]"}]}, separators=(",", ":"))
    start = time.perf_counter()
    report = check(parse_workflow(text), default_registry())
    assert ProblemCode.CYCLE not in {p.code for p in report.problems}
    cycle = [_step(i, source=f"step{i % n + 1}[mask]") for i in range(n, 0, -1)]
    text = json.dumps({"pipeline": [*cycle, {"result": "[step1[mask]]"}]}, separators=(",", ":"))
    report = check(parse_workflow(text), default_registry())
    assert {p.step for p in report.problems if p.code == ProblemCode.CYCLE} == set(range(1, n + 1))
    assert time.perf_counter() - start < 5.0


@pytest.mark.parametrize("number", [[1], {"a": 2}, list(range(10_000))])
def test_a_malformed_step_number_is_no_crash_for_feedback_constraints(number: Any) -> None:
    import json

    from lego_edit.bricks.checker import ProblemCode, check
    from lego_edit.bricks.registry import default_registry
    from lego_edit.bricks.workflow import parse_workflow
    from lego_edit.builder.corrections import CorrectionError, Residue
    from lego_edit.builder.feedback import ForbidBrick, KeepRegion

    res = {"step": number, "model": "RES", "input": {"image": "init[image]", "prompt": "sky"},
           "output": {"mask": "step1[mask]"}}
    fill = {"step": 2, "model": "FASTINPAINT", "input": {"image": "init[image]", "mask": "step1[mask]"},
            "output": {"image": "step2[image]"}}
    data = {"pipeline": [res, fill, {"result": "[step2[image]]"}]}
    constraints = [ForbidOrder("RES", "FASTINPAINT"), KeepRegion("sky"), ForbidBrick("RES")]
    report = check(parse_workflow(json.dumps(data)), default_registry(), constraints=constraints)
    assert ProblemCode.BAD_STEP_NUMBER in {p.code for p in report.problems}
    assert all(len(p.message) < 300 for p in report.problems)
    with pytest.raises(CorrectionError, match="a correction needs numbered steps") as caught:
        Residue().apply(data)
    assert len(str(caught.value)) < 200
