"""Text written in the image: "change the sign to say OPEN", "write 'SALE' on the window"."""

from __future__ import annotations

import re

from lego_edit.builder.rules.edits import PRONOUN, SELECTION, SUBJECT, Edit
from lego_edit.builder.rules.phrases import (
    target_of,
)

_SAYS = r"(?:to\s+say|to\s+read|so\s+(?:that\s+)?it\s+(?:says|reads)|say|says|read|reads|saying|reading)"


_FONT = re.compile(r"^(?:change|switch|set|make|update|swap)\s+(?:the\s+)?(?:font|typeface|lettering style)(?:\s+(?:of|on|in)\s+"
                   r"(?P<x>(?:the|this|that|my|our)\s+[\w' -]+?))?\s+(?:to|into|for)\s+(?:an?\s+)?(?P<f>[\w' -]+?)(?:\s+font)?$", re.I)


def font_edit(clause: str) -> Edit | None:
    """"change the font to Comic Sans": the words repainted in that lettering, where the text is."""
    low = clause.lower()
    if "font" not in low and "typeface" not in low and "lettering" not in low:
        return None
    m = _FONT.match(clause.strip(" .!?"))
    if not m:
        return None
    where = f"text on the {m.group('x').split(None, 1)[1]}" if m.group("x") else "text"
    return Edit("replace", where, f"the same text in {m.group('f')} lettering", text=clause.lower())


_TEXT_NOUN = (r"(?:body\s+|main\s+|sub-?)?(?:text|words?|writing|lettering|letters|title|subtitle|caption|heading|headline|"
              r"slogan|tagline|font)")
_QUOTED = r"(?:\s+(?P<q>\"[^\"]+\"|'[^']+'))?"
# "change the font colour of the subtitle 'Growth' to brown", "make the word 'HELLO' blue", "turn all the words black",
# "convert the body text from bold to normal font": the words repainted in the new colour or lettering, as the
# recolour brick does objects' surfaces, not the thin strokes of letters.
_TEXT_LOOK = (
    re.compile(rf"^(?:change|make|turn|set|switch|colou?r|paint|recolou?r)\s+(?:the\s+)?(?:font\s+|text\s+)?colou?r\s+of\s+"
               rf"(?:the\s+|all\s+(?:the\s+)?)?(?P<x>{_TEXT_NOUN}){_QUOTED}(?:\s+(?:on|in)\s+[\w' -]+?)?\s+(?:to|into)\s+(?P<c>[\w -]+)$",
               re.I),
    re.compile(rf"^(?:change|make|turn|colou?r|paint|recolou?r)\s+(?:the\s+|all\s+(?:of\s+)?(?:the\s+)?)?(?P<x>{_TEXT_NOUN}){_QUOTED}"
               rf"(?:\s+(?:on|in)\s+[\w' -]+?)?\s+(?:(?:to|into)\s+)?(?P<c>[\w -]+)$", re.I),
    re.compile(rf"^(?:change|convert|switch|turn|make)\s+(?:the\s+|all\s+(?:the\s+)?)?(?P<x>{_TEXT_NOUN}){_QUOTED}\s+from\s+"
               rf"(?:an?\s+)?[\w -]+?\s+(?:to|into)\s+(?:an?\s+)?(?P<f>[\w -]+?)(?:\s+(?:font|style|lettering|type))?$", re.I),
)


def text_look_edit(clause: str) -> Edit | None:
    """A new colour or lettering for words in the picture: RES finds the words, FLUX-FILL repaints the same words."""
    from lego_edit.builder.rules.phrases import is_descriptor

    low = clause.lower()
    if not re.search(r"\b(?:text|words?|writing|letter|title|subtitle|caption|heading|headline|slogan|tagline|font)", low):
        return None
    t = clause.strip(" .!?")
    for pattern in _TEXT_LOOK:
        m = pattern.match(t)
        if not m:
            continue
        noun = m.group("x").lower()
        where = f"the {noun} {m.group('q')}" if m.group("q") else f"the {noun}"
        if "f" in m.groupdict() and m.group("f"):
            return Edit("replace", where, f"the same text in {m.group('f').lower()} lettering", text=low)
        colour = m.group("c").lower().strip()
        if is_descriptor(colour):
            return Edit("replace", where, f"the same text in {colour}", text=low)
    return None


_TEXT_EDITS = (
    # "change the sign to say OPEN", "make the banner read 'Happy Birthday'", "make it clearly say Oliver"
    re.compile(rf"^(?:change|edit|make|update|fix|alter|modify|set|get|have)\s+(?P<x>.+?)\s+(?:clearly\s+|instead\s+)?"
               rf"{_SAYS}\s+(?P<t>.+)$", re.I),
    # "change the text on the sign to OPEN", "replace the words on the mug with 'Best Dad'"
    re.compile(r"^(?:change|edit|replace|update|swap|alter|modify|rewrite)\s+(?:the\s+)?(?:text|words?|writing|lettering|"
               r"wording|name|caption|title|label)\s+(?:on|of|in)\s+(?P<x>.+?)\s+(?:to|with|into|for)\s+(?P<t>.+)$", re.I),
    # "write 'SALE' on the window", "add the text 'Hello' to the wall"
    re.compile(r"^(?:write|put|add|print|paint)\s+(?:the\s+)?(?:(?:text|words?|name|caption)\s+)?(?P<t>\"[^\"]+\"|'[^']+')"
               r"\s+(?:on|onto|to|across|at)\s+(?P<x>.+)$", re.I),
    # "add the text RIT on the mug", "put the number 23 on the jersey": the words unquoted, in capitals or digits
    re.compile(r"^(?i:write|put|add|print|paint)\s+(?i:the\s+)?(?i:text|words?|name|number|letters?|initials)\s+"
               r"(?P<t>[A-Z0-9][A-Z0-9!?.#&'-]*(?:\s+[A-Z0-9][A-Z0-9!?.#&'-]*){0,3})\s+(?i:on|onto|to|across|at)\s+(?P<x>.+)$"),
)


# A typo pointed out with its correction: '"Beaty" -> "Beauty"', 'the word "Effect" should be "Affect"', 'there is
# sizer instead of sixer', 'replace the word "2024" with "2025"'. The wrong words are found (RES) and repainted.
_W = r"(?:\"(?P<{0}q>[^\"]{{1,40}})\"|'(?P<{0}s>[^']{{1,40}})'|(?P<{0}w>[\w%.-]{{1,30}}))"
_Q = r"(?:\"(?P<{0}q>[^\"]{{1,40}})\"|'(?P<{0}s>[^']{{1,40}})')"
# "the badge says "I'm speaker" but it should say "I'm a speaker"", "it's labeled e but should be g"
_SAYS_SHOULD = re.compile(rf"^.*?\b(?:says|reads|shows|displays|has|still\s+has|is\s+label+ed(?:\s+as)?|is\s+written(?:\s+as)?|"
                          rf"is\s+spelt|is\s+spelled)\s+{_W.format('a')}(?:\s+as\s+(?:the\s+)?text)?\s*[,.;]?\s*(?:but|and|when|while|so)?\s*"
                          rf"(?:i\s+think\s+|i\s+believe\s+)?(?:(?:it|that|this|they)\s+|(?:we|you)\s+)?(?:should|must|needs?\s+to|has\s+to|"
                          rf"ought\s+to|is\s+supposed\s+to)\s+(?:say|read|be|show|display|change\s+it\s+to)\s+{_W.format('b')}\s*\.?$", re.I)
_CORRECTIONS = (
    re.compile(rf"^(?:.*?:\s*)?{_W.format('a')}\s*(?:->|→|=>|-->)\s*{_W.format('b')}\s*$"),
    re.compile(rf"^.*?\b(?:the\s+)?(?:word|text|label|spelling)?,?\s*{_W.format('a')},?\s+(?:where|when)\s+the\s+correct\s+"
               rf"(?:word|spelling|text)\s+(?:should\s+be|is)\s+{_W.format('b')}.*$"),
    re.compile(rf"^.*?\b(?:there\s+is|it\s+says|it\s+reads|reads|says|has|shows)\s+{_W.format('a')}\s+instead\s+of\s+"
               rf"{_W.format('b')}\s*\.?$"),
    re.compile(rf"^(?:replace|change|correct|fix)\s+(?:the\s+)?(?:word|text|typo|spelling)\s+{_W.format('a')}\s+(?:with|to|into)\s+"
               rf"{_W.format('b')}.*$"),
    # "'pubished' needs to be changed to 'published'"
    re.compile(rf"^.*?{_Q.format('a')}\s+(?:needs?\s+to|should|must|has\s+to|have\s+to)\s+be\s+(?:changed|corrected|fixed|replaced|"
               rf"updated)\s+(?:to|with|by|into)\s+{_Q.format('b')}.*$", re.I),
    _SAYS_SHOULD,
    # 'the plot label "cross-entropy" should be "entropy"': two quoted words, the first as it is, the second as it should be
    re.compile(rf"^.*?{_Q.format('a')}\s+(?:should|must|needs?\s+to|has\s+to|ought\s+to)\s+(?:be|read|say)\s+{_Q.format('b')}"
               rf"(?:[\s,;].*)?$", re.I),
    # "increase the discount from 50% to 60%", "change the price from $20 to $25", "update the year from 2024 to 2025"
    re.compile(r"^(?:change|update|increase|decrease|raise|lower|reduce|set|fix|correct|alter|edit|modify|switch)\s+(?:the\s+)?"
               r"(?:[\w-]+\s+){0,2}?(?:price|prices|discount|date|year|number|numbers|percentage|percent|figure|amount|phone number|"
               r"address|name|version|count|score|total|sale|offer|deal|label|digit|digits|time)(?:\s+(?:in|on)\s+(?:the\s+)?"
               r"[\w-]+)?\s+from\s+(?P<aw>[$\u20ac\u00a3]?\d[\w%.,:/$-]{0,12})\s+to\s+(?P<bw>[$\u20ac\u00a3]?\d[\w%.,:/$-]{0,12})\s*\.?$",
               re.I),
    # "replace 'TRAIN' with 'PLANE'": two quoted words are text
    re.compile(rf"^(?:replace|change|swap|switch|correct|fix)\s+(?:(?:[^'\"]|\w'\w)*?\s)?{_Q.format('a')}"
               rf"(?:\s+(?:on|in|at|of|above|below|under|across)\s+(?:[^'\"]|\w'\w)+?)?\s+(?:with|to|into|for)\s+"
               rf"{_Q.format('b')}(?:[\s,;].*)?$", re.I),
)


_MISSPELT = r"(?:mis-?s?pel+(?:ed|t)|spel+(?:ed|t)\s+(?:wrong(?:ly)?|incorrectly|badly)|(?:has|with)\s+a\s+typo)"
# A misspelling pointed out without its correction: the word meant ('"Guidelines" is misspelled', 'the word palette
# spelled incorrectly', '"Presentation" is misspelled as "Presenation"') or the typo itself ("'charcters' typo").
_MISSPELLINGS = (
    re.compile(rf"^.*?(?:the\s+word\s+)?{_Q.format('a')},?\s+(?:is\s+|was\s+|are\s+|being\s+)?{_MISSPELT}"
               rf"(?:\s+as\s+{_Q.format('b')})?(?:\s+(?:in|on)\b.*)?$", re.I),
    re.compile(rf"^.*?\bthe\s+word\s+(?P<aw>[\w-]{{2,30}})\s+(?:is\s+|was\s+)?{_MISSPELT}\b.*$", re.I),
    # "Presentation is misspelled "Presenation" ...": the word meant, capitalised, then the typo quoted
    re.compile(rf"^(?:.*?\s)?(?P<aw>[A-Z][\w-]{{2,30}})\s+(?:is\s+|was\s+)?{_MISSPELT}\s+(?:as\s+)?{_Q.format('b')}.*$"),
    # 'Copies is spelt "Copyes" in the banner': the word meant, then how it is written
    re.compile(rf"^(?:.*?\s)?(?P<aw>[A-Z][\w-]{{2,30}})\s+(?:is|was|are)\s+(?:spelt|spelled|written)\s+(?:as\s+)?{_Q.format('b')}.*$"),
)
_TYPO = re.compile(rf"^(?:there(?:'s| is)\s+an?\s+)?{_Q.format('a')}\s+(?:is\s+)?(?:an?\s+)?(?:typo|misspelling)\b.*$")


def misspelling_edit(text: str) -> Edit | None:
    """A misspelt word pointed out: the words found (RES) and repainted spelled right."""
    low = text.lower()
    if "spel" not in low and "typo" not in low:
        return None
    t = text.strip(" .!?")
    for pattern in _MISSPELLINGS:
        m = pattern.match(t)
        if m:
            meant = _word(m, "a")
            seen = next((g for g in (m.groupdict().get("bq"), m.groupdict().get("bs")) if g), None)
            return Edit("replace", f'the text "{seen or meant}"', f'the same text reading "{meant}", spelled correctly',
                        text=text.lower())
    m = _TYPO.match(t)
    if m:
        typo = m.group("aq") or m.group("as")
        return Edit("replace", f'the text "{typo}"', f'the same text with the misspelt "{typo}" spelled correctly',
                    text=text.lower())
    return None


def _word(m: re.Match[str], side: str) -> str:
    said = m.groupdict()
    return next(g for g in (said.get(f"{side}q"), said.get(f"{side}s"), said.get(f"{side}w")) if g)


def says_but_should(text: str) -> bool:
    """"the sign says OPEN but it should say CLOSED": a correction of words, read before any other wording."""
    return ("says" in text or "reads" in text or "label" in text or "has" in text) and "should" in text and \
        _SAYS_SHOULD.match(text.strip(" .!?")) is not None


def correction_edit(text: str) -> Edit | None:
    """A typo and its correction said in the text (quoted, with an arrow, "instead of"): the wrong words repainted."""
    low = text.lower()
    if not any(cue in low for cue in ("->", "\u2192", "=>", "instead of", "correct", "word", "text", "typo", "spel", "'", '"',
                                      "should", " from ")):
        return None  # every form below has one of these (a cheap test: this runs on every clause)
    for pattern in _CORRECTIONS:
        m = pattern.match(text.strip(" .!?"))
        if not m:
            continue
        wrong, right = _word(m, "a"), _word(m, "b")  # "there is sizer instead of sixer": what is there comes first
        if wrong.casefold() == right.casefold():
            return None
        return Edit("replace", f'the text "{wrong}"', f'the same text reading "{right}"', text=text.lower())
    return misspelling_edit(text)


def text_in_image_edit(clause: str, has_mask: bool) -> Edit | None:
    """Text written in the image: RES finds where it goes, FLUX-FILL paints the new words there; the words keep
    their case ("change the sign to say OPEN" -> a sign that says "OPEN")."""
    low = clause.lower()
    if not any(cue in low for cue in ("say", "read", "text", "word", "writ", "letter", "caption", "title", "label", "name", '"',
                                      "'", "number", "initials")):
        return None
    for pattern in _TEXT_EDITS:
        m = pattern.match(clause)
        if not m:
            continue
        words = m.group("t").strip(" .!?,")
        said = re.match(r"(\"[^\"]+\"|'[^']+')\s*[,;]", words)
        if said:  # "... to 'YIELD', keeping the same letters": the quote is the words, the rest a rider
            words = said.group(1)
        quoted = re.fullmatch(r"\"([^\"]+)\"|'([^']+)'", words)
        words = (quoted.group(1) or quoted.group(2)) if quoted else words
        if not words or len(words.split()) > 8:
            return None
        x = m.group("x").strip()
        target = target_of(x, has_mask) if x else None
        if target in (None, PRONOUN, SUBJECT):
            return Edit("replace", "text", f'text that says "{words}"', text=clause.lower())
        if target == SELECTION:
            return Edit("replace", SELECTION, f'text that says "{words}"', text=clause.lower())
        if pattern is _TEXT_EDITS[1]:  # the words on the mug, not the mug
            return Edit("replace", f"text on the {target}", f'text that says "{words}"', text=clause.lower())
        if pattern in (_TEXT_EDITS[2], _TEXT_EDITS[3]):
            return Edit("replace", target, f'{target} with the text "{words}"', text=clause.lower())
        return Edit("replace", target, f'a {target} that says "{words}"', text=clause.lower())
    return None
