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
    # "less dark", "not so gloomy": darkness lessened is brighter
    darker = re.search(r"\b(?:less (?:bright|light)\w*|(?<!less )(?<!less of a )(?:darker|darken\w*|dim\w*|dark|gloom\w*|"
                       r"underexpos\w*)|decrease\w*|reduce\w*|lower\w*|less light|tone down|turn down|lessen|moodier)\b", clause)
    brighter = re.search(r"\b(?:less (?:dark|dim|gloom|shadow|underexpos)\w*|brighter|brighten\w*|bright|lighter|lighten\w*|"
                         r"light up|increase\w*|boost\w*|raise|"
                         r"more light|sunnier|illuminat\w*|turn up|bump up|crank up|enhance|overexpos\w*|amplify|"
                         r"intensify)\b", clause)
    if not darker and not brighter:
        return None
    sign = -1.0 if darker and (not brighter or darker.start() < brighter.start()) else 1.0
    percent = percent_of(clause)
    delta = min(0.45, percent * 0.5) if percent else 0.15 * intensity(clause)
    return round(0.5 + sign * min(delta, 0.45), 3)


# -- amounts for the classical bricks (amount in [-1, 1], 0 = unchanged) ---------------------------------
_TINY = r"\b(?:a touch|a tad|a hint|a smidge|a little bit|a tiny bit|barely|ever so slightly)\b"


def amount_of(text: str, base: float) -> float:
    """`base` scaled by the words of degree: "a touch" 0.5x, "slightly"/"a little" 0.6x, "much"/"a lot" 1.8x,
    "way"/"extremely" 2.4x; a percentage is taken as the amount itself. Capped at 1."""
    pct = re.search(r"(\d+(?:\.\d+)?)\s*(?:%|percent|per cent)", text)
    if pct:
        return min(1.0, float(pct.group(1)) / 100.0) * (1 if base >= 0 else -1)
    if re.search(_TINY, text, re.I):
        k = 0.5
    elif re.search(SLIGHT, text, re.I):
        k = 0.6
    elif re.search(r"\b(?:way|extremely|hugely|massively|drastically|super)\b", text, re.I):
        k = 2.4
    elif re.search(STRONG, text, re.I):
        k = 1.8
    else:
        k = 1.0
    value = base * k
    return max(-1.0, min(1.0, value))


# -- aspect ratios ----------------------------------------------------------------------------------------
_ASPECT_WORDS = {"square": (1, 1), "panorama": (3, 1), "panoramic": (3, 1), "widescreen": (16, 9),
                 "banner": (3, 1), "portrait": (4, 5), "landscape": (3, 2), "instagram": (1, 1), "story": (9, 16),
                 "phone wallpaper": (9, 16), "cinematic": (21, 9)}


def aspect_of(text: str) -> tuple[float, float] | None:
    """The target aspect (width, height) named in `text`: "16:9", "2:1 banner", "16 by 9", "square"."""
    m = re.search(r"\b(\d+(?:\.\d+)?)\s*(?::|x|by|/|×)\s*(\d+(?:\.\d+)?)\b(?!\s*(?:px|pixels|%))", text)
    if m and float(m.group(1)) > 0 and float(m.group(2)) > 0 and max(float(m.group(1)), float(m.group(2))) <= 32:
        return float(m.group(1)), float(m.group(2))
    for word, value in _ASPECT_WORDS.items():
        if re.search(rf"\b{word}\b", text):
            return float(value[0]), float(value[1])
    return None


def aspect_name(text: str) -> str | None:
    """The aspect as CROP takes it ("16:9", "1:1")."""
    a = aspect_of(text)
    return None if a is None else f"{a[0]:g}:{a[1]:g}"


def twice_as(text: str) -> tuple[float, float] | None:
    """"twice as wide" -> (2, 1); "half again as tall" -> (1, 1.5): growth factors of width and height."""
    m = re.search(r"\b(twice|double|three times|triple|half again|1\.5 times|(\d+(?:\.\d+)?)\s*(?:times|x))\s+"
                  r"(?:as\s+)?(wide|wider|tall|taller|high|higher|big|bigger|large|larger)\b", text)
    if not m:
        return None
    words = {"twice": 2.0, "double": 2.0, "three times": 3.0, "triple": 3.0, "half again": 1.5, "1.5 times": 1.5}
    k = words.get(m.group(1), float(m.group(2)) if m.group(2) else 2.0)
    axis = m.group(3)
    if axis.startswith("wid"):
        return k, 1.0
    if axis.startswith(("tall", "high")):
        return 1.0, k
    return k, k


ASSUMED_SIZE = (4, 3)  # when the image size is not known: the commonest camera shape


def outpaint_to_aspect(aspect: tuple[float, float], size: tuple[int, int] | None
                       ) -> tuple[float | None, float | None, float | None, float | None]:
    """CMI-PRED (left, right, top, bottom) ratios that grow an image of `size` (width, height) to `aspect`,
    evenly on both sides of the axis that grows (a side grows by ratio x width or x height; None = unchanged)."""
    w, h = size or ASSUMED_SIZE
    target = aspect[0] / aspect[1]
    if target > w / h:
        side = round((target * h / w - 1) / 2, 4)
        return side, side, None, None
    if target < w / h:
        side = round((w / target / h - 1) / 2, 4)
        return None, None, side, side
    return None, None, None, None


# -- a new size for the whole image ----------------------------------------------------------------
_PX = r"(?:\s*(?:px|pixels?))?"
_DIMENSIONS = re.compile(rf"(?<![\d.:/])(?P<w>\d{{2,5}}){_PX}\s*(?:x|\u00d7|\*|by)\s*(?P<h>\d{{2,5}}){_PX}(?![\d.:/])")
_ONE_SIDE = re.compile(r"(?<![\d.:/])(?P<n>\d{2,5})\s*(?:px|pixels?)\s+(?:in\s+)?(?P<s>wide|width|across|tall|high|height)\b|"
                       r"\b(?P<s2>width|height)\s+(?:of|to)\s+(?P<n2>\d{2,5})\s*(?:px|pixels?)?(?![\d.:/])")
_RESIZING = re.compile(r"\b(?:resiz\w*|re-?scal\w*|scal(?:e|ed|ing)\b|downscal\w*|down-?siz\w*|upscal\w*|shrink\w*|enlarg\w*|"
                       r"size\b|sized\b|dimensions?\b|resolution\b|(?:should|must|needs?\s+to|has\s+to|have\s+to)\s+be\b|"
                       r"make\s+(?:it|this|them|(?:the|this|my)\s+[\w-]+)\s+\d|"
                       r"(?:export|save|convert|output)\w*\b.*\bat\b)")
_HALF_SIZE = re.compile(r"\b(?:half\s+(?:the\s+|its\s+)?(?:size|resolution|dimensions)|(?:to|by)\s+half|in\s+half|halve\w*)\b")
_DOUBLE_SIZE = re.compile(r"\b(?:double|twice)\s+(?:the\s+|its\s+)?(?:size|resolution|dimensions)\b|\b(?:twice|two times)\s+"
                          r"(?:as\s+)?(?:big|large)\b")
_SMALLER = re.compile(r"\b(?:smaller|shrink\w*|reduc\w*|decreas\w*|downscal\w*|down-?siz\w*|scale\s+(?:it\s+|this\s+|the\s+\w+\s+)?down)\b")


def image_resize(clause: str) -> dict[str, float] | None:
    """The SCALE inputs a clause asks for (lower case): a size in pixels ("resize to 1200x900", "make it 1080 pixels
    wide", "should be 1024x500 px"), or a factor ("half the size", "reduce it by 50%", "scale to 25%"); None
    when it names no new size of the whole image."""
    if not _RESIZING.search(clause) and not _HALF_SIZE.search(clause) and not _DOUBLE_SIZE.search(clause):
        return None
    sizes = list(_DIMENSIONS.finditer(clause))
    if sizes:
        size = sizes[-1]  # "from 880x660 to 1200x900": the last one said is the one wanted
        if len(sizes) > 1 and not re.search(r"\bfrom\b", clause[:sizes[0].start()]) and \
                not re.search(r"\bto\b", clause[sizes[0].end():size.start()]):
            return None  # "1024x500 or 512x250": two sizes to choose from, neither said to be the one
        return {"width": float(size.group("w")), "height": float(size.group("h"))}
    side = _ONE_SIDE.search(clause)
    if side:
        name = side.group("s") or side.group("s2")
        pixels = float(side.group("n") or side.group("n2"))
        return {"width" if name in ("wide", "width", "across") else "height": pixels}
    if _HALF_SIZE.search(clause):
        return {"factor": 0.5}
    if _DOUBLE_SIZE.search(clause):
        return {"factor": 2.0}
    percent = re.search(r"\b(?P<p>\d+(?:\.\d+)?)\s*(?:%|percent|per cent)", clause)
    if percent and _RESIZING.search(clause):
        share = float(percent.group("p")) / 100.0
        if re.search(r"\b(?:to|at)\s+" + re.escape(percent.group(0)), clause):
            factor = share  # "scale it to 25%": the new size
        elif _SMALLER.search(clause):
            factor = 1.0 - share  # "reduce the size by 30%"
        else:
            factor = 1.0 + share
        return {"factor": round(factor, 4)} if 0 < factor <= 8 and abs(factor - 1) > 1e-6 else None
    return None
