"""Amounts: "slightly", "a lot", percentages, fractions, brightness ratios."""

from __future__ import annotations

import re

from lego_edit.builder.rules.lexicon import SLIGHT, STRONG


def intensity(text: str) -> float:
    """1 for plain, 0.5 for 'slightly', 2 for 'a lot'."""
    if re.search(SLIGHT, text, re.I):
        return 0.5
    if re.search(STRONG, text, re.I):
        return 2.0
    return 1.0


def percent_of(text: str) -> float | None:
    m = re.search(r"(\d+(?:\.\d+)?)\s*(?:%|percent|per cent)", text)
    if m:
        return float(m.group(1)) / 100.0
    for words, value in ((r"a third|one third|1/3", 1 / 3), (r"a quarter|one quarter|1/4", 0.25),
                         (r"half|50/50", 0.5), (r"twice|double|2x", 1.0), (r"a fifth|1/5", 0.2)):
        if re.search(rf"\b(?:{words})\b", text):
            return value
    return None




def brightness_ratio(clause: str) -> float | None:
    """0.5 = unchanged; > 0.5 brighter, < 0.5 darker, scaled by 'slightly' / 'a lot' and percentages."""
    darker = re.search(r"\b(?:darker|darken\w*|dim\w*|dark|decrease\w*|reduce\w*|lower\w*|less light|"
                       r"tone down|turn down|lessen|gloom\w*|moodier|underexpos\w*)\b", clause)
    brighter = re.search(r"\b(?:brighter|brighten\w*|bright|lighter|lighten\w*|light up|increase\w*|boost\w*|raise|"
                         r"more light|sunnier|illuminat\w*|turn up|bump up|crank up|enhance|overexpos\w*|amplify|"
                         r"intensify)\b", clause)
    if not darker and not brighter:
        return None
    sign = -1.0 if darker and (not brighter or darker.start() < brighter.start()) else 1.0
    percent = percent_of(clause)
    delta = min(0.45, percent * 0.5) if percent else 0.15 * intensity(clause)
    return round(0.5 + sign * min(delta, 0.45), 3)


