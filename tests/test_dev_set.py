"""The open-domain development set (tests/data/instructions/open_domain.jsonl) is well formed."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from bench.bench_rules import BENCHMARK, OPEN_DOMAIN, load_benchmark, normalise, split_of
from lego_edit.evaluation.plan_kinds import OPEN_DOMAIN_TYPES, RIGHT_KIND

SOURCES_MD = OPEN_DOMAIN.parent / "SOURCES.md"
FIELDS = {"id", "instruction", "type", "source", "split", "user_request", "where"}


@pytest.fixture(scope="module")
def records() -> list[dict]:
    lines = [line for line in OPEN_DOMAIN.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


def test_every_line_parses_with_the_fields(records):
    assert len(records) >= 1000
    for r in records:
        assert FIELDS <= set(r), r
        assert isinstance(r["instruction"], str) and r["instruction"].strip(), r
        assert isinstance(r["where"], str) and r["where"].strip(), r
        assert isinstance(r["user_request"], bool), r
    assert len({r["id"] for r in records}) == len(records)


def test_types_are_from_the_allowed_set_and_judged(records):
    assert set(OPEN_DOMAIN_TYPES) <= set(RIGHT_KIND)
    assert {r["type"] for r in records} <= set(OPEN_DOMAIN_TYPES)


def test_sources_are_listed_in_sources_md(records):
    listed = set(re.findall(r"^## `([^`]+)`", SOURCES_MD.read_text(encoding="utf-8"), flags=re.M))
    assert {r["source"] for r in records} <= listed
    assert len({r["source"] for r in records}) >= 5


def _sections() -> dict[str, str]:
    """Each source's section of SOURCES.md, by its name."""
    parts = re.split(r"^## ", SOURCES_MD.read_text(encoding="utf-8"), flags=re.M)
    return {m.group(1): part for part in parts if (m := re.match(r"`([^`]+)`", part))}


def test_each_source_section_states_its_count(records):
    """The first bold number of a source's section is how many lines it has, so the licence notes stay in step."""
    counts = Counter(r["source"] for r in records)
    for source, text in _sections().items():
        stated = re.search(r"\*\*(\d+)\*\*", text)
        assert stated and int(stated.group(1)) == counts[source], (source, counts[source])


def test_user_requests_keep_where_they_came_from(records):
    """A real user request names the page, issue or file it was quoted from; issues and pages by their URL."""
    for r in records:
        if r["user_request"] and r["source"] in {"github-issues", "github-issues-edits", "github-issues-fresh", "github-issues-project-assets",
                                                  "github-issues-tool-requests",
                                                  "github-issues-site-images", "web-pages", "forum-pages"}:
            assert r["where"].startswith(("https://", "http://")), r


def test_split_is_by_source(records):
    for r in records:
        assert r["split"] == split_of(r["source"]), r
    held = [r for r in records if r["split"] == "heldout"]
    assert len(held) >= 200 and len({r["source"] for r in held}) >= 5


def test_no_duplicates(records):
    keys = [normalise(r["instruction"]) for r in records]
    assert len(set(keys)) == len(keys)


def test_no_overlap_with_imgedit(records):
    assert BENCHMARK.exists()
    imgedit = {normalise(prompt) for _, _, prompt in load_benchmark()}
    assert not [r["instruction"] for r in records if normalise(r["instruction"]) in imgedit]


def test_open_domain_path_is_in_tests_data():
    assert OPEN_DOMAIN == Path(__file__).resolve().parent / "data" / "instructions" / "open_domain.jsonl"


def test_blurring_is_labelled_by_the_blur_brick(records):
    """Blurring (the background, faces, a part) said as the edit is the restore family's work (BLUR, SHARPEN): a
    blur labelled adjust, background or style would judge the right plan wrong. Dev lines only: the held-out
    labels stand as their labellers read them, unseen here (a blur may be one part of another edit there)."""
    blurs = [r for r in records if r["split"] == "dev" and re.search(r"\bblur(?:s|ring)?\s+(?:out\s+)?(?:the|a|an|my|his|"
                                                                  r"her|their|this|all|any|faces?|background)\b",
                                                                  r["instruction"], flags=re.I)
             and not re.search(r"\bwithout\s+(?:just\s+|simply\s+)?blurring\b", r["instruction"], flags=re.I)]  # not asked for
    assert len(blurs) >= 5
    assert not [r["id"] for r in blurs if r["type"] not in {"restore", "compose", "other"}]
