"""The regex gates: a group of patterns is skipped only when none of them could have matched (checked on every
instruction we have, and on patterns made for the corner cases)."""

from __future__ import annotations

import pytest

from bench.bench_rules import load_benchmark, load_open_domain
from lego_edit.builder.rules import looks
from lego_edit.builder.rules.prefilter import any_needed, literal_runs


@pytest.mark.parametrize("pattern, needs", [
    (r"\bcolou?rful\b", {"colo"}),  # an optional letter is not needed
    (r"\b(?:a|one|two) stops?\b", {"stop"}),  # every branch needs "stop"
    (r"\bhdr\b(?:\s+effect)?|\bhigh dynamic range\b", {"hdr", "dynamic"}),  # one word each alternative needs
    (r"x(?P<name>abc)", {"abc"}),  # a group's name is no text
    (r"(?<!more )dull", {"dull"}),  # a look-behind's words are not needed
    (r"(?:the )?contrast", {"contrast"}),  # nor an optional group's
])
def test_literal_runs_are_the_words_a_pattern_needs(pattern, needs):
    assert literal_runs(pattern) == needs


@pytest.mark.parametrize("pattern", [r"(?:a|bcd)", r"(?P<word>.+)", r"(?=abc)", r"[a-z]+ly", r"abc|\d+"])
def test_a_pattern_that_can_match_without_a_word_leaves_its_group_ungated(pattern):
    assert literal_runs(pattern) is None
    assert any_needed([r"\bcontrast\b", pattern]) is None


def _texts() -> list[str]:
    texts = [p for _, _, p in load_benchmark()] + [r["instruction"] for r in load_open_domain()]
    return [t.lower() for t in texts]  # the looks are read from lower-case clauses


@pytest.mark.parametrize("gate, patterns", [(looks._TONE_GATE, [p for p, _ in looks._TONE_RE]),
                                            (looks._PHENOMENON_GATE, [w for _, w, _, _ in looks._PHENOMENA_RE])])
def test_no_instruction_a_pattern_matches_is_gated_out(gate, patterns):
    assert gate is not None
    texts = _texts()
    matched = [t for t in texts if any(p.search(t) for p in patterns)]
    assert len(matched) > 300  # the corpus exercises the patterns
    assert [t for t in matched if not gate.search(t)] == []
    assert sum(1 for t in texts if gate.search(t)) < 0.8 * len(texts)  # and the gate keeps many out
