"""Whole-image and background edits: a new background (keeping the subject), a style, a look or colour for the
whole picture, and the cleaned-up descriptors they take."""

from __future__ import annotations

import re

from lego_edit.builder.rules.edits import PRONOUN, SELECTION, SUBJECT, Ctx, Edit, NoBrick, TextRefused, Vague
from lego_edit.builder.rules.lexicon import (
    ATTRIBUTE_WORDS,
    COLOURS,
    MATERIALS,
    STYLE_TERMS,
    WHOLE_IMAGE,
)
from lego_edit.builder.rules.looks import whole_look_ops
from lego_edit.builder.rules.phrases import (
    IMAGE_PP,
    env_value,
    head_noun,
    is_descriptor,
    is_env_only,
    is_generic_background,
    is_setting,
    is_vague,
    strip_articles,
    target_of,
    time_of_day_env,
    word_list,
)
from lego_edit.builder.rules.quantities import (
    brightness_ratio,
)


def replacement_for(text: str) -> str:
    """The new object: "a lion standing majestically in the same forest setting, under ..." -> "lion standing
    majestically"."""
    y = re.split(r",(?=\s*(?:under|over|surrounded|with|as|while|and|which|that|in|on|near|placed|so|to|blending|"
                 r"matching|keeping|ensuring|maintaining|where|set|located)\b)|\s+(?:in the same|keeping|while|that|"
                 r"which|so that|instead)\b", text, maxsplit=1)[0]
    return strip_articles(IMAGE_PP.sub("", y).replace(",", "")).strip(" ,.")


def kept_subject(clause: str, has_mask: bool) -> str | None:
    """The subject a background edit should keep: "... while keeping the bicycle in the foreground"."""
    m = re.search(r"\bkeep(?:ing|s)?\s+(?:the\s+)?(?P<s>[\w' -]+?)(?:\s+(?:in the foreground|intact|visible|"
                  r"unchanged|the same|in place|as is|sharp|in focus|untouched)\b|\s*$)", clause) or \
        re.search(r"\bmaking\s+(?:the\s+)?(?P<s>[\w' -]+?)\s+(?:more\s+)?(?:prominent|stand out|pop|the focus|"
                  r"in focus|sharp)\b", clause)
    if not m:
        return None
    target = target_of(m.group("s"), has_mask)
    return target if target not in (None, PRONOUN) else None


def background_edit(c: Ctx, x: str | None, y: str, subject: str | None = None) -> Edit:
    """A background edit: change region `x` (None / a generic word = the background) to `y`.

    Mask choice (made in rules.py): a kept subject -> everything but it; a named scene region
    ("the beach", "the wallpaper in the background") -> that region; otherwise the background.
    """
    # "something nicer, maybe a beach": the example is the background asked for
    y = re.sub(r"^(?:something|anything)(?:\s+(?:nicer|better|else|different|cooler|prettier|pretty|nice|cool))?,?\s*"
               r"(?:maybe|perhaps|like|such as|e\.?g\.?|say)\s+", "", y)
    y = re.sub(r"^(?:an?\s+)?(?:new\s+|different\s+)?(?:background|backdrop|setting)\s+(?:of|with|showing|featuring)\s+", "", y)
    value = replacement_for(y) if not re.search(r"\bblur", y) else "blurred"
    if re.match(r"(?:something|anything)\b", value) and not is_setting(value) and not env_value(value):
        raise TextRefused(f"'{c.clause}': say which background you want, e.g. 'a plain grey background' or 'a city "
                          "street'")
    value = re.sub(r"^(?:be\s+)?(?:set\s+)?(?:in|on|at)\s+", "", value)
    keep = subject or kept_subject(c.clause, c.has_mask)
    if re.fullmatch(r"(?:an?\s+|full\s+)?(?:transparent|transparency|see-through|alpha|none|nothing)(?:\s+(?:background|one|"
                    r"png|backdrop|layer|alpha))?(?:\s+(?:replacing|instead of)\s.*)?", value.strip()):
        # "change the logo's background to transparent": no background at all, the subject cut out
        return Edit("extract", keep if keep not in (None, PRONOUN) else SELECTION if c.has_mask else SUBJECT, text=c.clause)
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
EXPRESSIVE = re.compile(r"^(?:explore|create|craft|immerse|infuse|transport|bathe|steep|drench|envelop|channel|evoke|"
                         r"capture|reimagine|re-imagine|present|depict|portray|showcase|express|convey|emulate|mimic|"
                         r"embrace|celebrate|tell|evoke|unleash|embody|translate|reinterpret|envision|imagine)\b")


def style_words(text: str) -> str:
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


def style_edit(c: Ctx, target_text: str | None = None) -> Edit:
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


def style_target(rest: str) -> str | None:
    """What a style is asked for: "the dog look like a sketch" -> "the dog"; "the red ball black and white"
    -> "the red ball" (the object named before the style words)."""
    m = re.match(r"^(?P<x>.+?)\s+(?:look(?:s)?\s+like|into|to|in|as|appear|be)\b", rest)
    if m:
        return m.group("x")
    found = STYLE_TERMS.search(rest)
    x = rest[:found.start()].strip(" ,") if found else ""
    return x if x and strip_articles(x + " ").strip() else None


def clean_descriptor(y: str) -> str:
    """"in a deep blue hue, while ..." -> "deep blue"."""
    y = re.split(r",\s*(?:while|keeping|ensuring)|\s+(?:while|keeping|ensuring)\b", y)[0]
    y = re.sub(r"^(?:in|with|to|into)\s+", "", y.strip())
    y = strip_articles(y).strip(" ,.")
    stripped = re.sub(r"\s+(?:hue|tint|shade|colou?r|tone)s?$", "", y)
    return stripped if any(w in COLOURS or w in MATERIALS for w in word_list(stripped)) else y


# Words that name a picture, a kind of artwork or nothing in particular: "make it a masterpiece" is no new object.
_NOT_A_THING = frozenset("""masterpiece version photo photograph picture image pic scene art artwork design poster meme
wallpaper background backdrop thing things one copy edit collage gif video animation png jpg jpeg file print
illustration drawing painting render rendering sketch cartoon anime style look vibe mood feel effect filter""".split())


def a_thing(y: str) -> bool:
    """A plain noun phrase of a few words that could stand where the subject is ("an airbus a380", "3 deer")."""
    words = word_list(strip_articles(y))
    return 0 < len(words) <= 4 and words[-1] not in _NOT_A_THING and not is_vague(y) and not is_setting(y) and \
        env_value(y) is None and not STYLE_TERMS.search(y) and \
        not re.search(r"\b(?:more|less|too|very|look|like|i|i'm|me|we|you|he|she|they|is|are|am|was|were|nature)\b", y)


def is_env_scene(y: str) -> bool:
    """The same place in other weather or season: "a winter setting with snow", "a rainy evening scene"."""
    head = head_noun(re.split(r"\s+with\s+", y)[0])
    return env_value(y) is not None and head in {"setting", "scene", "day", "night", "evening", "morning", "atmosphere",
                                                 "version", "landscape", "wonderland", "weather", "look"}


def whole_image_edit(c: Ctx, y: str, pronoun: bool = False) -> Edit:
    """"make it / the image / the scene <y>": a style, an environment, brightness or a new background."""
    if STYLE_TERMS.search(y):
        return style_edit(c)
    if re.search(r"\b(?:vintage|retro|old-fashioned|antique|old|film|analog|cinematic|dreamy|futuristic)\b", y):
        return Edit("style", SELECTION if c.has_mask else None, f"{clean_descriptor(y)} style", text=c.clause)
    if env_value(y) and (is_env_only(y) or not is_setting(y) or is_env_scene(y)):
        return Edit("env", None, env_value(y), text=c.clause)
    timed = time_of_day_env(y, y) if re.search(r"\blight(?:ing)?\b|\bglow\b", y) else None
    if timed:  # "change to golden hour lighting"
        return Edit("env", None, timed, text=c.clause)
    ratio = brightness_ratio(y)
    if ratio is not None and re.search(r"\b(?:brighter|darker|bright|dark|lighter|dimmer|sunnier)\b", y):
        return Edit("bright", None, ratio=ratio, text=c.clause)
    if re.search(r"\bwarm(?:er)?\b", y):  # the colour temperature; FLUX-ENV's warm light where TEMPERATURE is missing
        return Edit("look", None, value="in warm golden light", ops=(("TEMPERATURE", (("amount", 0.3),)),), text=c.clause)
    if re.search(r"\bcool(?:er)?\b|\bcold(?:er)?\b", y):
        return Edit("look", None, value="in cool blue light", ops=(("TEMPERATURE", (("amount", -0.3),)),), text=c.clause)
    ops = whole_look_ops(y) if not pronoun or not is_descriptor(y) else ()
    if ops:  # "make the image more yellow", "make the photo punchier": tone steps on the whole picture
        return Edit("look", None, ops=ops, text=c.clause)
    if is_setting(y):
        return background_edit(c, None, y)
    if pronoun and is_descriptor(y):
        return Edit("recolor", PRONOUN, clean_descriptor(y), text=c.clause)
    if pronoun and not c.has_mask and a_thing(y) and not re.search(r"\blooks?\s+like\b|\bseems?\b", c.clause):
        # "turn it into an airbus", "make them zebras": what "it" is, is the picture's main subject (SOS finds it)
        return Edit("replace", SUBJECT, replacement_for(y), text=c.clause)
    if is_vague(y):
        raise Vague(f"'{c.clause}' does not say what to change: say which edit you want, e.g. 'make it brighter', "
                     "'remove the person' or 'in watercolour style'")
    raise NoBrick(f"I don't know how to make the whole image '{y}': the offline planner knows styles, weather, "
                  "seasons, time of day, brightness and backgrounds", c.clause)


_COMPARATIVE = {"whiter": "white", "blacker": "black", "bluer": "blue", "redder": "red", "greener": "green",
                "yellower": "yellow", "pinker": "pink", "grayer": "gray", "greyer": "grey"}


def background_colour_edit(c: Ctx, x: str, y: str) -> Edit | None:
    """"make the background white", "the background colour from black to white": a plain new background."""
    if not re.fullmatch(rf"(?:the\s+|its\s+|this\s+)?(?:whole\s+|entire\s+)?(?:background|backdrop)"
                        rf"(?:'s)?(?:\s+(?:{ATTRIBUTE_WORDS}))?", x.strip()):
        return None
    value = clean_descriptor(y)
    if not is_descriptor(value):
        return None
    value = " ".join(_COMPARATIVE.get(w, w) for w in value.split())
    return background_edit(c, None, value if "background" in value else f"plain {value} background")


_BG = r"(?:background|backdrop|bg)"
# Said as a wish or a fault rather than an order: "logo should have a transparent background", "transparent background
# for the favicon", "the favicon's background is not transparent", "remove the white background from the icon".
_TRANSPARENT = tuple(re.compile(p) for p in (
    rf"^(?P<x>.+?)\s+(?:should|must|could|would|needs? to|has to)\s+(?:have|get|be on|be given)\s+(?:an?\s+)?transparent\s+{_BG}\b",
    rf"^(?P<x>.+?)\s+needs?\s+(?:an?\s+)?transparent\s+{_BG}\b",
    rf"^(?:an?\s+)?transparent\s+{_BG}\s+(?:for|on|of)?\s*(?P<x>.+)$",
    rf"^(?:have|get|make|want|need|give me|create|provide|export|save)\s+(?:an?\s+(?:version|copy)\s+of\s+)?(?P<x>.+?)\s+"
    rf"(?:with|on)\s+(?:an?\s+)?transparent\s+{_BG}\b",
    rf"^(?P<x>.+?)(?:'s)?\s+{_BG}(?:\s+colou?r)?\s+is\s+not\s+transparent\b",
    rf"^(?:make|create|use)\s+(?:an?\s+)?transparent\s+(?P<x>[\w' -]+?)\s+{_BG}\b",
    rf"^(?:create|make|add)\s+(?:an?\s+)?transparent\s+(?:image\s+)?{_BG}\s+(?:for|to|on)\s+(?P<x>.+)$",
    rf"^(?:remove|delete|get rid of|take out|drop|strip)\s+(?:the\s+)?(?:white|black|gr[ae]y|solid|plain|colou?red)\s+"
    rf"{_BG}(?:\s+colou?r)?(?:\s+(?:of|from|to|on|in|behind)\s+(?P<x>.+))?$",
    rf"^(?:.*?\b)?make\s+(?:the\s+)?(?:image\s+)?{_BG}s?\s+(?:of\s+(?:the\s+|this\s+)?(?P<x>[\w ]+?)\s+)?transparent\b",
))
_PICTURES = frozenset("image images picture pictures photo photos screenshot screenshots it this them".split())


def background_wish_edit(clause: str, has_mask: bool) -> Edit | None:
    """A background said as a wish or a fault: transparent is a cut-out of the named thing (or the picture's
    subject); plain, simple or a named neutral colour is a new background behind it."""
    low = clause.lower().strip(" .!?")
    if "transparen" not in low and "background" not in low and "backdrop" not in low:
        return None  # every form below names the background or its transparency (a cheap test: this runs on every clause)
    if re.match(r"(?:i|we)\s+(?:have|had|got|took|shot)\s+(?:a|an|some|this|these|the|my|many|several|\d+)\b.*\b(?:pics?|photos?|"
                r"pictures?|images?|shots?|selfies?|portraits?)\s*(?:$|,)", low):
        return None  # "I have a white background pic": what the picture is, before the edit
    for pattern in _TRANSPARENT:
        m = pattern.match(low)
        if not m:
            continue
        x = re.sub(r"\s+(?:instead of|rather than)\b.*$", "", m.group("x") or "")
        x = re.sub(r"\.(?:ico|png|jpe?g|svg|gif|webp)\b", "", x)
        x = re.sub(r"\b(?:in|on|for)\s+(?:the\s+)?(?:readme\S*|website|docs?|page|site)\b.*$", "", x).strip(" ,.")
        words = word_list(x)
        if not words or words[-1] in _PICTURES or (len(words) > 1 and words[-1] in {"image", "icon"} and words[0] in
                                                                              {"system", "app"}):
            return Edit("extract", SELECTION if has_mask else SUBJECT, text=low)
        target = target_of(x, has_mask)
        return Edit("extract", SUBJECT if target in (None, PRONOUN) else target, text=low)
    if _SIMPLE_BACKGROUND.match(low):
        return Edit("background", None, "a plain neutral grey background", text=low)
    m = _PLAIN_BACKGROUND.match(low)
    if m:  # "the logo needs a white background", "amend images to be a white background": the subject on a new one
        x = re.sub(r"\.(?:ico|png|jpe?g|svg|gif|webp)\b", "", m.group("x") or m.group("y"))
        target = None if set(word_list(x)) & (_PICTURES | {"thumbnail", "thumbnails"}) else target_of(x, has_mask)
        return Edit("background", None, f"{m.group('c') or m.group('d')} background",
                    keep=None if target in (None, PRONOUN) else target, text=low)
    return None


_PLAIN = r"(?P<c>(?:plain\s+|solid\s+|pure\s+|hard\s+)?(?:white|black|gr[ae]y|light gr[ae]y|neutral))"
_PLAIN_BACKGROUND = re.compile(
    rf"^(?P<x>.+?)\s+(?:should|must|needs? to|has to)?\s*(?:have|get|needs?|be on|to be(?: on)?)\s+(?:an?\s+)?"
    rf"{_PLAIN}\s+{_BG}\b|^(?:an?\s+)?{_PLAIN.replace('?P<c>', '?P<d>')}\s+{_BG}\s+(?:in|for|on|behind)\s+(?:the\s+)?"
    rf"(?P<y>.+)$")
# "make the background simple and neutral": a plain backdrop, no colour named
_SIMPLE = r"(?:simple|simpler|plain|plainer|neutral|clean|cleaner|minimal|uncluttered|solid)"
_SIMPLE_BACKGROUND = re.compile(rf"^(?:make|get|turn|keep)\s+(?:the\s+)?(?:whole\s+)?{_BG}\s+(?:more\s+|a bit\s+)?{_SIMPLE}"
                                rf"(?:\s*(?:,|and|or)\s*(?:more\s+)?{_SIMPLE})*$")
