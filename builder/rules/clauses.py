"""Text clean-up, sentences and clauses (each clause one edit), riders trimmed."""

from __future__ import annotations

import functools
import re
from typing import Any

from lego_edit.builder.rules.lexicon import SPLIT_VERBS

_QUALIFIERS = re.compile(
    r",\s*(?:this|that|it|she|he|they)\s+(?:is|was|were|are)\s+(?:a|an|the|my|our|his|her|their)\b.*$|"  # ", this is a very old photo of a friend"
    r"(?:,\s*|\s+)(?:while|whilst|ensuring|ensure|making sure|make sure|so that|so it|so the|leaving|maintaining|"
    r"keeping|keep|blending|blend|preserving|focusing|creating|giving|adding a|emphasi[sz]ing|to create|to make|to give|"
    r"so i|so we|so he|so she|so they|so my|so our|so you|so there|because|since|as it|as they|"
    r"so (?:that )?(?:the |his |her |their |its |all |everyone |everything )?(?:[\w'-]+ ){1,4}(?:is|are|can|could|will|would|"
    r"look|looks|become|becomes|stand|stands|show|shows|pop|pops|appear|appears|seem|seems)(?= )|"
    r"to emphasi[sz]e|to add|to match|to blend|to enhance|to reflect(?!\s+(?:a|an)\s)|to ensure|to keep|to maintain|as if|"
    r"for (?:a |an |the )?(?:much |far |way )?(?:better|clearer|cleaner|nicer|sharper|improved|crisper|brighter) (?:view|look|"
    r"result|image|picture|photo|shot|quality|finish)|for (?:a |an )?(?:more |much more |even more )?(?:polished|professional|"
    r"clean|cleaner|natural|refined|finished|crisp|crisper|balanced|cohesive|modern|sleek) (?:look|finish|feel|result|vibe|"
    r"aesthetic|appearance)|(?:ideal |perfect |great |best )?for (?:[\w-]+,? ){0,4}(?:photography|photos|portraits|shots|images|"
    r"pictures|scenes|landscapes|headshots|selfies|feeds?|campaigns?|catalogs?|catalogues?)$|in order to|instead of|rather than|or something|or anything|or whatever|(?:and|or) (?:anything|whatever|everything) else\b|or similar|of some sort|for me|for us|for my \w+|if possible|if you can|again$|back$|but keep|but (?:maintain|preserve|retain)\w*|without changing|without altering|without (?:just |simply |also )?(?:blurring|cropping|changing|altering|affecting|touching|"
    r"losing|ruining|distorting|moving|damaging|making)|(?:but\s+)?(?:don't|do not|dont|never)\s+(?:alter|change|touch|modify|affect|edit|move)|and blend|and make sure|and seamlessly|seamlessly|"
    r"and (?:maintain|keep|preserve|retain)(?:ing)? (?:the|its|their|all|everything|others?)\b|"
    r"including|such as|as well as preserving|with the same|isolating|excluding|separating|"
    r"and isolate|to restore|and restore|restoring|then blend|(?:before|when|while|for|after)\s+(?:sharing|posting|uploading|"
    r"printing|sending|publishing|using (?:it|them))|(?:before|after|once|when)\s+(?:i|we)\s+(?:can\s+)?(?:submit|send|"
    r"print|post|upload|share|frame|use|give|hang|show)|on (?:my |our )?(?:social media|instagram|facebook))\b.*$", re.I)
_RIDERS = re.compile(r"(?:,\s*|\s+)(?:(?:i'll|i will|will|can|happy to|i can|i'm happy to)\s+(?:tip|pay|venmo|paypal)\b|"
                     r"(?:any\s+)?help\s+(?:is\s+|would be\s+)?(?:much\s+|greatly\s+|really\s+)?appreciated\b|"
                     r"(?:thanks?|thank you|thx|ty|tia|cheers)\b(?!\s+(?:to|for)\b)|(?:would be|is|it'd be)\s+(?:so\s+|really\s+|much\s+)?"
                     r"(?:great|awesome|amazing|appreciated|nice|lovely|helpful)(?!\s+(?:to|if)\b)|(?:lol|haha+|lmao|xd|:\)|please and thank you)\b|"
                     r"and\s+(?:it'?ll|it will|that'?ll|that will|it would|it'?d|we'?ll|i'?ll)\s+be\s+(?:perfect|great|good|fine|amazing|"
                     r"awesome|happy|set|done)\b)"
                     r"[^,]{0,30}$", re.I)
# A request starting inside a sentence: "this is my grandma, can someone remove the guy behind her".
_REQUEST_INSIDE = re.compile(rf",\s*so\s+(?:just\s+|please\s+|maybe\s+)?(?=(?:{SPLIT_VERBS})\b)|"
                             r"(?:,\s*|\s+(?:but|so|and|anyway)\s*,?\s*)(?=(?:(?:can't|cant|couldn't)\s+(?:we|you)\s|(?:can|could|would|will)\s+(?:you|u|someone|"
                             r"somebody|anyone|anybody|some(?:one)? here)|please|pls|plz|i(?:'d| would) (?:just |really )?"
                             r"(?:like|love)|i (?:just |really |only )?(?:want|need)|(?:is|would) it (?:be )?(?:at all )?possible|"
                             r"is there (?:a|any) way|any chance|(?:maybe|perhaps) (?:we|you|someone|somebody) (?:could|can|should))\b)",
                             re.I)
_ABBREVIATIONS = re.compile(r"\b(St|Mr|Mrs|Ms|Dr|No|vs|Jr|Sr|Mt)\.\s", re.I)
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
_GERUNDS = (r"removing|deleting|erasing|adding|inserting|replacing|swapping|changing|making|turning|converting|adjusting|"
            r"altering|recolou?ring|painting|brightening|darkening|lightening|increasing|decreasing|reducing|boosting|"
            r"lowering|blurring|expanding|extending|cropping|rotating|flipping|sharpening|fixing|enhancing|improving|"
            r"correcting|straightening|desaturating|colou?ri[sz]ing|denoising|dehazing|upscaling|restoring|warming|cooling")
# After the verb a clause would start with: what shows it is no verb ("make sure", "colour saturation").
_COLOUR_NOUNS = r"\s+(?:saturation|temperature|balance|grad\w*|correction|cast|intensity|tones?|scheme|palette|depth|vibrancy)\b"
_NOT_A_VERB = rf"(?!\s+sure|\s*,|\s+(?:and|or|unchanged|intact)\b|(?<=color){_COLOUR_NOUNS}|(?<=colour){_COLOUR_NOUNS})"
_CLAUSE_SEP = re.compile(
    rf"\s*;\s*|\s*/\s*(?=(?:{SPLIT_VERBS})\b)|,?\s+and then\s+|,\s*then\s+|\s+then\s+(?=(?:{SPLIT_VERBS})\b)|,?\s+and also\s+|,?\s+after that,?\s+|"
    rf",?\s+afterwards,?\s+|,?\s+finally,?\s+|\s*,\s*(?=i\s+(?:hope|want|need|would like|'d like|wish)\s+(?:to\s+)?(?:{SPLIT_VERBS})\b)|,\s*(?:and\s+|but\s+)?(?:(?:maybe|perhaps|possibly|also|please|then)\s+)?"
    rf"(?=(?:{SPLIT_VERBS})\b{_NOT_A_VERB})|"
    rf"\s+(?:and|but)\s+(?:(?:maybe|perhaps|also|possibly|then|generally|just|slightly|please|if possible|overall|"
    rf"a bit|lightly|gently|really|somehow)\s+)*(?=(?:{SPLIT_VERBS})\b{_NOT_A_VERB})|"
    rf",?\s+and\s+(?:also\s+)?(?=(?:{_GERUNDS})\s+(?:the|this|my|a|an|some|his|her|their|its|all|any|up|out)?\s*[a-z])",
    re.I)


# -- text clean-up -----------------------------------------------------------------------------------
_COMPARATIVE = {"clear": "clearer", "sharp": "sharper", "bright": "brighter", "crisp": "crisper", "clean": "cleaner"}
# Misspellings of defects that people type often ("its blury", "so blured"): read as the word meant.
_TYPOS = re.compile(r"\b(?:blury|blurr?yy|blurrry|bluryy)\b|\bblured\b|\bits(?=\s+(?:so\s+|very\s+|really\s+|too\s+|a bit\s+|kinda\s+)?"
                    r"(?:blurr?y|dark|grainy|noisy|hazy|faded|yellow|washed|overexposed|underexposed|crooked|tilted)\b)", re.I)
_TYPO_FIX = {"blured": "blurred", "its": "it's"}
# Rewordings that make a phrase plain, each tried only when its cue word is in the text (a cheap test first:
# these run on every instruction).
_REWORDINGS: tuple[tuple[tuple[str, ...], re.Pattern[str], Any], ...] = (
    (("expos",), re.compile(r"\b(over|under)[- ](expos\w*)", re.I), r"\1\2"),  # "over-exposure"
    # "make this a clear photo": the photo's state asked for
    (("clear", "sharp", "bright", "crisp", "quality", "clean"), re.compile(r"\b(?:make|get|turn|convert|transform)\s+(it|this|(?:the|this|my)\s+(?:[\w-]+\s+)?(?:photo|picture|image|"
                      r"pic))\s+(?:into\s+)?an?\s+(clear(?:er)?|sharp(?:er)?|bright(?:er)?|crisp(?:er)?|brighter|better quality|"
                      r"noise-free|clean(?:er)?)\s+(?:photo|picture|image|pic|shot|version|one)\b", re.I),
     lambda m: f"make {m.group(1)} {_COMPARATIVE.get(m.group(2).lower(), m.group(2))}"),
    # "the noise present in this picture": the place is the image, the participle says nothing more
    (("present", "visible", "seen", "found", "shown", "captured", "appearing", "existing"), re.compile(r"\b(?:present|visible|seen|found|shown|captured|appearing|existing)\s+(?=(?:in|within|on|throughout|"
                      r"across)\s+(?:the|this|my|an?)\s+(?:whole\s+|entire\s+)?(?:image|picture|photo|photograph|pic|shot|scene|"
                      r"frame)\b)", re.I), ""),
    # "this beach photo I took", "the picture my wife shot": who took it says nothing about the edit
    (("took", "shot", "snapped", "captured"), re.compile(r"\b(photo|picture|pic|shot|image|selfie|photograph|portrait)(s?)\s+"
                      r"(?:that\s+|which\s+)?(?:i|we|my\s+\w+|he|she|they)\s+(?:just\s+|recently\s+)?(?:took|shot|snapped|"
                      r"captured)(?:\s+(?:yesterday|today|earlier|recently|last\s+(?:night|week|month|year|summer|winter)|"
                      r"(?:a|two|three|some)\s+(?:days?|weeks?|months?|years?)\s+ago))?\b", re.I), r"\1\2"),
    # "noise-free", "blur free": free of it
    (("free",), re.compile(r"\b(noise|grain|blur|haze|fog|rain|snow|glare|watermark)[- ]free\b", re.I), r"free of \1"),
    # "not so blurry", "not as dark", "not look blurry": less of it
    (("not",), re.compile(r"\b(?:look\s+)?not\s+(?:look\s+)?(?:so|too|as|that|very)?\s*(?=(?:blurry|blurred|dark|bright|grainy|"
                       r"noisy|hazy|fuzzy|saturated|yellow|orange|red|green|blue|washed[- ]out|harsh|flat|dull|soft|shiny)\b)(?![a-z-]+\s+enough\b)",
                       re.I), "look less "),
)
# "all white", "completely black": the colour itself
_INTENSIFIED = re.compile(r"\b(?:all|completely|entirely|totally|fully|pure|solid)\s+(?=(?:white|black|gr[ae]y|blue|green|red|"
                          r"pink|yellow|transparent)\b)", re.I)


_ELLIPSIS = re.compile(r"(?<!\s)\s*\.{2,}\s*|(?<!\s)\s*\u2026\s*")  # (?<!\s): a space run is scanned once
_SPACES = re.compile(r"\s+")
_SOME_ONE = re.compile(r"\b(can|could|would|will)\s+(some|any)\s+one\b", re.I)
_REGULAR_FILTER = re.compile(r"\b(?:change|turn|switch)\s+(the\s+[\w-]+\s+(?:filter|tint|cast|hue))\s+(?:in)?to\s+(?:an?\s+)?"
                             r"(?:regular|normal|natural|neutral|plain)(?:\s+one)?\b", re.I)
_ASIDE = re.compile(r"\s*\([^()]*\b(?:whatever|or something|or anything|lol|haha|etc|thanks|thank you|pls|please)\b[^()]*\)", re.I)
_IMAGE_BACKGROUND = re.compile(r"\b(?:image|photo|picture|pic)(?:'s)?\s+(?=backgrounds?\b)", re.I)
_BACKGROUND_TYPOS = re.compile(r"\b(?:backround|backgound|bakground|backgroud|backgorund|bckground)(s?)\b", re.I)
_AND_THAN = re.compile(rf"\b(and|,)\s+than\s+(?=(?:{SPLIT_VERBS}|ask)\b)", re.I)
_SLASH_VERBS = re.compile(rf"\b((?:{SPLIT_VERBS}))/(?:{SPLIT_VERBS}|create|generate)\b", re.I)
_AMPERSAND = re.compile(r"(?<![\w&])\s*&\s*(?![\w&]*\s*white\b)(?=[a-z])", re.I)
_REPEATED = re.compile(r"\b(\w+(?:\s+\w+)?)(?:\s+\1\b)+", re.I)


_PICTOGRAPHS = re.compile("[\U0001F000-\U0001FAFF\u2728\uFE0F\u200D]+")


def normalize(text: str) -> str:
    """One line of plain ASCII-ish text: typographic quotes and dashes folded, repeated words collapsed
    ("Add Add a wooden a wooden bench" -> "Add a wooden bench": real instructions have such typos)."""
    text = (text or "").replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = text.replace("\u2013", "-").replace("\u2014", " - ").replace("\u00a0", " ")
    if not text.isascii():  # pictographs say a mood, not an edit: "add \U0001f385 santa hat", "make it pop \u2728"
        text = _PICTOGRAPHS.sub(" ", text)
    if "." in text or "\u2026" in text:
        text = _ELLIPSIS.sub(". ", text)
    text = _SPACES.sub(" ", text).strip()
    if "{" in text or "<" in text:  # "{image} change the ...", "<image>": a template's image slot, not a word
        text = re.sub(r"^\s*[{<](?:image|img|input|image_?\d)[}>]\s*", "", text, flags=re.I)
        text = re.sub(r"\b(this|that|my|the)\s+[{<](?:image|img|input|image_?\d)[}>]", r"\1 image", text, flags=re.I)
        text = re.sub(r"[{<](?:image|img|input|image_?\d)[}>]", "the image", text, flags=re.I).strip()
    low = text.lower()
    # Each clean-up below runs only when its cue is in the text (this runs on every instruction).
    if "bg" in low:
        text = re.sub(r"\bbg\b", "background", text, flags=re.I)
    if " one" in low:
        text = _SOME_ONE.sub(r"\1 \2one", text)  # "can some one"
    if "filter" in low or "tint" in low or "cast" in low or "hue" in low:
        text = _REGULAR_FILTER.sub(r"remove \1", text)  # "change the pinkish filter to a regular one"
    if "(" in text:  # "(photoshop or whatever)": an aside that names no part of the edit
        text = _ASIDE.sub("", text)
    if any(cue in low for cue in ("round", "gound", "groud", "orund")):  # "background" and its misspellings
        text = _BACKGROUND_TYPOS.sub(r"background\1", text)
        text = _IMAGE_BACKGROUND.sub("", text)  # "remove image background"
    if "than" in low:
        text = _AND_THAN.sub(r"\1 then ", text)  # "and than add a dog"
    if "/" in text:
        text = _SLASH_VERBS.sub(r"\1", text)  # "add/create"
        text = re.sub(r"\bblack\s*/\s*white\b", "black and white", text, flags=re.I)  # "update the logo to black/white"
    if "&" in text:
        text = _AMPERSAND.sub(" and ", text)  # "& remove the shadow"; "black & white" stays
        text = re.sub(r"^(?:[.!?]\s*)?&\s+", "", text)
    if low.startswith(("and ", ". and", "! and", "? and")):
        text = re.sub(r"^(?:[.!?]\s*)?and\s+", "", text, flags=re.I)
    text = _REPEATED.sub(r"\1", text)
    low = text.lower()
    if "blur" in low or "its " in low:
        text = _TYPOS.sub(lambda m: _TYPO_FIX.get(m.group(0).lower(), "blurry"), text)
    for needles, pattern, repl in _REWORDINGS:
        if any(n in low for n in needles):
            text = pattern.sub(repl, text)
    if any(w in low for w in ("all ", "completely ", "entirely ", "totally ", "fully ", "pure ", "solid ")):
        text = _INTENSIFIED.sub("", text)
    return text


def sentences(text: str) -> list[str]:
    """Sentences, and the requests that start inside one ("..., can someone remove the guy"), riders ("will tip",
    "thanks") left out."""
    protected = _ABBREVIATIONS.sub(lambda m: m.group(0).replace(". ", "\x00 "), text)
    found = []
    for s in _SENTENCES.split(protected):
        for part in _REQUEST_INSIDE.split(s):
            part = _RIDERS.sub("", part.replace("\x00", ".")).strip()
            part = re.sub(r",\s*(?:please\s+|pls\s+)?(?:help|anyone|someone|pretty please)(?:\s+(?:me|please|pls|anyone|us))?"
                          r"[!.?\s]*$", "", part, flags=re.I).strip()
            if part:
                found.append(part)
    return found


# Imperatives run together without "and" or punctuation ("remove the person change the surfboard to a speedboat
# change the background to beach"): a new clause starts at an editing verb followed by its object's determiner,
# unless the word before ties the verb to what precedes ("to", "me", "can", "and" ...).
_RUN_ON = re.compile(r"\s+(?=(?:remove|delete|erase|add|change|replace|swap|insert|recolou?r|paint|put|place|make|turn|"
                     r"extract|brighten|darken|warm|cool|sharpen|blur|crop|rotate|flip|straighten|desaturate|saturate|"
                     r"lighten|soften|reduce|increase|boost)\s+(?:the|a|an|some|his|her|its|their|all|two|three|several)\b)",
                     re.I)
_TIES = frozenset("""to me us you i we can could would will should must please and or not help just also then let's lets
don't never who that which i'd need want try""".split())
_IMPERATIVE_LEAD = re.compile(rf"^(?:{SPLIT_VERBS})\b", re.I)


# "..., while sharpening the image", "as well as removing the dust": a second edit said as a gerund (riders such as
# "while keeping the face" stay with their clause and are trimmed later).
_WHILE_DOING = re.compile(r",?\s+(?:while|whilst|as well as|and also|plus)\s+(?=(?!keep|maintain|preserv|retain|leav|ensur|"
                          r"blend|avoid|mak\w* sure|stay|respect|match|look)[a-z]+ing\s+(?:the|this|my|it|up|out|some|any|all)\b)",
                          re.I)


def _run_on(part: str) -> list[str]:
    """`part` split where a new imperative starts without a separator (not after a word that ties it to what precedes)."""
    pieces, start = [], 0
    for m in _RUN_ON.finditer(part):
        before = part[start:m.start()].rsplit(None, 1)
        if len(before) == 2 and before[1].lower() not in _TIES:
            pieces.append(part[start:m.start()])
            start = m.end()
    pieces.append(part[start:])
    return pieces


_PLUS = re.compile(rf",?\s+(?:plus|and also|as well as|along with)\s+(?=(?:{SPLIT_VERBS})\b)", re.I)


def clauses(sentence: str) -> list[str]:
    parts = [q for part in _CLAUSE_SEP.split(sentence) if part for p in _WHILE_DOING.split(part) for q in _PLUS.split(p)]
    found = []
    for p in parts:
        if p and _IMPERATIVE_LEAD.match(p.strip(" ,.!")) and " " in p:
            pieces = _run_on(p)
            if len(pieces) > 1 and re.match(r"\s*(?:make|let|have|get|help)\b", pieces[0], re.I) and \
                    re.match(r"(?:make|turn|put|place)\b", pieces[1], re.I):
                pieces = [p]  # "make the person turn his head": a causative, one clause
            found.extend(pieces)
        elif p:
            found.append(p)
    found = [re.sub(r"(?:,?\s+(?:as well|aswell|also|too))+\s*$", "", p.strip(" ,.!"), flags=re.I) for p in found]  # "brighten it as well"
    for i in range(len(found) - 1, 0, -1):  # "instead of the hills, make it the Alps": one clause
        if re.fullmatch(r"(?:and\s+)?instead of\s+[^,]+", found[i - 1].strip(" ,"), re.I):
            found[i - 1:i + 1] = [f"{found[i - 1].strip(' ,')}, {found[i]}"]
    return [p.strip(" ,.!") for p in found if p.strip(" ,.!")]


@functools.lru_cache(maxsize=256)  # pure, and asked of the same words several times in one plan
def trim_qualifiers(clause: str) -> str:
    """Drop trailing riders that ask for quality, not for an edit ("..., ensuring it blends in")."""
    return _QUALIFIERS.sub("", clause).strip(" ,.")


