"""Clause grammar: a leading verb group and its handler turn a clause into an `Edit`."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from lego_edit.builder.rules.clauses import clauses, normalize, sentences, trim_qualifiers
from lego_edit.builder.rules.edits import PRONOUN, SELECTION, SUBJECT, Edit, NoBrick, TextRefused, Vague
from lego_edit.builder.rules.lexicon import (
    ATTRIBUTE_WORDS,
    BODY_PARTS,
    COLOURS,
    ENV_FILLERS,
    EXPRESSION_ADJ,
    EXPRESSION_VERBS,
    FEATURES,
    KNOWN_VERBS,
    MATERIALS,
    POSE_VERBS,
    PRONOUNS,
    RCM_CORE,
    SCENE_NOUNS,
    SETTING_NOUNS,
    SPLIT_VERBS,
    STYLE_TERMS,
    VAGUE_WORDS,
    VERB_RES,
    WHOLE_IMAGE,
    canonical_verb,
    lemma,
)
from lego_edit.builder.rules.looks import parse_look
from lego_edit.builder.rules.phrases import (
    ADD_NP_STOP,
    IMAGE_PP,
    env_value,
    head_noun,
    is_descriptor,
    is_env_only,
    is_generic_background,
    is_scene_region,
    is_setting,
    is_vague,
    noun_phrase,
    strip_articles,
    target_of,
    unsupported_op,
    word_list,
)
from lego_edit.builder.rules.quantities import (
    aspect_of,
    brightness_ratio,
    intensity,
    outpaint_to_aspect,
    percent_of,
    twice_as,
)
from lego_edit.builder.rules.requests import as_request, embedded_request, is_question, strip_polite


# -- handlers: one per leading verb group -----------------------------------------------------------
@dataclass(frozen=True)
class _Ctx:
    clause: str  # the whole clause, lower case (riders included: "to make it lighter")
    core: str  # the clause without riders
    rest: str  # the core after the leading verb
    verb: str
    has_mask: bool
    image_size: tuple[int, int] | None = None


_BACKGROUND_GONE = re.compile(r"^(?:the\s+|this\s+|that\s+|my\s+)?(?:whole\s+|entire\s+)?(?:(?:white|black|gr[ae]y|blue|green|pink|"
                              r"red|yellow|plain|busy|current|original|existing|ugly|old|messy|dark)\s+)?(?:background|backdrop)s?"
                              r"(?P<tail>(?:\s+(?:so|with|leaving|leave|keep|keeping|except|and|of|from|in|on|behind|around|to|for|"
                              r"completely|entirely|altogether|please|only|but)\b.*|\s*[(,.!?].*)?)$")


def _remove(c: _Ctx) -> Edit:
    rest = re.sub(r"^(?:all\s+(?:of\s+)?)?", "", IMAGE_PP.sub("", c.rest).strip())
    rest = re.sub(r"^(?:any|all|every|each)?\s*(?:the\s+)?(?:presence|traces?|signs?|existence|evidence|remnants?|hints?)\s+of\s+",
                  "", rest)  # "erase any trace of the bicycle"
    bg = _BACKGROUND_GONE.match(rest.strip())
    if bg and not re.search(r"\b(?:replac\w*|with an?\s+(?!transparent)\w+|to an?\b|change\w*)\b", bg.group("tail")):
        # "remove the (white) background (so it's only the logo)" = cut the subject out
        keep = re.search(r"\b(?:leaving|leave|keep(?:ing)?|so\s+(?:that\s+)?(?:it'?s|its|there'?s)|except)\s+(?:only\s+|just\s+)?"
                         r"(?P<x>[^,(]+)", bg.group("tail"))
        kept = target_of(keep.group("x"), c.has_mask) if keep else None
        return Edit("extract", kept if kept not in (None, PRONOUN) else SUBJECT, text=c.clause)
    if re.search(r"\b(?:except|but|other than|apart from|save)\s+(?:for\s+)?(?:me|us|him|her|them|the|my|this|that)\b", rest):
        raise TextRefused(f"'{c.clause}': removing everything but one thing is not one brick's job: name what to remove "
                          "(e.g. 'remove the people behind me'), or say 'change the background to ..., keeping me'")
    if re.match(r"(?:the\s+|this\s+|my\s+)?(?:whole\s+|entire\s+)?(?:image|photo|picture|pic)(?=\s*$|\s+(?:down|away|up|out|by|"
                r"to|and|,)\b)", rest.strip()):
        if STYLE_TERMS.search(c.clause):  # "strip the image down to its essence ... in black and white"
            return Edit("style", SELECTION if c.has_mask else None, _style_words(c.clause), text=c.clause)
        raise TextRefused(f"'{c.clause}' would remove the whole image: name the object to remove (e.g. 'remove the "
                          "dog')")
    if not rest.strip():
        if c.has_mask:
            return Edit("remove", SELECTION, text=c.clause)
        raise TextRefused("the instruction says to remove something but not what: name it ('remove the dog') or "
                          "select it first")
    target = target_of(rest, c.has_mask)
    if target is None:
        raise TextRefused(f"'{c.clause}' names the whole image, not an object to remove: say which object (e.g. 'remove "
                          "the frame on the wall')")
    return Edit("remove", target, text=c.clause)


def _add(c: _Ctx) -> Edit:
    rest = IMAGE_PP.sub("", c.rest).strip(" ,.")
    if not rest:
        raise TextRefused("the instruction says to add something but not what: say e.g. 'add a cat on the sofa'")
    obj = strip_articles(ADD_NP_STOP.split(rest, maxsplit=1)[0]).strip(" ,.")
    obj_words = word_list(obj)
    if re.match(r"(?:more\s+)?(?:light|brightness|exposure)\b", obj):
        return _bright_edit(c, None)
    tone = re.fullmatch(r"(?:(?:more|some|extra|a\s+(?:bit|touch|little|lot)\s+(?:of\s+)?(?:more\s+)?)\s*)?(?P<n>colou?rs?|life|"
                        r"vibrance|vividness|drama|punch|pop|depth|mood)", obj)
    if tone:  # "add more colour", "add some drama (to the sky)": a look, not an object
        on = re.match(r"(?:.*?)\s+(?:to|in|on|into)\s+(?P<x>.+)$", c.rest)
        x = on.group("x") if on and target_of(on.group("x"), c.has_mask) not in (None, PRONOUN) else "it"
        said = {"drama": f"make {x} more dramatic", "punch": f"make {x} pop", "pop": f"make {x} pop",
                "depth": f"increase the contrast of {x}", "mood": f"make {x} moodier"}.get(tone.group("n"),
                                                                                          f"make {x} more vivid")
        as_look = parse_look(said, target_named=False)
        if as_look is not None:
            return replace(as_look, text=c.clause)
    env_head = obj_words[-1] if obj_words else ""
    if env_head and is_env_only(obj) and env_head not in {"day"}:
        return Edit("env", None, env_value(obj), text=c.clause)
    if c.verb in {"place", "put"} and re.match(r"(?:the|this|that|his|her|their|its|me|us)\b", rest):
        # "place the pineapple on a sandy beach": the object stays, its setting changes.
        m = re.match(r"(?P<x>.+?)\s+(?:on|in|at|into|onto|by|near|to|against|amid|among)\s+(?P<y>.+)$", rest)
        if m and re.search(r"\btransparent\b", m.group("y")):  # "put him on a transparent background": a cut-out
            kept = target_of(m.group("x"), c.has_mask)
            return Edit("extract", kept if kept not in (None, PRONOUN) else SUBJECT, text=c.clause)
        if m and is_setting(m.group("y")):
            return Edit("background", None, strip_articles(m.group("y")), keep=target_of(m.group("x"), c.has_mask),
                        text=c.clause)
        raise TextRefused("moving an object is not something the bricks do in one step: remove it, then add it "
                          "where you want it (e.g. 'remove the cat, then add a cat on the sofa')")
    if "background" in rest and obj_words and (obj_words[-1] in SETTING_NOUNS or env_value(obj)):
        value = re.sub(r"\s*\bin the background\b", "", rest)
        return Edit("background", None, strip_articles(value), text=c.clause)
    behind = re.search(r"\s+(?:behind\s+(?P<who>us|me|them|him|her|the\s+(?:people|person|subject|couple|family|kids|dog|cat))|"
                       r"in\s+the\s+back|as\s+(?:the|a)\s+(?:backdrop|background|setting))\b", rest)
    if behind and obj_words and obj_words[-1] in SETTING_NOUNS:  # "add a beach behind us": a new background
        keep = target_of(behind.group("who"), c.has_mask) if behind.group("who") else None
        return Edit("background", None, strip_articles(obj), keep=keep if keep not in (None, PRONOUN) else None,
                    text=c.clause)
    if re.fullmatch(r"(?:an?\s+|some\s+)?(?:soft\s+|dreamy\s+|subtle\s+|magical\s+)?(?:glow|bloom|sparkle|shine|sheen|"
                    r"lens\s+flare|light\s+leaks?)", obj):
        on = re.search(r"\s+(?:to|on|in)\s+(?P<x>.+)$", rest)
        raise NoBrick(f"'{c.clause}': no specialised brick adds a glow, sparkle or flare", c.clause,
                      target_of(on.group("x"), c.has_mask) if on else None)
    look = re.fullmatch(r"(?P<s>.+?)\s+(?:filter|effect|look|aesthetic|vibe|finish|tone|feel)", obj)
    if look and (STYLE_TERMS.search(look.group("s")) or re.search(r"\b(?:vintage|retro|old-fashioned|antique|film|analog|"
                                                                   r"cinematic|dreamy|futuristic|warm|cool|cold)\b",
                                                                   look.group("s"))):
        return _whole_image(c, look.group("s"))  # "add a vintage filter": a look, not an object
    where = strip_articles(rest)
    where = re.sub(r"\s+(?:here|there)$", "", where)
    return Edit("add", SELECTION if c.has_mask else None, value=obj, where=where, text=c.clause)


_REPLACE_PATTERNS = (
    re.compile(r"^(?P<x>.+?)\s+with\s+(?P<y>.+)$"),
    re.compile(r"^(?P<x>.+?)\s+(?:by|for)\s+(?P<y>.+)$"),
    re.compile(r"^(?P<x>.+?)\s+(?:to|into|and put|and use)\s+(?P<y>.+)$"),
)


def _replacement(text: str) -> str:
    """The new object: "a lion standing majestically in the same forest setting, under ..." -> "lion standing
    majestically"."""
    y = re.split(r",(?=\s*(?:under|over|surrounded|with|as|while|and|which|that|in|on|near|placed|so|to|blending|"
                 r"matching|keeping|ensuring|maintaining|where|set|located)\b)|\s+(?:in the same|keeping|while|that|"
                 r"which|so that|instead)\b", text, maxsplit=1)[0]
    return strip_articles(IMAGE_PP.sub("", y).replace(",", "")).strip(" ,.")


def _replace(c: _Ctx) -> Edit:
    rest = c.rest
    if c.verb == "substitute" and re.search(r"\sfor\s", rest) and not re.search(r"\swith\s", rest):
        y, x = re.split(r"\s+for\s+", rest, maxsplit=1)  # "substitute Y for X"
    else:
        m = next((m for m in (p.match(rest) for p in _REPLACE_PATTERNS) if m), None)
        if not m:
            raise TextRefused(f"'{c.clause}' does not say what to put in place: say e.g. 'replace the dog with a cat'")
        x, y = m.group("x"), m.group("y")
    if c.verb == "fill" and strip_articles(x) in {"hole", "gap", "empty space", "space"}:
        x = "selection" if c.has_mask else x
    return _swap(c, x, y, replace_kind="replace")


def _swap(c: _Ctx, x: str, y: str, replace_kind: str) -> Edit:
    """X becomes Y: a background change, a recolour ("with a black one"), or a generated replacement."""
    keep = _kept_subject(c.clause, c.has_mask)
    if re.match(r"^(?:the\s+)?(?:[\w-]+\s+){0,3}?(?:background|backdrop|surroundings|scenery)\b(?!\s+(?:of|with)\b)",
                y.strip()) and not is_generic_background(x) and not re.match(r"^(?:a|an|some|new)\b", y.strip()):
        return _remove(replace(c, rest=x))  # "replace the girl with the background": paint her out
    keep = _kept_subject(c.clause, c.has_mask)
    if is_generic_background(x) or (is_scene_region(x) and (is_setting(y) or keep)):
        return _background(c, x, y)
    one = re.fullmatch(r"(?:a|an|the)?\s*(?P<d>.+?)\s+(?:one|ones)", y.strip(" ,."))
    if one and is_descriptor(one.group("d")):
        return Edit("recolor", target_of(x, c.has_mask), strip_articles(one.group("d")), text=c.clause)
    target = target_of(x, c.has_mask)
    if target is None:
        raise TextRefused(f"'{c.clause}' would replace the whole image; name the object to replace "
                          "(e.g. 'replace the dog with a cat') or ask for a style or a background")
    return Edit(replace_kind, target, _replacement(y), text=c.clause)


def _extract(c: _Ctx) -> Edit | None:
    rest = c.rest
    if c.verb in {"output", "show me", "show", "give me", "return", "export"}:
        m = re.match(r"^(?:me\s+)?(?:the\s+|a\s+)?(?:(?P<what>segmentation|mask|cut-?out|outline|silhouette|"
                     r"matte)s?\s+(?:of|for)\s+(?P<x>.+)|(?P<y>.+?)(?:'s?)?\s+(?P<what2>segmentation|mask|"
                     r"cut-?out|outline|silhouette|matte)s?)$", rest)
        if not m:
            return None  # "show me ..." that is not about a segmentation: not an edit
        x = m.group("x") or m.group("y")
        want_mask = "mask" in (m.group("what") or m.group("what2") or "")
        return Edit("extract", _extract_target(x, c), want_mask=want_mask, text=c.clause)
    if c.verb in {"select", "mask"} and not rest:
        return None
    want_mask = c.verb in {"segment", "mask", "mask out", "matte"} or bool(re.search(r"\bmasks?\b", c.clause))
    rest = re.sub(r"\s+(?:as|into|to)\s+(?:a\s+)?(?:new\s+)?(?:layer|mask|cut-?out|png|file).*$", "", rest)
    return Edit("extract", _extract_target(rest, c), want_mask=want_mask, text=c.clause)


def _extract_target(text: str, c: _Ctx) -> str:
    target = target_of(text, c.has_mask)
    if target is None:
        return SELECTION if c.has_mask else SUBJECT
    return target


_SIDES = (("left", r"\bleft\b"), ("right", r"\bright\b"), ("top", r"\btop\b|\bup(?:wards?)?\b|\babove\b"),
          ("bottom", r"\bbottom\b|\bdown(?:wards?)?\b|\bbelow\b"))


def _outpaint(c: _Ctx) -> Edit:
    text = c.clause
    aspect = aspect_of(text)
    grow = twice_as(text)
    if aspect is not None or grow is not None:
        if grow is not None:
            ratios = (round((grow[0] - 1) / 2, 4) or None, round((grow[0] - 1) / 2, 4) or None,
                      round((grow[1] - 1) / 2, 4) or None, round((grow[1] - 1) / 2, 4) or None)
        else:
            assert aspect is not None
            ratios = outpaint_to_aspect(aspect, c.image_size)
        if not any(ratios):
            raise TextRefused(f"'{c.clause}': the image already has that shape, so there is nothing to extend")
        return Edit("outpaint", None, ratios=ratios, text=c.clause)
    sides = {name for name, pattern in _SIDES if re.search(pattern, text)}
    if re.search(r"\bhorizontal(?:ly)?\b|\bsideways\b|\bwider\b|\bwidth\b|\bwiden\b|\bboth sides\b|\bpanorama\b",
                 text):
        sides |= {"left", "right"}
    if re.search(r"\bvertical(?:ly)?\b|\btaller\b|\bheight\b", text):
        sides |= {"top", "bottom"}
    if not sides:
        what = strip_articles(re.sub(r"\b(?:by|to)\b.*$", "", c.rest)).strip()
        if what and what not in {"image", "canvas", "picture", "photo", "frame", "view", "scene", "borders",
                                 "edges", "it", "background", "shot", "field of view", "all sides", "everything"}:
            raise TextRefused(f"I can expand the canvas (outpainting) but not stretch '{what}': say e.g. "
                              "'expand the image to the left by 30%' or 'zoom out'")
        sides = {"left", "right", "top", "bottom"}
    amount = percent_of(text) or 0.25

    def share(side: str, axis: tuple[str, str]) -> float | None:
        """`side`'s part of the expansion: `amount` split between the chosen sides of its axis."""
        chosen = [s for s in axis if s in sides]
        return round(amount / len(chosen), 3) if side in chosen else None

    across, up_down = ("left", "right"), ("top", "bottom")
    ratios = (share("left", across), share("right", across), share("top", up_down), share("bottom", up_down))
    return Edit("outpaint", None, ratios=ratios, text=c.clause)


def _kept_subject(clause: str, has_mask: bool) -> str | None:
    """The subject a background edit should keep: "... while keeping the bicycle in the foreground"."""
    m = re.search(r"\bkeep(?:ing|s)?\s+(?:the\s+)?(?P<s>[\w' -]+?)(?:\s+(?:in the foreground|intact|visible|"
                  r"unchanged|the same|in place|as is|sharp|in focus|untouched)\b|\s*$)", clause) or \
        re.search(r"\bmaking\s+(?:the\s+)?(?P<s>[\w' -]+?)\s+(?:more\s+)?(?:prominent|stand out|pop|the focus|"
                  r"in focus|sharp)\b", clause)
    if not m:
        return None
    target = target_of(m.group("s"), has_mask)
    return target if target not in (None, PRONOUN) else None


def _background(c: _Ctx, x: str | None, y: str, subject: str | None = None) -> Edit:
    """A background edit: change region `x` (None / a generic word = the background) to `y`.

    Mask choice (made in rules.py): a kept subject -> everything but it; a named scene region
    ("the beach", "the wallpaper in the background") -> that region; otherwise the background.
    """
    # "something nicer, maybe a beach": the example is the background asked for
    y = re.sub(r"^(?:something|anything)(?:\s+(?:nicer|better|else|different|cooler|prettier|pretty|nice|cool))?,?\s*"
               r"(?:maybe|perhaps|like|such as|e\.?g\.?|say)\s+", "", y)
    y = re.sub(r"^(?:an?\s+)?(?:new\s+|different\s+)?(?:background|backdrop|setting)\s+(?:of|with|showing|featuring)\s+", "", y)
    value = _replacement(y) if not re.search(r"\bblur", y) else "blurred"
    if re.match(r"(?:something|anything)\b", value) and not is_setting(value) and not env_value(value):
        raise TextRefused(f"'{c.clause}': say which background you want, e.g. 'a plain grey background' or 'a city "
                          "street'")
    value = re.sub(r"^(?:be\s+)?(?:set\s+)?(?:in|on|at)\s+", "", value)
    keep = subject or _kept_subject(c.clause, c.has_mask)
    region = None
    behind = re.match(r"^(?:what'?s|what is|everything|all|whatever is)\s+(?:behind|around|surrounding)\s+(?P<k>.+)$",
                      (x or "").lower().strip())
    if behind:  # "change what's behind the car to a racetrack": everything but the car
        keep, x = target_of(behind.group("k"), c.has_mask), None
    if x is not None:
        xl = x.lower().strip()
        located = re.match(r"^(?P<r>.+?)\s+(?:in|at)\s+the\s+(?:background|distance|back)$", xl)
        if located and not is_generic_background(located.group("r")):  # "the wallpaper in the background"
            region = target_of(located.group("r"), c.has_mask)
        elif is_generic_background(xl):  # "the environment around the house": everything but the house
            around = re.search(r"\b(?:around|surrounding|behind|of|for)\s+(?:the\s+)?(?P<s>[\w' -]+)$", xl)
            if around and keep is None and strip_articles(around.group("s")) not in WHOLE_IMAGE:
                keep = target_of(around.group("s"), c.has_mask)
        else:
            region = target_of(xl, c.has_mask)
        if keep is not None:
            region = None
    if region is None and keep is None and c.has_mask:
        region = SELECTION  # a selection says which part to change
    return Edit("background", region, value, keep=keep, text=c.clause)


def _blur(c: _Ctx) -> Edit:
    x = re.sub(r"\s+(?:out|a bit|slightly|more|a lot)\b.*$", "", c.rest)
    target = target_of(x, c.has_mask) if x.strip() else None
    if target is None and not is_generic_background(x):
        raise TextRefused("no brick blurs the whole image; 'blur the background' or 'blur the face' work")
    if is_generic_background(x) or target is None:
        return _background(c, None, "blurred")
    return Edit("blur", target, "blurred", text=c.clause)


_STYLE_STOP = frozenset("""it the a an make turn into to look like in as image photo picture this convert render
transfer change cartoonify cartoonize""".split())


def style_phrase(text: str) -> str | None:
    """The style named in `text`: "into a traditional ukiyo-e woodblock-print style" -> "traditional ukiyo-e
    woodblock-print style"; "look like a pencil sketch" -> "pencil sketch"; "in the style of Van Gogh" ->
    "Van Gogh style"."""
    t = text.lower().strip(" .")
    m = re.search(r"\bin the style of\s+(?P<s>.+)$", t)
    if m:
        return f"{strip_articles(m.group('s'))} style"
    m = re.search(r"\b(?:into|to|in|as|with|like)\s+(?:an?\s+|the\s+)?(?P<s>[\w ,'/&-]*?\bstyle)\b", t) or \
        re.search(r"^(?P<s>[\w ,'/&-]*?\bstyle)\b", t)
    if m and m.group("s").strip() != "style":
        return strip_articles(m.group("s").strip(" ,"))
    m = re.search(r"\b(?:cartoonify|cartoonize|animefy|sketchify)\b", t)
    if m:
        return {"cartoonify": "cartoon", "cartoonize": "cartoon", "animefy": "anime", "sketchify": "pencil sketch"}[
            m.group(0)]
    m = re.search(r"\b(?:look(?:s)?\s+like|into|as|to|in)\s+(?P<s>.+)$", t)
    if m and STYLE_TERMS.search(m.group("s")):
        s = strip_articles(m.group("s"))
        s = re.sub(r"\s+(?:painting|drawing)\s+of\s+.*$", r" \g<0>", s).strip()
        return s
    m = STYLE_TERMS.search(t)
    if m:
        before = [w for w in t[: m.start()].split()[-2:] if w not in _STYLE_STOP]
        return " ".join([*before, m.group(0)])
    return None


# Verbs of artistic expression that name no edit of their own: with a style named, the style is the edit.
_EXPRESSIVE = re.compile(r"^(?:explore|create|craft|immerse|infuse|transport|bathe|steep|drench|envelop|channel|evoke|"
                         r"capture|reimagine|re-imagine|present|depict|portray|showcase|express|convey|emulate|mimic|"
                         r"embrace|celebrate|tell|evoke|unleash|embody|translate|reinterpret|envision|imagine)\b")


def _style_words(text: str) -> str:
    """The style named in a wordy sentence: "... the fluidity and softness of watercolor painting" -> "watercolor
    painting"; "... with cyberpunk styling" -> "cyberpunk style"."""
    found = list(STYLE_TERMS.finditer(text))
    m = found[-1]
    before = [w for w in text[: m.start()].split()[-1:] if w not in _STYLE_STOP and w not in {"of", "with", "and"}
              and not w.endswith(("ness", "ity", "ion"))]
    after = re.match(r"\s+(?:painting|style|styling|art|drawing|sketch|aesthetics?|illustration)\b", text[m.end():])
    tail = after.group(0).strip() if after else ""
    tail = "style" if tail in {"styling", "aesthetic", "aesthetics"} else tail
    return " ".join([*before, m.group(0), *([tail] if tail else [])])


def _style(c: _Ctx, target_text: str | None = None) -> Edit:
    style = style_phrase(c.core) or style_phrase(c.clause)
    if not style:
        raise TextRefused(f"'{c.clause}' names no style I know: say e.g. 'in watercolour style' or 'make it look like "
                          "a pencil sketch'")
    target = target_of(target_text, c.has_mask) if target_text else None
    if target in (PRONOUN,):
        target = None
    if target is not None and target_text:  # "red ball black and white": the object is not part of the style
        named = strip_articles(target_text).strip().lower()
        at = style.lower().find(named)
        if at >= 0 and len(style) > len(named):
            style = " ".join((style[:at] + style[at + len(named):]).split())
            style = re.sub(r"^(?:make|turn|render|change|convert|transform|paint|draw)\s+", "", style, flags=re.I)
    if target is None and c.has_mask:
        target = SELECTION  # a selection limits the style to it
    return Edit("style", target, style, text=c.clause)


_BRIGHT_WORDS = re.compile(
    r"\b(?:brightness|brighten\w*|darken\w*|exposure|lighting|illuminat\w*|lighten\w*|sunnier|dim|dimmer|luminosity|"
    r"luminance|radiance|brilliance|"
    r"(?:brighter|darker|lighter)(?!\s+(?:shade|tone|hue|colou?r|" + "|".join(sorted(COLOURS)) + r")\b))\b", re.I)


def _bright_edit(c: _Ctx, region_text: str | None) -> Edit:
    ratio = brightness_ratio(c.clause)
    if ratio is None:
        ratio = 0.6  # "adjust the brightness of X": nothing says which way; brighter is the common wish
    target = None
    region_text = region_text.split(",")[0] if region_text else region_text
    if region_text and re.fullmatch(r"(?:up\s+)?(?:the|this|my|our|it)?\s*(?:[\w-]+\s+){0,2}?(?:image|photo|photograph|picture|"
                                    r"pic|shot|scene)?(?:\s+up)?", region_text.strip()) and \
            re.search(r"\b(?:image|photo|photograph|picture|pic|shot|scene)\b|^(?:up\s+)?(?:it|this)(?:\s+up)?$", region_text):
        region_text = None  # "brighten this dark picture", "lighten up this gloomy photo": the whole image
    if region_text:
        region_text = re.sub(r"^(?:the\s+)?(?:lighting|light|brightness|exposure|illumination)\s+(?:on|of|in)\s+", "",
                             region_text.strip())
        region = re.sub(r"\b(?:lighting|light|brightness|exposure)\b", "", region_text).strip()
        target = target_of(region, c.has_mask) if region and strip_articles(region) not in {"", "overall"} else None
        if target == PRONOUN:
            target = None
    return Edit("bright", target, ratio=ratio, text=c.clause)


def _bright_region(c: _Ctx) -> str | None:
    """Where a brightness change applies: "the brightness of the sky" -> "sky"; "brighten the right side"."""
    m = re.search(r"\b(?:brightness|exposure|lighting|light|illumination)\s+(?:of|on|in)\s+(?P<x>.+?)"
                  r"(?:\s+(?:to|by|so|a bit|slightly|a lot|less|more|much|brighter|darker|lighter|dimmer)\b.*)?$", c.core)
    if m:
        return m.group("x")
    m = re.search(r"\b(?:brighten|darken|lighten|dim|illuminate|light up)\s+(?:up\s+)?(?P<x>.+?)(?:\s+(?:a bit|slightly|a lot|"
                  r"a little|a touch|a tad|somewhat|by|up)\b.*)?$", c.core)
    if m:
        return m.group("x")
    m = re.search(r"\bmake\s+(?P<x>.+?)\s+(?:look\s+|appear\s+)?(?:much\s+|a bit\s+|slightly\s+|a lot\s+|more\s+|less\s+)?"
                  r"(?:brighter|darker|lighter|sunnier|dimmer|bright|dark)\b", c.core)
    if m:
        return m.group("x")
    return None


def _resize(c: _Ctx, target_text: str) -> Edit:
    t = c.clause
    smaller = re.search(r"\b(?:smaller|shrink\w*|reduce\w*|decrease\w*|tinier|scale down|minif\w*|less big)\b", t)
    base = 0.7 if smaller else 1.3
    percent = percent_of(t)
    if percent is not None:
        ratio = (1 - min(percent, 0.9)) if smaller else (1 + percent)
    elif re.search(r"\b(?:twice|double)\b", t) and not smaller:
        ratio = 2.0
    elif re.search(r"\bhalf\b", t) and smaller:
        ratio = 0.5
    else:
        k = intensity(t)
        ratio = 1 + (base - 1) * k
    target = target_of(target_text, c.has_mask)
    if target is None:
        raise TextRefused("resizing the whole image is not an edit the bricks do; to show more around it, say "
                          "'zoom out' or 'expand the canvas'")
    return Edit("resize", target, ratio=round(max(0.2, min(ratio, 3.0)), 3), text=c.clause)


def _size_target(c: _Ctx) -> str | None:
    m = re.search(r"\bsize\s+of\s+(?P<x>.+?)(?:\s+(?:to|by|so)\b.*)?$", c.core) or \
        re.search(r"^(?:make|resize|enlarge|shrink|scale(?: up| down)?|grow|magnify)\s+(?P<x>.+?)(?:\s+(?:to be|to|"
                  r"by|look|appear|a bit|slightly|much|a lot|larger|bigger|smaller|tinier|up|down|twice|half)\b.*)?$",
                  c.core)
    return m.group("x") if m else None


def _pose_prompt(c: _Ctx) -> Edit:
    return Edit("pose", None, c.core.strip(" ."), text=c.clause)


def _is_pose(text: str) -> bool:
    """'raise the person's left arm', 'make him smile', 'the dog sit', 'turn his head to the right'."""
    t = text.lower()
    if re.search(r"\b(?:brightness|exposure|lighting|light|contrast|saturation|size|volume|temperature)\b", t):
        return False
    if re.match(rf"^(?:{EXPRESSION_VERBS})\b", t):
        return True
    if re.search(rf"\b(?:{BODY_PARTS})\s+(?:wide\s+)?(?:open|opened|closed|shut|raised|crossed)$", t):
        return True  # "make her eyes open", "his arms crossed"
    m = re.match(rf"^(?:(?:the|a|an|this|that|his|her|their|its)\s+)?(?:[\w'-]+\s+){{0,3}}?(?P<v>{POSE_VERBS})\b"
                 rf"(?P<after>.*)$", t)
    if m and (re.search(rf"\b(?:{BODY_PARTS})\b(?!-)", m.group("after")) or
              re.match(rf"(?:{EXPRESSION_VERBS})\b", m.group("v") + m.group("after"))):
        return True
    if re.match(rf"^(?:raise|lift|lower|tilt|turn|rotate|bend|cross|fold|open|close|shake|stretch|wave|put|hold)\s+"
                rf"(?:up\s+|down\s+)?(?:the\s+|his\s+|her\s+|their\s+|its\s+)?(?:[\w'-]+\s+){{0,3}}(?:{BODY_PARTS})\b",
                t):
        return True
    return bool(re.search(rf"\b(?:look|looks|appear)\s+(?:more\s+|very\s+|a bit\s+)?(?:{EXPRESSION_ADJ})\b", t))


_ATTR_OF = re.compile(rf"^(?:the\s+)?(?:[\w-]+\s+)?(?:{ATTRIBUTE_WORDS})\s+of\s+(?P<x>.+?)\s+(?:from\s+.+?\s+)?"
                      rf"(?:to|into)\s+(?P<y>.+)$")
_ATTR_POSS = re.compile(rf"^(?P<x>.+?)(?:'s)?\s+(?:{ATTRIBUTE_WORDS})\s+(?:from\s+.+?\s+)?"
                        rf"(?:to|into)\s+(?P<y>.+)$")
_FROM_TO = re.compile(r"^(?P<x>.+?)\s+from\s+(?P<a>.+?)\s+(?:to|into)\s+(?P<y>.+)$")
_X_TO_Y = re.compile(r"^(?P<x>.+?)\s+(?:to|into|in to)\s+(?P<y>.+)$")
_LOOK = re.compile(r"^(?P<x>.+?)\s+(?P<how>look(?:s)?\s+like|look(?:s)?|appear(?:s)?(?:\s+to\s+be)?|seem(?:s)?|"
                   r"become(?:s)?|be|resemble|feel)\s+(?P<y>.+)$")
_RESEMBLE = re.compile(r"^(?:(?:be\s+)?(?:adorned|dressed|clad|painted|colou?red|dyed|bathed|draped|decked out|covered|coated|"
                       r"swathed|shaded|wrapped|splashed|drenched|glazed|sprayed|rendered|dipped|shrouded|"
                       r"cloaked|tinted|washed)(?:\s+(?:in|with))?(?:\s+an?)?|reflect|portray|depict|show(?:case)?|feature|represent|evoke|"
                       r"display|mirror|resemble|become|be set in|be in|be set on|be on|look like|looks like|become|look|looks|appear|appears|"
                       r"seem|resemble|have|show|be)\s+(?:like\s+)?(?:more\s+)?", re.I)


def _give(c: _Ctx) -> Edit | None:
    """"give the cat blue eyes" (a recolour of a part), "give him a smile" (a pose), "give the dog a hat" (an
    addition)."""
    m = re.match(r"^(?P<x>(?:the\s+|his\s+|her\s+|their\s+|its\s+|my\s+)?(?:[\w'-]+\s+){0,2}?[\w'-]+)\s+(?:an?|some)\s+"
                 r"(?P<y>.+)$", c.rest) or \
        re.match(r"^(?P<x>(?:the\s+|a\s+|his\s+|her\s+|their\s+)?(?:[\w'-]+\s+){0,2}?[\w'-]+)\s+"
                 r"(?:an?\s+|some\s+)?(?P<y>.+)$", c.rest)
    if not m:
        return None
    x, y = m.group("x"), m.group("y")
    if re.fullmatch(r"(?:a bit\s+|a little\s+|some\s+|much\s+|a lot\s+)?(?:more|extra)\s+(?:light|brightness|exposure)|"
                    r"(?:a\s+)?(?:brighter|darker)\s+look", y):
        return _bright_edit(c, None if target_of(x, c.has_mask) in (None, PRONOUN) else x)  # "give it more light"
    if target_of(x, c.has_mask) is None:  # "give the image a warm tone"
        return _whole_image(c, y)
    if re.match(rf"(?:big\s+|slight\s+|broad\s+)?(?:{EXPRESSION_VERBS}|wink|frown|thumbs up)\b", y):
        return _pose_prompt(c)
    words = y.split()
    if len(words) >= 2 and is_descriptor(" ".join(words[:-1])) and re.fullmatch(rf"{BODY_PARTS}|{FEATURES}", words[-1]):
        owner = noun_phrase(x)
        part = f"{owner}'s {words[-1]}" if owner not in PRONOUNS else words[-1]
        return Edit("recolor", target_of(part, c.has_mask), " ".join(words[:-1]), text=c.clause)
    look = re.fullmatch(r"(?P<d>.+?)\s+(?:appearance|look|hue|colou?r|tint|tone|shade|finish|coat|sheen|paint job|"
                        r"makeover)", y)
    if look and any(w in RCM_CORE for w in word_list(look.group("d"))):
        return Edit("recolor", target_of(x, c.has_mask), strip_articles(look.group("d")), text=c.clause)
    if is_vague(y) or re.match(r"(?:new\s+)?(?:look|makeover|touch|boost|update)\b", y):
        raise Vague(f"'{c.clause}' does not say what to change: name a colour, object, style or setting")
    return Edit("add", SELECTION if c.has_mask else None, value=strip_articles(y),
                where=f"{strip_articles(y)} on {noun_phrase(x)}", text=c.clause)


def _change(c: _Ctx) -> Edit | None:
    """change / make / turn / convert / adjust ...: the verb says little, the words after it say what."""
    rest, core = c.rest, c.core
    if c.verb == "give" and not re.search(r"\b(?:colou?r|look|style|texture|finish)\b", rest):
        edit = _give(c)
        if edit is not None:
            return edit
    if c.verb in {"recolor", "recolour", "color", "colour", "paint", "dye", "tint"}:
        m = re.match(r"^(?P<x>.+?)\s+(?:to\s+|in\s+|into\s+)?(?P<y>(?:[\w-]+\s*){1,5})$", rest)
        if m and is_descriptor(m.group("y")):
            return Edit("recolor", target_of(m.group("x"), c.has_mask), strip_articles(m.group("y")), text=c.clause)
    if _is_pose(rest) or (c.verb == "turn" and re.match(rf"^(?:{BODY_PARTS}|around)\b", strip_articles(rest))):
        return _pose_prompt(c)
    if re.search(r"\b(?:size|bigger|larger|smaller|tinier|huge|enlarge)\b", core) and \
            not re.search(r"\b(?:image|canvas|picture|photo)\s+(?:bigger|larger|wider|taller)\b", core):
        target = _size_target(c)
        if target:
            return _resize(c, target)
    if re.search(r"\b(?:wider|taller)\b", core):
        return _outpaint(c)
    return _change_x_to_y(c, rest)


def _change_x_to_y(c: _Ctx, rest: str) -> Edit | None:
    vague = re.match(r"^(?P<x>.+?)\s+(?:look\s+|appear\s+|seem\s+|be\s+)?(?:a (?:lot|bit)\s+|much\s+|way\s+)?(?:more\s+)?"
                     r"(?P<y>[a-z]+)(?:\s+(?:here|again|please|overall|now))?$", IMAGE_PP.sub("", rest).strip())
    if vague and vague.group("y") in VAGUE_WORDS and not STYLE_TERMS.search(rest):
        raise Vague(f"'{c.clause}' does not say what to change about {strip_articles(vague.group('x'))}: name a colour, "
                    "brightness, style or setting (e.g. 'make the sky bluer')")
    for pattern in (_FROM_TO, _X_TO_Y):
        bm = pattern.match(rest)
        if bm:
            edit = _background_colour(c, bm.group("x"), bm.group("y"))
            if edit is not None:
                return edit
    # An explicit background: "the background colour from black to ...", "the stage background to a beach".
    m = _FROM_TO.match(rest)
    if m and re.search(r"\b(?:background|backdrop)\b", m.group("x")):
        return _from_to(c, m.group("x"), m.group("a"), m.group("y"))
    xm = _X_TO_Y.match(rest)
    if xm and re.search(r"\b(?:background|backdrop)\b", xm.group("x")) and not STYLE_TERMS.search(xm.group("y")):
        return _background(c, xm.group("x"), xm.group("y"))
    # "the colour of the car to red", "the car's colour to red", "the wall colour to beige"
    for pattern in (_ATTR_OF, _ATTR_POSS):
        am = pattern.match(rest)
        if am:
            return Edit("recolor", target_of(am.group("x"), c.has_mask), _clean_descriptor(am.group("y")),
                        text=c.clause)
    y = _y_of(rest) or ""
    if STYLE_TERMS.search(rest) and not is_descriptor(y) and not is_descriptor(_RESEMBLE.sub("", y)) and \
            not (y and is_setting(y)):
        return _style(c, _style_target(rest))
    if _BRIGHT_WORDS.search(c.core) or re.search(r"\bmake\b.*\b(?:brighter|darker|bright|dark)$", c.core):
        return _bright_edit(c, _bright_region(c))
    if m:  # "X from A to B"
        return _from_to(c, m.group("x"), m.group("a"), m.group("y"))
    xm = _X_TO_Y.match(rest)
    if xm:
        return _x_to_y(c, xm.group("x"), xm.group("y"))
    lm = _LOOK.match(rest)
    if lm:
        return _x_to_y(c, lm.group("x"), lm.group("y"), looks=True)
    return _make_adjective(c, rest)


def _y_of(rest: str) -> str | None:
    for pattern in (_FROM_TO, _X_TO_Y, _LOOK):
        m = pattern.match(rest)
        if m:
            return m.group("y")
    return None


def _style_target(rest: str) -> str | None:
    """What a style is asked for: "the dog look like a sketch" -> "the dog"; "the red ball black and white"
    -> "the red ball" (the object named before the style words)."""
    m = re.match(r"^(?P<x>.+?)\s+(?:look(?:s)?\s+like|into|to|in|as|appear|be)\b", rest)
    if m:
        return m.group("x")
    found = STYLE_TERMS.search(rest)
    x = rest[:found.start()].strip(" ,") if found else ""
    return x if x and strip_articles(x + " ").strip() else None


def _clean_descriptor(y: str) -> str:
    """"in a deep blue hue, while ..." -> "deep blue"."""
    y = re.split(r",\s*(?:while|keeping|ensuring)|\s+(?:while|keeping|ensuring)\b", y)[0]
    y = re.sub(r"^(?:in|with|to|into)\s+", "", y.strip())
    y = strip_articles(y).strip(" ,.")
    stripped = re.sub(r"\s+(?:hue|tint|shade|colou?r|tone)s?$", "", y)
    return stripped if any(w in COLOURS or w in MATERIALS for w in word_list(stripped)) else y


def _from_to(c: _Ctx, x: str, a: str, b: str) -> Edit:
    """"X from A to B": a season/time change, or X stays and its setting changes."""
    if is_env_only(b) and (is_env_only(a) or is_scene_region(x) or target_of(x, c.has_mask) is None):
        return Edit("env", None, env_value(b), text=c.clause)
    if is_descriptor(b) and not is_setting(b):
        return Edit("recolor", target_of(x, c.has_mask), _clean_descriptor(b), text=c.clause)
    xt = target_of(x, c.has_mask)
    if xt is None:
        return _background(c, None, b)
    if is_generic_background(noun_phrase(x)) or is_scene_region(x):
        return _background(c, x, b)
    return _background(c, None, b, subject=xt)  # "the tent from the forest to the beach": keep the tent


def _x_to_y(c: _Ctx, x: str, y: str, looks: bool = False) -> Edit:
    y = _RESEMBLE.sub("", y.strip())
    xt = target_of(x, c.has_mask)
    whole = xt is None or strip_articles(x) in {"season", "weather", "time of day", "time", "sky and weather",
                                                "mood", "atmosphere", "lighting"}
    if whole or xt == PRONOUN and not c.has_mask:
        return _whole_image(c, y, pronoun=xt == PRONOUN)
    if is_env_only(y) and (is_env_only(x) or is_scene_region(x)):  # "turn day into night"
        return Edit("env", None, env_value(y), text=c.clause)
    if is_descriptor(y):
        return Edit("recolor", xt, _clean_descriptor(y), text=c.clause)
    if is_generic_background(x) or (is_setting(y) and not is_descriptor(y)):
        if is_scene_region(x) or is_generic_background(x):
            return _background(c, x, y)
        return _background(c, None, y, subject=xt)
    if is_scene_region(x) and not is_vague(y):
        return _background(c, x, y)
    if re.search(r"\bblur", y):
        return Edit("blur", xt, "blurred", text=c.clause)
    if is_vague(y):
        raise Vague(f"'{c.clause}' does not say what to change ('{y}'): name a colour, object, style or setting")
    if looks or c.verb in {"adjust", "modify", "alter", "make", "edit", "update"}:
        return Edit("regenerate", xt, f"{strip_articles(x)}, {_replacement(y)}", text=c.clause)
    return Edit("replace", xt, _replacement(y), text=c.clause)


def _whole_image(c: _Ctx, y: str, pronoun: bool = False) -> Edit:
    """"make it / the image / the scene <y>": a style, an environment, brightness or a new background."""
    if STYLE_TERMS.search(y):
        return _style(c)
    if re.search(r"\b(?:vintage|retro|old-fashioned|antique|old|film|analog|cinematic|dreamy|futuristic)\b", y):
        return Edit("style", SELECTION if c.has_mask else None, f"{_clean_descriptor(y)} style", text=c.clause)
    if env_value(y) and (is_env_only(y) or not is_setting(y)):
        return Edit("env", None, env_value(y), text=c.clause)
    ratio = brightness_ratio(y)
    if ratio is not None and re.search(r"\b(?:brighter|darker|bright|dark|lighter|dimmer|sunnier)\b", y):
        return Edit("bright", None, ratio=ratio, text=c.clause)
    if re.search(r"\bwarm(?:er)?\b", y):
        return Edit("env", None, "in warm golden light", text=c.clause)
    if re.search(r"\bcool(?:er)?\b|\bcold(?:er)?\b", y):
        return Edit("env", None, "in cool blue light", text=c.clause)
    if is_setting(y):
        return _background(c, None, y)
    if pronoun and is_descriptor(y):
        return Edit("recolor", PRONOUN, _clean_descriptor(y), text=c.clause)
    if is_vague(y):
        raise Vague(f"'{c.clause}' does not say what to change: say which edit you want, e.g. 'make it brighter', "
                     "'remove the person' or 'in watercolour style'")
    raise NoBrick(f"I don't know how to make the whole image '{y}': the offline planner knows styles, weather, "
                  "seasons, time of day, brightness and backgrounds", c.clause)


def _make_adjective(c: _Ctx, rest: str) -> Edit | None:
    """"make the car red", "make it snowy", "make the sky warmer", "turn the table wooden"."""
    rest = re.sub(rf"\s+an?\s+(?:(?:plain|solid|simple)\s+)?(?=(?:(?:light|dark|pale|deep|bright|soft)\s+)?(?:{'|'.join(sorted(COLOURS))})$)",
                  " ", rest)  # "make the backdrop a plain grey"
    clear = re.fullmatch(r"(?P<x>.+?)\s+(?:transparent|see-through|a png|into a png)", rest)
    if clear:  # "make the background transparent", "make this man transparent": a cut-out
        x = clear.group("x")
        kept = None if is_generic_background(strip_articles(x)) else target_of(x, c.has_mask)
        return Edit("extract", SUBJECT if kept in (None, PRONOUN) else kept, text=c.clause)
    words = rest.split()
    for i in range(1, len(words)):
        x, y = " ".join(words[:i]), " ".join(words[i:])
        if not strip_articles(x + " ").strip() or x.strip() in {"my", "his", "her", "their", "its", "our", "your", "this",
                                                                "that", "these", "those", "some"}:
            continue  # "the" alone names nothing
        if is_descriptor(y) and not is_descriptor(x):
            edit = _background_colour(c, x, y)
            if edit is not None:
                return edit
            xt = target_of(x, c.has_mask)
            if xt is None:
                return _whole_image(c, y)
            return Edit("recolor", xt, _clean_descriptor(y), text=c.clause)
    for i in range(1, len(words)):
        x, y = " ".join(words[:i]), " ".join(words[i:])
        if is_env_only(y) and (target_of(x, c.has_mask) in (None, PRONOUN) or is_scene_region(x) or
                               head_noun(x) in {"pavement", "sidewalk", "driveway", "asphalt", "tarmac", "path", "roads"}):
            return Edit("env", None, env_value(y), text=c.clause)  # "make it snowy", "make the street wet"
        if target_of(x, c.has_mask) in (None, PRONOUN) and env_value(y) and \
                re.fullmatch(r"(?:an?\s+)?(?:[\w-]+\s+){0,2}(?:street|streets|road|city|town|sidewalk|pavement|scene)", y):
            return Edit("env", None, env_value(y), text=c.clause)  # "make it a rainy street": the same street, wet
        if re.fullmatch(r"(?:more\s+|a bit\s+|slightly\s+|much\s+)?(?:warmer|warm|cooler|cool|colder)", y):
            xt = target_of(x, c.has_mask)
            if xt in (None, PRONOUN):
                return _whole_image(c, y)
            return Edit("recolor", xt, "warmer tones" if "warm" in y else "cooler tones", text=c.clause)
        if re.fullmatch(r"(?:more\s+|a bit\s+)?(?:blurry|blurred|out of focus)", y):
            return _blur(replace(c, rest=x))
    if not words:
        return None
    if is_vague(rest) or is_vague(" ".join(words[-1:])):
        raise Vague(f"'{c.clause}' does not say what to change: say which edit you want, e.g. 'make it brighter', "
                     "'remove the person' or 'in watercolour style'")
    target = words[0] if len(words) == 1 else None
    if target and target_of(target, c.has_mask) in (None, PRONOUN):
        return _whole_image(c, rest)
    raise NoBrick(f"I don't understand what '{c.clause}' should change: try e.g. 'make the car red', "
                  "'change the background to a beach' or 'make it night'", c.clause, _first_object(words, c.has_mask))


def _first_object(words: list[str], has_mask: bool) -> str | None:
    """The object a clause names first ("him bald" -> the person), for an edit no specialised brick makes."""
    for i in range(1, min(len(words), 6)):
        target = target_of(" ".join(words[:i]), has_mask)
        if target not in (None, PRONOUN) and not is_descriptor(" ".join(words[:i])):
            return target
    return None


def _level(c: _Ctx) -> Edit:
    """increase / decrease / boost / lower ...: brightness, size, or (raise/lower) a body part."""
    if _BRIGHT_WORDS.search(c.core) or re.search(r"\blight\b|\bglow\b", c.core):
        return _bright_edit(c, _bright_region(c))
    if re.search(r"\bsize\b|\bscale\b", c.core):
        target = _size_target(c)
        if target:
            return _resize(c, target)
    if _is_pose(c.core):
        return _pose_prompt(c)
    what = unsupported_op(c.core)
    if what:
        raise TextRefused(f"there is no brick for {what} yet; the offline planner can change brightness, colours, "
                          "backgrounds, styles, weather and poses")
    raise TextRefused(f"I don't know what to {c.verb} in '{c.clause}': say e.g. 'increase the brightness'")


_SHOULD_BE = re.compile(r"^(?P<x>.+?)\s+(?:should|must|needs? to|has to|ought to|shall|will|is to|are to)\s+(?:be|look|become|appear|shine|glow|"
                        r"gleam|glisten|sparkle|turn)\s+"
                        r"(?:like\s+)?(?P<y>.+)$")


_TOO = re.compile(r"^(?P<x>.+?)\s*(?:\s(?:is|are|looks?|seems?|was|were|got|came out|turned out|appears?)|'s|'re)\s+"
                  r"(?:just\s+|way\s+|a bit\s+|a little(?: bit)?\s+|kinda\s+|kind of\s+|very\s+|much\s+|far\s+|"
                  r"really\s+|so\s+|super\s+)*too\s+(?P<y>[\w -]+?)(?:\s+(?:now|here|overall))?$")
_FIXES = (
    (r"dark|dim|underexposed|gloomy|shadowy|black", "brighten {x}", True),
    (r"bright|overexposed|light|washed[- ]out|blown[- ]out|harsh", "darken {x}", True),
    (r"blurry|blurred|soft|fuzzy|out of focus|unclear|unsharp", "sharpen the image", False),
    (r"noisy|grainy|speckled", "remove the noise", False),
    (r"hazy|foggy|misty|murky", "remove the haze", False),
    (r"yellow|warm|orange", "make it cooler", False),
    (r"blue|cold|cool", "make it warmer", False),
    (r"saturated|colou?rful|vivid|garish", "desaturate it", False),
    (r"dull|flat|muted|grey|gray|bland", "increase the contrast", False),
    (r"big|large|huge", "make {x} smaller", True),
    (r"small|tiny", "make {x} bigger", True),
)
_RUINS = re.compile(r"^(?:(?:there(?:'s| is| are)|i hate|i don't like|i do not like)\s+)?(?P<x>(?:the|a|an|this|that|some|my|"
                    r"his|her|their|those|these)\s[^,]+?)\s+(?:that\s+|which\s+|who\s+)?"
                    r"(?:is\s+|are\s+)?(?:ruin(?:s|ed|ing)|spoil(?:s|ed|ing)|photobomb(?:s|ed|ing)|in the way|"
                    r"block(?:s|ed|ing) (?:the|my) view)\b")


# "the photo is blurry", "the colours are washed out", "the sky is blown out": a defect of the image, said plainly.
_DEFECT = re.compile(r"^(?:(?:the|this|my|our)\s+(?:whole\s+)?(?:[\w-]+\s+){0,2}?(?:image|photo|picture|pic|shot|photograph|selfie|"
                     r"colou?rs|lighting|exposure|sky|highlights)|it|this|everything)\s*(?:is|are|was|were|looks?|seems?|came out|"
                     r"turned out|got|'s)\s+(?:a bit\s+|a little\s+|very\s+|really\s+|so\s+|kinda\s+|kind of\s+|quite\s+|super\s+|"
                     r"all\s+|completely\s+|slightly\s+|pretty\s+)?(?P<y>[\w -]+?)(?:\s+(?:now|here|overall))?$")
# "slightly blurry wedding photo": the defect as a noun phrase (a forum post's title).
_DEFECT_NP = re.compile(r"^(?:an?\s+|my\s+|this\s+|the\s+|our\s+)?(?:(?:very|really|slightly|super|kinda|a bit|a little|quite)\s+)?"
                        r"(?P<y>blurry|blurred|noisy|grainy|hazy|foggy|underexposed|overexposed|washed[- ]out|faded|"
                        r"out of focus|out-of-focus)\s+(?:[\w'-]+\s+){0,3}?(?:photo|picture|image|pic|shot|selfie|photograph|"
                        r"portrait)s?$")
# A defect said after a story: "..., but the picture was blurry", "It's overwhelmed with noise".
_DEFECT_INSIDE = re.compile(r"\b(?:but|and|so|because|since|unfortunately|however|though)\b,?\s+(?P<d>(?:it|the|this|my)\b[^,;]*)$")
_DEFECT_FIXES = (
    (r"blurry|blurred|out of focus|out-of-focus|fuzzy|soft|unsharp", "sharpen the image"),
    (r"grainy|noisy|(?:overwhelmed|full|covered|riddled) with (?:noise|grain)", "remove the noise"),
    (r"hazy|foggy|murky", "remove the haze"),
    (r"washed[- ]out|faded|dull|flat|muted", "make the colours more vivid"),
    (r"blown[- ]out|overexposed|too bright", "recover the highlights"),
    (r"underexposed|dark|too dark|dim|gloomy", "brighten the image"),
    (r"harsh|too harsh|contrasty", "soften the harsh shadows"),
    (r"yellow|yellowish|orange", "make it cooler"),
    (r"blue|bluish", "make it warmer"),
)


def _complaint(text: str) -> str | None:
    """A complaint says what to fix: "the photo is too dark" -> "brighten the image", "the sky is way too bright" ->
    "darken the sky", "it's too blurry" -> "sharpen the image"; "there's a guy ruining the shot" -> "remove the
    guy"."""
    m = _TOO.match(text)
    if m:
        x = m.group("x").strip()
        whole = target_of(x, False) in (None, PRONOUN) or bool(re.fullmatch(
            r"(?:the|this|my|our)\s+(?:whole\s+|entire\s+)?(?:[\w-]+\s+)?(?:image|photo|picture|pic|shot|scene|lighting)", x))
        for words, fix, local in _FIXES:
            if re.fullmatch(rf"(?:{words})", m.group("y")):
                if "{x}" in fix:
                    return fix.format(x="the image" if whole else x) if (local or not whole) and not (
                        whole and fix.startswith("make {x}")) else None
                return fix if whole else None
        return None
    off = re.match(r"^(?:the|my|these|those)\s+(?P<s>colou?rs|tones?|white balance|lighting|exposure|levels)\s+(?:are|is|look|looks|seem|"
                   r"seems)\s+(?:a bit\s+|really\s+|all\s+|kinda\s+)?(?:off|wrong|weird|strange|bad|terrible|awful)$", text)
    if off:  # "the colours are off": a colour correction; "the lighting is off": even it out
        return "fix the colours" if re.match(r"colou?rs|tones?|white", off.group("s")) else "even out the lighting"
    m = _DEFECT.match(text) or _DEFECT_NP.match(text)
    if m:
        for words, fix in _DEFECT_FIXES:
            if re.fullmatch(words, m.group("y")):
                if re.search(r"\b(?:sky|highlights)\b", (text.split(" ") + [""])[1]) and "highlights" not in fix:
                    return None  # "the sky is blue" describes the sky
                return fix
    by = re.search(r"\b(?:ruin(?:ed)?|spoil(?:ed|t)?|photobomb(?:ed)?|block(?:ed)?)\s+by\s+(?P<y>(?:the|a|an|my|his|her|some|this|that|"
                   r"those|these)\s[^,]+)$", text)
    if by:
        return f"remove {by.group('y')}"  # "the moment is ruined by my ex": the ex is what to remove
    m = _RUINS.match(text)
    if m and target_of(m.group("x"), False) not in (None, PRONOUN):
        return f"remove {m.group('x')}"
    return None


def _bare(c: _Ctx) -> Edit | None:
    """No edit verb: "in watercolour style", "Van Gogh style", "snowy winter", "at sunset", "brighter", and
    wishes like "the sky should be purple" (only for colours, styles and weather: "the lifeguard should be
    wearing ..." in a description is not an edit)."""
    text = c.core
    fix = _complaint(text)
    if fix is not None:
        return parse_clause(fix, c.has_mask, c.image_size)
    m = _SHOULD_BE.match(text)
    if m:
        y = re.sub(r"^(?:in|with)\s+", "", m.group("y"))
        if is_descriptor(y) or STYLE_TERMS.search(y) or is_env_only(y) or \
                re.fullmatch(r"(?:much\s+|a bit\s+|slightly\s+)?(?:brighter|darker)", y):
            x = re.sub(rf"(?:'s)?\s+(?:{ATTRIBUTE_WORDS})$", "", m.group("x"))  # "the roof's colour shall be black"
            return _x_to_y(replace(c, verb="make"), x, y)
        return None
    if STYLE_TERMS.search(text) and (re.search(r"\bstyle\b", text) or len(word_list(text)) <= 5):
        return _style(c)
    m = _FROM_TO.match(text)
    if m and is_descriptor(m.group("a")) and is_descriptor(m.group("y")) and len(word_list(m.group("x"))) <= 3:
        return _from_to(replace(c, verb="change"), m.group("x"), m.group("a"), m.group("y"))  # "grille from grey to black"
    if STYLE_TERMS.search(text) and (re.match(r"^[a-z]+\s+(?:the|this|my|our|a|an|its)\s+(?:[\w-]+\s+)?(?:image|photo|"
                                             r"picture|scene|viewer|visual|composition|shot|narrative|impact|look|"
                                             r"aesthetic|atmosphere|mood|feel)\b", text) or _EXPRESSIVE.match(text)):
        # "immerse the image in the fluidity of watercolor painting", "craft a narrative ... in black and white"
        return Edit("style", SELECTION if c.has_mask else None, _style_words(text), text=c.clause)
    only_day = env_value(text) == "on a sunny day" and not re.search(r"\b(?:sunny|sunshine|daytime|daylight|midday|"
                                                                     r"noon)\b", text)
    first = (word_list(text) or [""])[0]
    starts_well = bool(env_value(first)) or first in ENV_FILLERS or first in {"snowy", "rainy", "foggy", "sunny"}
    if is_env_only(text) or (env_value(text) and len(word_list(text)) <= 4 and not is_setting(text) and not only_day
                             and starts_well):
        return Edit("env", None, env_value(text), text=c.clause)
    if re.fullmatch(r"(?:much\s+|a bit\s+|slightly\s+|a lot\s+|more\s+)?(?:brighter|darker|lighter|dimmer)"
                    r"(?:\s+(?:please|a bit|slightly|a lot))?", text):
        return Edit("bright", None, ratio=brightness_ratio(text), text=c.clause)
    return None


_SAYS = r"(?:to\s+say|to\s+read|so\s+(?:that\s+)?it\s+(?:says|reads)|say|says|read|reads|saying|reading)"
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
)


def _text_edit(clause: str, has_mask: bool) -> Edit | None:
    """Text written in the image: RES finds where it goes, FLUX-FILL paints the new words there; the words keep
    their case ("change the sign to say OPEN" -> a sign that says "OPEN")."""
    for pattern in _TEXT_EDITS:
        m = pattern.match(clause)
        if not m:
            continue
        words = m.group("t").strip(" .!?,")
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
        if pattern is _TEXT_EDITS[2]:
            return Edit("replace", target, f'{target} with the text "{words}"', text=clause.lower())
        return Edit("replace", target, f'a {target} that says "{words}"', text=clause.lower())
    return None


_DRESS = re.compile(r"^(?P<v>dress|clothe|clad|adorn|drape|deck(?: out)?|cloak|coat|cover|bathe|wash|douse|splash|tint|shade|swathe|"
                    r"wrap|drench|glaze|spray|cover|paint|colou?r|render|dip|shroud|envelop|robe|fill)\s+"
                    r"(?P<x>.+?)\s+(?:in|with)\s+(?P<y>.+)$")
_GRACE = re.compile(r"^(?:let\s+)?(?P<y>.+?)\s+(?:(?:shall|should|will|must|may|can)\s+)?(?:grace|cover|coat|adorn|tint|"
                    r"dominate|envelop|wash over|bathe|take over|fill|paint|drench|swathe|spread (?:over|across))s?\s+"
                    r"(?P<x>.+)$")
_MOVE = re.compile(r"^(?:edit|photoshop|move|bring|shift|drag|pull|push|put|place)\s+.+?\s+(?:closer|nearer|further|"
                   r"farther|together)\b")
_SPACE = re.compile(r"^(?:add|put|give|leave|create|make)\s+(?:me\s+)?(?:(?:just\s+)?(?:a\s+(?:little\s+)?bit\s+of|some|"
                    r"more|a little|extra|an?)\s+)?(?:(?:white|blank|empty|plain|extra|more|negative)\s+)?(?:space|room|"
                    r"padding|margin|margins|border|canvas)\s+(?P<where>around|on|to|at|above|below|left|right|"
                    r"top|bottom|on both sides|either side)\b")
_COMPARATIVE = {"whiter": "white", "blacker": "black", "bluer": "blue", "redder": "red", "greener": "green",
                "yellower": "yellow", "pinker": "pink", "grayer": "gray", "greyer": "grey"}


# "<any verb> the brightness / luminosity / clarity ...": the noun says the edit, the verb only says which way.
_BRIGHT_NOUNS = ("brightness", "luminosity", "luminance", "radiance", "glow", "illumination", "light", "lighting",
                 "exposure", "brilliance", "lightness")
_SHARP_NOUNS = ("sharpness", "clarity", "crispness", "definition", "focus", "acuity", "details", "detail", "sharp details",
                "edges", "texture details", "fine details", "fine lines", "outlines", "textures")
_QUALITY_NOUN = re.compile(
    r"(?P<v>[a-z]+(?:\s+(?:up|down))?)\s+(?:the\s+|this\s+)?(?:overall\s+|general\s+|(?:image|photo|picture|scene)(?:'s)?\s+)?"
    r"(?:visual\s+)?(?P<n>" + "|".join(_BRIGHT_NOUNS + _SHARP_NOUNS) + r")(?:\s+(?:levels?|quotient|intensity|conditions|"
    r"quality))?(?:\s+(?:of|in)\s+(?:the|this)\s+(?:image|photo|picture|scene|shot))?")
_LOWERING = r"(?:reduc|lower|decreas|dim|diminish|soften|tone|damp|weaken|cut|mute|tam|subdu|darken|lessen|minimi|curb|" \
            r"restrain|temper|moderat)"
_SETTING_TO = re.compile(
    r"^[a-z]+(?:\s+(?:adjustments|changes)\s+to)?\s+(?:the\s+|its\s+)?(?:background|backdrop|setting|environment|"
    r"surroundings|scenery|scene|elements|ambiance|ambience|atmosphere|location|place)\s+(?:(?:of|in)\s+)?(?:(?:this|the)\s+)?"
    r"(?:image|photo|photograph|picture|pic|shot)?\s*to\s+[a-z]+\s+(?P<y>(?:an?|the|some)\s+.+)$")
_NEW_BACKGROUND = re.compile(r"^(?:create|generate|make|give|put|add|get|use|set|have)\s+(?:me\s+|it\s+|this\s+|us\s+)?(?:an?\s+|some\s+)"
                             r"(?P<d>(?:(?!(?:in|to|at|on|of|near|with|the|behind|by|into|from|and)\b)[\w,'-]+\s+){0,4}?)\s*"
                             r"(?:background|backdrop)(?:\s+(?:behind|for|to|around|of|under)\s+"
                             r"(?P<x>.+?))?(?:\s+(?:instead|please))?$")


def _paraphrase(c: _Ctx) -> Edit | None:
    """Recolours, moves and canvas growth said without their usual verb: "dress the girl in yellow", "adorn the
    crane with a red hue", "yellow shall grace the tree", "brown the ground's colour", "add white space around the
    logo" (outpainting); "move my friend closer" is refused (no brick moves an object)."""
    text = c.core
    if re.match(r"^(?:(?:clean|tidy|touch|fix|spruce|sort|jazz|spice|liven|punch)\s+(?:(?:this|it|that|the (?:image|photo|"
                r"picture|pic)|everything|things)\s+)?up|(?:clean|tidy)\s+up\s+(?:the\s+)?(?:background|image|photo|picture|scene|shot)|(?:fix|improve|enhance|retouch|edit|photoshop|redo)\s+(?:this|it|"
                r"that|the (?:image|photo|picture|pic))|(?:do|make|try|add)\s+(?:something|anything|some magic|your "
                r"magic)\b.*)$", text):
        raise Vague(f"'{c.clause}' does not say what to change: say what to change, e.g. 'remove the person on the "
                    "left', 'make the sky bluer' or 'in watercolour style'")
    if _MOVE.match(text):
        raise TextRefused(f"'{c.clause}': moving an object is not something the bricks do in one step: remove it, "
                          "then add it where you want it")
    if _SPACE.match(text):
        return _outpaint(replace(c, rest=""))
    m = _DRESS.match(text)
    if m and is_descriptor(m.group("y")):
        x = noun_phrase(m.group("x"))
        clothes = m.group("v") in {"dress", "clothe", "clad"} and x not in PRONOUNS
        target = target_of(f"{x}'s clothes" if clothes else m.group("x"), c.has_mask)
        value = re.sub(r"\s+(?:hue|tone|shade|colou?r|tint)s?$", "", _clean_descriptor(m.group("y")))
        return Edit("recolor", target if target is not None else SUBJECT, value, text=c.clause)
    m = _GRACE.match(text)
    if m and is_descriptor(m.group("y")) and target_of(m.group("x"), c.has_mask) is not None:
        return Edit("recolor", target_of(m.group("x"), c.has_mask), _clean_descriptor(m.group("y")), text=c.clause)
    m = re.match(r"^clear\s+(?:away\s+|out\s+|off\s+)?(?P<x>(?:the|this|that|all|any|those|these)\s+.+)$", text)
    if m and head_noun(m.group("x")) not in SCENE_NOUNS | {"image", "photo", "picture", "view"}:
        return _remove(replace(c, rest=m.group("x"), verb="remove"))  # "clear the shadow from the ground"
    if re.match(r"^(?:fix|correct|balance|even out|adjust|repair)\s+(?:the\s+)?(?:lighting|light|brightness|exposure)\b", text):
        edit = _bright_edit(c, _bright_region(c) or re.sub(r"^\w+(?:\s+out)?\s+", "", text))
        if re.search(r"\b(?:flash|overexpos\w*|too bright|blown|washed out)\b", c.clause):
            edit = replace(edit, ratio=0.35)  # "correct the brightness, the flash ruined it": darker
        return edit
    m = re.match(r"^(?:put|place|set|move)\s+(?P<x>.+?)\s+(?:on|onto|in front of|against)\s+(?:an?\s+)?(?P<d>(?:[\w,-]+\s+){0,3}?)"
                 r"(?:background|backdrop)$", text)
    if m:
        keep = target_of(m.group("x"), c.has_mask)
        what = m.group("d").strip(" ,") or "plain"
        return _background(c, None, f"{what} background", subject=keep if keep not in (None, PRONOUN) else SUBJECT)
    m = _QUALITY_NOUN.fullmatch(text)
    if m and not any(p.match(text) for g, p in VERB_RES if g in ("remove", "extract", "add", "replace")):
        lower = re.match(_LOWERING, m.group("v"))
        if m.group("n") in _SHARP_NOUNS:
            if lower:
                return None
            return Edit("look", None, ops=(("SHARPEN", (("amount", 0.5),)),), text=c.clause)
        ratio = brightness_ratio(c.clause)
        if ratio is None or (ratio < 0.5) != bool(lower):
            ratio = 0.35 if lower else 0.65
        return Edit("bright", None, ratio=ratio, text=c.clause)  # "maximizing the luminosity", "optimizing the light"
    m = re.match(r"^(?:switch|trade|change|exchange)\s+(?P<x>(?:the|this|that|his|her|their|my)\s(?:(?!\s(?:to|into|from)\s).)+?)"
                 r"\s+(?:for|with)\s+"
                 r"(?P<y>(?:an?|some|the|two|three)\s.+)$", text)
    if m:
        return _swap(c, m.group("x"), m.group("y"), replace_kind="replace")  # "trade the lamp for a vase"
    m = re.match(r"^(?:put|place|add|insert|show|draw|have|use)\s+(?P<y>.+?)\s+(?:in (?:the )?place of|instead of|where)\s+"
                 r"(?P<x>(?:the|that|this|his|her|their|my)\s.+?)(?:\s+(?:is|was|stands?|used to be))?$", text) or \
        re.match(r"^(?:let\s+)?(?P<y>(?:an?|some|two|three)\s.+?)\s+(?:should\s+|will\s+)?takes?\s+(?:over\s+)?the place of\s+"
                 r"(?P<x>.+)$", text) or \
        re.match(r"^instead of\s+(?P<x>[^,]+),\s*(?:show|put|add|have|place|use|draw|let there be)\s+(?P<y>.+)$", text)
    if m:
        return _swap(c, m.group("x"), m.group("y"), replace_kind="replace")  # "put a horse in place of the cow"
    m = _SETTING_TO.match(c.clause)
    if m and (is_setting(m.group("y")) or env_value(m.group("y"))):
        return _background(c, None, strip_articles(m.group("y")))  # "adapt the surroundings of this picture to convey a
        # jungle scene"
    m = _NEW_BACKGROUND.match(text)
    if m:
        what = strip_articles(m.group("d").strip(" ,")).strip(" ,")
        if not what or what in {"new", "different", "better", "nice", "nicer", "cool"}:
            raise TextRefused(f"'{c.clause}': say which background you want, e.g. 'a white background' or 'a beach "
                              "background'")
        keep = target_of(m.group("x"), c.has_mask) if m.group("x") else None
        return _background(c, None, f"{what.replace(',', '')} background", subject=keep if keep != PRONOUN else None)
    m = re.match(r"^(?P<v>whiten|blacken|redden|yellow|gild)\s+(?P<x>.+)$", text)
    if m and target_of(m.group("x"), c.has_mask) not in (None, PRONOUN):
        colour = {"whiten": "white", "blacken": "black", "redden": "red", "yellow": "yellow", "gild": "gold"}[m.group("v")]
        return Edit("recolor", target_of(m.group("x"), c.has_mask), colour, text=c.clause)  # "whiten my teeth"
    m = re.match(rf"^(?:change|alter|switch|modify|recolou?r|update)\s+(?:the\s+)?(?:colou?rs?\s+of\s+(?P<y>.+)|(?P<x>.+?)(?:'s)?\s+"
                 rf"(?:{ATTRIBUTE_WORDS}))$", text)
    if m and not re.search(r"\s(?:to|into|from|with|for|in)\s", m.group(0)) and \
            not is_generic_background(m.group("x") or m.group("y")) and \
            target_of(m.group("x") or m.group("y"), c.has_mask) not in (None, PRONOUN):
        # "change hair color": no colour named, so a different one (the reasoning says so)
        return Edit("recolor", target_of(m.group("x") or m.group("y"), c.has_mask), "a different colour", text=c.clause)
    first, _, rest = text.partition(" ")
    if first in COLOURS and re.match(r"(?:the|his|her|its|their|this|that|my)\s", rest):
        x = re.sub(rf"(?:'s)?\s+(?:{ATTRIBUTE_WORDS})$", "", rest)
        target = target_of(x, c.has_mask)
        if target is not None:
            return Edit("recolor", target, first, text=c.clause)  # "brown the ground's colour"
    return None


def _background_colour(c: _Ctx, x: str, y: str) -> Edit | None:
    """"make the background white", "the background colour from black to white": a plain new background."""
    if not re.fullmatch(rf"(?:the\s+|its\s+|this\s+)?(?:whole\s+|entire\s+)?(?:background|backdrop)"
                        rf"(?:'s)?(?:\s+(?:{ATTRIBUTE_WORDS}))?", x.strip()):
        return None
    value = _clean_descriptor(y)
    if not is_descriptor(value):
        return None
    value = " ".join(_COMPARATIVE.get(w, w) for w in value.split())
    return _background(c, None, value if "background" in value else f"plain {value} background")


_DETAILS = re.compile(r"^(?:i\s+)?(?:was|am|'m|were)?\s*(?:thinking|hoping|picturing|imagining)\s+(?:of|about)\s+(?:something like\s+)?"
                      r"(?P<y>(?:an?\s+|some\s+)?[\w' -]+?)(?:,|\s+or\b|$)|^(?:maybe|perhaps|ideally|preferably|something like)\s+"
                      r"(?P<z>(?:an?\s+|some\s+)?[\w' -]+?)(?:,|\s+or\b|$)|^(?P<w>(?:an?|some)\s+[\w' -]+?)(?:,|\s+or\b|$)", re.I)
_THERE_IS = re.compile(r"\bthere(?:'s| is| are|'re)\s+(?:a\s+(?:bunch|lot|couple|group|pair|few)\s+of\s+|an?\s+|some\s+|"
                       r"two\s+|three\s+|this\s+|that\s+|these\s+|those\s+|lots of\s+)(?P<x>[\w' -]+?)(?=\s+(?:in|on|at|"
                       r"behind|near|next|that|which|who|standing|sitting|walking|over|under|right)\b|[,.!?]|$)", re.I)
_PEOPLE = (r"(?:me|myself|us|ourselves|my\s+(?:late\s+|deceased\s+|dead\s+|little\s+|baby\s+)?(?:\w+\s+)?(?:father|mother|dad|mom|"
           r"mum|grandma|grandpa|grandmother|grandfather|nana|brother|sister|son|daughter|husband|wife|boyfriend|"
           r"girlfriend|fiance|fiancee|friend|uncle|aunt|cousin|baby|partner|ex|pet|dog|cat))")
# What no brick can do from words alone: a second photo, a face swap, reshaping a body, copies of a person, vectors.
_IMPOSSIBLE = tuple((re.compile(p, re.I), why) for p, why in (
    (r"\b(?:combine|merge|composite|stitch|blend|mix)\b.*\b(?:photos|images|pictures|pics|shots|these|both|two|2)\b|"
     r"\b(?:these|those|the)\s+(?:2|two|both|three|3)\s+(?:photos|images|pictures|pics|shots)\b|\bfrom (?:another|the other|a "
     r"different|my other|this other) (?:photo|picture|image|pic|shot)\b|\b(?:second|2nd|other) (?:photo|picture|image|pic)\b",
     "it needs a second image, and the offline planner edits one image from words: a model backend (local or openai) "
     "or an editor can combine photos"),
    (r"\bface[- ]?swap|\bswap\s+(?:our|their|the|his|her|my)\s+faces?\b|\bswitch\s+(?:our|their)\s+faces\b",
     "swapping faces needs both faces as images; no brick does that from words"),
    (rf"\b(?:add|put|insert|photoshop|place|include|paste|edit)\s+{_PEOPLE}\s+(?:in|into|to|onto|on|next to|beside|with)\b"
     r"(?!\s+(?:an?|the)\s+(?:[\w,-]+\s+){0,3}?(?:background|backdrop)\b)",
     "adding a particular person needs a photo of them; the bricks can only paint new things described in words"),
    (r"\bmake\s+(?:me|us|myself)\s+(?:look\s+)?(?:a\s+(?:bit|little|lot)\s+)?(?:thinner|slimmer|skinnier|fatter|taller|shorter|"
     r"younger|older|more muscular|like)\b|\b(?:thinner|slimmer|skinnier)\s+(?:face|waist|arms|legs|body)\b",
     "reshaping or re-imagining a person is not something the specialised bricks do from words"),
    (r"\b(?:clone|duplicate|multiply|copy)\s+(?:me|him|her|them|us|my|the|this|that)\b(?!\s+(?:out|stamp))",
     "copying an object to another place is not something the bricks do in one step"),
    (r"\bcolou?ri[sz]\w*", "there is no brick for colourising a black-and-white photo yet: a recolour needs a colour for a "
     "named object (e.g. 'make the dress red')"),
    (r"\bvectori[sz]\w*|\bsvg\b|\banimat(?:e|ion|ed)\b|\bgif\b|\bvideo\b(?![- ]?games?)|\b3d model\b",
     "vectors, animations and videos are not images the bricks make"),
))


# -- clause and instruction ------------------------------------------------------------------------
def parse_clause(clause: str, has_mask: bool, image_size: tuple[int, int] | None = None) -> Edit | None:
    """One clause -> an Edit; None when the clause is not an edit (a description); TextRefused when it asks
    for something the planner cannot do."""
    text_edit = _text_edit(strip_polite(clause).strip(" .,!"), has_mask)
    if text_edit is not None:
        return text_edit
    clause = canonical_verb(strip_polite(clause).lower().strip(" .,!"))
    if not clause:
        return None
    if re.fullmatch(r"(?:edit|photoshop|work on|do (?:your|some) (?:thing|magic)(?: on)?|touch up|retouch|shop)\s*(?:(?:this|the|my|it)"
                    r"(?:\s+(?:[\w-]+\s+)?(?:photo|picture|image|pic|shot))?(?:\s+(?:of|from)\s.*)?)?(?:\s+up)?", clause):
        raise Vague(f"'{clause}' does not say what to change: say which edit you want, e.g. 'make it brighter', "
                    "'remove the person' or 'in watercolour style'")
    core = trim_qualifiers(clause)
    if re.match(r"^(?:make|turn|get|reshape|change|convert)\s+(?:it|this|the (?:image|photo|picture|canvas))\s+(?:in)?(?:to\s+)?"
                r"(?:a\s+)?(?:square|panorama|\d+(?:\.\d+)?\s*:\s*\d+)\b", clause):
        return _outpaint(_Ctx(clause, core, core, "extend", has_mask, image_size))  # grow the canvas to that shape
    look = parse_look(clause, target_named=False)
    if look is not None:
        return look
    said = _paraphrase(_Ctx(clause, core, core, "", has_mask, image_size))
    if said is not None:
        return said
    for group, pattern in VERB_RES:
        m = pattern.match(core)
        if not m:
            continue
        verb = m.group(0).strip().lower()
        rest = core[m.end():].strip(" ,.")
        c = _Ctx(clause, core, rest, verb, has_mask, image_size)
        if group == "pose" and not _is_pose(core):
            continue
        if group == "level" and verb in {"raise", "lower"} and _is_pose(core):
            return _pose_prompt(c)
        handler = _HANDLERS[group]
        return handler(c)
    c = _Ctx(clause, core, core, "", has_mask, image_size)
    if _is_pose(core) and re.match(r"^(?:the|a|an|his|her|their)\s", core):
        return None
    return _bare(c)


_HANDLERS = {
    "extract": _extract,
    "remove": _remove,
    "outpaint": _outpaint,
    "add": _add,
    "replace": _replace,
    "blur": _blur,
    "style": lambda c: _style(c, _style_target(c.rest)) if style_phrase(c.core) else _change(c),
    "bright": lambda c: _bright_edit(c, _bright_region(c)),
    "level": _level,
    "resize": lambda c: _resize(c, _size_target(c) or c.rest),
    "pose": _pose_prompt,
    "change": _change,
}


def _resolve_pronouns(edits: list[Edit], has_mask: bool, mentioned: str | None = None) -> list[Edit]:
    """"extract the dog and make it red": "it" is the dog. With a selection, "it" is the selection; before any
    edit, what a sentence of context said is there ("there's a leash in the way, can someone remove it?")."""
    resolved: list[Edit] = []
    last_named: str | None = mentioned
    for edit in edits:
        if edit.kind in ("replace", "regenerate") and edit.target == PRONOUN and resolved and \
                resolved[-1].kind == "extract" and re.search(r"\bbackground\b", resolved[-1].text) and \
                re.search(r"\b(?:background|backdrop)\b", edit.value or ""):
            # "remove the background and replace it with a white one": one background change
            new = re.sub(r"\s*\b(?:background|backdrop)\b", "", edit.value or "").strip() or "white"
            kept = resolved.pop()
            resolved.append(Edit("background", None, new, keep=None if kept.target == SUBJECT else kept.target,
                                 text=f"{kept.text}, {edit.text}"))
            continue
        if PRONOUN in (edit.target, edit.keep):
            if has_mask:
                referent = SELECTION
            elif last_named:
                referent = last_named
            else:
                raise TextRefused(f"'{edit.text}' does not say which object 'it' is: name it (e.g. 'make the car "
                                  "red') or select it first")
            if edit.target == PRONOUN:
                edit = replace(edit, target=referent)
            if edit.keep == PRONOUN:
                edit = replace(edit, keep=referent)
        if edit.target not in (None, SELECTION, SUBJECT, PRONOUN) and edit.kind != "background":
            last_named = edit.target
        elif edit.kind == "add" and edit.value:
            last_named = edit.value  # "add a cat and make it black"
        resolved.append(edit)
    return resolved


def _one_brightness_per_target(edits: list[Edit]) -> list[Edit]:
    """"Brighten this up a bit? It's way too dark.": the same brightness change said twice is done once, the
    stronger of the two."""
    kept: list[Edit] = []
    for e in edits:
        before = kept[-1] if kept else None
        if before is not None and e.kind == before.kind == "bright" and e.target == before.target and \
                (e.ratio or 0.5) > 0.5 and (before.ratio or 0.5) > 0.5 or before is not None and \
                e.kind == before.kind == "bright" and e.target == before.target and (e.ratio or 0.5) < 0.5 and \
                (before.ratio or 0.5) < 0.5:
            assert before is not None
            if abs((e.ratio or 0.5) - 0.5) > abs((before.ratio or 0.5) - 0.5):
                kept[-1] = e
            continue
        kept.append(e)
    return kept


def _asks_for_look(sentence: str) -> bool:
    """A question that is only a look or starts with an editing verb ("High contrast effect?", "Less blurry?",
    "Clean up and make colors pop?") asks for that edit."""
    text = canonical_verb(strip_polite(sentence).lower().rstrip(" ?!."))
    lead = re.match(r"[a-z]+", text)
    if lead and lemma(lead.group(0)) in KNOWN_VERBS and lead.group(0) not in {"is", "are", "can", "could", "do", "does"}:
        return not re.match(r"(?:make|get|have|let|change)\s+(?:it|this)?\s*$", text)
    try:
        return parse_look(text, target_named=False) is not None
    except TextRefused:
        return True


# What the _IMPOSSIBLE table refuses that the general EDIT brick can do (reshape a person, colourise).
_EDIT_CAN = re.compile(r"\bmake\s+(?:me|us|myself)\s+(?:look\s+)?(?:a\s+(?:bit|little|lot)\s+)?(?:thinner|slimmer|skinnier|"
                       r"fatter|taller|shorter|younger|older|more muscular)\b|\bcolou?ri[sz]\w*", re.I)


def parse_instruction(text: str, has_mask: bool = False,
                      image_size: tuple[int, int] | None = None, *, general_edit: bool = False,
                      edit_hint: str | None = None) -> tuple[list[Edit], list[str]]:
    """(edits in order, notes on what was ignored). Raises TextRefused with a readable reason.
    `general_edit`: the EDIT brick can run, so a clear edit that no specialised brick covers becomes an "edit"
    Edit instead of a refusal; otherwise such a refusal ends with `edit_hint` (what would make it work)."""
    text = normalize(text)
    if not text:
        raise TextRefused("the instruction is empty: say what to change, e.g. 'remove the dog' or 'make the sky "
                          "orange'")
    edits: list[Edit] = []
    notes: list[str] = []
    questions: list[str] = []
    mentioned: str | None = None
    refusals: list[tuple[str, str]] = []
    vague: list[str] = []
    for sentence in sentences(text):
        request, asked = as_request(sentence)
        if not asked and is_question(strip_polite(sentence)):
            inside = embedded_request(sentence.rstrip("?"))  # "is there any hope of brightening this photo?"
            if inside is None and _asks_for_look(sentence):
                inside = strip_polite(sentence).rstrip(" ?")  # "High contrast effect?", "Less blurry?"
            if inside is None:
                questions.append(strip_polite(sentence))
                continue
            request, asked = as_request(inside)[0], True
        sentence = request
        if not sentence:
            continue
        there = _THERE_IS.search(sentence)
        if there and not edits:
            mentioned = target_of(there.group("x"), has_mask)  # "there's a bunch of people behind us. remove them"
            mentioned = mentioned if mentioned not in (None, PRONOUN, SELECTION, SUBJECT) else None
        details = _DETAILS.match(sentence)
        wanted = (details.group("y") or details.group("z") or details.group("w")) if details else None
        if wanted and refusals and "which background" in refusals[-1][1] and is_setting(wanted):
            refusals.pop()  # "Could I get a new background? Was thinking of a snowy road, ..."
            edits.append(Edit("background", None, strip_articles(wanted), text=sentence.lower()))
            continue
        impossible = next((why for pattern, why in _IMPOSSIBLE if pattern.search(sentence)), None)
        placed = re.match(r"^(?:put|place|photoshop)\s+(?:me|us|him|her|them)\s+(?:on|in|at|into|onto)\s+(?P<y>.+?)[.!?]*$",
                          sentence, re.I)
        if impossible and placed and is_setting(strip_articles(placed.group("y").lower())):
            impossible = None  # "put me on a beach": the people stay, the setting changes
        if impossible and _EDIT_CAN.search(sentence):
            if not general_edit:
                refusals.append((sentence, f"{impossible} ({edit_hint})" if edit_hint else impossible))
                continue
            impossible = None  # the clause loop hands it to EDIT
        if impossible:
            refusals.append((sentence, impossible))
            continue
        # From the first edit verb only (atomic): retrying at every later verb was quadratic in long texts.
        either = re.search(rf"^(?>.*?\b(?:{SPLIT_VERBS})\b).*?\s+or\s+(?:just\s+|maybe\s+|else\s+)?"
                           rf"(?=(?:{SPLIT_VERBS})\b)", sentence, re.I)
        if either:
            refusals.append((sentence, f"'{sentence}' asks for one edit or another: say which one you want"))
            continue
        for position, clause in enumerate(clauses(sentence.rstrip("?"))):
            if mentioned and not edits and not has_mask and re.search(r"\b(?:it|them)\b", clause) and \
                    any(g == "remove" and p.match(canonical_verb(strip_polite(clause).lower())) for g, p in VERB_RES):
                clause = re.sub(r"\b(?:it|them)\b", f"the {mentioned}", clause, count=1)  # "..., remove it": the thing named
            try:
                if general_edit and _EDIT_CAN.search(clause):
                    raise NoBrick("", clause, _first_object(clause.lower().split()[1:], has_mask))
                edit = parse_clause(clause, has_mask, image_size)
                inside = embedded_request(clause) if edit is None else None
                if inside is not None:  # "would be so grateful if someone could remove ...", "request to remove ..."
                    edit = parse_clause(as_request(inside)[0], has_mask, image_size)
                defect = _DEFECT_INSIDE.search(clause.lower()) if edit is None else None
                fix = _complaint(defect.group("d").strip(" .!")) if defect else None
                if fix is not None:  # "I met him but the picture was blurry"
                    edit = parse_clause(fix, has_mask, image_size)
            except Vague as exc:
                vague.append(exc.reason)
                continue
            except NoBrick as exc:
                if general_edit:  # no specialised brick: the general EDIT brick does it
                    edits.append(Edit("edit", exc.target, exc.prompt, text=clause.lower()))
                else:
                    refusals.append((clause, f"{exc.reason} ({edit_hint})" if edit_hint else exc.reason))
                continue
            except TextRefused as exc:
                refusals.append((clause, exc.reason))
                continue
            lead = re.match(r"[a-z]+", canonical_verb(strip_polite(clause).lower()))
            if edit is None and position > 0 and (any(p.match(canonical_verb(clause.lower())) for g, p in VERB_RES
                                                      if g not in ("extract", "pose")) or
                                                  (lead is not None and lemma(lead.group(0)) in KNOWN_VERBS)):
                refusals.append((clause, f"I don't understand what '{clause}' should change"))  # never drop a part
                continue
            if edit is None:
                notes.append(f"ignored '{clause}' (not an edit)")
                if position == 0 and not asked and not re.search(r"\b(?:maybe|please|just|also|can you|could you)\s+(?:"
                                                                    + SPLIT_VERBS + r")\b", sentence, re.I):
                    break  # a sentence that does not start with an edit is a description: skip it whole
            else:
                edits.append(edit)
    if refusals:
        clause, reason = refusals[0]
        if edits:  # a compound request: never drop a part silently
            done = "; ".join(f"'{e.text}'" for e in edits)
            raise TextRefused(f"I can plan {done}, but not '{clause}': {reason}")
        raise TextRefused(reason)
    if not edits:
        if vague:
            raise TextRefused(vague[0])
        if questions:
            raise TextRefused(f"'{questions[0]}' is a question, not an edit: the offline planner only plans edits "
                              "(e.g. 'remove the dog'); a model backend (local or openai) can answer questions "
                              "about the image")
        unsupported = unsupported_op(text)
        if unsupported:
            raise TextRefused(f"there is no brick for {unsupported} yet; the offline planner can remove, add, "
                              "replace, recolour, change backgrounds, styles, brightness, weather and poses, "
                              "extract objects and expand the canvas")
        raise TextRefused(f"I could not find an edit in '{text}'. The offline planner understands removing, adding, "
                          "replacing and recolouring objects, background changes, styles, brightness, weather/"
                          "season/time of day, poses, extraction and expanding the canvas — e.g. 'remove the dog'")
    notes.extend(f"ignored '{q}' (a question)" for q in questions)
    notes.extend(f"ignored: {v}" for v in vague)
    edits = _resolve_pronouns(edits, has_mask, mentioned)
    edits = _one_brightness_per_target(edits)
    same = [(e.kind, e.target, e.value, e.ratio, e.ops) for e in edits]
    return [e for i, e in enumerate(edits) if i == 0 or same[i] != same[i - 1]], notes  # said twice, done once
