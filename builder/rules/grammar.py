"""Clause grammar: a clause's leading verb group picks its handler; a clause with no edit verb (a style, a
weather, a wish, a complaint) is read by its content."""

from __future__ import annotations

import re
from dataclasses import replace

from lego_edit.builder.rules.changes import FROM_TO, change_edit, from_to_edit, level_edit, x_to_y_edit
from lego_edit.builder.rules.clauses import trim_qualifiers
from lego_edit.builder.rules.complaints import SHOULD_BE, complaint_fix
from lego_edit.builder.rules.crops import crop_edit
from lego_edit.builder.rules.edits import SELECTION, Ctx, Edit, NoBrick, TextRefused, Vague
from lego_edit.builder.rules.lexicon import (
    ATTRIBUTE_WORDS,
    ENV_FILLERS,
    STYLE_TERMS,
    VERB_RES,
    canonical_verb,
)
from lego_edit.builder.rules.looks import parse_look
from lego_edit.builder.rules.paraphrases import paraphrase_edit
from lego_edit.builder.rules.phrases import (
    env_value,
    is_descriptor,
    is_env_only,
    is_setting,
    unsupported_op,
    word_list,
)
from lego_edit.builder.rules.quantities import (
    brightness_ratio,
)
from lego_edit.builder.rules.requests import strip_polite
from lego_edit.builder.rules.rewrites import plain_clause
from lego_edit.builder.rules.scenes import (
    EXPRESSIVE,
    background_wish_edit,
    style_edit,
    style_phrase,
    style_target,
    style_words,
)
from lego_edit.builder.rules.text_edits import correction_edit, font_edit, text_in_image_edit, text_look_edit
from lego_edit.builder.rules.verbs import (
    FeatureRequest,
    add_edit,
    blur_edit,
    bright_edit,
    bright_region,
    extract_edit,
    is_pose,
    outpaint_edit,
    pose_edit,
    remove_edit,
    replace_edit,
    resize_edit,
    size_target,
)


def _bare(c: Ctx) -> Edit | None:
    """No edit verb: "in watercolour style", "Van Gogh style", "snowy winter", "at sunset", "brighter", and
    wishes like "the sky should be purple" (only for colours, styles and weather: "the lifeguard should be
    wearing ..." in a description is not an edit)."""
    text = c.core
    fix = complaint_fix(text)
    if fix is not None:
        return parse_clause(fix, c.has_mask, c.image_size)
    m = SHOULD_BE.match(text)
    if m:
        y = re.sub(r"^(?:in|with)\s+", "", m.group("y"))
        if is_descriptor(y) or STYLE_TERMS.search(y) or is_env_only(y) or \
                re.fullmatch(r"(?:much\s+|a bit\s+|slightly\s+)?(?:brighter|darker)", y):
            x = re.sub(rf"(?:'s)?\s+(?:{ATTRIBUTE_WORDS})$", "", m.group("x"))  # "the roof's colour shall be black"
            return x_to_y_edit(replace(c, verb="make"), x, y)
        return None
    if STYLE_TERMS.search(text) and (re.search(r"\bstyle\b", text) or len(word_list(text)) <= 5):
        return style_edit(c)
    m = FROM_TO.match(text)
    if m and is_descriptor(m.group("a")) and is_descriptor(m.group("y")) and len(word_list(m.group("x"))) <= 3:
        return from_to_edit(replace(c, verb="change"), m.group("x"), m.group("a"), m.group("y"))  # "grille from grey to black"
    if STYLE_TERMS.search(text) and (re.match(r"^[a-z]+\s+(?:the|this|my|our|a|an|its)\s+(?:[\w-]+\s+)?(?:image|photo|"
                                             r"picture|scene|viewer|visual|composition|shot|narrative|impact|look|"
                                             r"aesthetic|atmosphere|mood|feel)\b", text) or EXPRESSIVE.match(text)):
        # "immerse the image in the fluidity of watercolor painting", "craft a narrative ... in black and white"
        return Edit("style", SELECTION if c.has_mask else None, style_words(text), text=c.clause)
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


def parse_clause(clause: str, has_mask: bool, image_size: tuple[int, int] | None = None) -> Edit | None:
    """One clause -> an Edit; None when the clause is not an edit (a description); TextRefused when it asks
    for something the planner cannot do."""
    text_edit = text_in_image_edit(strip_polite(clause).strip(" .,!"), has_mask) or correction_edit(clause) or \
        font_edit(strip_polite(clause)) or text_look_edit(strip_polite(clause)) or \
        background_wish_edit(strip_polite(clause), has_mask)
    if text_edit is not None:
        return text_edit
    clause = canonical_verb(strip_polite(clause).lower().strip(" .,!"))
    if not clause:
        return None
    plain = plain_clause(clause)
    if plain != clause:
        clause = canonical_verb(plain)
    if re.fullmatch(r"(?:edit|photoshop|work on|do (?:your|some) (?:thing|magic)(?: on)?|touch up|retouch|shop)\s*(?:(?:this|the|my|it)"
                    r"(?:\s+(?:[\w-]+\s+)?(?:photo|picture|image|pic|shot))?(?:\s+(?:of|from)\s.*)?)?(?:\s+up)?", clause):
        raise Vague(f"'{clause}' does not say what to change: say which edit you want, e.g. 'make it brighter', "
                    "'remove the person' or 'in watercolour style'")
    core = trim_qualifiers(clause)
    if re.match(r"^(?:make|turn|get|reshape|change|convert)\s+(?:it|this|the (?:image|photo|picture|canvas))\s+(?:in)?(?:to\s+)?"
                r"(?:a\s+)?(?:square|panorama|\d+(?:\.\d+)?\s*:\s*\d+)\b", clause):
        return outpaint_edit(Ctx(clause, core, core, "extend", has_mask, image_size))  # grow the canvas to that shape
    crop = crop_edit(clause, has_mask)
    if crop is not None:
        return crop
    look = parse_look(clause, target_named=False)
    if look is None and core != clause:  # "restore this photo, this is a very old photo of my friend"
        look = parse_look(core, target_named=False)
    if look is not None:
        return look
    said = paraphrase_edit(Ctx(clause, core, core, "", has_mask, image_size))
    if said is not None:
        return said
    for group, pattern in VERB_RES:
        m = pattern.match(core)
        if not m:
            continue
        verb = m.group(0).strip().lower()
        rest = core[m.end():].strip(" ,.")
        c = Ctx(clause, core, rest, verb, has_mask, image_size)
        if group == "pose" and not is_pose(core):
            continue
        if group == "level" and verb in {"raise", "lower"} and is_pose(core):
            return pose_edit(c)
        handler = _HANDLERS[group]
        try:
            return handler(c)
        except FeatureRequest as exc:
            try:
                inner = parse_clause(_feature_edit(exc.inner), has_mask, image_size) if exc.inner else None
            except NoBrick:
                raise
            except TextRefused as why:  # the feature's edit cannot be planned here: both reasons
                raise TextRefused(f"'{clause}': {exc.reason}; as an edit of this image: {why.reason}") from None
            if inner is None:
                missing = unsupported_op(exc.inner) if exc.inner else None
                raise TextRefused(f"'{clause}': {exc.reason}" + (f"; and there is no brick for {missing} yet"
                                                                  if missing else "")) from None
            return inner
    c = Ctx(clause, core, core, "", has_mask, image_size)
    if is_pose(core) and re.match(r"^(?:the|a|an|his|her|their)\s", core):
        return None
    return _bare(c)


def _feature_edit(inner: str) -> str:
    """A feature's edit said of this image: "denoise photos" -> "denoise the image", "flip" -> "flip the image"."""
    inner = re.sub(r"\b(?:(?:the|my|our|your|uploaded|all|any|those|these)\s+)*(?:photos|images|pictures|pics|screenshots)\b",
                   "the image", inner)
    if inner == "blur":
        return inner  # a blur tool is used on a part: which part, the wish does not say
    return f"{inner} the image" if re.fullmatch(r"[a-z-]+", inner) else inner


_HANDLERS = {
    "extract": extract_edit,
    "remove": remove_edit,
    "outpaint": outpaint_edit,
    "add": add_edit,
    "replace": replace_edit,
    "blur": blur_edit,
    "style": lambda c: style_edit(c, style_target(c.rest)) if style_phrase(c.core) else change_edit(c),
    "bright": lambda c: bright_edit(c, bright_region(c)),
    "level": level_edit,
    "resize": lambda c: resize_edit(c, size_target(c) or c.rest),
    "pose": pose_edit,
    "change": change_edit,
}
