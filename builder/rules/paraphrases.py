"""Paraphrased requests whose verb says little and whose structure says the edit: "dress X in Y", "let Y grace X",
"<any verb> the brightness", "give it a new snowy background", "add space around it"."""

from __future__ import annotations

import re
from dataclasses import replace

from lego_edit.builder.rules.edits import PRONOUN, SUBJECT, Ctx, Edit, TextRefused, Vague
from lego_edit.builder.rules.lexicon import (
    ATTRIBUTE_WORDS,
    COLOURS,
    PRONOUNS,
    SCENE_NOUNS,
    STYLE_TERMS,
    VERB_RES,
)
from lego_edit.builder.rules.phrases import (
    env_value,
    head_noun,
    is_descriptor,
    is_generic_background,
    is_setting,
    noun_phrase,
    strip_articles,
    target_of,
)
from lego_edit.builder.rules.quantities import (
    brightness_ratio,
)
from lego_edit.builder.rules.scenes import background_edit, clean_descriptor
from lego_edit.builder.rules.verbs import bright_edit, bright_region, outpaint_edit, remove_edit, swap_edit

_DRESS = re.compile(r"^(?P<v>dress|clothe|clad|adorn|drape|deck(?: out)?|cloak|coat|cover|bathe|wash|douse|splash|tint|shade|swathe|"
                    r"wrap|drench|glaze|spray|cover|paint|colou?r|render|dip|shroud|envelop|robe|fill)\s+"
                    r"(?P<x>.+?)\s+(?:in|with)\s+(?P<y>.+)$")


_GRACE = re.compile(r"^(?:let\s+)?(?P<y>.+?)\s+(?:(?:shall|should|will|must|may|can)\s+)?(?:grace|cover|coat|adorn|tint|"
                    r"dominate|envelop|wash over|bathe|take over|fill|paint|drench|swathe|spread (?:over|across))s?\s+"
                    r"(?P<x>.+)$")


_MOVE = re.compile(r"^(?:edit|photoshop|move|bring|shift|drag|pull|push|put|place)\s+.+?\s+(?:closer|nearer|further|"
                   r"farther|together)\b|"
                   r"^(?:move|shift|drag|slide|reposition|relocate)\s+(?:the\s+|this\s+|that\s+|my\s+|our\s+|it\b|['\"])[\w' \"-]*?"
                   r"(?:\s+(?:up|down|over|across|left|right|higher|lower)\b|\s+(?:above|below|under|beneath|next to|beside|behind|"
                   r"on top of|in front of)\s|\s+(?:to|towards|into|onto|from)\s+(?:the\s+)?"
                   r"(?:(?:far|upper|lower|top|bottom|very|exact)\s+)?(?:left|right|top|bottom|corner|side|centre|center|middle|"
                   r"edge|front|back|foreground|other side)\b)|"
                   r"^(?:change|alter|shift|adjust|move|modify)\s+the\s+(?:position|location|placement|place)\s+of\b")


_SPACE = re.compile(r"^(?:add|put|give|leave|create|make)\s+(?:me\s+)?(?:(?:just\s+)?(?:a\s+(?:little\s+)?bit\s+of|some|"
                    r"more|a little|extra|an?)\s+)?(?:(?:white|blank|empty|plain|extra|more|negative)\s+)?(?:space|room|"
                    r"padding|margin|margins|border|canvas)\s+(?P<where>around|on|to|at|above|below|left|right|"
                    r"top|bottom|on both sides|either side)\b")


# "<any verb> the brightness / luminosity / clarity ...": the noun says the edit, the verb only says which way.
_BRIGHT_NOUNS = ("brightness", "luminosity", "luminance", "radiance", "glow", "illumination", "light", "lighting",
                 "exposure", "brilliance", "lightness")


_SHARP_NOUNS = ("sharpness", "clarity", "crispness", "definition", "focus", "acuity", "details", "detail", "sharp details",
                "edges", "texture details", "fine details", "fine lines", "outlines", "textures")


_QUALITY_NOUN = re.compile(
    r"(?P<v>[a-z]+(?:\s+(?:up|down))?)\s+(?:the\s+|this\s+)?(?:overall\s+|general\s+|(?:image|photo|picture|scene)(?:'s)?\s+)?"
    r"(?:visual\s+)?(?P<n>" + "|".join(_BRIGHT_NOUNS + _SHARP_NOUNS) + r")(?:\s+(?:levels?|quotient|intensity|conditions|"
    r"quality))?(?:\s+(?:of|in)\s+(?:the|this)\s+(?:image|photo|picture|scene|shot))?")


_LOWERING = r"(?:reduc|lower|decreas|dim|diminish|soften|smooth|tone|damp|weaken|cut|mute|tam|subdu|darken|lessen|minimi|curb|" \
            r"restrain|temper|moderat)"


_SETTING_TO = re.compile(
    r"^[a-z]+(?:\s+(?:adjustments|changes)\s+to)?\s+(?:the\s+|its\s+)?(?:background|backdrop|setting|environment|"
    r"surroundings|scenery|scene|elements|ambiance|ambience|atmosphere|location|place)\s+(?:(?:of|in)\s+)?(?:(?:this|the)\s+)?"
    r"(?:image|photo|photograph|picture|pic|shot)?\s*to\s+[a-z]+\s+(?P<y>(?:an?|the|some)\s+.+)$")


_NEW_BACKGROUND = re.compile(r"^(?:create|generate|make|give|put|add|get|use|set|have)\s+(?:me\s+|it\s+|this\s+|us\s+)?(?:an?\s+|some\s+)"
                             r"(?P<d>(?:(?!(?:in|to|at|on|of|near|with|the|behind|by|into|from|and)\b)[\w,'-]+\s+){0,4}?)\s*"
                             r"(?:background|backdrop)(?:\s+(?:behind|for|to|around|of|under)\s+"
                             r"(?P<x>.+?))?(?:\s+(?:instead|please))?$")


_WHO = r"(?P<who>me|him|her|them|us|(?:the|my|this|that|our|his|her|their)\s+[\w-]+(?:\s+[\w-]+)?)"
_WORN = (
    re.compile(rf"^give\s+{_WHO}\s+(?P<y>(?:an?\s+|some\s+|new\s+)?[\w ,'-]+)$"),
    re.compile(rf"^(?:put|place)\s+(?P<y>(?:an?|some)\s+[\w ,'-]+?)\s+on\s+{_WHO}$"),
    # "add the cashmere turtleneck sweater to the person", "integrate the linen tank on the model's body"
    re.compile(r"^(?:put|place|add|integrate|apply|fit|drape)\s+(?P<y>(?:an?|some|the)\s+[\w ,'-]+?|[\w'-]+(?:\s+[\w'-]+){0,5}?)\s+"
               r"(?:on|onto|to)\s+(?:(?P<who>me|him|her|them|us|(?:the|this|that|my|our)\s+(?:(?:young|old|little)\s+)?(?:person|"
               r"man|woman|model|girl|boy|lady|guy|kid|child|people|men|women|subject|figure|bride|groom))|"
               r"(?P<body>(?:the\s+|their\s+|his\s+|her\s+)?body))"
               r"(?:\s+(?:in a way|so that|so it|to (?:make|match|complement|suit))\b.*)?$"),
    re.compile(rf"^(?:dress|clothe)\s+{_WHO}\s+(?:up\s+)?in\s+(?P<y>(?:an?\s+|some\s+)?[\w ,'-]+)$"),
)
_HAIR = re.compile(r"^(?:an?\s+|some\s+|new\s+)?(?:[\w-]+\s+){0,2}(?:(?:full|thick|full,?\s+thick|thick,?\s+full)\s+)?(?:head\s+of\s+)?"
                   r"(?:[\w-]+\s+){0,2}(?:haircut|hairstyle|hair-?do|hair|braids?|ponytail|pigtails|bun|"
                   r"curls|mohawk|dreadlocks|afro|bangs|fringe|(?:pixie|bob|buzz|crew|short|layered|shag)\s?cut|perm|undercut|mullet)$")
_GARMENT = re.compile(r"^(?:an?\s+|some\s+|new\s+|the\s+)?(?:[\w-]+\s+){0,5}(?:suit|tuxedo|dress|gown|shirt|t-shirt|tee|hoodie|jacket|coat|"
                      r"sweater|jumper|uniform|costume|outfit|kimono|saree|sari|robe|armou?r|overalls|jeans|trousers|pants|"
                      r"skirt|bikini|swimsuit|swimwear|clothes|clothing|attire|tracksuit|blazer|cardigan|tank top|tank|apron|"
                      r"turtleneck|vest|polo|blouse|parka|poncho|leggings|shorts)s?$")


def worn_edit(c: Ctx) -> Edit | None:
    """"give her a bob haircut", "dress him in a tuxedo", "put a suit on him": the hair or the clothes they have
    redrawn as the new ones (inside their region), not a second haircut or suit painted somewhere new."""
    for pattern in _WORN:
        m = pattern.match(c.core)
        if not m:
            continue
        y = m.group("y").strip(" ,")
        part = "hair" if _HAIR.match(y) else "clothes" if _GARMENT.match(y) and not is_descriptor(y) else None
        if part is None:
            return None
        who = m.group("who") or "the person"  # "... on body": the person wearing it
        owner = "person" if who in {"him", "her", "me"} else "people" if who in {"us", "them"} else strip_articles(who)
        target = target_of(f"{owner}' {part}" if owner.endswith("s") else f"{owner}'s {part}", c.has_mask)
        return Edit("replace", target if target is not None else part, strip_articles(y), text=c.clause)
    return None


def paraphrase_edit(c: Ctx) -> Edit | None:
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
    worn = worn_edit(c)
    if worn is not None:
        return worn
    moved = re.match(r"^(?:move|take|transport|teleport|relocate|bring)\s+(?P<x>(?:the|this|that|my|our)\s+[\w' -]+?|[a-z][\w'-]+"
                     r"(?:\s+[\w'-]+){0,2}?)\s+(?:to|into)\s+(?P<y>(?:an?\s+|the\s+)?[\w' -]+)$", text)
    if moved and not re.search(r"\b(?:left|right|top|bottom|corner|side|front|back|centre|center|middle|foreground|edge|"
                               r"closer|further|farther|other|position|spot|place|me|him|her|them|us|you)\b", moved.group("y")) and \
            not re.search(r"\b(?:closer|nearer|further|farther|together|apart|viewer|viewers|audience|reader)\b", moved.group("x")) \
            and not re.match(r"(?:it|him|her|them|me|us|you)\b", moved.group("x")) and not STYLE_TERMS.search(moved.group("y")):
        keep = target_of(moved.group("x"), c.has_mask)  # "move the castle to Hawaii": the castle stays, the place changes
        if keep not in (None, PRONOUN):
            return background_edit(c, None, strip_articles(moved.group("y")), subject=keep)
    if _MOVE.match(text):
        raise TextRefused(f"'{c.clause}': moving an object is not something the bricks do in one step: remove it, "
                          "then add it where you want it")
    if _SPACE.match(text):
        return outpaint_edit(replace(c, rest=""))
    m = _DRESS.match(text)
    if m and is_descriptor(m.group("y")):
        x = noun_phrase(m.group("x"))
        clothes = m.group("v") in {"dress", "clothe", "clad"} and x not in PRONOUNS
        owner = "person" if x in {"him", "her", "me", "myself", "you"} else "people" if x in {"us", "them"} else x
        owned = f"{owner}' clothes" if owner.endswith("s") else f"{owner}'s clothes"
        target = target_of(owned if clothes else m.group("x"), c.has_mask)
        value = re.sub(r"\s+(?:hue|tone|shade|colou?r|tint)s?$", "", clean_descriptor(m.group("y")))
        return Edit("recolor", target if target is not None else SUBJECT, value, text=c.clause)
    m = _GRACE.match(text)
    if m and is_descriptor(m.group("y")) and target_of(m.group("x"), c.has_mask) is not None:
        return Edit("recolor", target_of(m.group("x"), c.has_mask), clean_descriptor(m.group("y")), text=c.clause)
    m = re.match(r"^clear\s+(?:away\s+|out\s+|off\s+)?(?P<x>(?:the|this|that|all|any|those|these)\s+.+)$", text)
    if m and head_noun(m.group("x")) not in SCENE_NOUNS | {"image", "photo", "picture", "view"}:
        return remove_edit(replace(c, rest=m.group("x"), verb="remove"))  # "clear the shadow from the ground"
    if re.match(r"^(?:fix|correct|balance|even out|adjust|repair)\s+(?:the\s+)?(?:lighting|light|brightness|exposure)\b", text):
        edit = bright_edit(c, bright_region(c) or re.sub(r"^\w+(?:\s+out)?\s+", "", text))
        if re.search(r"\b(?:flash|overexpos\w*|too bright|blown|washed out)\b", c.clause):
            edit = replace(edit, ratio=0.35)  # "correct the brightness, the flash ruined it": darker
        return edit
    m = re.match(r"^(?:put|place|set|move)\s+(?P<x>.+?)\s+(?:on|onto|in front of|against)\s+(?:an?\s+)?(?P<d>(?:[\w,-]+\s+){0,3}?)"
                 r"(?:background|backdrop)$", text)
    if m:
        keep = target_of(m.group("x"), c.has_mask)
        what = m.group("d").strip(" ,") or "plain"
        return background_edit(c, None, f"{what} background", subject=keep if keep not in (None, PRONOUN) else SUBJECT)
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
        return swap_edit(c, m.group("x"), m.group("y"), replace_kind="replace")  # "trade the lamp for a vase"
    m = re.match(r"^(?:put|place|add|insert|show|draw|have|use)\s+(?P<y>.+?)\s+(?:in (?:the )?place of|instead of|where)\s+"
                 r"(?P<x>(?:the|that|this|his|her|their|my)\s.+?)(?:\s+(?:is|was|stands?|used to be))?$", text) or \
        re.match(r"^(?:let\s+)?(?P<y>(?:an?|some|two|three)\s.+?)\s+(?:should\s+|will\s+)?takes?\s+(?:over\s+)?the place of\s+"
                 r"(?P<x>.+)$", text) or \
        re.match(r"^instead of\s+(?P<x>[^,]+),\s*(?:show|put|add|have|place|use|draw|let there be|make (?:it|them|this|that)"
                 r"(?:\s+into)?|turn (?:it|them) into)\s+(?P<y>.+)$", text)
    if m:
        return swap_edit(c, m.group("x"), m.group("y"), replace_kind="replace")  # "put a horse in place of the cow"
    m = _SETTING_TO.match(c.clause)
    if m and (is_setting(m.group("y")) or env_value(m.group("y"))):
        return background_edit(c, None, strip_articles(m.group("y")))  # "adapt the surroundings of this picture to convey a
        # jungle scene"
    m = re.match(r"^(?:use|have|put|set)\s+(?P<y>(?:an?|the|some|my|our)\s+[\w' -]+?)\s+(?:as|for)\s+(?:the\s+|a\s+|its\s+|my\s+)?"
                 r"(?:new\s+)?(?:background|backdrop)$", text)
    if m:  # "use the American flag as a background"
        return background_edit(c, None, strip_articles(m.group("y")))
    m = _NEW_BACKGROUND.match(text)
    if m:
        what = strip_articles(m.group("d").strip(" ,")).strip(" ,")
        if not what or what in {"new", "different", "better", "nice", "nicer", "cool"}:
            raise TextRefused(f"'{c.clause}': say which background you want, e.g. 'a white background' or 'a beach "
                              "background'")
        keep = target_of(m.group("x"), c.has_mask) if m.group("x") else None
        return background_edit(c, None, f"{what.replace(',', '')} background", subject=keep if keep != PRONOUN else None)
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
    m = re.match(r"^recolou?r\s+(?P<x>(?:the|this|that|his|her|their|my|its)\s(?:(?!\s(?:to|into|in|with|as|using)\s).)+)$", text)
    if m and not is_descriptor(m.group("x").split()[-1]) and \
            target_of(m.group("x"), c.has_mask) not in (None, PRONOUN):  # "recolor the box": no colour named, another one
        return Edit("recolor", target_of(m.group("x"), c.has_mask), "a different colour", text=c.clause)
    first, _, rest = text.partition(" ")
    if first in COLOURS and re.match(r"(?:the|his|her|its|their|this|that|my)\s", rest):
        x = re.sub(rf"(?:'s)?\s+(?:{ATTRIBUTE_WORDS})$", "", rest)
        target = target_of(x, c.has_mask)
        if target is not None:
            return Edit("recolor", target, first, text=c.clause)  # "brown the ground's colour"
    return None
