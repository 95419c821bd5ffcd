"""Object phrases: articles, the RES noun phrase, special targets, phrase classifiers."""

from __future__ import annotations

import functools
import re

from lego_edit.builder.rules.clauses import trim_qualifiers
from lego_edit.builder.rules.edits import PRONOUN, SELECTION, SUBJECT, PlanRefused, TextRefused
from lego_edit.builder.rules.lexicon import (
    DESCRIPTOR_FILLERS,
    ENV_FILLERS,
    ENV_TERMS,
    GENERIC_BACKGROUND,
    LY_NOUNS,
    NOT_OBJECTS,
    PRONOUNS,
    RCM_CORE,
    SCENE_NOUNS,
    SELECTION_WORDS,
    SETTING_NOUNS,
    SUBJECT_WORDS,
    UNSUPPORTED,
    VAGUE_WORDS,
    WHOLE_IMAGE,
)

_ARTICLES = re.compile(r"^(?:(?:the|a|an|this|that|these|those|some|any|his|her|their|its|my|your|our|one of the|"
                       r"all the|all|both|each|every|more|a few|several|a couple of|a pair of)\s+)+", re.I)
IMAGE_PP = re.compile(r"\s*\b(?:in|into|onto|to|from|of|within|inside|on|off|out of)\s+(?:(?:the|this|my|an?)\s+)?(?:whole\s+|entire\s+)?"
                       r"(?:image|picture|photo|photograph|scene|frame|shot|pic)\b", re.I)
_DEPTH_PP = re.compile(r"\s*\b(?:in|at|on)\s+the\s+(?:fore|back|middle\s?)ground\b|\s*\bprominently\b", re.I)
_POSITION = re.compile(
    r"^\s*(?:on|in|at|to|towards?|along|near)\s+(?:the\s+)?(?P<far>far\s+|very\s+|extreme\s+)?"
    r"(?P<pos>(?:(?:top|bottom|upper|lower)[\s-]*)?(?:left|right|center|centre|middle)?|top|bottom|upper|lower)"
    r"(?:[\s-]+(?:side|corner|part|half|edge|area|portion|third|hand side|center|centre))?\b", re.I)
_NP_STOP = re.compile(
    r",(?=\s*(?:and|or|but|in|on|at|with|which|who|that|where|while|near|by|from|under|over|as|so|to|my|our|i|we|it|"
    r"it's|its|this|she|he|they|because|since|please|thanks?|thank)\b)|\s(?:in|on|at|from|near|by|with|inside|under|over|above|below|behind|beside|next to|along|across|against|"
    r"around|between|onto|into|within|to|towards|toward|off|out of|during|among|outside|underneath|beneath|atop|"
    r"wearing|sitting|standing|holding|perched|lying|leaning|driving|walking|parked|located|situated|worn|bending|"
    r"placed|floating|flying|hanging|suspended|running|swimming|grazing|visible|present|seated|positioned|"
    r"surrounding|attached|riding|playing|carrying|covered|made|who|that|which|whose|where|held|resting|shown|"
    r"displayed|labeled|labelled|marked|containing|showing|featuring|stands|sits|is|are|dressed|cruising|"
    r"traveling|travelling|moving|looking|facing|focusing|depicted|printed|set|currently|being|crossing|caused|created|cast|"
    r"formed|produced|overlaying|overshadowing|obscuring|covering)\b(?!-)", re.I)
ADD_NP_STOP = re.compile(
    r",(?=\s*(?:and|or|but|in|on|at|with|which|who|that|where|while|near|by|from|under|over|as|so|to)\b)|\s(?:in|on|at|near|by|inside|under|over|above|below|behind|beside|next to|along|across|against|around|between|"
    r"onto|into|within|to|towards|toward|atop|among|outside|underneath|beneath|that|which|who|where)\b(?!-)", re.I)
# A relation to another object, kept in the RES prompt: "the chair to the right of the lamp" -> "chair right of the
# lamp", "the car behind her" -> "car behind the person".
_RELATION = re.compile(
    r"^\s*(?:(?:to|on|at)\s+the\s+)?(?P<side>left|right)(?:[\s-]+hand)?(?:\s+side)?\s+of\s+(?P<obj>.+)$|"
    r"^\s*(?P<rel>behind|in front of|next to|beside|on top of|underneath|beneath|under|above|between)\s+(?P<obj2>.+)$")
_PEOPLE_PRONOUNS = {"him": "the person", "her": "the person", "me": "the person", "you": "the person",
                    "them": "the people", "us": "the people", "myself": "the person", "himself": "the person",
                    "herself": "the person"}
_POSITION_WORDS = {"upper": "top", "lower": "bottom", "centre": "center", "middle": "center", "central": "center"}


@functools.lru_cache(maxsize=256)  # pure, and asked of the same words several times in one plan
def strip_articles(text: str) -> str:
    text = _ARTICLES.sub("", text.strip())
    text = re.sub(r"\s+(?:the|a|an)\s+", " ", f" {text} ").strip()
    return re.sub(r"\s+", " ", text)


@functools.lru_cache(maxsize=256)  # pure, and asked of the same words several times in one plan
def noun_phrase(text: str) -> str:
    """Several objects joined by "and the ..." each keep their own position: "the guy on the right and the lady in the
    middle" -> "right guy and center lady"."""
    text = re.sub(r",\s+and\s+(?=[\w-]+(?:\s+[\w-]+)?$)", " and ", text.strip())  # "scribbles, notes, and markings": the list's last item
    parts = re.split(r"\s+and\s+(?=(?:the|that|this|those|these|his|her|my|their|a|an)\s)", text.strip(), flags=re.I)
    if len(parts) > 1:
        return " and ".join(p for p in (_noun_phrase(part) for part in parts) if p)
    return _noun_phrase(text)


# What someone wears or carries tells them apart: "the guy in the red shirt on the left" -> "left guy in red shirt".
_WORN = re.compile(r"^\s(?P<w>in|wearing|dressed in|with)\s+(?:an?\s+|the\s+|his\s+|her\s+|their\s+)?(?P<g>(?:[\w-]+\s+){0,2}?"
                   r"(?:suit|tuxedo|dress|gown|shirt|t-shirt|tee|hoodie|jacket|coat|sweater|jumper|uniform|costume|outfit|"
                   r"robe|jeans|trousers|pants|skirt|swimsuit|blazer|cardigan|vest|blouse|shorts|hat|cap|beanie|helmet|"
                   r"scarf|glasses|sunglasses|backpack|umbrella|mask|tie|bow tie|apron)s?)\b(?P<rest>.*)$")


def _noun_phrase(text: str) -> str:
    """The short noun phrase RES needs: "the red trolley (marked "77") in the foreground" -> "red trolley";
    "the person on the left side of the image" -> "left person" (the offline RES reads positions)."""
    t = re.sub(r"\([^)]*\)|\([^)]*$|\"[^\"]*\"|'[^' ]+'(?=\s|$)", " ", text.lower())
    t = re.sub(r"\s+", " ", trim_qualifiers(t)).strip(" ,.")
    t = IMAGE_PP.sub("", t)
    t = _DEPTH_PP.sub("", t)
    t = re.sub(r"\s+", " ", t).strip(" ,.")
    position = ""
    stop = _NP_STOP.search(t)
    if stop:
        tail = t[stop.start():]
        worn = _WORN.match(tail)
        if worn and all(w in RCM_CORE or w in DESCRIPTOR_FILLERS for w in worn.group("g").split()[:-1]):
            who = _noun_phrase(t[:stop.start()] + worn.group("rest"))
            if who:
                return f"{who} {'with' if worn.group('w') == 'with' else 'in'} {worn.group('g')}"
        related = _relation(t[:stop.start()], tail)
        if related:
            return related
        m = _POSITION.match(tail)
        if m and m.group("pos").strip():
            position = " ".join(_POSITION_WORDS.get(w, w) for w in re.split(r"[\s-]+", m.group("pos").strip()))
            if m.group("far") and position in ("left", "right"):
                position += "most"
        t = t[:stop.start()]
    t = re.sub(r"\s+(?:and|or|with|of)$", "", strip_articles(t.replace(",", " ")).strip(" ,.-"))
    if position and not any(w in t.split() for w in position.split()):
        t = f"{position} {t}"
    return t


def _relation(head: str, tail: str) -> str | None:
    """"chair", " to the right of the lamp" -> "chair right of the lamp"; "car", " behind her" -> "car behind the
    person" (RES reads referring expressions). None when the tail is not such a relation."""
    m = _RELATION.match(tail)
    if not m:
        return None
    head = strip_articles(head.replace(",", " ")).strip(" ,.-")
    obj = (m.group("obj") or m.group("obj2") or "").strip(" ,.")
    if not head or not obj or head in PRONOUNS:
        return None
    if obj in _PEOPLE_PRONOUNS:
        other = _PEOPLE_PRONOUNS[obj]
    else:
        np_ = noun_phrase(obj)
        if not np_ or np_ in WHOLE_IMAGE or np_ in PRONOUNS:
            return None
        other = f"the {np_}"
    how = f"{m.group('side')} of" if m.group("side") else m.group("rel")
    return f"{head} {how} {other}"


# "this picture of my dog", "my photo of the lake": the image itself, named by what it shows
_THIS_PHOTO_OF = re.compile(r"^(?:this|these|my|our)\s+(?:(?:old|whole|entire|family|[\w-]+)\s+)?(?:image|picture|photo|photograph|"
                            r"pic|shot|snapshot|portrait|selfie)s?\s+(?:of|from|with)\s|^(?:the|this|my|our)\s+(?:attached|"
                            r"uploaded|enclosed|included|above|following|posted|original)\s+(?:[\w-]+\s+)?(?:image|picture|photo|"
                            r"photograph|pic|shot|snapshot|portrait|selfie|scan)s?$")


_QUOTED_TEXT = re.compile(r"(?:(?:the|this|that)\s+)?(?:(?:text|word|words|phrase|sentence|line|title|slogan|caption)\s+)?"
                          r"(?:\"(?P<q>[^\"]+)\"|'(?P<s>[^']+)')(?:\s+(?:in|on|from|of|at)\s+(?:the|this|that|my|our)\s+[\w -]+)?",
                          re.I)


# The picture itself, named by its state or its place among others: "the cartoonized picture", "the old photo",
# "the attached image", "the edited version".
_STATE_OF_PICTURE = re.compile(r"^(?:(?:old|new|original|current|final|scanned|edited|cartooni[sz]ed|attached|uploaded|above|"
                               r"following|generated|resulting|input|output|processed|blurry|blurred|noisy|faded|damaged|"
                               r"grainy|dark|underexposed|overexposed|daytime|day|daylight|night|nighttime|night-time|summer|"
                               r"winter|autumn|spring|sunny|rainy|snowy|cloudy|foggy|morning|evening|whole|entire)\s+)+"
                               r"(?:image|photo|picture|pic|shot|photograph|scan|"
                               r"selfie|version)s?$")


def target_of(text: str, has_mask: bool) -> str | None:
    """noun_phrase, with the special targets: whole image (None), SELECTION, SUBJECT, PRONOUN."""
    said = _QUOTED_TEXT.fullmatch(text.strip(" ,."))
    if said:  # "delete 'THANK YOU'", "make 'new' smaller": words in the picture, found as text
        return f'the text "{said.group("q") or said.group("s")}"'
    raw = strip_articles(text.lower().strip(" ,."))
    if raw in WHOLE_IMAGE or raw == "" or _THIS_PHOTO_OF.match(text.lower().strip(" ,.")):
        return None
    np_ = noun_phrase(text)
    if np_ in WHOLE_IMAGE or np_ == "" or _STATE_OF_PICTURE.match(np_):
        return None
    if np_ in SUBJECT_WORDS or raw in SUBJECT_WORDS:
        return SUBJECT
    if has_mask and (np_ in SELECTION_WORDS or re.match(r"(?:selected|masked|marked|highlighted)\b", np_)):
        return SELECTION
    if np_ in PRONOUNS or raw in PRONOUNS:
        return PRONOUN
    if np_ in _PEOPLE_PRONOUNS:
        return "person" if _PEOPLE_PRONOUNS[np_] == "the person" else "people"
    if re.match(r"(?:selected|masked|marked|highlighted)\b|selection\b", np_):
        raise TextRefused(f"the instruction refers to {np_!r}, but no selection (mask) was sent: select the "
                          "object first, or name it (e.g. 'remove the dog')")
    return np_


_DEGREE_WORDS = frozenset("more less very too so quite rather much".split())
# Words an object's name never starts with: a misread clause ("with clean airy", "looks silly").
_NOT_A_NOUN_LEAD = frozenset("""with for to from of in on at by as looks look seems seem is are was were be and or but then
using generate""".split())


def check_findable(target: str) -> None:
    """RES finds things; a property, a look or an app feature named as the object ("the hue", "a hotkey") is refused."""
    words = word_list(target) if '"' not in target else []  # quoted words are text in the picture
    while words and (words[-1] in _DEGREE_WORDS or len(words[-1]) > 4 and words[-1].endswith("ly") and
                     words[-1] not in LY_NOUNS):
        words = words[:-1]  # "the hue more naturally": the adverbs say how, the noun before them is the thing
    if re.fullmatch(r"(?:(?:jagg\w*|rough|pixel+ated|aliased|blocky|uneven|ragged|fuzzy|blurry|soft)\s+)+(?:edges?|outlines?|lines|borders?)",
                    " ".join(words)):
        raise PlanRefused(f"{target!r} is how outlines look, not a thing in the picture to find and mask: for a picture too "
                          "small for its size say 'upscale it 2x'; smoothing jagged edges needs the general EDIT brick")
    if words and words[0] in _NOT_A_NOUN_LEAD:
        raise PlanRefused(f"{target!r} is not a thing in the picture that could be found and masked: name an object "
                          "(e.g. 'the sky', 'the red car')")
    if words and words[-1] in NOT_OBJECTS:
        raise PlanRefused(f"{target!r} is not a thing in the picture that could be found and masked: name an object "
                          "(e.g. 'the sky', 'the red car'), or say the change for the whole image (e.g. 'warmer')")


# -- small classifiers -------------------------------------------------------------------------------
def word_list(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def is_descriptor(text: str) -> bool:
    """A colour/material/texture phrase and nothing else: "a darker shade of blue", "matte black"."""
    words = [w for w in re.split(r"[\s,-]+", text.lower()) if w]
    return bool(words) and all(w in RCM_CORE or w in DESCRIPTOR_FILLERS for w in words) and \
        any(w in RCM_CORE for w in words)


def env_value(text: str) -> str | None:
    """The FLUX-ENV prompt for the weather/season/time words in `text` ("snowy winter" -> "in winter with snow")."""
    found = sorted((m.start(), value) for pattern, value in ENV_TERMS if (m := pattern.search(text)))
    return ", ".join(value for _, value in found) if found else None


# Light named by a time of day ("add dramatic sunset lighting", "change to golden hour lighting"): the scene at that
# time of day, unless tone words come with it (then the light is a grade: "golden hour: warm tones, soft shadows").
_TIME_OF_DAY = re.compile(r"\b(?:sunset|sunrise|dusk|dawn|evening|twilight|golden[- ]hour|blue[- ]hour|night(?:time)?|moonlight)\b")
_TONE_SAID = re.compile(r"\b(?:tones?|highlights?|shadows?|contrast|saturation|colou?rs|warmer|cooler)\b")


def time_of_day_env(words: str, context: str) -> str | None:
    """The FLUX-ENV prompt for the time of day `words` name as light; None when they name none or `context` says
    tone words with it."""
    if not _TIME_OF_DAY.search(words) or _TONE_SAID.search(context):
        return None
    return env_value(words.replace("-", " "))


def is_env_only(text: str) -> bool:
    """Only weather/season/time-of-day words: "spring", "a snowy winter night" (not "a snowy landscape")."""
    if env_value(text) is None:
        return False
    leftover = text.lower()
    for pattern, _ in ENV_TERMS:
        leftover = pattern.sub(" ", leftover)
    return all(w in ENV_FILLERS for w in word_list(leftover))


def head_noun(text: str) -> str:
    words = word_list(noun_phrase(text))
    return words[-1] if words else ""


_VIEW_WORDS = frozenset("""scene scenes setting landscape landscapes view views vista panorama backdrop area areas environment
scenery shot shots background surroundings location theme themed style atmosphere vibe feel mood look""".split())


def is_setting(text: str) -> bool:
    """Does the phrase name a place/setting ("a coastal setting with a beach", "snowy mountains")?"""
    np_ = noun_phrase(text)
    words = word_list(np_)
    # the head names the place ("snowy mountains"), or a place word comes before a word for a view of it ("a beach
    # scene"); a place word before another head is a kind of thing ("a snow weasel", "a beach ball", "a sea lion")
    placed = bool(words) and (words[-1] in SETTING_NOUNS or len(words) >= 2 and words[-2] in SETTING_NOUNS and
                              words[-1] in _VIEW_WORDS)
    return placed or bool(re.search(rf"\b(?:{GENERIC_BACKGROUND})\b", np_))


def is_generic_background(text: str) -> bool:
    return bool(re.search(rf"\b(?:{GENERIC_BACKGROUND})\b", text.lower()))


def is_scene_region(text: str) -> bool:
    return head_noun(text) in SCENE_NOUNS


def is_vague(text: str) -> bool:
    words = [w for w in word_list(text) if w not in {"it", "the", "image", "look", "more", "a", "bit", "much", "and",
                                                  "very", "picture", "photo", "this", "appear", "seem", "make",
                                                  "surrounding", "area", "background", "result", "edges", "even"}]
    return not words or all(w in VAGUE_WORDS for w in words)


def unsupported_op(text: str) -> str | None:
    for pattern, what in UNSUPPORTED:
        if re.search(pattern, text, re.I):
            return what
    return None

