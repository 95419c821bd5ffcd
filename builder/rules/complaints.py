"""Complaints and defects said plainly ("the photo is too dark", "blurry wedding photo", "there's a guy
ruining the shot") turned into the edit that fixes them."""

from __future__ import annotations

import re

from lego_edit.builder.rules.edits import PRONOUN
from lego_edit.builder.rules.phrases import (
    target_of,
)

SHOULD_BE = re.compile(r"^(?P<x>.+?)\s+(?:should|must|needs? to|has to|ought to|shall|will|is to|are to)\s+(?:be|look|become|appear|shine|glow|"
                        r"gleam|glisten|sparkle|turn)\s+"
                        r"(?:like\s+)?(?P<y>.+)$")


_TOO = re.compile(r"^(?P<x>.+?)\s*(?:\s(?:is|are|looks?|seems?|was|were|got|came out|turned out|appears?)|'s|'re)\s+"
                  r"(?:just\s+|way\s+|a bit\s+|a little(?: bit)?\s+|kinda\s+|kind of\s+|very\s+|much\s+|far\s+|"
                  r"really\s+|so\s+|super\s+)*too\s+(?P<y>[\w-]+(?:\s+[\w-]+)?)(?:\s+(?:now|here|overall|(?:in|on|at|for)\s+[\w' -]{1,40}))?$")
# "the sky isn't blue enough", "none of them are bright enough": the opposite of too much of its antonym.
_ENOUGH = re.compile(r"^(?:none of\s+)?(?P<x>.+?)\s*(?:\s(?:is|are|looks?|seems?|was|were)(?:n't|\s+not)?|'s not|'re not|isn't|aren't)\s+"
                     r"(?:nearly\s+|quite\s+|really\s+|just\s+)?(?P<y>[a-z]+)\s+enough(?:\s+(?:now|here|overall|in (?:the|this|my) "
                     r"(?:photo|picture|image|pic|shot)))?$")
_ENOUGH_TOO = {"bright": "dark", "light": "dark", "lit": "dark", "visible": "dark", "dark": "bright", "sharp": "blurry",
               "clear": "blurry", "crisp": "blurry", "focused": "blurry", "colourful": "dull", "colorful": "dull",
               "vibrant": "dull", "vivid": "dull", "saturated": "dull", "punchy": "dull", "warm": "blue", "cool": "yellow",
               "big": "small", "large": "small", "small": "big"}


_FIXES = (
    (r"dark|dim|underexposed|gloomy|shadowy|black", "brighten {x}", True),
    (r"bright|overexposed|light|washed[- ]out|blown[- ]out|harsh", "darken {x}", True),
    (r"blurry|blurred|soft|fuzzy|out of focus|unclear|unsharp", "sharpen the image", False),
    (r"noisy|grainy|speckled", "remove the noise", False),
    (r"hazy|foggy|misty|murky", "remove the haze", False),
    (r"yellow|warm|orange", "make it cooler", False),
    (r"blue|cold|cool", "make it warmer", False),
    (r"saturated|colou?rful|vivid|garish", "desaturate it", False),
    (r"green|greenish|magenta|purple|purplish|pink|pinkish|red|reddish|redish", "fix the colours", False),
    (r"dull|flat|muted|grey|gray|bland|boring|lifeless|drab|meh", "increase the contrast", False),
    (r"big|large|huge", "make {x} smaller", True),
    (r"small|tiny", "make {x} bigger", True),
)


_RUINS = re.compile(r"^(?:(?:there(?:'s| is| are)|i hate|i don't like|i do not like)\s+)?(?P<x>(?:the|a|an|this|that|some|my|"
                    r"his|her|their|those|these)\s[^,]+?)\s+(?:that\s+|which\s+|who\s+)?"
                    r"(?:is\s+|are\s+)?(?:ruin(?:s|ed|ing)|spoil(?:s|ed|ing)|photobomb(?:s|ed|ing)|in the way|"
                    r"block(?:s|ed|ing) (?:the|my) view)\b")


# "the photo is blurry", "the colours are washed out", "the sky is blown out": a defect of the image, said plainly.
_DEFECT = re.compile(r"^(?:(?:the|this|my|our|[a-z]+'s)\s+(?:whole\s+)?(?:[\w-]+\s+){0,2}?(?:image|photo|picture|pic|shot|photograph|selfie|"
                     r"scan|colou?rs|lighting|exposure|sky|highlights|horizon(?: line)?)(?:\s+(?:in|on|of|from)\s+(?:the|this|my|our)\s+"
                     r"(?:[\w-]+\s+){0,3}?(?:page|post|site|website|header|banner|book|article|slide|docs?|readme))?|it|this|everything)\s*(?:is|are|was|were|looks?|seems?|came out|"
                     r"turned out|got|'s)\s+(?:a bit\s+|a little\s+|very\s+|really\s+|so\s+|kinda\s+|kind of\s+|quite\s+|super\s+|"
                     r"all\s+|completely\s+|slightly\s+|pretty\s+)?(?P<y>[\w -]+?)(?:\s+(?:now|here|overall))?$")


# "slightly blurry wedding photo": the defect as a noun phrase (a forum post's title).
_DEFECT_NP = re.compile(r"^(?:an?\s+|my\s+|this\s+|the\s+|our\s+)?(?:(?:very|really|slightly|super|kinda|a bit|a little|quite)\s+)?"
                        r"(?P<y>blurry|blurred|noisy|grainy|hazy|foggy|underexposed|overexposed|washed[- ]out|faded|"
                        r"out of focus|out-of-focus)\s+(?:[\w'-]+\s+){0,3}?(?:photo|picture|image|pic|shot|selfie|photograph|"
                        r"portrait)s?$")


# A defect said after a story: "..., but the picture was blurry", "It's overwhelmed with noise".
DEFECT_INSIDE = re.compile(r"\b(?:but|and|so|because|since|unfortunately|however|though)\b,?\s+(?P<d>(?:it|the|this|my)\b[^,;]*)$")


_DEFECT_FIXES = (
    (r"blurry|blurred|out of focus|out-of-focus|fuzzy|soft|unsharp", "sharpen the image"),
    (r"grainy|noisy|(?:overwhelmed|full|covered|riddled) with (?:noise|grain)", "remove the noise"),
    (r"hazy|foggy|murky", "remove the haze"),
    (r"washed[- ]out|faded|dull|flat|muted|muddy|lifeless|drab|boring|bland", "make the colours more vivid"),
    (r"blown[- ]out|overexposed|too bright", "recover the highlights"),
    (r"underexposed|dark|too dark|dim|gloomy", "brighten the image"),
    (r"harsh|too harsh|contrasty", "soften the harsh shadows"),
    (r"yellow|yellowish|orange", "make it cooler"),
    (r"blue|bluish", "make it warmer"),
    (r"crooked|tilted|skewed|slanted|not straight|not level", "straighten the image"),
    (r"upside[- ]down", "rotate it 180 degrees"),
)


_PADDING = re.compile(r"\b(?:(?:doesn't|does not|don't|do not)\s+have\s+(?:enough|any)|lacks?|(?:could|would)\s+(?:really\s+)?use|"
                      r"needs?|(?:not|isn't|is not)\s+enough|more|(?:having|have|with)\s+more|too\s+little)\s+(?:some\s+|more\s+|enough\s+)?"
                      r"(?:[\w-]+\s+)?padding\b")


def complaint_fix(text: str) -> str | None:
    """A complaint says what to fix: "the photo is too dark" -> "brighten the image", "the sky is way too bright" ->
    "darken the sky", "it's too blurry" -> "sharpen the image"; "there's a guy ruining the shot" -> "remove the
    guy"."""
    if "padding" in text and _PADDING.search(text):  # "the app icon could really use some white padding": room around it
        return "add padding around the image"
    m = _ENOUGH.match(text)
    if m and m.group("y") in _ENOUGH_TOO and (" not" in m.group(0) or "n't" in m.group(0) or text.startswith("none of")):
        return complaint_fix(f"{m.group('x')} is too {_ENOUGH_TOO[m.group('y')]}")
    m = _TOO.match(text)
    if m:
        x = m.group("x").strip()
        whole = target_of(x, False) in (None, PRONOUN) or bool(re.fullmatch(
            r"(?:the|this|my|our|these|those|all)\s+(?:whole\s+|entire\s+)?(?:[\w-]+\s+)?(?:image|photo|picture|pic|shot|scene|"
            r"selfie|lighting)s?|them|they|all of them", x))
        if re.fullmatch(r"(?:the\s+|its\s+|my\s+)?colou?rs", x) and re.fullmatch(r"dull|flat|muted|bland|lifeless|drab|"
                                                                             r"washed[- ]out|faded|grey|gray", m.group("y")):
            return "increase the saturation"  # "the colours are too dull": colour, not contrast
        for words, fix, local in _FIXES:
            if re.fullmatch(rf"(?:{words})", m.group("y")):
                if "{x}" in fix:
                    return fix.format(x="the image" if whole else x) if (local or not whole) and not (
                        whole and fix.startswith("make {x}")) else None
                return fix if whole else None
        return None
    tint = re.match(r"^(?:the|this|my|our|it|everything)\s*(?:(?:whole\s+)?(?:image|photo|picture|pic|shot|scan)\s+)?(?:has|got|"
                    r"'s got|has got|shows)\s+(?:an?\s+)?(?:(?:weird|strange|strong|slight|horrible|bad|ugly|bit of an?)\s+)*"
                    r"(?:[a-z]+(?:ish)?\s+)?(?:colou?r\s+)?(?:tint|cast|hue|tinge)\b", text)
    if tint:  # "the photo has a green tint": a colour cast to correct
        return "fix the colours"
    if re.match(r"^(?:there(?:'s| is)\s+(?:an?\s+|some\s+)?(?:(?:weird|strange|strong|slight|horrible|bad|ugly)\s+)*(?:[a-z]+(?:ish)?\s+)?"
                r"(?:colou?r\s+)?(?:tint|cast|tinge)|(?:way\s+)?too much\s+(?:red|yellow|green|blue|magenta|orange|purple|pink|cyan))"
                r"(?:\s+(?:in|on|over)\s+(?:the|this|my|it)\b.*)?$", text):
        return "fix the colours"  # "there's a yellow cast", "too much red in the photo"
    off = re.match(r"^(?:(?:the|my|these|those)\s+)?(?P<s>colou?rs|tones?|white balance|lighting|exposure|levels)\s+(?:are|is|look|"
                   r"looks|seem|seems)\s+(?:a bit\s+|really\s+|all\s+|kinda\s+|way\s+|totally\s+|completely\s+)?(?:off|wrong|"
                   r"weird|strange|bad|terrible|awful)(?:\s+(?:in|on|with|for)\s+(?:the|this|my|our)\s+[^,]*?)?"
                   r"(?:\s+(?:due to|because|since)\b.*)?$", text)
    if off:  # "the colours are off": a colour correction; "the lighting is off": even it out
        return "fix the colours" if re.match(r"colou?rs|tones?|white", off.group("s")) else "even out the lighting"
    m = _DEFECT.match(text) or _DEFECT_NP.match(text)
    if m:
        said = m.group("y")
        parts = re.split(r"\s*(?:,|\band\b)\s*", said)
        if len(parts) > 1 and all(any(re.fullmatch(w, p) for w, _ in _DEFECT_FIXES) for p in parts if p) and \
                len({next(f for w, f in _DEFECT_FIXES if re.fullmatch(w, p)) for p in parts if p}) == 1:
            said = parts[0]  # "boring and flat": two words for one defect
        for words, fix in _DEFECT_FIXES:
            if re.fullmatch(words, said):
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


_SEVERAL = re.compile(r"^(?P<head>(?:the|this|my|our)\s+(?:whole\s+)?(?:[\w-]+\s+){0,2}?(?:image|photo|picture|pic|shot|photograph|"
                      r"selfie|scan)|it|this|everything)\s*(?P<verb>is|are|was|were|looks?|seems?|came out|turned out|got|'s)\s+"
                      r"(?P<y>[\w ,'-]+)$")


def split_complaint(text: str) -> list[str] | None:
    """Each defect of "the photo is dark and noisy" as its own fix ("brighten the image", "remove the noise"), or None
    when it names fewer than two or one of them is no defect (so no part is dropped unsaid)."""
    text = text.strip(" .!").lower()
    said = re.split(r",?\s+(?:and|but|plus|also)\s+(?=(?:the|this|my|our|it|everything)\b)", text)
    if len(said) > 1:  # "the colours are off and it's grainy": two complaints, each a fix
        whole = [complaint_fix(re.sub(r"^it'?s\b", "it is", p)) for p in said]
        return [f for f in whole if f] if all(whole) else None
    m = _SEVERAL.match(text)
    if not m:
        return None
    parts = [p for p in re.split(r"\s*(?:,|\band\b|\bplus\b)\s*(?:(?:it'?s|also|way|and)\s+)*", m.group("y")) if p]
    if len(parts) < 2:
        return None
    fixes = [complaint_fix(f"{m.group('head')} {m.group('verb')} {p}") for p in parts]
    return [f for f in fixes if f] if all(fixes) else None
