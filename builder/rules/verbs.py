"""One handler per object verb: remove, add, replace / swap, extract, outpaint, blur, brightness, resize, pose."""

from __future__ import annotations

import re
from dataclasses import replace

from lego_edit.builder.rules.edits import PRONOUN, SELECTION, SUBJECT, Ctx, Edit, NoBrick, TextRefused
from lego_edit.builder.rules.lexicon import (
    ANIMATE,
    ANIMATE_ACTIONS,
    BODY_PARTS,
    COLOURS,
    EXPRESSION_ADJ,
    EXPRESSION_VERBS,
    KNOWN_VERBS,
    POSE_VERBS,
    PRONOUNS,
    SETTING_NOUNS,
    STYLE_TERMS,
    lemma,
)
from lego_edit.builder.rules.looks import look_of_words, parse_look
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
    strip_articles,
    target_of,
    time_of_day_env,
    word_list,
)
from lego_edit.builder.rules.quantities import (
    aspect_name,
    aspect_of,
    brightness_ratio,
    image_resize,
    intensity,
    outpaint_to_aspect,
    percent_of,
    twice_as,
)
from lego_edit.builder.rules.scenes import background_edit, kept_subject, replacement_for, style_words, whole_image_edit

_BACKGROUND_GONE = re.compile(r"^(?:the\s+|this\s+|that\s+|my\s+|an?\s+|any\s+)?(?:whole\s+|entire\s+)?(?:(?:white|black|gr[ae]y|blue|green|pink|"
                              r"red|yellow|plain|busy|current|original|existing|ugly|old|messy|dark|chequered|checkered|checkerboard|patterned|"
                              r"cluttered|distracting|boring|studio|solid|colou?red|transparent|light|bright)\s+)?(?:\([^)]{1,20}\)\s+)?"
                              r"(?:background|backdrop)s?(?:\s+colou?rs?)?"
                              r"(?P<tail>(?:\s+(?:so|with|leaving|leave|keep|keeping|except|and|of|from|in|on|behind|around|to|for|surrounding|"
                              r"completely|entirely|altogether|please|only|but)\b.*|\s*[(,.!?].*)?)$")


def remove_edit(c: Ctx) -> Edit:
    said = c.rest
    look = re.match(r"(?:the\s+|that\s+|this\s+)?(?P<e>smile|grin|frown|scowl|smirk|sad expression|angry expression|tears)\s+(?:from|off)\s+"
                    r"(?P<who>.+)$", said)
    if look:  # "remove the smile from his face": an expression changed, nothing cut out
        return Edit("pose", None, f"{c.clause}, with a neutral expression", text=c.clause)
    pp = IMAGE_PP.search(said)
    if pp and re.match(r"\s+(?:of|from|with|taken|where|that|which)\b", said[pp.end():]):
        said = said[:pp.start()]  # "me out of this picture of my mum holding ...": what the picture shows is not the object
    said = re.sub(r"\s+(?:out\s+)?of\s+(?:it|this|that|them)$", "", said)  # "take me out of it"
    rest = re.sub(r"^(?:all\s+(?:of\s+)?)?", "", IMAGE_PP.sub("", said).strip())
    rest = re.sub(r"^(?:any|all|every|each)?\s*(?:the\s+)?(?:presence|traces?|signs?|existence|evidence|remnants?|hints?)\s+of\s+",
                  "", rest)  # "erase any trace of the bicycle"
    cut = re.fullmatch(r"(?P<x>me|us|him|her|them|myself|ourselves|the (?:subject|logo|product))\s+(?:out\s+)?(?:from|off|out of)\s+(?:the|its|her|his|their|this|my)\s+(?:whole\s+)?"
                       r"(?:background|backdrop)s?", rest.strip())
    if cut:  # "remove her from the background": the person stays, cut out
        kept = target_of(cut.group("x"), c.has_mask)
        return Edit("extract", kept if kept not in (None, PRONOUN) else SUBJECT, text=c.clause)
    bg = _BACKGROUND_GONE.match(rest.strip())
    if bg and not re.search(r"\b(?:replac\w*|with an?\s+(?!transparent)\w+|to an?\b|change\w*)\b", bg.group("tail")):
        # "remove the (white) background (so it's only the logo)" = cut the subject out
        keep = re.search(r"\b(?:leaving|leave|keep(?:ing)?|so\s+(?:that\s+)?(?:it'?s|its|there'?s)|except)\s+(?:only\s+|just\s+)?"
                         r"(?P<x>[^,(]+)", bg.group("tail"))
        kept = target_of(keep.group("x"), c.has_mask) if keep else None
        return Edit("extract", kept if kept not in (None, PRONOUN) else SUBJECT, text=c.clause)
    only = re.fullmatch(r"(?:everything|all|anything)\s+(?:else\s+)?(?:except|but|other than|apart from|save)\s+(?:for\s+)?"
                        r"(?P<x>(?:me|us|him|her|them|the|my|this|that)\b.*)", rest.strip())
    if only:  # "remove everything except the logo": the logo cut out
        kept = target_of(only.group("x"), c.has_mask)
        return Edit("extract", kept if kept not in (None, PRONOUN) else SUBJECT, text=c.clause)
    around = re.fullmatch(r"(?:all\s+)?(?:the\s+)?(?:white|black|gr[ae]y|colou?red|plain)?\s*(?:space|area|stuff|bits?)?\s*"
                          r"(?:around|behind|surrounding)\s+(?P<x>(?:me|us|him|her|them|the|my|this|that)\b.*)", rest.strip())
    if around and re.match(r"(?:all\s+)?(?:the\s+)?(?:white|black|gr[ae]y|colou?red|plain|space|area)", rest.strip()):
        kept = target_of(around.group("x"), c.has_mask)  # "remove the white around the logo": the logo cut out
        return Edit("extract", kept if kept not in (None, PRONOUN) else SUBJECT, text=c.clause)
    all_but = re.fullmatch(r"(?P<x>everyone|everybody|all\s+(?:of\s+)?(?:the\s+)?(?:other\s+)?(?:[\w-]+\s+)?(?:people|persons|"
                           r"men|women|kids|children|cars|birds|boats|trees|[\w-]+s)|(?:the\s+)?(?:other\s+)?people|the\s+others)\s+"
                           r"(?:except|but|other than|apart from|save)\s+(?:for\s+)?(?P<y>(?:the|my|this|that)\s+.+)",
                           IMAGE_PP.sub("", c.rest).strip(" ,."))
    if all_but:  # "remove everyone except the bride": everyone found, her taken out of their mask, the rest removed
        kept = target_of(all_but.group("y"), c.has_mask)
        many = re.sub(r"^(?:all\s+(?:of\s+)?(?:the\s+)?(?:other\s+)?|the\s+(?:other\s+)?|other\s+)", "", all_but.group("x"))
        many = "people" if many in ("everyone", "everybody", "others", "people", "persons") else many
        who = re.match(r"(?:my|our|his|her|their)\s+(?:\w+\s+)?(?:son|daughter|kid|child|children|wife|husband|mom|mum|dad|mother|"
                       r"father|brother|sister|friend|boyfriend|girlfriend|partner|family|grandma|grandpa|baby)\b", all_but.group("y"))
        if kept not in (None, PRONOUN, SUBJECT) and not who:  # "my son" is someone only the user can point out
            return Edit("remove", target_of(many, c.has_mask), keep=kept, text=c.clause)
    if re.search(r"\b(?:except|other than|apart from|save)\s+(?:for\s+)?(?:me|us|him|her|them|the|my|this|that)\b", rest) or \
            re.search(r"\b(?:everything|everyone|everybody|all|anyone|anybody|anything)\b[^,]*\bbut\s+(?:for\s+)?(?:me|us|him|her|"
                      r"them|the|my|this|that)\b", rest):  # "..., but the people aint helping" is a comment, not "all but"
        raise TextRefused(f"'{c.clause}': removing everything but one thing is not one brick's job: name what to remove "
                          "(e.g. 'remove the people behind me'), or say 'change the background to ..., keeping me'")
    if re.match(r"(?:the\s+|this\s+|my\s+)?(?:whole\s+|entire\s+)?(?:image|photo|picture|pic)(?=\s*$|\s+(?:down|away|up|out|by|"
                r"to|and|,)\b)", rest.strip()):
        if STYLE_TERMS.search(c.clause):  # "strip the image down to its essence ... in black and white"
            return Edit("style", SELECTION if c.has_mask else None, style_words(c.clause), text=c.clause)
        raise TextRefused(f"'{c.clause}' would remove the whole image: name the object to remove (e.g. 'remove the "
                          "dog')")
    if not rest.strip():
        if c.has_mask:
            return Edit("remove", SELECTION, text=c.clause)
        raise TextRefused("the instruction says to remove something but not what: name it ('remove the dog') or "
                          "select it first")
    if re.match(r"(?:when|if|how|why|what|where|whether)\b", rest):
        raise TextRefused(f"'{c.clause}' does not name an object to remove: say what to remove (e.g. 'remove the dog')")
    colour = re.fullmatch(r"(?:only\s+|just\s+|all\s+)?(?:the\s+)?(?P<c>[a-z]+)\s+colou?r(?:\s+(?:in|from|of)\s+.+)?", rest.strip())
    if not c.has_mask and colour and colour.group("c") in COLOURS:
        raise NoBrick(f"'{c.clause}': a colour is not an object; no specialised brick takes one colour out of a picture",
                      c.clause)
    if not c.has_mask and re.fullmatch(r"(?:the\s+|all\s+(?:the\s+)?|any\s+|some\s+(?:of\s+)?(?:the\s+)?)?(?:harsh\s+|dark\s+|heavy\s+|"
                                       r"strong\s+|deep\s+|ugly\s+)*shadows", rest.strip()):
        # "remove (the harsh) shadows", no one object's shadow named: the dark areas lifted, nothing painted out
        return Edit("look", None, ops=(("SHADOWS-HIGHLIGHTS", (("shadows", 0.4), ("highlights", 0.0))),), text=c.clause)
    target = target_of(rest, c.has_mask)
    if target is None:
        raise TextRefused(f"'{c.clause}' names the whole image, not an object to remove: say which object (e.g. 'remove "
                          "the frame on the wall')")
    return Edit("remove", target, text=c.clause)


_CLOTHES = (r"\b(?:suit|dress|shirt|t-shirt|hat|cap|costume|outfit|uniform|jacket|coat|tuxedo|gown|clothes|sweater|hoodie|"
            r"glasses|sunglasses|wig|mask|scarf|skirt|jeans|shoes|boots)\b")
# "add support to ...", "add an option for ...": a feature of the app asked for; the verb after it is the edit, if any.
_FEATURE = re.compile(r"^(?:an?\s+|the\s+|some\s+)?(?:(?:new|simple|quick|easy|built-in|one-click)\s+)?(?:[\w-]+\s+){0,3}?"
                      r"(?:support|functionality|feature|option|setting|mode|ability|capability|possibility|shortcut|tool|"
                      r"function|toy|model|algorithm|method|enhancement|restoration|upscaler|enhancer|remover|sharpener|denoiser|eraser|colori[sz]er|generator|converter|"
                      r"slider|control|controls|adjustment|adjustments|brush|button|panel|plugin|plug-in)s?\b"
                      r"(?:\s+(?:to|for|that|which|so)\s+(?P<v>.+))?$")


class FeatureRequest(TextRefused):
    """An app feature asked for ("add support to change the brightness"); `inner` is the edit it names, if any."""

    def __init__(self, inner: str | None) -> None:
        super().__init__("this asks for a feature of the app, not an edit of this image: say the edit itself (e.g. "
                         "'change the brightness')")
        self.inner = inner


_AGENT_NOUNS = {"upscaler": "upscale", "enhancer": "enhance", "remover": "remove", "sharpener": "sharpen", "denoiser": "denoise",
                "eraser": "erase", "colorizer": "colorize", "coloriser": "colorize"}


def _feature_words(feature: str) -> str | None:
    """The edit a feature's own words name ("a flip image option" -> "flip image", "a dehaze slider" -> "dehaze"),
    or None when they name none ("a new tool")."""
    words = re.sub(r"^(?:an?\s+|the\s+|some\s+)?(?:(?:new|simple|quick|easy|built-in|built\s+in|one-click|better|proper)\s+)?",
                   "", feature).split()
    agent = _AGENT_NOUNS.get(words[-1].rstrip("s")) if words else None
    if agent:  # "a watermark remover" -> "remove the watermark", "an AI upscaler" -> "upscale the image"
        what = [w for w in words[:-1] if w not in {"ai", "auto", "automatic", "smart", "image", "photo", "picture"}]
        return f"{agent} the {' '.join(what)}" if what else f"{agent} the image"
    words = words[:-1]
    while words and words[-1] in {"image", "photo", "picture", "editing", "edit", "effect", "filter"}:
        if len(words) > 1 and words[-1] in {"image", "photo", "picture"} and lemma(words[0]) in KNOWN_VERBS:
            break
        words = words[:-1]
    words = words[1:] if words and words[0] in {"auto", "automatic", "one-click", "smart", "ai"} else words
    if not words or lemma(words[0]) not in KNOWN_VERBS:  # "a brightness slider": which way is not said
        return None
    return " ".join(words)


# What is added as a look, never painted in as an object: "add warm golden tones", "add cinematic colour grading",
# "add soft diffused lighting", "add a retro film look".
_LOOK_NOUNS = frozenset("""tones tone tint tints hues grading grade lighting effect effects filter filters look vibe
feel atmosphere mood desaturation saturation contrast sharpness finish aesthetic treatment highlights smoothing
sharpening colors colours color colour blacks whites midtones""".split())


_LOOK_STYLE = re.compile(r"\b(?:vintage|retro|film|cinematic|analog|old-fashioned|dreamy|noir|sepia)\b")


def _added_look(c: Ctx, obj: str) -> Edit:
    """The look the added words name (tone bricks, a style, light or weather), or a refusal that says it is a look."""
    if env_value(obj.replace("-", " ")):
        return Edit("env", None, env_value(obj.replace("-", " ")), text=c.clause)  # "golden-hour lighting"
    core = re.sub(r"\s*\b(?:effects?|filters?|look|vibe|feel|finish|treatment|aesthetic)\b", "", obj).strip()
    as_look = parse_look(obj, target_named=False) or parse_look(f"make it {obj}", target_named=False) or \
        (parse_look(f"add a {core}", target_named=False) if core else None)  # "a slight vignette effect"
    if as_look is not None:
        return replace(as_look, text=c.clause)
    named = STYLE_TERMS.search(c.clause) or _LOOK_STYLE.search(c.clause)
    if named:  # "add a retro film look", "... for a dreamy vibe": a style of the whole picture
        core = re.split(r"\s+(?:with|for|and|that|from)\s+|,\s*(?=\w+\s+\w+)", obj)[0]
        core = re.sub(r"\s+(?:colou?r\s+)?(?:filter|look|effect|feel|vibe|aesthetic|treatment|finish|grading|grade)$", "", core)
        style = core if named.group(0) in core else named.group(0)
        return Edit("style", SELECTION if c.has_mask else None, f"{style} style", text=c.clause)
    toned = look_of_words(obj)
    if toned is not None:
        return replace(toned, text=c.clause)
    raise NoBrick(f"'{c.clause}': '{obj}' is a look, not a thing to paint in, and not one the specialised bricks know "
                  "(they know contrast, colour, warmth, light, weather and named styles)", c.clause)


_LIGHT_HEAD = re.compile(r"^(?P<d>(?:[\w-]+,?\s+){1,4})(?:light|lighting|sunlight|daylight|glow|tones?|hues?)"
                         r"(?:\s+(?:from|coming|on|over|across|through|falling|streaming|pouring|shining|with)\b.*)?$")
_WARM_LIGHT = re.compile(r"\b(?:warm\w*|golden|golden-hour|amber|sunset|sunrise|sunny|honey|evening|afternoon|candle\w*)\b")
_COOL_LIGHT = re.compile(r"\b(?:cool\w*|cold|blue|bluish|icy|wintry|moonlight)\b")


def _light_look(c: Ctx, rest: str, obj: str) -> Edit | None:
    """"add soft golden-hour lighting", "add warm sunset light": the light's colour and softness are a grade of the
    whole photo (warmer, softer shadows), not a lamp painted in ("add a light" is) nor the time of day changed."""
    m = _LIGHT_HEAD.match(obj)
    if not m or re.match(r"(?:an?|one|two|three|four|several|some\s+(?:more\s+)?lamps)\b", rest):
        return None
    timed = time_of_day_env(m.group("d"), c.clause)
    if timed:
        # "add soft evening lighting", "add dramatic sunset lighting": the scene at that time of day
        return Edit("env", None, timed, text=c.clause)
    described = m.group("d").replace("hour", "").replace("-", " ")
    said = look_of_words(described)
    ops = list(said.ops) if said is not None else []
    ops = [op for op in ops if op[0] != "TEMPERATURE"]
    if _WARM_LIGHT.search(m.group("d")):
        ops.insert(0, ("TEMPERATURE", (("amount", 0.3),)))
    elif _COOL_LIGHT.search(m.group("d")):
        ops.insert(0, ("TEMPERATURE", (("amount", -0.3),)))
    elif not ops or not re.search(r"light|lighting", obj):
        return None
    return Edit("look", None, ops=tuple(ops), text=c.clause)


# "image stretch", "photo editing", "picture quality": what an app does to images, never a thing in one.
_APP_WORDS = frozenset("""stretch stretching scaling resizing resize editing editor enhancement enhancer quality filter
filters mode option options size compression format upload export rotation cropping crop viewer gallery""".split())


# People placed somewhere stay as they are; the place around them is new.
_PEOPLE_PLACED = re.compile(r"(?:the\s+|this\s+|these\s+|all\s+(?:the\s+)?)?(?:person|people|persons|man|woman|men|women|couple|family|"
                            r"group|kids|children|child|boy|girl|subject|subjects|person\s+or\s+people|people\s+or\s+person|"
                            r"people\s+in\s+the\s+(?:photo|picture|image))")


def add_edit(c: Ctx) -> Edit:
    rest = IMAGE_PP.sub("", c.rest).strip(" ,.")
    if not rest:
        raise TextRefused("the instruction says to add something but not what: say e.g. 'add a cat on the sofa'")
    obj = strip_articles(ADD_NP_STOP.split(rest, maxsplit=1)[0]).strip(" ,.")
    obj_words = word_list(obj)
    whole_rest = c.clause[len(c.verb):].strip() if c.clause.startswith(c.verb) else c.rest  # riders kept: "to change ..."
    feature = _FEATURE.match(re.sub(r"[\"']", "", re.sub(r"\s*\(.*$", "", whole_rest)))  # 'an "Enhance" button'
    if obj_words[:1] in (["image"], ["photo"], ["picture"]) and len(obj_words) > 1 and obj_words[1] in _APP_WORDS:
        raise TextRefused(f"'{c.clause}': '{obj}' names a feature of an app, not a thing to paint into this picture")
    if feature and not re.match(r"(?:the|a|an|his|her|their|its|this|that|my|our|your|him|me|us|them)\b",
                                feature.group("v") or ""):
        # "add support to change the brightness", "add an option for blurring faces", "add a flip image option": the
        # app, not the image; the edit it names (after "to", else its own words) is planned, or refused with the reason
        v = feature.group("v")
        if v and re.match(r"(?:images|photos|pictures|pics|screenshots|files|all|every|any|users?|mobile|desktop)\b", v):
            v = None  # "a watermark remover for images": whom it is for, not what it does
        head = feature.group(0)[:feature.start("v")].rsplit(None, 1)[0] if feature.group("v") else feature.group(0)
        raise FeatureRequest(v or _feature_words(head))
    if re.match(r"(?:more\s+)?(?:light|brightness|exposure)\b(?!\s+(?!to\b|on\b|in\b|into\b|from\b|at\b|and\b|please\b|a\b|"
                r"(?:the|this|that|it|everything|overall)\b)[a-z])", obj) and not re.match(r"(?:an?|one|two|three)\s", rest):
        # "add light to the room"; not "add light blue stripes", "add light stubble" (light says how)
        return bright_edit(c, None)
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
    if re.fullmatch(r"(?:more\s+|some\s+|a bit of\s+|a touch of\s+|a little\s+|extra\s+)*(?:film\s+|digital\s+|fine\s+|heavy\s+)?"
                    r"(?:grain|graininess|noise|scratches|dust|jpeg artifacts|artifacts)", obj):
        raise NoBrick(f"'{c.clause}': no specialised brick adds {obj} (DENOISE and SHARPEN only take it away)", c.clause)
    if (obj in PRONOUNS or not obj_words) and c.verb not in {"put", "place"}:  # "... Draw it.": nothing named to add
        raise TextRefused(f"'{c.clause}' does not say what to add: name it (e.g. 'add a cat on the sofa')")
    light = _light_look(c, rest, obj)
    if light is not None:
        return light
    env_head = obj_words[-1] if obj_words else ""
    if "background" in rest and re.search(r"\b(?:in|as|for)\s+the\s+background\b", rest):
        env_head = ""  # "add a dramatic sunset in the background with a desert": a new background, read below
    if env_head and is_env_only(obj) and env_head not in {"day"}:
        return Edit("env", None, env_value(obj), text=c.clause)
    weather = re.split(r"\s+with\s+", obj, maxsplit=1)[0]
    if weather != obj and is_env_only(weather) and word_list(weather)[-1] not in {"day"}:
        return Edit("env", None, env_value(weather), text=c.clause)  # "add gentle rain with droplets on the glass"
    bare = re.match(r"(?:(?P<x>(?!(?:an?|some|two|three|several|more|many|few)\b)[a-z][\w'-]*(?:\s+[a-z][\w'-]*)?)\s+)?"
                    r"(?:on|in|at|into|onto)\s+(?P<y>.+)$", rest) if c.verb in {"place", "put"} else None
    if bare and is_setting(bare.group("y")) and (bare.group("x") is None or target_of(bare.group("x"), c.has_mask)):
        # "place subject in modern office setting", "place cheese on rustic wooden board", "place on a beach"
        kept = target_of(bare.group("x"), c.has_mask) if bare.group("x") else SUBJECT
        return Edit("background", None, strip_articles(bare.group("y")), keep=kept if kept not in (None, PRONOUN) else SUBJECT,
                    text=c.clause)
    if c.verb in {"place", "put"} and (re.match(r"(?:the|this|that|his|her|their|its|me|us)\b", rest) or
                                       re.match(r"(?:them|him)\s+(?:on|in|at|into|onto)\s", rest)):
        # "place the pineapple on a sandy beach": the object stays, its setting changes.
        m = re.match(r"(?P<x>.+?)\s+(?:on|in|at|into|onto|by|near|to|against|amid|among)\s+(?P<y>.+)$", rest)
        if m and re.search(r"\btransparent\b", m.group("y")):  # "put him on a transparent background": a cut-out
            kept = target_of(m.group("x"), c.has_mask)
            return Edit("extract", kept if kept not in (None, PRONOUN) else SUBJECT, text=c.clause)
        if m and is_setting(m.group("y")):
            return Edit("background", None, strip_articles(m.group("y")), keep=target_of(m.group("x"), c.has_mask),
                        text=c.clause)
        somewhere = re.match(r"(?:me|us|him|her|them)\s+somewhere\s+(?P<y>[\w -]+)$", rest)
        if somewhere:  # "put me somewhere tropical": the people stay, somewhere new around them
            return Edit("background", None, f"a {somewhere.group('y')} place", keep=SUBJECT, text=c.clause)
        if m and re.fullmatch(r"me|us|him|her|them", m.group("x")) and re.search(_CLOTHES, m.group("y")):
            raise NoBrick(f"'{c.clause}': no specialised brick dresses someone in new clothes", c.clause,
                          target_of(m.group("x"), c.has_mask))
        if m and re.fullmatch(r"me|us|him|her|them", m.group("x")) and (re.match(r"(?:an?|the|some)\s", m.group("y")) or
                                                                        len(m.group("y").split()) <= 3):
            # "put them in the Upside Down": the people stay, the place around them is new
            return Edit("background", None, strip_articles(m.group("y")), keep=SUBJECT, text=c.clause)
        if m and _PEOPLE_PLACED.fullmatch(m.group("x")) and not re.search(_CLOTHES, m.group("y")):
            # "place the person or people in front of the Golden Gate Bridge": they stay, the place is new
            place = re.sub(r"^front\s+of\s+", "", m.group("y"))
            return Edit("background", None, strip_articles(place), keep=SUBJECT, text=c.clause)
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
    if re.fullmatch(r"(?:an?\s+|some\s+)?(?:(?:sun|lens|light)\s*flares?|sunbeams?|sun\s+rays|rays\s+of\s+(?:sun)?light)"
                    r"(?:\s+(?:effect|look|filter))?", re.sub(r"\s*\(.*$", "", obj)):  # sunlight streaming in: the light of the scene, not an object
        return Edit("env", None, "in bright sunlight with a lens flare", text=c.clause)
    glow = re.fullmatch(r"(?:an?\s+|some\s+)?(?:[\w-]+\s+){0,2}(?:glow|bloom|sparkle|shine|sheen|lens\s*flare|light\s+leaks?)",
                        obj)
    if glow and env_value(obj):  # "add a sunset glow": the time of day's light
        return Edit("env", None, env_value(obj), text=c.clause)
    if glow and re.search(r"\b(?:warm|golden|amber)\b", obj):
        return Edit("env", None, "in warm golden light", text=c.clause)
    if glow:
        on = re.search(r"\s+(?:to|on|in)\s+(?P<x>.+)$", rest)
        raise NoBrick(f"'{c.clause}': no specialised brick adds a glow, sparkle or flare", c.clause,
                      target_of(on.group("x"), c.has_mask) if on else None)
    sky_words = word_list(re.split(r"\s+with\s+", obj, maxsplit=1)[0])  # "a sunset sky with dramatic clouds"
    if len(sky_words) >= 2 and sky_words[-1] == "sky" and not re.search(r"\b(?:to|in|on|into)\s+(?:the\s+)?sky\b", rest):
        return background_edit(c, "the sky", obj)  # "add a dramatic sunset sky": the sky replaced by that one
    if obj_words and obj_words[0] in {"smile", "grin", "frown", "wink", "expression"}:
        return Edit("pose", None, f"make the person {obj_words[0]}" if obj_words[0] != "expression" else c.core,
                    text=c.clause)  # "add a smile to her face": an expression, not an object
    if re.search(r"\b(?:drop shadows?|shadow effect|outline|stroke|bevel|emboss\w*|anti-?aliasing)\b", obj):
        raise NoBrick(f"'{c.clause}': no specialised brick draws {obj} (a layer effect of the host app does)", c.clause)
    if set(obj_words) & _LOOK_NOUNS:
        return _added_look(c, obj)
    look = re.fullmatch(r"(?P<s>.+?)\s+(?:filter|effect|look|aesthetic|vibe|finish|tone|feel|overlay)", obj)
    if look and (STYLE_TERMS.search(look.group("s")) or re.search(r"\b(?:vintage|retro|old-fashioned|antique|film|analog|"
                                                                   r"cinematic|dreamy|futuristic|warm|cool|cold)\b",
                                                                   look.group("s"))):
        return whole_image_edit(c, look.group("s"))  # "add a vintage filter": a look, not an object
    if look or re.fullmatch(r"(?:[\w-]+\s+){0,3}(?:filter|effect|overlay)s?", obj):
        raise NoBrick(f"'{c.clause}': '{obj}' is not a look the specialised bricks know (they know styles, tone, weather "
                      "and light)", c.clause)  # "add a lens flare effect", "add an invert filter": not an object to place
    if re.fullmatch(r"(?:[\w-]+\s+){0,3}(?:border|outline|stroke)s?(?:\s+.*)?", obj):
        raise TextRefused(f"'{c.clause}': no brick draws a border; to extend the canvas say e.g. 'add white space around "
                          "it'")
    where = strip_articles(rest)
    where = re.sub(r"\s+(?:here|there)$", "", where)
    return Edit("add", SELECTION if c.has_mask else None, value=obj, where=where, text=c.clause)


_REPLACE_PATTERNS = (
    re.compile(r"^(?P<x>.+?)\s+with\s+(?P<y>.+)$"),
    re.compile(r"^(?P<x>.+?)\s+(?:by|for)\s+(?P<y>.+)$"),
    re.compile(r"^(?P<x>.+?)\s+(?:to|into|and put|and use)\s+(?P<y>.+)$"),
)


def replace_edit(c: Ctx) -> Edit:
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
    return swap_edit(c, x, y, replace_kind="replace")


def swap_edit(c: Ctx, x: str, y: str, replace_kind: str) -> Edit:
    """X becomes Y: a background change, a recolour ("with a black one"), or a generated replacement."""
    keep = kept_subject(c.clause, c.has_mask)
    if re.match(r"^(?:the\s+)?(?:[\w-]+\s+){0,3}?(?:background|backdrop|surroundings|scenery)\b(?!\s+(?:of|with)\b)",
                y.strip()) and not is_generic_background(x) and not re.match(r"^(?:a|an|some|new)\b", y.strip()):
        return remove_edit(replace(c, rest=x))  # "replace the girl with the background": paint her out
    keep = kept_subject(c.clause, c.has_mask)
    if is_generic_background(x) or (is_scene_region(x) and (is_setting(y) or keep)):
        return background_edit(c, x, y)
    one = re.fullmatch(r"(?:a|an|the)?\s*(?P<d>.+?)\s+(?:one|ones)", y.strip(" ,."))
    if one and is_descriptor(one.group("d")):
        return Edit("recolor", target_of(x, c.has_mask), strip_articles(one.group("d")), text=c.clause)
    target = target_of(x, c.has_mask)
    if target is None:
        raise TextRefused(f"'{c.clause}' would replace the whole image; name the object to replace "
                          "(e.g. 'replace the dog with a cat') or ask for a style or a background")
    return Edit(replace_kind, target, replacement_for(y), text=c.clause)


def extract_edit(c: Ctx) -> Edit | None:
    rest = c.rest
    if c.verb in {"extract", "pull out", "take out", "lift out"} and re.match(
            r"(?:the\s+|all\s+|any\s+)?(?:[\w-]+\s+)?(?:watermarks?|time\s*stamps?|date\s*stamps?)\b", rest):
        return remove_edit(c)  # "extract the watermark from this image": nobody wants a watermark cut out
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


def _extract_target(text: str, c: Ctx) -> str:
    target = target_of(text, c.has_mask)
    if target is None:
        return SELECTION if c.has_mask else SUBJECT
    return target


_SIDES = (("left", r"\bleft\b"), ("right", r"\bright\b"), ("top", r"\btop\b|\bup(?:wards?)?\b|\babove\b"),
          ("bottom", r"\bbottom\b|\bdown(?:wards?)?\b|\bbelow\b"))


def outpaint_edit(c: Ctx) -> Edit:
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
        what = re.sub(r"^(?:(?:it|this|out)\s+)*(?:(?:out\s+)?(?:a\s+)?(?:little|bit|tad|touch|slightly|more|a lot|much|"
                      r"lot|some|further|wider)\s*)*$", "", what).strip()  # "zoom it out a little": how much, not what
        what = re.sub(r"\s*\b(?:outwards?|all around|in all directions|on all sides)$", "", what).strip()
        what = re.sub(r"^canvas\s+(?:(?:a\s+)?(?:bit|little|lot)\s+|much\s+|slightly\s+)?(?:bigger|larger)$", "canvas", what)
        what = re.sub(r"^(?:image|picture|photo|photo's|image's)\s+(?=(?:edges?|frame|borders?|canvas|sides)$)", "", what)
        scenery = bool(what) and (head_noun(re.split(r"\s+(?:to|showing|so|with)\b", what)[0]) in SETTING_NOUNS | {"scene", "room",
                                                                                                           "kitchen", "view"})
        if what and not scenery and what not in {"image", "canvas", "picture", "photo", "frame", "view", "scene", "borders",
                                                 "border", "edge", "edges", "sides", "it", "background", "shot",
                                                 "field of view", "all sides", "everything"} and \
                not (c.verb.startswith("zoom") and IMAGE_PP.search(c.rest)):  # "zoom out the bananas in the image"
            raise TextRefused(f"I can expand the canvas (outpainting) but not stretch '{what}': say e.g. "
                              "'expand the image to the left by 30%' or 'zoom out'")
        sides = {"left", "right", "top", "bottom"}
    amount = percent_of(text) or round(0.25 * intensity(text), 3)

    def share(side: str, axis: tuple[str, str]) -> float | None:
        """`side`'s part of the expansion: `amount` split between the chosen sides of its axis."""
        chosen = [s for s in axis if s in sides]
        return round(amount / len(chosen), 3) if side in chosen else None

    across, up_down = ("left", "right"), ("top", "bottom")
    ratios = (share("left", across), share("right", across), share("top", up_down), share("bottom", up_down))
    return Edit("outpaint", None, ratios=ratios, text=c.clause)


def blur_edit(c: Ctx) -> Edit:
    x = re.sub(r"^out\s+", "", c.rest)  # "blur out the usernames"
    x = re.sub(r"\s+(?:out|a bit|slightly|more|a lot)\b.*$", "", x)
    target = target_of(x, c.has_mask) if x.strip() else None
    if target is None and not is_generic_background(x) and not x.strip():
        raise TextRefused("'blur' alone does not say what to blur: say 'blur the background', 'blur the face' or "
                          "'blur the whole image'")
    if target is None and not is_generic_background(x):  # "blur this image", "blur it a bit": all of it, softly
        amount = round(min(1.0, 0.4 * intensity(c.clause)), 3)
        return Edit("look", None, ops=(("BLUR", (("amount", amount),)),), text=c.clause)
    if is_generic_background(x):
        return background_edit(c, None, "blurred")
    return Edit("blur", target, "blurred", text=c.clause)


BRIGHT_WORDS = re.compile(
    r"\b(?:brightness|brighten\w*|darken\w*|exposure|lighting|illuminat\w*|lighten\w*|sunnier|dim|dimmer|luminosity|"
    r"luminance|radiance|brilliance|"
    r"(?:brighter|darker|lighter)(?!\s+(?:shade|tone|hue|colou?r|" + "|".join(sorted(COLOURS)) + r")\b))\b", re.I)


def bright_edit(c: Ctx, region_text: str | None) -> Edit:
    shadows = re.match(r"(?:up\s+)?(?:the\s+)?(?:dark\s+)?shadows?\s+(?:on|in|of|under|across)\s+(?P<x>.+)$", region_text or "")
    if shadows and target_of(shadows.group("x"), c.has_mask) not in (None, PRONOUN):
        # "lighten the shadows on her face": the shadows lifted inside the face, not a region called "shadows"
        lift = 0.4 if (brightness_ratio(c.clause) or 0.6) > 0.5 else -0.4
        return Edit("look", target_of(shadows.group("x"), c.has_mask),
                    ops=(("SHADOWS-HIGHLIGHTS", (("shadows", lift), ("highlights", 0.0))),), text=c.clause)
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


def bright_region(c: Ctx) -> str | None:
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


def resize_edit(c: Ctx, target_text: str) -> Edit:
    t = c.clause
    smaller = re.search(r"\b(?:smaller|shrink\w*|reduce\w*|decrease\w*|tinier|scale\s+(?:[\w'-]+\s+){0,3}?down|downscal\w*|"
                        r"downsiz\w*|minif\w*|less big)\b", t)
    base = 0.7 if smaller else 1.3
    percent = percent_of(t)
    if re.search(r"\bhalf\s+(?:as\s+(?:big|large|tall|wide|long)|(?:the|its|their)\s+(?:size|height|length))\b", t):
        ratio = 0.5  # "half as big": halved
    elif percent is not None and re.search(r"\b(?:to|at)\s+\d+(?:\.\d+)?\s*(?:%|percent|per cent)", t):
        ratio = max(0.1, percent)  # "scale it to 110%", "at 50%": the new size, not a change by that much
    elif percent is not None:
        ratio = (1 - min(percent, 0.9)) if smaller else (1 + percent)
    elif (times := re.search(r"\b(?P<n>\d+(?:\.\d+)?|two|three|four|five)\s*(?:x|times)\b", t)) and not smaller:
        ratio = {"two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0}.get(times.group("n")) or float(times.group("n"))
    elif re.search(r"\b(?:twice|double)\b", t) and not smaller:
        ratio = 2.0
    elif re.search(r"\bhalf\b", t) and smaller:
        ratio = 0.5
    else:
        k = intensity(t)
        ratio = 1 + (base - 1) * k
    target = target_of(re.sub(r"\s+(?:\d+(?:\.\d+)?\s*(?:x|%|percent)|(?:\d+(?:\.\d+)?|two|three|four|five)\s+times)$", "", target_text),
                       c.has_mask)
    if target is not None and re.fullmatch(r"(?:[\w-]+\s+)?(?:screenshots?|pictures|images|photos|pics|wallpapers?|thumbnails?|"
                                           r"previews?|screenshot size|image size|picture size|photo size|file size)", target):
        target = None  # "make the screenshots smaller": the pictures themselves, not a thing in them
    if target is None:
        size = image_resize(t)
        if size is not None:  # "make the picture half the size": the picture itself rescaled
            return Edit("look", None, ops=(("SCALE", tuple(size.items())),), text=t)
        aspect = aspect_name(t)
        if aspect is not None:  # "resize the photos so they are square": that shape, cropped to fill
            return Edit("look", None, ops=(("CROP", (("aspect", aspect),)),), text=t)
        if smaller and 0.1 <= ratio < 1.0:  # "make the screenshots smaller": scaled down by the words' amount
            return Edit("look", None, ops=(("SCALE", (("factor", round(ratio, 2)),)),), text=t)
        raise TextRefused(f"'{t}': say the new size of the image, e.g. 'resize it to 1200x800', 'make it 1080 pixels "
                          "wide' or 'half the size' (to show more around it, say 'zoom out' or 'expand the canvas')")
    than = re.search(r"\b(?:bigger|larger|smaller|taller|shorter|wider|narrower)\s+than\s+(?P<y>(?:the|a|an|that|those|his|her|"
                     r"my)\s+[\w' -]+)", t)
    if than and not re.search(r"\b(?:before|now|it is|it was|originally|usual)\b", than.group("y")):
        raise TextRefused(f"'{c.clause}': the bricks cannot measure one object against another ('than "
                          f"{than.group('y')}'): say by how much, e.g. 'make the {target} twice as big'")
    if ratio > 10.0:
        raise TextRefused(f"'{c.clause}': {ratio:g} times its size would not fit in the picture: ask for at most 10 "
                          "times")
    return Edit("resize", target, ratio=round(max(0.2, ratio), 3), text=c.clause)


def size_target(c: Ctx) -> str | None:
    m = re.search(r"\bsize\s+of\s+(?P<x>.+?)(?:\s+(?:to|by|so)\b.*)?$", c.core) or \
        re.search(r"^(?:make|resize|enlarge|shrink|scale(?: up| down)?|grow|magnify)\s+(?P<x>.+?)(?:\s+(?:to be|to|"
                  r"by|look|appear|a bit|slightly|much|a lot|larger|bigger|smaller|tinier|up|down|twice|half|\d+(?:\.\d+)?\s*(?:x|times)|"
                  r"(?:two|three|four|five)\s+times)\b.*)?$",
                  c.core)
    return m.group("x") if m else None


def pose_edit(c: Ctx) -> Edit:
    return Edit("pose", None, c.core.strip(" ."), text=c.clause)


def is_pose(text: str) -> bool:
    """'raise the person's left arm', 'make him smile', 'the dog sit', 'turn his head to the right'."""
    t = IMAGE_PP.sub("", text.lower())  # "the person in the image give a thumbs-up"
    if re.search(r"\b(?:brightness|exposure|lighting|light|contrast|saturation|size|volume|temperature)\b|\bstand(?:s|ing)?\s+"
                 r"out\b", t):  # "make the subject stand out": not a pose
        return False
    if re.match(rf"^(?:{EXPRESSION_VERBS})\b", t):
        return True
    if re.search(rf"\b(?:{BODY_PARTS})\s+(?:wide\s+)?(?:open|opened|closed|shut|raised|crossed)$", t):
        return True  # "make her eyes open", "his arms crossed"
    m = re.match(rf"^(?:(?:the|a|an|this|that|his|her|their|its)\s+)?(?:[\w'-]+\s+){{0,3}}?(?P<v>{POSE_VERBS})\b"
                 rf"(?P<after>.*)$", t)
    if m and m.group("v") in ANIMATE_ACTIONS and not re.search(ANIMATE, t[:m.start("v")]):
        return False  # "the clouds sing": nothing alive to pose
    if m and (re.search(rf"\b(?:{BODY_PARTS})\b(?!-)", m.group("after")) or
              re.match(rf"(?:{EXPRESSION_VERBS})\b", m.group("v") + m.group("after"))):
        return True
    if re.match(rf"^(?:raise|lift|lower|tilt|turn|rotate|bend|cross|fold|open|close|shake|stretch|wave|put|hold)\s+"
                rf"(?:up\s+|down\s+)?(?:the\s+|his\s+|her\s+|their\s+|its\s+)?(?:[\w'-]+\s+){{0,3}}(?:{BODY_PARTS})\b",
                t):
        return True
    if re.fullmatch(rf"(?:the|a|an|his|her|their)?\s*(?:[\w'-]+\s+){{0,2}}(?:more\s+|very\s+)?(?:{EXPRESSION_ADJ})", t) and \
            re.search(ANIMATE, t):
        return True  # "(let) the man serious", "(make) the baby happier": a face's expression
    return bool(re.search(rf"\b(?:look|looks|appear)\s+(?:more\s+|very\s+|a bit\s+)?(?:{EXPRESSION_ADJ})\b", t))
