"""The picture wished for by what it should be, rather than an edit said with its verb: a version by its qualities
("add a clear and high resolution version of the picture", "a dark variant of the wallpaper", "a 9:16 version, but
with the logo removed", "white logo"), a picture without something ("wallpapers without logos", "sort the logos out
so they don't have the shadow") and a subject with things to wear ("a borb wearing a tinfoil hat"). Each becomes the
edits it implies; a quality the bricks do not know leaves the sentence to the other readings (nothing is guessed)."""

from __future__ import annotations

import re

from lego_edit.builder.rules.lexicon import COLOURS, KNOWN_VERBS, lemma

_LEAD = (r"(?:(?:please|also|maybe|perhaps|just|pretty much just|kindly)\s+)*(?:(?:i|we)(?:'d like|\s+(?:would like|want|need|"
         r"wish for|hope for))\s+|(?:consider\s+)?(?:add|provide|make|create|generate|get|give(?:\s+(?:me|us))?|need|want|offer|have|"
         r"request|upload|include|produce|prepare|supply|share|release|publish|use|update\s+to\s+use|switch\s+to)(?:ing)?\s+)?")
_NOUN = r"(?:versions?|variants?|variations?|editions?|copy|copies|png|pngs|file|files|logo|logos|icons?)"
# "provide an image with higher res": the picture itself, said only with a quality after it
_IMAGE_WITH = re.compile(rf"^{_LEAD}(?:an?\s+|the\s+)?(?:image|picture|photo|pic)s?\s+(?:with|in)\s+(?P<w>.+)$", re.I)
_VERSION = re.compile(
    rf"^{_LEAD}(?:an?\s+|the\s+|some\s+|one\s+|more\s+|also\s+)*(?P<q>[\w ,:&/'-]*?)\s*(?<![\w-]){_NOUN}"
    r"(?:\s+(?:of|for)\s+(?P<x>(?:the|this|that|my|our|your|its|these|those)\s+[\w' -]+?|it|this|them))?"
    r"(?:\s+that\s+(?:are|is)\s+(?:just|only)\s+[\w' -]+?)?"
    r"(?:\s*,?\s*(?:but\s+)?(?:with|having|that\s+(?:has|have)|in)\s+(?P<w>.+?))?"
    r"(?:\s*,?\s*(?:but\s+)?(?:without|minus|with\s+no)\s+(?P<wo>.+?))?"
    r"(?:\s+(?:also|too|as well))?(?:\s+(?:for|so|to|that|which|on|in)\b.*)?$", re.I)

# "the logo should be transparent where it is white", "fix the map image to be transparent": the picture's background gone.
_SEE_THROUGH = re.compile(r"^(?:(?:fix|make|update|change|set|get|turn)\s+)?(?:the\s+|this\s+|our\s+|my\s+|its\s+)?(?:[\w-]+\s+)?"
                          r"(?:logo|icon|favicon|image|picture|photo|png|graphic|sticker|emoji|map|badge|avatar|background)s?\s+"
                          r"(?:should|must|needs?\s+to|has\s+to|have\s+to|to)\s+(?:be\s+)?(?:made\s+|turned\s+)?"
                          r"(?:fully\s+|completely\s+)?transparent\b")
_QUALITIES: tuple[tuple[str, str], ...] = (
    (r"dark(?:er)?(?:[- ](?:mode|theme))?|night(?:[- ]mode)?", "make it darker"),
    (r"light(?:er)?(?:[- ](?:mode|theme))?|bright(?:er)?", "make it brighter"),
    (r"transparent(?:[- ]background)?|background[- ]?(?:less|free)|cut[- ]?out|alpha", "remove the background"),
    (r"hd|full[- ]?hd|4k|5k|8k|uhd|retina|hi-?res|high-?res(?:olution)?|higher[- ]res(?:olution)?|high(?:er)? res(?:olution)?|"
     r"larger|bigger|full[- ]size|full[- ]res(?:olution)?|\d{3,4}\s*(?:x|by|\u00d7)\s*\d{3,4}|\d{3,4}p", "upscale it"),
    (r"sharp(?:er)?|crisp(?:er)?|clear(?:er)?|less blurry|unblurred|non-?pixelated", "sharpen it"),
    (r"better[- ]quality|high(?:er)?[- ]quality|hq|cleaner|restored|enhanced", "enhance the photo"),
    (r"black[- ](?:and|&)[- ]white|b&w|b/w|gr[ae]y ?scale|monochrome", "make it black and white"),
    (r"square", "crop it square"),
    (r"\d+(?:\.\d+)?\s*:\s*\d+(?:\.\d+)?", "crop it to {q}"),
)
_COLOUR_PAIR = re.compile(rf"(?:{'|'.join(sorted(COLOURS, key=len, reverse=True))})(?:\s+and\s+\w+)?")  # "white and gold"
_QUALITIES_RE = tuple((re.compile(rf"^(?:{p})$", re.I), does) for p, does in _QUALITIES)
_FILLER = frozenset("""new updated alternative alternate separate proper nicer simple official additional extra png pngs
jpg jpeg svg file files image images picture wallpaper wallpapers logo icon""".split())


def _quality(word: str, x: str | None) -> str | None:
    word = word.strip(" ,.-").lower()
    for pattern, does in _QUALITIES_RE:
        if pattern.match(word):
            return does.format(q=word.replace(" ", ""))
    if word in COLOURS or _COLOUR_PAIR.fullmatch(word):
        return f"make {x or 'it'} {word}"
    return None


# "wallpapers without logos", "the photo without the people in the back": the picture wished for, less something.
_WITHOUT = re.compile(r"^(?:(?:an?|the|some|all(?:\s+the)?|these|those|our|my)\s+)?(?P<n>[\w'-]+(?:\s+[\w'-]+)?)\s+(?:without|minus|"
                      r"with\s+no|but\s+without|sans)\s+(?P<x>(?:the\s+|any\s+|all\s+(?:the\s+)?|its\s+|their\s+)?[\w' -]+?)"
                      r"(?:\s+(?:on|in)\s+(?:it|them))?$")
# "sort the logos out so they don't have the shadow": what they should not have, removed.
_SO_NOT = re.compile(r"^(?P<head>.+?)\s+so\s+(?:that\s+)?(?:it|they|he|she|the\s+[\w-]+)\s+(?:don'?t|doesn'?t|do\s+not|does\s+not|"
                     r"won'?t|will\s+not|no\s+longer)\s+(?:have|show|contain|include)\s+(?P<x>(?:the|a|an|any|its|their)\s+[\w' -]+)$")


_ACCESSORY = (r"(?:hats?|caps?|beanies?|berets?|crowns?|tiaras?|helmets?|glasses|sunglasses|goggles|monocles?|beards?|moustaches?|"
              r"mustaches?|staches?|stubble|goatees?|headphones|headsets?|earrings?|necklaces?|scarf|scarves|bow ?ties?|ties?|"
              r"bows?|masks?|wigs?|halos?|horns|wings|capes?|magnifiers?|magnifying glass(?:es)?|umbrellas?|sombreros?|"
              r"ponchos?|flowers?|garlands?|wreaths?|badges?|medals?|backpacks?|bags?|gloves|mittens|boots|shoes|"
              r"pipes?|cigars?|canes?|wands?|swords?|shields?|balloons?|lanterns?|candles?|antlers)")
# "a borb wearing a tinfoil hat", "how about a parrot with a santa hat and a magnifier?": the subject with things put on it.
_WITH_THINGS = re.compile(r"^(?:(?:official\s+)?request\s+(?:for\s+)?|how\s+about\s+|what\s+about\s+|(?:it\s+)?(?:would|'d)\s+be\s+"
                          r"(?:amazing|great|nice|cool|awesome|fun|lovely)\s+to\s+(?:have|see)\s+|there\s+should\s+be\s+|"
                          r"(?:i|we)(?:'d|\s+would)\s+love\s+(?:to\s+see\s+)?|maybe\s+)?"
                          r"(?:an?\s+|the\s+|our\s+|one\s+|some\s+)?(?P<s>(?:[\w'-]+\s+){0,2}?[\w'-]+)\s+(?:with|wearing|sporting|"
                          r"that\s+has|having)\s+(?P<x>.+?)(?:\s+on)?$")


def accessory_request(text: str) -> str | None:
    """"Borb with a short beard and glasses" -> "add a short beard and glasses on the borb": a subject named with
    things it should wear or hold, each of them a thing one adds (a hat, glasses, a beard), asked for as a wish."""
    low = text.lower().strip(" .!?:)(")
    if not re.search(rf"\b{_ACCESSORY}\b", low):
        return None
    m = _WITH_THINGS.match(low)
    if not m:
        return None
    items = [i for i in re.split(r"\s*(?:,|\band\b|&|\+)\s*", m.group("x")) if i]
    if not items or not all(re.search(rf"\b{_ACCESSORY}$", i.strip()) for i in items):
        return None
    subject = m.group("s")
    framed = m.end("s") - len(subject) > 0 and bool(re.match(r"(?:(?:official\s+)?request|how|what|it|would|'d|there|i|we|maybe)\b",
                                                             low))
    if re.search(r"\b(?:is|are|was|were|i|you|we|they|photo|image|picture|background)\b", subject) or \
            lemma(subject.split()[0]) in KNOWN_VERBS or (not framed and re.match(r"(?:the|this|that|these|those)\b", low)):
        return None  # "remove the girl with the umbrella", "the man with glasses" (a description)
    return f"add {m.group('x')} on the {subject}"


def without_request(text: str, leads_a_verb: bool) -> str | None:
    """"wallpapers without logos" -> "remove the logos"; "sort them out so they don't have the shadow" -> "remove
    the shadow". `leads_a_verb`: the text starts with an editing verb (then only the "so they don't" form applies)."""
    low = text.lower().strip(" .!?")
    if "so " in low:
        m = _SO_NOT.match(low)
        if m and re.match(r"(?:sort|fix|edit|update|redo|tidy|clean|correct|modify|tweak|adjust|change|photoshop|"
                          r"do|help)\b", m.group("head")) and not re.search(
                              r"\b(?:red|blue|green|white|black|bright\w*|dark\w*|crop\w*|rotat\w*|colou?r\w*|to)\b", m.group("head")):
            return f"remove {m.group('x')}"  # the head only says "deal with it"; the edit is what it should not have
    if not re.search(r"\b(?:without|minus|with no|sans)\b", low):
        return None
    made = re.match(r"^(?:make|get|give\s+me|i\s+want|i\s+need)\s+(?=(?:it|this|that|the|my)\b)", low)
    if made:  # "(I'd love to) make this picture without the car"
        low, leads_a_verb = low[made.end():], False
    if leads_a_verb:
        return None
    m = _WITHOUT.match(low)
    if not m or re.search(r"\b(?:is|are|was|were|be|looks?|seems?)\b", m.group("n")) or \
            re.search(r"\b(?:is|are|was|were|looks?|seems?|would|could|better|worse|nicer|prettier)\b", m.group("x")):
        return None
    x = m.group("x")
    determined = re.match(r"(?:the|any|all|its|their)\b", x)
    return f"remove {x}" if determined else f"remove the {x}"


def version_request(text: str) -> str | None:
    """The edits a version asked for implies, as imperative clauses joined by ", then "; None when `text` asks for
    no such version or names a quality no edit here gives."""
    low = text.lower().strip(" .!?")
    if "transparen" in low and _SEE_THROUGH.match(low):
        return "remove the background"
    pictured = _IMAGE_WITH.match(low)
    if pictured:
        return _quality(pictured.group("w"), None)
    if not re.search(rf"(?<![\w-]){_NOUN}\b", low):
        return None
    m = _VERSION.match(low)
    if not m:
        return None
    x = m.group("x")
    noun = re.search(rf"(?<![\w-]){_NOUN}\b", low[m.end("q"):] if m.group("q") is not None else low)
    target = None if noun is None or not re.match(r"logos?|icons?", noun.group(0)) else "the logo" if "logo" in noun.group(0) \
        else "the icon"
    q = " ".join(w for w in (m.group("q") or "").split() if w not in _FILLER)
    whole = _quality(q, x or target) if q else None  # "black and white" is one quality, not two
    words = [q] if whole else [w for w in re.split(r"\s*(?:,|\band\b|&|/|\+)\s*", q) if w and w not in _FILLER]
    edits = []
    for word in words:
        does = _quality(" ".join(w for w in word.split() if w not in _FILLER), x or target)
        if does is None:
            return None
        edits.append(does)
    if m.group("w"):
        said = m.group("w").strip()
        gone = re.fullmatch(r"(?P<y>.+?)\s+(?:removed|gone|taken out|erased|deleted)", said)
        if gone:
            edits.append(f"remove {gone.group('y')}")
        elif re.fullmatch(r"(?:an?\s+)?transparent\s+(?:background|bg)|(?:a\s+)?transparency|(?:an?\s+)?alpha(?:\s+channel)?", said):
            edits.append("remove the background")
        elif _quality(said, x or target):  # "an image with higher res", "in black and white"
            edits.append(_quality(said, x or target) or "")
        elif re.search(r"\b(?:background|backdrop)$", said):
            plain = re.sub(r"^(?:an?|the)\s+|\s+(?:background|backdrop)$", "", said)
            edits.append(f"change the background to {plain}")
        else:
            return None
    if m.group("wo"):
        edits.append(f"remove {m.group('wo').strip()}")
    if not edits:
        return None
    return ", then ".join(edits)
