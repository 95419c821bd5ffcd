"""The last reading of a request the grammar could not parse: the edit type from its content words.

Forum posts and wishes often name the defect or the direction without any phrase the grammar knows ("it's printing
very dark, needs to be lighter but keep the colour", "levels are off due to the bright sky"). When no edit was found,
the words that say a whole-image correction on their own — a defect (blurry, grainy, hazy, underexposed), a
comparative (lighter, sharper, warmer) or a tone noun (contrast, saturation, white balance) — are read as that
correction. It is deliberately narrow: negated cues are dropped ("don't make it darker"), and two cues that pull
opposite ways ("lighter" and "darker") are refused with both readings named, as a refusal is better than a wrong plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from lego_edit.builder.rules.edits import Edit, TextRefused
from lego_edit.builder.rules.lexicon import BODY_PARTS, FEATURES, SCENE_NOUNS


@dataclass(frozen=True)
class _Cue:
    name: str  # what the reasoning calls it
    words: re.Pattern[str]
    group: str  # cues of one group pull the same way or the opposite way
    sign: int
    op: tuple[str, tuple[tuple[str, Any], ...]] | None  # a whole-image step; None: a brightness change


def _cue(name: str, words: str, group: str, sign: int, brick: str | None = None, **inputs: Any) -> _Cue:
    return _Cue(name, re.compile(rf"\b(?:{words})\b"), group, sign, (brick, tuple(inputs.items())) if brick else None)


_CUES = (
    _cue("sharpen", r"blurr?y|blurred|out[- ]of[- ]focus|unfocused|fuzzy|sharpen\w*|sharper|de-?blur\w*|unblur\w*|"
                    r"not sharp|camera shake|motion blur", "sharp", 1, "SHARPEN", amount=0.5),
    _cue("remove the noise", r"grainy|noisy|noise|graininess|de-?nois\w*|speckled|specks", "noise", 1, "DENOISE", amount=0.5),
    _cue("remove the haze", r"hazy|haze|de-?haz\w*|smoggy|smog", "haze", 1, "DEHAZE", amount=0.6),
    _cue("brighten", r"brighter|lighter|brighten\w*|lighten\w*|under-?exposed|too dark|so dark|very dark|really dark|"
                     r"way too dark", "bright", 1),
    _cue("darken", r"darker|darken\w*|over-?exposed|too bright|so bright|way too bright|blown[- ]out", "bright", -1),
    _cue("raise the contrast", r"more contrast|contrastier|higher contrast|increase\w* (?:the )?contrast|boost\w* (?:the )?"
                               r"contrast|punchier", "contrast", 1, "CONTRAST", amount=0.3),
    _cue("lower the contrast", r"less contrast|lower contrast|reduce\w* (?:the )?contrast|decrease\w* (?:the )?contrast|"
                               r"too contrasty|too much contrast", "contrast", -1, "CONTRAST", amount=-0.3),
    _cue("saturate", r"more saturat\w*|more vibran\w*|more vivid|more colou?rful|washed[- ]out|faded colou?rs?|dull colou?rs?",
         "saturation", 1, "SATURATION", amount=0.3),
    _cue("desaturate", r"less saturat\w*|over-?saturated|too saturated|too colou?rful|less vivid", "saturation", -1,
         "SATURATION", amount=-0.3),
    _cue("warm up", r"warmer|too (?:cold|blue|cool)|bluish", "temperature", 1, "TEMPERATURE", amount=0.3),
    _cue("cool down", r"cooler|colder|too (?:warm|yellow|orange)|yellowish", "temperature", -1, "TEMPERATURE", amount=-0.3),
    _cue("straighten", r"tilted|tilting|crooked|not straight|not level|skewed|horizon (?:line )?(?:is )?(?:off|wonky|crooked)|"
                       r"not ideal horizon", "level", 1, "STRAIGHTEN"),
    _cue("flip", r"flipping|flipped|mirror image|mirrored", "flip", 1, "FLIP", direction="horizontal"),
    _cue("correct the colours", r"white balance|colou?r cast|colou?r[- ]correct\w*|levels (?:are|look|seem) off|"
                                r"colou?rs? (?:are|look|seem) (?:off|wrong|weird)|(?:looks?|looking|came out|turned out)\s+"
                                r"(?:so\s+|really\s+|very\s+|all\s+|kind of\s+|kinda\s+)?(?:green|greenish|orange|orangey|"
                                r"yellow|yellowish|blue|bluish|magenta|purple|red|reddish|pink)", "balance", 1, "WHITE-BALANCE"),
)
_NEGATION = re.compile(r"\b(?:not|don't|do not|doesn't|no|never|without|nor|keep|keeping|maintain\w*|preserv\w*|"
                       r"retain\w*|isn't|aren't|wasn't)\b(?:\s+\S+){0,3}\s*$")


# Words naming a part of the picture: with one of them the cue may be about that part ("eyes brightened", "the
# brightness on the sky"), which a whole-image correction would get wrong, so nothing is guessed.
_PARTS = re.compile(rf"\b(?:{BODY_PARTS}|{FEATURES}|{'|'.join(sorted(SCENE_NOUNS))}|person|people|man|woman|girl|boy|kids?|"
                    rf"child|baby|him|her|them|teeth|smile|subject|foreground|corner|side|left|right|top|bottom)\b")


_LONGEST = 2000


def content_edits(text: str) -> list[Edit] | None:
    """Edits read from `text`'s content words, or None when none says a correction (or a part of the picture is
    named). Raises TextRefused when two cues pull the same setting opposite ways."""
    if len(text) > _LONGEST:
        return None  # a forum post is read; a 100 KB paste is not guessed at
    low = text.lower()
    listed = _look_list(low)  # a preset's list of looks names places only for its purpose ("... for a moody forest")
    if listed:
        return listed
    if _PARTS.search(low):
        return None
    found: dict[str, tuple[_Cue, str]] = {}
    for cue in _CUES:
        for m in cue.words.finditer(low):
            if _NEGATION.search(low[:m.start()]):
                continue
            other = found.get(cue.group)
            if other is not None and other[0].sign != cue.sign:
                raise TextRefused(f"'{text}' reads both as '{other[0].name}' ('{other[1]}') and '{cue.name}' "
                                  f"('{m.group(0)}'): say which one you want")
            found.setdefault(cue.group, (cue, m.group(0)))
            break
    if not found:
        return None
    edits: list[Edit] = []
    ops = []
    for cue, word in found.values():
        if cue.op is None:
            edits.append(Edit("bright", None, ratio=0.65 if cue.sign > 0 else 0.35, text=word))
        else:
            ops.append(cue.op)
    if ops:
        edits.append(Edit("look", None, ops=tuple(ops), text=", ".join(w for c, w in found.values() if c.op)))
    return edits


def content_note(edits: list[Edit]) -> str:
    """The reasoning's note on a content-word reading."""
    said = ", ".join(f"'{e.text}'" for e in edits)
    return f"no edit phrase was recognised; the words {said} ask for a whole-image correction, planned as such"


# A preset said as a list of looks, no verb: "Cool tones, soft diffused light, and light fog for a moody forest",
# "High contrast, rich shadows and enhanced textures". Read only when the first words already name a look.
_LOOK_LIST = re.compile(r"^(?:(?:apply|add|use|boost|give\s+(?:it|the\s+(?:image|photo|picture))|go\s+for|with)\s+)?"
                        r"(?:[\w-]+,?\s+){0,3}(?:tones?|light|lighting|contrast|colou?rs|hues|shadows|highlights|"
                        r"warmth|saturation|glow|haze|fog|mist|blues|greens|reds|yellows|oranges|purples|pinks|teals|whites|"
                        r"blacks|golds|ambers|neutrals|pastels|details|textures|clarity|vibrance)\b")


def _look_list(low: str) -> list[Edit] | None:
    from lego_edit.builder.rules.looks import look_of_words
    from lego_edit.builder.rules.phrases import env_value

    if not _LOOK_LIST.match(low):
        return None
    said = re.split(r"\s+(?:for|to)\s+(?:a|an|the)?\b", low)[0]  # not the purpose ("for a moody ...")
    said = re.sub(r"^(?:apply|add|use|boost|give\s+(?:it|the\s+(?:image|photo|picture))|go\s+for|with)\s+", "", said)
    items = _listed_edits(said)
    if items:
        return items
    edits: list[Edit] = []
    env = env_value(low)
    if env:
        edits.append(Edit("env", None, env, text=low))
    toned = look_of_words(said)
    if toned is not None:
        edits.append(toned)
    return edits or None


_PRAISE = re.compile(r"^(?:perfect|ideal|great|best|suitable|made|designed|good|nice)\b|^(?:[\w-]+\s+){0,3}quality$")


def _listed_edits(said: str) -> list[Edit] | None:
    """Each item of "smooth skin tones, natural colour correction, and soft background blur" read as its own edit
    (so none is dropped), or None when one item cannot be read that way (then the list is read as one look)."""
    from lego_edit.builder.rules.grammar import parse_clause
    from lego_edit.builder.rules.looks import look_of_words

    items = [i.strip(" .") for i in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+|[.!?]\s+|\s+-\s+", said) if i.strip(" .")]
    items = [i for i in items if not _PRAISE.match(i) and  # "Perfect for portraits", "magazine cover quality": no edit
             not re.match(r"(?:keep|keeping|maintain|preserv|while|retain|leave|avoid)\w*\b", i)]  # what stays is no edit
    if len(items) < 2:
        return None
    edits: list[Edit] = []
    unread: list[str] = []
    for item in items:
        tries = ["blur the background"] if re.search(r"\bbackground blur|blurr?(?:ed|y) background|\bbokeh\b", item) else \
            [f"make it {item}", f"add {item}", item]
        edit = None
        for clause in tries:
            try:
                edit = parse_clause(clause, False, None)
            except TextRefused:
                edit = None
            if edit is not None and edit.kind in ("look", "bright", "background", "blur", "env", "style"):
                break
            edit = None
        if edit is None:
            edit = look_of_words(item)  # "rich shadows", "deep blacks": the adjectives name the tone step
        if edit is None:
            unread.append(item)
        else:
            edits.append(replace(edit, text=item))
    if unread and len(edits) > 1:  # most of the list is clear: the rest is named, never dropped
        done = "; ".join(f"'{e.text}'" for e in edits)
        raise TextRefused(f"I can plan {done}, but not '{unread[0]}': no specialised brick does it")
    return edits if not unread else None
