"""A cheap necessary condition for a group of regular expressions: words at least one of them cannot match without.

Python's `re` tries every alternative of a long pattern at every position, so fifty tone patterns cost as much as
the rest of a plan. For each pattern the words every match must contain (a literal run of three letters or more in
each alternative, outside optional parts, character classes and look-arounds) are found; one search for any of the
group's words (a fast scan of str.find) says whether the patterns need be tried at all. A pattern with an alternative that needs
no such word makes the group ungated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MIN_RUN = 3


def _pick(choices: list[frozenset[str]]) -> frozenset[str] | None:
    """Of several requirements (each met by any one of its words), the one that lets the fewest texts through:
    few words, long ones."""
    if not choices:
        return None
    return max(choices, key=lambda c: (min(len(w) for w in c), -len(c)))


def literal_runs(pattern: str) -> frozenset[str] | None:
    """Words of which every text `pattern` matches contains at least one (lower case), or None when there is no
    such set (an alternative that needs no literal run of three letters). Only required text counts: letters before
    `?` or `*`, optional groups, character classes and look-arounds are left out."""
    # A frame per group: its finished alternatives' requirements, the current alternative's, whether it counts
    # (look-arounds do not), and whether it is optional.
    stack: list[dict] = [{"alts": [], "cur": [], "counts": True}]
    run = ""
    i = 0

    def close() -> None:
        nonlocal run
        if len(run) >= _MIN_RUN:
            stack[-1]["cur"].append(frozenset({run}))
        run = ""

    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            close()
            i += 2
            continue
        if ch == "[":
            close()
            j = i + 1
            while j < len(pattern) and (pattern[j] != "]" or j == i + 1):
                j += 2 if pattern[j] == "\\" else 1
            i = j + 1
            continue
        if ch.isalpha() or ch in "'-":
            run += ch.lower()
            i += 1
            continue
        if ch in "?*":
            run = run[:-1]  # the letter before is optional
            close()
        elif ch == "{":
            minimum = re.match(r"\{(\d*)", pattern[i:])
            if not minimum or minimum.group(1) in ("", "0"):
                run = run[:-1]
            close()
            i = (pattern.find("}", i) + 1) or len(pattern)
            continue
        elif ch == "(":
            close()
            counts = True
            if pattern.startswith("(?P<", i):
                i = pattern.index(">", i)
            elif pattern.startswith(("(?=", "(?!"), i):
                counts, i = False, i + 2
            elif pattern.startswith(("(?<=", "(?<!"), i):
                counts, i = False, i + 3
            elif pattern.startswith("(?", i):
                i += 2
            stack.append({"alts": [], "cur": [], "counts": counts})
        elif ch == ")":
            close()
            frame = stack.pop()
            alts = [*frame["alts"], frame["cur"]]
            optional = i + 1 < len(pattern) and pattern[i + 1] in "?*" or pattern.startswith(("{0", "{,"), i + 1)
            if frame["counts"] and not optional:
                picks = [_pick(a) for a in alts]
                if all(picks):  # every branch needs one of its words: the group needs one of them all
                    stack[-1]["cur"].append(frozenset().union(*picks))  # type: ignore[arg-type]
        elif ch == "|":
            close()
            stack[-1]["alts"].append(stack[-1]["cur"])
            stack[-1]["cur"] = []
        else:
            close()
        i += 1
    close()
    top = [*stack[0]["alts"], stack[0]["cur"]]
    picks = [_pick(a) for a in top]
    if not all(picks):
        return None
    return frozenset().union(*picks)  # type: ignore[arg-type]


@dataclass(frozen=True)
class WordGate:
    """Finds any of its words in a text, case folded: a scan of str.find per word, which for a few dozen words is
    several times faster than one regular expression of them all (re tries each alternative at every position)."""

    words: tuple[str, ...]

    def search(self, text: str) -> bool:
        low = text.lower()
        return any(w in low for w in self.words)


def gate_of(words: frozenset[str] | None) -> WordGate | None:
    """A gate that finds any of `words` (lower case; None: no gate)."""
    if words is None:
        return None
    return WordGate(tuple(sorted(words, key=len)))


def any_needed(patterns: list[str]) -> WordGate | None:
    """A gate for a group of patterns: it finds a word at least one of them needs (None when one of them can match
    without any: then no gate is safe)."""
    words: set[str] = set()
    for p in patterns:
        runs = literal_runs(p)
        if runs is None:
            return None
        words |= runs
    return gate_of(frozenset(words))
