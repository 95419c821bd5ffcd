"""Attribute changes: "change X to Y", "give X a Y look", "make X adjective", "raise / lower X" turn into recolours,
backgrounds, styles, brightness or size edits."""

from __future__ import annotations

import re
from dataclasses import replace

from lego_edit.builder.rules.edits import PRONOUN, SELECTION, SUBJECT, Ctx, Edit, NoBrick, TextRefused, Vague
from lego_edit.builder.rules.lexicon import (
    ATTRIBUTE_WORDS,
    BODY_PARTS,
    COLOURS,
    EXPRESSION_VERBS,
    FEATURES,
    GENERIC_BACKGROUND,
    MATERIALS,
    NOT_OBJECTS,
    PRONOUNS,
    RCM_CORE,
    STYLE_TERMS,
    VAGUE_WORDS,
    lemma,
)
from lego_edit.builder.rules.phrases import (
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
    time_of_day_env,
    unsupported_op,
    word_list,
)
from lego_edit.builder.rules.quantities import amount_of
from lego_edit.builder.rules.scenes import (
    a_thing,
    background_colour_edit,
    background_edit,
    clean_descriptor,
    is_env_scene,
    replacement_for,
    style_edit,
    style_target,
    whole_image_edit,
)
from lego_edit.builder.rules.verbs import (
    BRIGHT_WORDS,
    blur_edit,
    bright_edit,
    bright_region,
    is_pose,
    outpaint_edit,
    pose_edit,
    resize_edit,
    size_target,
)

_ATTR_OF = re.compile(rf"^(?:the\s+)?(?:[\w-]+\s+)?(?:{ATTRIBUTE_WORDS})\s+of\s+(?P<x>.+?)\s+(?:from\s+.+?\s+)?"
                      rf"(?:to|into)\s+(?P<y>.+)$")


_ATTR_POSS = re.compile(rf"^(?P<x>.+?)(?:'s)?\s+(?:{ATTRIBUTE_WORDS})\s+(?:from\s+.+?\s+)?"
                        rf"(?:to|into)\s+(?P<y>.+)$")


FROM_TO = re.compile(r"^(?P<x>.+?)\s+from\s+(?P<a>.+?)\s+(?:to|into)\s+(?P<y>.+)$")


# "to the right of" / "to the left of" is where the object is, not what it becomes
_X_TO_Y = re.compile(r"^(?P<x>.+?)\s+(?:to|into|in to)\s+(?!(?:the\s+)?(?:right|left)(?:[\s-]+hand)?(?:\s+side)?\s+of\b)(?P<y>.+)$")


_LOOK = re.compile(r"^(?P<x>.+?)\s+(?P<how>look(?:s)?\s+like|look(?:s)?|appear(?:s)?(?:\s+to\s+be)?|seem(?:s)?|"
                   r"become(?:s)?|be|resemble|feel)\s+(?P<y>.+)$")


_RESEMBLE = re.compile(r"^(?:(?:be\s+)?(?:adorned|dressed|clad|painted|colou?red|dyed|bathed|draped|decked out|covered|coated|"
                       r"swathed|shaded|wrapped|splashed|drenched|glazed|sprayed|rendered|dipped|shrouded|"
                       r"cloaked|tinted|washed)(?:\s+(?:in|with))?(?:\s+an?)?|reflect|portray|depict|show(?:case)?|feature|represent|evoke|"
                       r"display|mirror|resemble|become|be set in|be in|be set on|be on|look like|looks like|become|look|looks|appear|appears|"
                       r"seem|resemble|have|show|be)\s+(?:like\s+)?(?:more\s+)?", re.I)


def _give(c: Ctx) -> Edit | None:
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
        return bright_edit(c, None if target_of(x, c.has_mask) in (None, PRONOUN) else x)  # "give it more light"
    if target_of(x, c.has_mask) is None:  # "give the image a warm tone"
        return whole_image_edit(c, y)
    grade = re.fullmatch(r"(?P<d>.+?)\s+(?:colou?r grade|grade|grading|treatment|look|feel|vibe|aesthetic|filter|effect|"
                         r"finish|tone)", y)
    if grade and target_of(x, c.has_mask) == PRONOUN and not c.has_mask:
        return whole_image_edit(c, grade.group("d"))  # "give it a cinematic colour grade": a look of the whole image
    if re.match(rf"(?:big\s+|slight\s+|broad\s+)?(?:{EXPRESSION_VERBS}|wink|frown|thumbs up)\b", y):
        return pose_edit(c)
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


def change_edit(c: Ctx) -> Edit | None:
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
    if is_pose(rest) or (c.verb == "turn" and re.match(rf"^(?:{BODY_PARTS}|around)\b", strip_articles(rest))):
        return pose_edit(c)
    if re.search(r"\b(?:size|bigger|larger|smaller|tinier|huge|enlarge)\b|\b(?:times|twice|half)\s+as\s+(?:big|large|small|tall)\b",
                 core) and \
            not re.search(r"\b(?:image|canvas|picture|photo)\s+(?:a\s+(?:bit|little|lot)\s+|much\s+|slightly\s+)?"
                          r"(?:bigger|larger|wider|taller)\b", core):
        target = size_target(c)
        if target:
            return resize_edit(c, target)
    if re.search(r"\b(?:image|picture|photo|screenshot)s?\s+(?:a\s+(?:bit|little|lot)\s+|much\s+|slightly\s+)?(?:bigger|larger)$", core):
        raise TextRefused(f"'{c.clause}': say the new size of the image, e.g. 'resize it to 1920x1080' or 'twice the size'; "
                          "for more pixels say 'upscale it 2x', to show more around it 'expand the canvas'")
    if re.search(r"\b(?:wider|taller)\b", core):
        what = re.split(r"\s+(?:a\s+(?:bit|little|lot)\s+|much\s+|slightly\s+|even\s+)?(?:wider|taller)\b", rest, maxsplit=1)[0]
        if target_of(what, c.has_mask) not in (None, PRONOUN) and strip_articles(what) != "canvas":
            return resize_edit(c, what)  # "make the tree taller": the tree, not the canvas
        return outpaint_edit(c)
    if re.search(r"\bcanvas\s+(?:a\s+(?:bit|little|lot)\s+|much\s+|slightly\s+)?(?:bigger|larger)\b", core):
        return outpaint_edit(c)  # "make the canvas bigger": more room around the picture on every side
    return _change_x_to_y(c, rest)


def _change_x_to_y(c: Ctx, rest: str) -> Edit | None:
    if re.match(r"(?:after|before|when|while|during|upon|once|if)\b", rest):
        raise TextRefused(f"'{c.clause}' describes what happens over time, not an edit of this image: say what should "
                          "look different (e.g. 'make the water pink')")
    vague = re.match(r"^(?P<x>.+?)\s+(?:look\s+|appear\s+|seem\s+|be\s+)?(?:a (?:lot|bit)\s+|much\s+|way\s+)?(?:more\s+)?"
                     r"(?P<y>[a-z]+)(?:\s+(?:here|again|please|overall|now))?$", IMAGE_PP.sub("", rest).strip())
    if vague and vague.group("y") in VAGUE_WORDS and not STYLE_TERMS.search(rest):
        raise Vague(f"'{c.clause}' does not say what to change about {strip_articles(vague.group('x'))}: name a colour, "
                    "brightness, style or setting (e.g. 'make the sky bluer')")
    for pattern in (FROM_TO, _X_TO_Y):
        bm = pattern.match(rest)
        if bm:
            edit = background_colour_edit(c, bm.group("x"), bm.group("y"))
            if edit is not None:
                return edit
    # An explicit background: "the background colour from black to ...", "the stage background to a beach".
    m = FROM_TO.match(rest)
    if m and re.search(r"\b(?:background|backdrop)\b", m.group("x")):
        return from_to_edit(c, m.group("x"), m.group("a"), m.group("y"))
    xm = _X_TO_Y.match(rest)
    if xm and re.search(r"\b(?:background|backdrop)\b", xm.group("x")) and not STYLE_TERMS.search(xm.group("y")):
        return background_edit(c, xm.group("x"), xm.group("y"))
    # "the colour of the car to red", "the car's colour to red", "the wall colour to beige"
    for pattern in (_ATTR_OF, _ATTR_POSS):
        am = pattern.match(rest)
        if am:
            return Edit("recolor", target_of(am.group("x"), c.has_mask), clean_descriptor(am.group("y")),
                        text=c.clause)
    y = _y_of(rest) or ""
    if STYLE_TERMS.search(rest) and not is_descriptor(y) and not is_descriptor(_RESEMBLE.sub("", y)) and \
            not (y and is_setting(y)):
        return style_edit(c, style_target(rest))
    whole = _X_TO_Y.match(rest)
    if whole and re.fullmatch(r"it|this|(?:the|this)\s+(?:whole\s+)?(?:image|photo|picture|scene|shot)", whole.group("x").strip()):
        head = re.split(r"\s+with\s+|\s*,", whole.group("y"), maxsplit=1)[0]
        if is_env_only(head.replace("-", " ")):  # "change it to spring with soft warm lighting": the season, its details said
            return Edit("env", None, env_value(head.replace("-", " ")), text=c.clause)
    timed = time_of_day_env(c.core, c.core) if re.search(r"\blight(?:ing)?\b|\bglow\b", c.core) else None
    if timed:
        return Edit("env", None, timed, text=c.clause)  # "change the lighting to sunset"
    warmth = re.match(r"^(?:the\s+)?(?:lighting|light)\s+(?:(?:a bit|a little|much|slightly)\s+)?(?P<t>warmer|cooler|colder)"
                      r"(?:\s+(?:on|of|in)\s+(?P<x>.+))?$", rest)
    if warmth and c.verb == "make":  # "make the lighting warmer on her face": the colour temperature there
        amount = 0.3 if warmth.group("t") == "warmer" else -0.3
        x = warmth.group("x")
        target = target_of(x, c.has_mask) if x else None
        return Edit("look", None if target in (None, PRONOUN) else target, ops=(("TEMPERATURE", (("amount", amount),)),),
                    text=c.clause)
    if BRIGHT_WORDS.search(c.core) or re.search(r"\bmake\b.*\b(?:brighter|darker|bright|dark)$", c.core):
        return bright_edit(c, bright_region(c))
    if m:  # "X from A to B"
        return from_to_edit(c, m.group("x"), m.group("a"), m.group("y"))
    xm = _X_TO_Y.match(rest)
    if xm:
        return x_to_y_edit(c, xm.group("x"), xm.group("y"))
    lm = _LOOK.match(rest)
    if lm:
        return x_to_y_edit(c, lm.group("x"), lm.group("y"), looks=True)
    return _make_adjective(c, rest)


def _y_of(rest: str) -> str | None:
    for pattern in (FROM_TO, _X_TO_Y, _LOOK):
        m = pattern.match(rest)
        if m:
            return m.group("y")
    return None


# Nouns that name what kind of thing something is ("the animal", "the vehicle"), never where it stands.
_KIND_NOUNS = frozenset("""animal animals pet pets vehicle vehicles creature creatures object objects thing things item items
fruit fruits plant plants flower flowers bird birds breed species car cars food drink instrument toy toys""".split())


def from_to_edit(c: Ctx, x: str, a: str, b: str) -> Edit:
    """"X from A to B": a season/time change, or X stays and its setting changes."""
    if is_env_only(b) and (is_env_only(a) or is_scene_region(x) or target_of(x, c.has_mask) is None):
        return Edit("env", None, env_value(b), text=c.clause)
    xt = target_of(x, c.has_mask)
    if xt is not None and head_noun(x) in _KIND_NOUNS and not is_descriptor(a) and not is_setting(a) and \
            not is_setting(b):
        # "change the animal from tiger to a cat": the kind of thing it is, so the tiger becomes a cat
        return Edit("replace", target_of(a, c.has_mask) or xt, strip_articles(b), text=c.clause)
    if is_descriptor(b) and not is_setting(b):
        return Edit("recolor", xt, clean_descriptor(b), text=c.clause)
    if xt is None:
        return background_edit(c, None, b)
    if is_generic_background(noun_phrase(x)) or is_scene_region(x):
        return background_edit(c, x, b)
    return background_edit(c, None, b, subject=xt)  # "the tent from the forest to the beach": keep the tent


def _same_thing_recoloured(x: str, y: str) -> str | None:
    """The colour or material of `y` when it names the same thing as `x` in another one, else None."""
    y = re.sub(r"\s+(?:in|on)\s+(?:the\s+)?(?:attached|this|my)\s+(?:image|photo|picture)\b.*$", "", y.strip())
    xs, ys = word_list(strip_articles(x)), word_list(strip_articles(y))
    if len(ys) < 2 or not xs or ys[-1] != xs[-1]:
        return None
    descriptor = " ".join(ys[:-1])
    return clean_descriptor(descriptor) if is_descriptor(descriptor) else None


def x_to_y_edit(c: Ctx, x: str, y: str, looks: bool = False) -> Edit:
    y = _RESEMBLE.sub("", y.strip())
    if re.fullmatch(rf"(?:the\s+|this\s+|my\s+|our\s+)?(?:whole\s+|entire\s+)?(?:{GENERIC_BACKGROUND})", x.strip()) and \
            re.match(r"(?:an?|some)\s", y) and is_setting(y) and not STYLE_TERMS.search(y) and not is_env_scene(y):
        return background_edit(c, None, strip_articles(y))
    if re.match(r"(?:(?:the|his|her|their|its|my|our|your)\s+)?(?:facial\s+)?(?:expression|pose|posture|stance|gesture)s?\b",
                x.strip()):
        return Edit("pose", None, c.core.strip(" ."), text=c.clause)  # "change the facial expression to surprised"
    xt = target_of(x, c.has_mask)
    whole = xt is None or strip_articles(x) in {"season", "weather", "time of day", "time", "sky and weather",
                                                "mood", "atmosphere", "lighting", "theme", "color scheme", "colour scheme"}
    if whole or xt == PRONOUN and not c.has_mask:
        return whole_image_edit(c, y, pronoun=xt == PRONOUN)
    if is_env_only(y) and (is_env_only(x) or is_scene_region(x)):  # "turn day into night"
        return Edit("env", None, env_value(y), text=c.clause)
    if re.fullmatch(r"(?:black[- ]?(?:and|&|/)[- ]?white|b&w|b/w|gr[ae]y\s?scale|monochrome)(?:\s+(?:version|one|colou?rs?))?", y.strip()):
        # "update the logo to black/white": a graphic is the whole image; anything else is rendered so in its mask
        graphic = re.search(r"\b(?:logo|icon|favicon|emoji|badge|avatar|banner|image|photo|picture|illustration)s?$", x.strip())
        return Edit("style", None if graphic else xt, "black and white", text=c.clause)
    if is_descriptor(y):
        return Edit("recolor", xt, clean_descriptor(y), text=c.clause)
    same = _same_thing_recoloured(x, y)
    if same is not None:  # "change the black cat to a white cat": the same cat, white
        return Edit("recolor", xt, same, text=c.clause)
    if is_generic_background(x) or (is_setting(y) and not is_descriptor(y)):
        if is_scene_region(x) or is_generic_background(x):
            return background_edit(c, x, y)
        return background_edit(c, None, y, subject=xt)
    if is_scene_region(x) and not is_vague(y):
        return background_edit(c, x, y)
    if re.search(r"\bblur", y):
        return Edit("blur", xt, "blurred", text=c.clause)
    if is_vague(y):
        raise Vague(f"'{c.clause}' does not say what to change ('{y}'): name a colour, object, style or setting")
    if looks or c.verb in {"adjust", "modify", "alter", "make", "edit", "update"}:
        return Edit("regenerate", xt, f"{strip_articles(x)}, {replacement_for(y)}", text=c.clause)
    return Edit("replace", xt, replacement_for(y), text=c.clause)


_PEOPLE_WORDS = (r"\b(?:person|people|man|men|woman|women|girl|boy|kid|kids|child|children|baby|lady|guy|bride|groom|"
                 r"wife|husband|friend|mother|father|mom|dad|son|daughter|worker|workers|player|singer|he|she|him|her|they|"
                 r"them)\b")


def _make_adjective(c: Ctx, rest: str) -> Edit | None:
    """"make the car red", "make it snowy", "make the sky warmer", "turn the table wooden"."""
    rest = re.sub(rf"\s+an?\s+(?:(?:plain|solid|simple)\s+)?(?=(?:(?:light|dark|pale|deep|bright|soft)\s+)?(?:{'|'.join(sorted(COLOURS))})$)",
                  " ", rest)  # "make the backdrop a plain grey"
    scene = re.fullmatch(rf"(?:the\s+|this\s+|my\s+|our\s+)?(?:whole\s+|entire\s+)?(?:{GENERIC_BACKGROUND})\s+(?P<y>(?:an?|some)\s.+)",
                         rest)
    if scene and not is_descriptor(scene.group("y")) and not STYLE_TERMS.search(scene.group("y")) and \
            not is_vague(scene.group("y")):
        return background_edit(c, None, strip_articles(scene.group("y")))  # "make the background a city at night"
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
        if x.endswith("'s") and y.split()[0] in MATERIALS and len(y.split()) > 1:
            continue  # "the cat's fur grey": the fur is the cat's, and grey its colour
        if is_descriptor(y) and (not is_descriptor(x) or _material_noun(x)):
            edit = background_colour_edit(c, x, y)
            if edit is not None:
                return edit
            xt = target_of(x, c.has_mask)
            if xt is None:
                return whole_image_edit(c, y)
            return Edit("recolor", xt, clean_descriptor(y), text=c.clause)
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
                return whole_image_edit(c, y)
            return Edit("recolor", xt, "warmer tones" if "warm" in y else "cooler tones", text=c.clause)
        if re.fullmatch(r"(?:more\s+|a bit\s+)?(?:blurry|blurred|out of focus)", y):
            return blur_edit(replace(c, rest=x))
    if not words:
        return None
    if is_vague(rest) or is_vague(" ".join(words[-1:])):
        raise Vague(f"'{c.clause}' does not say what to change: say which edit you want, e.g. 'make it brighter', "
                     "'remove the person' or 'in watercolour style'")
    target = words[0] if len(words) == 1 else None
    if target and target_of(target, c.has_mask) in (None, PRONOUN):
        return whole_image_edit(c, rest)
    becomes = re.fullmatch(r"(?P<x>(?:the|this|that|my|our|their|its)\s+[\w' -]+?|him|her|them|me|us|it)\s+(?:into\s+)?(?:an?|some)\s+"
                           r"(?P<y>[\w' -]+)", rest)
    if becomes and c.verb in {"make", "turn", "change"}:
        xt = target_of(becomes.group("x"), c.has_mask)
        y = becomes.group("y")
        if xt == PRONOUN and a_thing(y):
            return whole_image_edit(c, y, pronoun=True)  # "make it a cat": the main subject becomes one
        if xt not in (None, PRONOUN, SUBJECT) and not is_descriptor(y) and not STYLE_TERMS.search(y) and not is_vague(y) \
                and not env_value(y):
            return Edit("replace", xt, replacement_for(y), text=c.clause)  # "make the villa a tepee": a new object there
    whole = re.fullmatch(r"(?:it|this|everything|(?:the|this|my)\s+(?:whole\s+)?(?:image|photo|picture|pic|shot|scene))\s+"
                         r"(?P<y>.+)", rest)
    if whole and re.search(r"\b(?:vintage|retro|old-fashioned|antique|film|analog|cinematic|dreamy|futuristic)\b",
                           whole.group("y")):
        return whole_image_edit(c, whole.group("y"))  # "make it vintage": a look of the whole picture
    bare = re.fullmatch(r"(?:them|it|this)\s+(?:into\s+)?(?P<y>(?:\d+\s+)?[\w'-]+s)", rest)
    if bare and c.verb in {"make", "turn", "change"} and not c.has_mask:
        return whole_image_edit(c, bare.group("y"), pronoun=True)  # "make them zebras"
    raise NoBrick(f"I don't understand what '{c.clause}' should change: try e.g. 'make the car red', "
                  "'change the background to a beach' or 'make it night'", c.clause, first_object(words, c.has_mask))


def _material_noun(x: str) -> bool:
    """A material word used as a noun ("the fur", "her leather", "the glass"): the thing made of it, not a colour."""
    words = x.split()
    return 2 <= len(words) <= 3 and words[0] in {"the", "my", "his", "her", "their", "its", "our", "your"} and \
        words[-1] in MATERIALS


def first_object(words: list[str], has_mask: bool) -> str | None:
    """The object a clause names first ("him bald" -> the person), for an edit no specialised brick makes."""
    for i in range(1, min(len(words), 6)):
        target = target_of(" ".join(words[:i]), has_mask)
        if target not in (None, PRONOUN) and not is_descriptor(" ".join(words[:i])):
            return target
    return None


def level_edit(c: Ctx) -> Edit:
    """increase / decrease / boost / lower ...: brightness, size, or (raise/lower) a body part."""
    if BRIGHT_WORDS.search(c.core) or re.search(r"\blight\b|\bglow\b", c.core):
        return bright_edit(c, bright_region(c))
    if re.search(r"\bsize\b|\bscale\b", c.core):
        target = size_target(c)
        if target:
            return resize_edit(c, target)
    if is_pose(c.core):
        return pose_edit(c)
    what = unsupported_op(c.core)
    if what:
        raise TextRefused(f"there is no brick for {what} yet; the offline planner can change brightness, colours, "
                          "backgrounds, styles, weather and poses")
    enhanced = _enhanced_region(c)
    if enhanced is not None:
        return enhanced
    raise TextRefused(f"I don't know what to {c.verb} in '{c.clause}': say e.g. 'increase the brightness'")


# Parts of a person a tone boost would not enhance (they want retouching, which no specialised brick does).
_PERSON_PARTS = frozenset("face faces eyes eye skin smile teeth lips hair body features".split())


def _enhanced_region(c: Ctx) -> Edit | None:
    """"improve the sky", "enhance the sunset", "boost the flowers": a region made more vivid, as an editor's
    local enhance does (a little contrast and colour inside its mask)."""
    if lemma(c.verb) not in {"enhance", "improve", "increase", "boost", "better", "beautify", "intensify", "accentuate"}:
        return None
    phrase = re.sub(r"\s+(?:a bit|a little|slightly|a lot|more|please|too|as well)$", "", c.rest.strip(" ,."))
    phrase = re.sub(rf"(?:'s)?\s+(?:{ATTRIBUTE_WORDS})$", "", phrase)  # "the sky's colours": the sky
    if not re.match(r"(?:the|this|that|these|those|my|our|his|her|their)\s", phrase) or len(word_list(phrase)) > 5:
        return None
    target = target_of(phrase, c.has_mask)
    if target is None or target.startswith("<") or set(word_list(target)) & (_PERSON_PARTS | NOT_OBJECTS):
        return None
    amount = round(amount_of(c.clause, 0.2), 3)
    return Edit("look", target, ops=(("CONTRAST", (("amount", amount),)), ("SATURATION", (("amount", amount),))),
                text=c.clause)
