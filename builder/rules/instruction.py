"""An instruction -> its edits in order: sentences and clauses, questions and context sentences, refusals that
name the part that cannot be done, and pronouns resolved against what was named before."""

from __future__ import annotations

import re
from dataclasses import replace

from lego_edit.builder.rules.changes import first_object
from lego_edit.builder.rules.clauses import clauses, normalize, sentences
from lego_edit.builder.rules.complaints import DEFECT_INSIDE, complaint_fix, split_complaint
from lego_edit.builder.rules.edits import PRONOUN, SELECTION, SUBJECT, Edit, NoBrick, TextRefused, Vague
from lego_edit.builder.rules.fallback import content_edits, content_note
from lego_edit.builder.rules.grammar import parse_clause
from lego_edit.builder.rules.impossible import EDIT_CAN, impossible_reason
from lego_edit.builder.rules.lexicon import (
    KNOWN_VERBS,
    SPLIT_VERBS,
    VERB_RES,
    canonical_verb,
    lemma,
)
from lego_edit.builder.rules.looks import parse_look
from lego_edit.builder.rules.phrases import (
    is_descriptor,
    is_setting,
    strip_articles,
    target_of,
    unsupported_op,
)
from lego_edit.builder.rules.requests import as_request, embedded_request, is_question, strip_polite
from lego_edit.builder.rules.rewrites import split_coordinated

_DETAILS = re.compile(r"^(?:i\s+)?(?:was|am|'m|were)?\s*(?:thinking|hoping|picturing|imagining)\s+(?:of|about)\s+(?:something like\s+)?"
                      r"(?P<y>(?:an?\s+|some\s+)?[\w' -]+?)(?:,|\s+or\b|$)|^(?:maybe|perhaps|ideally|preferably|something like)\s+"
                      r"(?P<z>(?:an?\s+|some\s+)?[\w' -]+?)(?:,|\s+or\b|$)|^(?P<w>(?:an?|some)\s+[\w' -]+?)(?:,|\s+or\b|$)", re.I)


_THERE_IS = re.compile(r"\bthere(?:'s| is| are|'re)\s+(?:a\s+(?:bunch|lot|couple|group|pair|few)\s+of\s+|an?\s+|some\s+|"
                       r"two\s+|three\s+|this\s+|that\s+|these\s+|those\s+|lots of\s+)(?P<x>[\w' -]+?)(?=\s+(?:in|on|at|"
                       r"behind|near|next|that|which|who|standing|sitting|walking|over|under|right)\b|[,.!?]|$)", re.I)


_PICTURES = re.compile(r"(?:[\w-]+\s+)?(?:pictures|images|photos|pics|screenshots|shots|wallpapers|thumbnails)")
# A sentence that starts by saying something of one thing names what a later "it" is.
_SAID_OF = re.compile(r"^(?:i know\s+|so\s+|well\s+)?(?:(?:my|our|the|this)\s+|(?=(?:app\s+)?(?:icon|logo|favicon|banner|avatar|"
                      r"header|mascot|sprite)\b))(?P<x>[\w-]+(?:\s+[\w-]+)?)\s+(?:is|are|was|were|"
                      r"has|have|looks?)\b(?!\s+(?:to|going)\b)", re.I)


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
        if edit.kind == "add" and edit.target is None and resolved and resolved[-1].kind == "extract" and \
                re.search(r"\b(?:background|backdrop)\b", resolved[-1].text) and \
                re.sub(r"^(?:in|there)\s+", "", edit.where or "") in ("", edit.value):
            # "remove the background and put in a gradient": what is put in is the new background
            kept = resolved.pop()
            resolved.append(Edit("background", None, edit.value, keep=None if kept.target == SUBJECT else kept.target,
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


# Words no object's name holds: a target with one of them is a misread clause.
_NOT_AN_OBJECT = re.compile(r"\b(?:you|i|we|is|are|was|were|am|(?<!trash )(?<!garbage )(?<!watering )(?<!tin )(?<!soda )"
                            r"(?<!beer )(?<!paint )(?<!spray )(?<!oil )(?<!waste )(?<!the )(?<!a )can|could|would|should|do|does|did|how|why|when|what|if|"
                            r"because|using|whether|cannot|can't|don't|doesn't|please|thanks)\b|"
                            r"\s+and\s+(?:cover|fill|replace|patch)\s+(?:it|them|that|the\s+(?:gap|hole|area|spot))\b")


_PERSON = re.compile(r"^(?:[\w-]+\s+)?(?:person|people|man|men|woman|women|girl|girls|boy|boys|kid|kids|child|children|"
                     r"baby|lady|ladies|guy|guys|bride|groom|couple|wife|husband|friend|mother|father|mom|dad|son|"
                     r"daughter|worker|workers|player|players|singer|wanderer|traveller|traveler|soldier|knight|hobbits?|"
                     r"elf|elves|dwarfs?|dwarves|wizards?|witch(?:es)?|king|queen|prince|princess|students?|teachers?|"
                     r"doctors?|nurses?|dancers?|athletes?|runners?|actors?|actress(?:es)?|characters?)$")
# What a person can be but not look like: no style draws it ("make her a vegan").
_NOT_A_LOOK = re.compile(r"^(?:an?\s+)?(?:vegan|vegetarian|genius|millionaire|billionaire|liberal|conservative|democrat|republican|"
                         r"atheist|christian|muslim|jew|buddhist|introvert|extrovert|nicer person|better person|good person|"
                         r"bad person|smarter|richer|happier person)s?$")


# What people can be drawn as (a role, a costume, a figure): "cowgirls", "astronauts", "stone statues", "zombies".
_ROLE = re.compile(r"(?:girls?|boys?|m[ae]n|wom[ae]n|"
                   r"(?<!flow)(?<!tow)(?<!stick)(?<!post)(?<!lett)(?<!pap)(?<!contain)(?<!comput)(?<!speak)(?<!burg)(?<!cov)"
                   r"(?<!flyer)(?<!numb)ers?|"  # wrestlers, dancers; not flowers, posters, stickers
                   r"ists?|ians?|nauts?|ites?|pirates?|zombies?|vampires?|angels?|ghosts?|elf|"
                   r"elves|kings?|queens?|princes(?:ses)?|statues?|cyborgs?|ninjas?|samurai|knights?|wizards?|witch(?:es)?|"
                   r"superheroes|superhero|clowns?|cowboys?|aliens?|gods?|goddess(?:es)?|monks?|nuns?|soldiers?|warriors?|"
                   r"vikings?|elders?|babies|kids|children|teenagers?)$")


_ANIMAL = re.compile(r"\b(?:dog|puppy|cat|kitten|rabbit|bunny|horse|pony|cow|pig|sheep|goat|lion|tiger|leopard|cheetah|ocelot|"
                     r"bear|panda|wolf|fox|deer|monkey|ape|gorilla|chimp\w*|elephant|giraffe|zebra|bird|owl|eagle|parrot|duck|"
                     r"chicken|penguin|fish|shark|dolphin|whale|frog|snake|lizard|turtle|mouse|rat|hamster|squirrel|raccoon|"
                     r"otter|koala|kangaroo|camel|dinosaur|bee|butterfly|sloth|animal|creature|beast|llama|alpaca|hippo|"
                     r"rhino|crocodile|alligator|moose|bison|buffalo|donkey|mule|goose|swan|pigeon|crow|hedgehog|beaver|"
                     r"badger|bat|spider|crab|lobster|octopus|seal|walrus|unicorn|dragon|meerkat|lemur)s?\b")


# A photo described as damaged (then "can you fix it?" means restore it).
_DAMAGED = re.compile(r"\b(?:torn|ripped|creased|crumpled|water[- ]damaged|damaged|chewed|scratched|stained|got hold of|faded|"
                      r"worn out|falling apart|mouldy|moldy|foxed)\b", re.I)


# How a thing just added should look, said after it: "make it subtle but visible", "center it", "keep it small".
_ADDED_LOOK = re.compile(r"^(?:and\s+)?(?:make|keep|have)\s+(?:it|them)\s+(?P<how>(?:(?:very|quite|rather|more|a\s+bit|slightly|but|and|,)\s*)*"
                         r"(?:subtle|visible|readable|legible|noticeable|prominent|elegant|bold|small|smaller|big|bigger|large|"
                         r"larger|tiny|clear|discreet|faint|bright|centered|centred|in the (?:center|centre|middle))"
                         r"(?:\s*(?:,|and|but)\s*(?:very\s+|still\s+|quite\s+)?(?:subtle|visible|readable|legible|noticeable|"
                         r"prominent|elegant|bold|small|clear|discreet|faint|bright|centered|centred))*)$|"
                         r"^(?:and\s+)?(?P<how2>cent(?:er|re)\s+(?:it|them)|align\s+(?:it|them)\s+(?:to\s+the\s+)?(?:left|right|center|"
                         r"centre))$")


_SAID_WORDS = re.compile(r"\b(?:that\s+says|that\s+reads|saying|reading|with\s+the\s+(?:words?|text))\s+(?P<q>\"[^\"]+\"|'[^']+')")


def _words_kept(edit: Edit) -> Edit:
    """"add text that says 'Hello World' in the corner": the words are what FLUX-FILL paints, so the prompt keeps
    them (the placement phrase had them, the thing added was cut to "text")."""
    if edit.kind != "add" or not edit.value or not edit.where or "'" not in edit.where and '"' not in edit.where:
        return edit
    said = _SAID_WORDS.search(edit.where)
    words = said.group("q").strip("'\"") if said else None
    if words is None or words in edit.value:
        return edit
    return replace(edit, value=f'{edit.value} that says "{words}"')


def _person_restyled(edit: Edit) -> Edit:
    """"turn him into a cyborg", "make her an angel", "have them be cowgirls": a person drawn as a character keeps
    their shape and place, so the character is a style inside their mask, not a new object painted over them."""
    if edit.kind not in ("replace", "regenerate") or not edit.target or not edit.value:
        return edit
    them = edit.target == SUBJECT and re.search(r"\b(?:them|they|us|we)\b", edit.text) and _ROLE.search(edit.value)
    if not _PERSON.match(edit.target) and not them:  # "have them be cowgirls": people named by a pronoun, given a role
        return edit
    if re.search(r"\b(?:replac\w*|swap\w*|substitut\w*|exchang\w*|switch\w*|trade|instead|in place of)\b", edit.text):
        return edit  # "replace the man with a statue": another object in their place
    value = edit.value.split(", ", 1)[1] if edit.kind == "regenerate" and ", " in edit.value else edit.value
    if _NOT_A_LOOK.match(value):
        raise TextRefused(f"'{edit.text}': '{value}' is not something a picture shows: say how they should look (e.g. "
                          "'dress her in green', 'in watercolour style')")
    if _ANIMAL.search(value) and not re.search(r"\blook(?:s|ing)?\s+like\b", edit.text):
        return edit  # "turn him into a dog": an animal is a new body, painted in their place ("look like" keeps theirs)
    if re.search(r"\b(?:text|says|sign)\b|\"", value):
        return edit
    return replace(edit, kind="style", value=value)


def _restyle_of_same_object(edit: Edit) -> Edit:
    """"change the balloon on the top to a white balloon", "turn the glass table into a wooden table": the new object
    is the old one in another colour or material, so it is recoloured (FLUX-RCM keeps its shape), not repainted."""
    if edit.kind != "replace" or not edit.value or not edit.target or edit.target.startswith("<"):
        return edit
    if re.match(r"(?:replace|swap|substitute|exchange)\b", edit.text) and not is_descriptor(edit.value):
        return edit  # "replace the wooden door with a glass door": another door in its place
    words = edit.value.lower().replace(",", " ").split()
    target_words = set(re.findall(r"[a-z'-]+", edit.target.lower()))
    for i in range(1, len(words)):
        prefix, rest = " ".join(words[:i]), words[i:]
        if is_descriptor(prefix) and all(w in target_words for w in rest) and rest[-1] in target_words:
            return replace(edit, kind="recolor", value=prefix)
    return edit


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


def _imperative(clause: str) -> bool:
    """The clause starts with an editing verb in its bare form ("restore clarity/softness"): an instruction that
    was not understood, never a description to skip."""
    lead = re.match(r"[a-z]+", strip_polite(clause).lower())
    return lead is not None and lead.group(0) in _EDIT_IMPERATIVES


_EDIT_LEAD = re.compile(r"(?:remove|delete|erase|get rid of|take out|add|insert|replace|swap|change|make|turn|recolou?r|"
                        r"brighten|darken|lighten|blur|sharpen|crop|rotate|flip|extract|cut out)\s+(?:the|this|that|it|my|"
                        r"his|her|their|them|him|a|an|some|all)\b")
_EDIT_IMPERATIVES = frozenset("""remove delete erase restore sharpen brighten darken lighten denoise dehaze recolour
recolor replace swap crop rotate flip straighten blur unblur deblur colourize colorize desaturate insert extract""".split())


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


# A clause that asks for an operation no brick does ("..., and upscale it"): refused by name, never dropped.
_UNSUPPORTED_LEAD = re.compile(r"(?:(?:and|then|also|maybe)\s+)*colou?ri[sz]")


_NEVER_THERE = re.compile(r"^(?:and\s+)?(?:make\s+(?:it|this)\s+(?:look\s+)?(?:like|as if|as though)|so\s+it\s+looks\s+"
                          r"(?:like|as if))\s+(?:he|she|it|they|there|the \w+|that \w+)\s+(?:was|were|is|are|had|has|'s)\s+"
                          r"never\s+(?:been\s+)?(?:there|here|existed|in (?:it|the (?:photo|picture|image|shot)))")


# After an edit, a clause that only asks for quality or a file format: "make it realistic and believable", "keep it
# natural", "convert to PNG format".
_QUALITY = r"(?:realistic|believable|natural|seamless|authentic|convincing|real|photo-?realistic|clean|polished|smooth|subtle|consistent)"
_QUALITY_ONLY = re.compile(rf"^(?:and\s+)?(?:(?:make|keep|leave|have)\s+(?:it|this|them|everything|the\s+(?:result|image|edit|photo|"
                           rf"change|effect))\s+(?:look\s+|feel\s+|appear\s+|seem\s+)?(?:(?:very|more|as|really|super|totally)\s+)?"
                           rf"{_QUALITY}(?:\s*(?:,|and)\s*(?:very\s+)?{_QUALITY})*(?:\s+as\s+possible)?|"
                           rf"(?:convert|save|export)\s+(?:it\s+|them\s+)?(?:to|as|in)\s+(?:an?\s+)?(?:png|jpe?g|webp|tiff?)(?:\s+(?:format|file))?)$")


_TONAL = ("look", "bright")


def _either_side(clause: str, has_mask: bool, image_size: tuple[int, int] | None) -> Edit | None:
    try:
        return parse_clause(clause, has_mask, image_size)
    except TextRefused:
        return None  # "change contrast": not understood alone; a tone change on the other side may be taken


def _opposite(a: Edit, b: Edit) -> bool:
    """"lighten or darken it": two tone changes that undo each other."""
    return a.kind == b.kind == "bright" and ((a.ratio or 0.5) - 0.5) * ((b.ratio or 0.5) - 0.5) < 0


# "..., and restore the background naturally", "fill in the background": how a removal's hole is filled (the removal
# bricks fill it from around it), not another edit.
_FILL_BEHIND = re.compile(r"^(?:and\s+)?(?:then\s+)?(?:restore|rebuild|reconstruct|recreate|fill(?:\s+in)?|repair|fix|"
                          r"complete|continue|extend|match|blend)\s+(?:in\s+)?(?:the\s+|that\s+|this\s+|what'?s?\s+)?"
                          r"(?:(?:removed|empty|blank|resulting|leftover|missing|original|underlying|natural)\s+)?(?:background|area|"
                          r"space|gap|hole|surface|wall|scene|surroundings|behind(?:\s+(?:it|them|him|her))?)\b|"
                          r"^(?:and\s+)?(?:cover|fill|replace)\s+(?:it|them|that|the (?:spot|area|gap|hole))\s+(?:up\s+)?(?:in\s+)?with\s+"
                          r"what(?:ever)?\s+(?:would be|was|is|should be|might be)\b|^(?:and\s+)?(?:fix|blend|make)\b.*\bto match\b|"
                          r"^(?:and\s+)?(?:replace|fill)\s+(?:it\s+|them\s+|the\s+(?:gap|hole|space|area)\s+)?with\s+(?:an?\s+|the\s+)?"
                          r"(?:empty|clear|bare|plain|deserted|clean|open)\s+[\w -]+$")


def _same_either_way(sentence: str, has_mask: bool,
                     image_size: tuple[int, int] | None) -> tuple[Edit, str | None] | None:
    """The one edit both sides of "X or Y" plan (kind and target), with None; or, when both are tone changes of
    the same region ("change the contrast or brighten it up": a helper is asked to do either), the first one
    that says what to do, with a note; else None."""
    left, sep, right = strip_polite(sentence).rstrip(" ?!.").partition(" or ")
    if not sep:
        return None
    a = _either_side(left, has_mask, image_size)
    b = _either_side(right, has_mask, image_size)
    if a is not None and b is not None and (a.kind, a.target) == (b.kind, b.target) and not _opposite(a, b):
        return a, None
    tonal = [e for e in (a, b) if e is not None and e.kind in _TONAL]
    if tonal and all(e is None or (e.kind in _TONAL and e.target == tonal[0].target) for e in (a, b)) and \
            not (a is not None and b is not None and _opposite(a, b)):
        other = right if tonal[0] is a else left
        return tonal[0], f"'{sentence}' offers a choice: did '{tonal[0].text}' (say '{other.strip()}' to get that instead)"
    return None


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
        there = _THERE_IS.search(sentence) or _SAID_OF.match(sentence)
        if there and not edits:
            # "there's a bunch of people behind us. remove them", "I know my logo is light green, but ... make it red"
            mentioned = target_of(there.group("x"), has_mask)
            mentioned = mentioned if mentioned not in (None, PRONOUN, SELECTION, SUBJECT) and not _PICTURES.fullmatch(mentioned) \
                else None  # "the pictures are very big, scale them down": the pictures are the image itself
        details = _DETAILS.match(sentence)
        wanted = (details.group("y") or details.group("z") or details.group("w")) if details else None
        if wanted and refusals and "which background" in refusals[-1][1] and is_setting(wanted):
            refusals.pop()  # "Could I get a new background? Was thinking of a snowy road, ..."
            edits.append(Edit("background", None, strip_articles(wanted), text=sentence.lower()))
            continue
        impossible = impossible_reason(sentence)
        placed = re.match(r"^(?:put|place|photoshop)\s+(?:me|us|him|her|them)\s+(?:on|in|at|into|onto)\s+(?P<y>.+?)[.!?]*$",
                          sentence, re.I)
        in_front = re.match(r"^(?:put|place|photoshop)\s+(?:me|us|him|her|them)\s+in front of\s+(?:an?|the|some)\s", sentence, re.I)
        said_place = placed.group("y").lower() if placed else ""
        place = strip_articles(said_place)
        named_place = bool(placed) and not re.match(r"(?:an?|the|some)\s", said_place) and \
            len(place.split()) <= 3 and not re.search(r"\b(?:photo|picture|image|pic|shot|frame)s?\b", place)
        if impossible and (in_front or placed and (is_setting(place) or named_place)):
            impossible = None  # "put me on a beach": the people stay, the setting changes
        if impossible and EDIT_CAN.search(sentence):
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
            offer = next((p for p in clauses(sentence.rstrip("?")) if re.search(rf"\s+or\s+(?:just\s+|maybe\s+|else\s+)?"
                                                                          rf"(?:{SPLIT_VERBS})\b", p, re.I)), sentence)
            both = _same_either_way(offer, has_mask, image_size)
            if both is None:
                refusals.append((sentence, f"'{sentence}' asks for one edit or another: say which one you want"))
                continue
            # "remove the background or make it transparent": both say one edit; the rest of the sentence stays
            sentence = sentence.replace(offer, both[0].text, 1) if offer in sentence else both[0].text
            notes.extend([both[1]] if both[1] else [])
        parts = [part for whole in clauses(sentence.rstrip("?")) for part in split_coordinated(whole)]
        parts = [fix for part in parts for fix in (split_complaint(part) or [part])]  # "dark and noisy": both fixed
        for position, clause in enumerate(parts):
            if mentioned and not edits and not has_mask and re.search(r"\b(?:it|them)\b", clause) and \
                    any(g == "remove" and p.match(canonical_verb(strip_polite(clause).lower())) for g, p in VERB_RES):
                clause = re.sub(r"\b(?:it|them)\b", f"the {mentioned}", clause, count=1)  # "..., remove it": the thing named
            if edits and _QUALITY_ONLY.match(strip_polite(clause).lower().strip(" .!")):
                notes.append(f"'{clause}' says how the result should look; the edits above are planned to look so")
                continue  # "... Make it realistic and believable.", "... and convert to PNG format"
            if edits and edits[-1].kind == "remove" and (_NEVER_THERE.match(strip_polite(clause).lower()) or
                                                        _FILL_BEHIND.match(strip_polite(clause).lower())):
                continue  # "remove the guy, make it look like he was never there": how well, not another edit
            said = _ADDED_LOOK.match(strip_polite(clause).lower().strip(" .!"))
            if said and edits and edits[-1].kind in ("add", "replace") and edits[-1].value:
                # "Add text that says 'Premium'. Make it subtle but visible.", "add the number 23 and center it": how
                # the thing just added looks or sits, said after it
                how = said.group("how") or re.sub(r"\s+(?:it|them)\b", "", said.group("how2") or "").replace("center", "centered")
                edits[-1] = replace(edits[-1], value=f"{edits[-1].value}, {how}")
                continue
            try:
                if general_edit and EDIT_CAN.search(clause):
                    raise NoBrick("", clause, first_object(clause.lower().split()[1:], has_mask))
                edit = parse_clause(clause, has_mask, image_size)
                inside = embedded_request(clause) if edit is None else None
                if inside is not None:  # "would be so grateful if someone could remove ...", "request to remove ..."
                    edit = parse_clause(as_request(inside)[0], has_mask, image_size)
                defect = DEFECT_INSIDE.search(clause.lower()) if edit is None else None
                fix = complaint_fix(defect.group("d").strip(" .!")) if defect else None
                if edit is None and fix is None:  # "The photo is a bit fuzzy. Also, ...": a complaint says its fix
                    fix = complaint_fix(strip_polite(clause).lower().strip(" .!"))
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
            if edit is None and _UNSUPPORTED_LEAD.match(strip_polite(clause).lower()):
                refusals.append((clause, f"there is no brick for {unsupported_op(clause)} yet"))  # never dropped unsaid
                continue
            lead = re.match(r"[a-z]+", canonical_verb(strip_polite(clause).lower()))
            if edit is None and (position > 0 or _imperative(clause)) and (any(p.match(canonical_verb(clause.lower())) for g, p in VERB_RES
                                                      if g not in ("extract", "pose")) or
                                                  (lead is not None and lemma(lead.group(0)) in KNOWN_VERBS)):
                refusals.append((clause, f"I don't understand what '{clause}' should change"))  # never drop a part
                continue
            if edit is None:
                notes.append(f"ignored '{clause}' (not an edit)")
                if position == 0 and not asked and not re.search(r"\b(?:maybe|please|just|also|can you|could you)\s+(?:"
                                                                    + SPLIT_VERBS + r")\b", sentence, re.I) and \
                        not any(_EDIT_LEAD.match(strip_polite(p).lower()) for p in parts[1:]):
                    break  # a sentence that does not start with an edit is a description: skip it whole ("my dog
                    # is cute, remove the leash" is not: an imperative follows)
            elif edit.target and not edit.target.startswith("<") and (cut := _NOT_AN_OBJECT.search(edit.target)):
                # "the watermark when saving", "the shadow, how to do this": the object ends where a clause starts;
                # "the when you remove background using ...": a misread, not an object
                head = edit.target[:cut.start()].strip(" ,;-")
                if re.search(r"[a-z]{3}", re.sub(r"\b(?:the|a|an|this|that|my|all|any|some)\b", "", head)):
                    edits.append(replace(edit, target=head))
                else:
                    refusals.append((clause, f"I could not tell which object '{edit.target}' is: name it plainly (e.g. "
                                             "'remove the sign on the left')"))
            else:
                edits.append(edit)
    if refusals:
        clause, reason = refusals[0]
        if edits:  # a compound request: never drop a part silently
            done = "; ".join(f"'{e.text}'" for e in edits)
            raise TextRefused(f"I can plan {done}, but not '{clause}': {reason}")
        content = content_edits(text) if len(refusals) == 1 and reason.startswith(("I don't understand what",
                                                                                    "I don't know what to")) and \
            not unsupported_op(text) else None
        if not content:
            raise TextRefused(reason)
        edits, notes = content, [*notes, content_note(content)]
    if not edits and vague and not refusals and _DAMAGED.search(text):
        # "The dog got hold of this picture, can you fix it?": the damage said is what to fix
        edits = [Edit("look", None, ops=(("DENOISE", (("amount", 0.4),)), ("SHARPEN", (("amount", 0.4),))), text=text.lower())]
        notes = [*notes, "the request only says 'fix it'; the damage it describes is restored (noise out, detail back)"]
    if not edits:
        if vague:
            raise TextRefused(vague[0])
        content = None if unsupported_op(text) else content_edits(text)
        if content:
            edits, notes = content, [*notes, content_note(content)]
    if not edits:
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
    edits = [_words_kept(_person_restyled(_restyle_of_same_object(e))) for e in edits]
    edits = _one_brightness_per_target(edits)
    same = [(e.kind, e.target, e.value, e.ratio, e.ops) for e in edits]
    return [e for i, e in enumerate(edits) if i == 0 or same[i] != same[i - 1]], notes  # said twice, done once
