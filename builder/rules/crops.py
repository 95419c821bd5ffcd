"""Crops that are not an aspect ratio: edges cut off ("crop the bottom", "cut off the left third", "crop 10% off
the top") and a window around an object ("zoom in on the dog", "crop to her face", "crop out everything but the
cat"). CROP (an aspect) and TRIM (a plain border) are read with the other geometry in looks.py."""

from __future__ import annotations

import math
import re

from lego_edit.builder.rules.edits import Edit, TextRefused
from lego_edit.builder.rules.lexicon import SLIGHT, STRONG

_CUT = r"(?:crop(?:\s+(?:off|away|out))?|cut(?:\s+(?:off|away|out))|chop(?:\s+off)?|trim(?:\s+off)?|shave(?:\s+off)?|" \
       r"remove|take\s+off|get\s+rid\s+of|lose)"
_SIDE = r"(?:left|right|top|bottom|upper|lower|(?:left|right|top|bottom)[- ]hand|both)"
_SIDE_NAMES = {"upper": "top", "lower": "bottom", "left-hand": "left", "left hand": "left", "right-hand": "right",
               "right hand": "right"}
_PART = r"(?:side|sides|edge|edges|end|part|portion|section|strip|area|bit|half|third|quarter|fifth|tenth)"
_IMAGE = r"(?:(?:the|this|my)\s+)?(?:whole\s+)?(?:image|photo|photograph|picture|pic|shot|frame|screenshot|scan|it)"


def _amount_re(n: int) -> str:
    return rf"(?:(?P<num{n}>\d+(?:\.\d+)?)\s*(?P<unit{n}>%|percent|per cent|px|pixels?)|(?P<frac{n}>half|" \
           rf"(?:a|one)\s+third|(?:a|one)\s+quarter|(?:a|one)\s+fifth|(?:a|one)\s+tenth))"


_AMOUNT, _AMOUNT2 = _amount_re(1), _amount_re(2)
_FRACTIONS = {"half": 0.5, "third": 1 / 3, "quarter": 0.25, "fifth": 0.2, "tenth": 0.1}

# "crop the bottom", "cut off the left third of the photo", "crop 10% off the top", "crop the top 20%",
# "remove the bottom 50 pixels", "crop the sides a bit", "trim the top and bottom edges".
_EDGES = re.compile(
    rf"^{_CUT}\s+(?:(?:{_AMOUNT}|(?P<bit>a\s+(?:little\s+)?bit|a\s+little|some|a\s+lot|a\s+touch))\s+(?:off|from)\s+)?"
    rf"(?:the\s+|its\s+)?"
    rf"(?P<sides>{_SIDE}(?:\s*(?:,|and|&|or)\s*(?:the\s+)?{_SIDE})*|sides|edges)"
    rf"(?:\s+{_AMOUNT2}|\s+(?P<part>{_PART})(?!\s+of\s+(?!{_IMAGE}\b)))?(?:\s+(?:of|from)\s+{_IMAGE})?"
    rf"(?:\s+off)?(?P<how>(?:\s+(?:a\s+(?:little\s+)?bit|a little|slightly|a touch|a lot|much|more|a tad|please))*)\s*$")
# "crop 10% off the image", "crop 100 pixels from each side": every edge.
_ALL_EDGES = re.compile(rf"^{_CUT}\s+{_AMOUNT}\s+(?:off|from)\s+(?:each|every|all|all four|both)\s+(?:sides?|edges?)\s*$")

# A graphic cropped with nothing else said, or to its content: its plain border goes (TRIM refuses when there is none).
_PLAIN_CROP = re.compile(r"^crop\s+(?:(?:the|this|our|my|all\s+(?:the\s+)?)\s*)?(?:[\w-]+\s+)?(?:logo|icon|favicon|emoji|"
                         r"sticker|badge|avatar|asset|graphic|illustration|screenshot|scan|signature)s?(?:\s+assets?)?"
                         r"(?:\s+(?:to\s+(?:the\s+|its\s+|their\s+)?(?:content|contents|edges?|subject)|properly|correctly|tightly|"
                         r"tight))?\s*$")
_WINDOW_VERB = r"(?:crop|zoom|close[- ]crop|frame|cut)"
# "crop to the dog", "zoom in on her face", "crop it around the car", "crop in closer on the bride", "crop the
# image to just the two of them", "crop out everything but the cat".
_WINDOW = re.compile(
    rf"^(?:{_WINDOW_VERB})\s+(?:(?:it|this|{_IMAGE})\s+)?(?:in\s+)?(?:(?:closer|tighter|tightly|tight|close|closely|"
    rf"as\s+(?:close|tight(?:ly)?)\s+as\s+(?:possible|you\s+can|it\s+can\s+be))\s+)?"
    rf"(?:(?:in\s+)?(?:on|to|around|onto|into)|in\s+on)\s+(?:just\s+|only\s+)?(?P<x>.+?)"
    rf"(?:\s+(?:more|closely|tightly|only|a\s+bit|a\s+little|please))*\s*$|"
    rf"^(?:crop|cut)\s+(?:out|away|off)?\s*(?:everything|all|the\s+rest)\s+(?:but|except(?:\s+for)?|apart from|other than|"
    rf"save)\s+(?P<y>.+?)\s*$|"
    rf"^(?:zoom|close)\s+in\s+(?:on|to|at)\s+(?P<z>.+?)\s*$|"
    rf"^(?:crop|cut|frame)\s+(?:(?:it|this|{_IMAGE})\s+)?(?:so|such)\s+(?:that\s+)?(?:only|just)\s+(?P<v>.+?)\s+(?:is|are)\s+"
    rf"(?:in\s+(?:it|the\s+(?:picture|photo|image|frame|shot))|in\s+frame|visible|left|shown|showing)\s*$|^(?:get|make|take)\s+(?:a\s+)?close[- ]?up\s+(?:of|on)\s+(?P<w>.+?)\s*$")
_NOT_AN_OBJECT = re.compile(r"^(?:\d|square|a\s+square|content|the\s+content|size|an?\s+\d|(?:an?\s+)?(?:portrait|landscape|"
                            r"vertical|horizontal|wide|tall)(?:\s+(?:orientation|format|mode|shape|view|ratio|aspect))?$|"
                            r"(?:the\s+)?(?:correct|right|"
                            r"proper|standard|same|new|smaller|bigger|new)\s|(?:the\s+)?(?:aspect|ratio|format|shape|"
                            r"dimensions?|width|height|resolution|profile|thumbnail|banner|instagram|a4|letter)\b|"
                            r"(?:fit|match|be)\b|(?:the\s+)?(?:left|right|top|bottom|edges?|sides?|middle|centre|center)$)")


def _amount(m: re.Match[str]) -> float | None:
    """The amount either place of the pattern gave: a share (below 1) or pixels."""
    for n in (1, 2):
        num, frac = m.groupdict().get(f"num{n}"), m.groupdict().get(f"frac{n}")
        if num:
            return float(num) / 100.0 if m.group(f"unit{n}") in ("%", "percent", "per cent") else float(num)
        if frac:
            return _FRACTIONS[frac.split()[-1]]
    return None


def _sides(text: str) -> set[str]:
    if text in ("sides", "edges"):
        return {"left", "right"} if text == "sides" else {"left", "right", "top", "bottom"}
    found = set()
    for word in re.findall(rf"{_SIDE}", text):
        word = _SIDE_NAMES.get(word, word)
        found |= {"left", "right"} if word == "both" else {word}
    return found


def crop_edit(clause: str, has_mask: bool) -> Edit | None:
    """The crop `clause` (lower case) asks for, as a CROP-EDGES look or a crop_to edit; None when it is none."""
    if not re.match(r"(?:crop|cut|chop|trim|shave|remove|take|get|lose|zoom|close|frame|make)\b", clause):
        return None
    if re.fullmatch(r"(?:zoom|crop|close)\s+in(?:\s+(?:closer|tighter|more|a\s+bit|a\s+little))*(?:\s+(?:and|to)\s+crop)?",
                    clause):
        raise TextRefused(f"'{clause}': say on what, e.g. 'zoom in on the dog' or 'crop to her face' (the window "
                          "around it is kept)")
    if clause.startswith("crop"):
        plain = _PLAIN_CROP.match(clause)
        if plain:  # "crop the logo", "crop favicon to the content": a graphic's plain border
            return Edit("look", None, ops=(("TRIM", ()),), text=clause)
        size = re.search(r"\bto\s+(\d{2,5})\s*(?:x|by|\u00d7)\s*(\d{2,5})\s*(?:px|pixels)?\b", clause)
        if size and int(size.group(1)) and int(size.group(2)):  # "crop them to 800x800px": that shape (CROP keeps the pixels)
            w, h = int(size.group(1)), int(size.group(2))
            g = math.gcd(w, h)
            return Edit("look", None, ops=(("CROP", (("aspect", f"{w // g}:{h // g}"),)),), text=clause)
    if re.fullmatch(r"(?:crop|cut)\s+(?:out\s+)?(?:just\s+|only\s+)?(?:the\s+)?(?:center|centre|middle|central)(?:\s+(?:portion|section|"
                    r"part|area|bit|region|half))?(?:\s+of\s+(?:the\s+)?(?:image|photo|picture))?", clause):
        # "cut out the center portion": the middle kept, a quarter off each side
        return Edit("look", None, ops=(("CROP-EDGES", tuple((side, 0.25) for side in ("left", "right", "top", "bottom"))),),
                    text=clause)
    clause = re.sub(r"^(cut|chop|crop|trim|take|shave)\s+((?:the|its)\s+[a-z-]+(?:\s+[a-z-]+)?)\s+off\b", r"\1 off \2", clause)
    m = _ALL_EDGES.match(clause)
    if m:
        cut = _amount(m)
        if cut is not None and 0 < cut and (cut >= 1 or cut < 0.5):
            return Edit("look", None, ops=(("CROP-EDGES", tuple((s, cut) for s in ("left", "right", "top", "bottom"))),),
                        text=clause)
    m = _EDGES.match(clause)
    if m and (m.group("part") or _amount(m) is not None or re.match(r"^(?:crop|cut|chop|trim|shave)", clause)):
        sides = _sides(m.group("sides"))
        if m.group("part") in ("half", "third", "quarter", "fifth", "tenth"):
            cut = _FRACTIONS[m.group("part")]
        else:
            cut = _amount(m)
        if cut is None:  # no amount: a tenth, less or more when said
            how = f"{m.group('bit') or ''} {m.group('how') or ''}"
            cut = 0.05 if re.search(SLIGHT, how) else 0.2 if re.search(STRONG, how) else 0.1
        if sides and 0 < cut and (cut >= 1 or cut * (2 if len(sides & {"left", "right"}) == 2 or
                                                     len(sides & {"top", "bottom"}) == 2 else 1) < 1):
            args = tuple((s, round(cut, 4)) for s in ("left", "right", "top", "bottom") if s in sides)
            return Edit("look", None, ops=(("CROP-EDGES", args),), text=clause)
        return None
    m = _WINDOW.match(clause)
    if m:
        from lego_edit.builder.rules.phrases import target_of

        x = next(g for g in (m.group("x"), m.group("y"), m.group("z"), m.group("w"), m.group("v")) if g)
        x = re.sub(r"\s+(?:in|of|from)\s+(?:the|this)\s+(?:image|photo|picture|pic|shot)$", "", x)
        if _NOT_AN_OBJECT.match(x):
            return None
        target = target_of(x, has_mask)
        if target is None:
            return None
        return Edit("crop_to", target, text=clause)
    return None
