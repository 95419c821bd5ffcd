"""Whole-image looks: tone (contrast, saturation, warmth, exposure ...), restoration (haze, noise, blur),
weather phenomena to clear (snow, rain) and geometry (crop, rotate, flip).

Scene phenomena are not objects: "clear the mist" or "get rid of the grain" never segment "mist"; they
are a DEHAZE / DENOISE / SHARPEN step, a FLUX-ENV clear-weather step, or an honest refusal. Each look is
an Edit of kind "look" whose `ops` are (brick, inputs) steps chained on the image; `value` is a FLUX-ENV
prompt to fall back on when the registry lacks the brick (or the only way, for snow and rain).
"""

from __future__ import annotations

import re
from typing import Any

from lego_edit.builder.rules.edits import PRONOUN, SUBJECT, Edit, NoBrick, TextRefused
from lego_edit.builder.rules.prefilter import any_needed
from lego_edit.builder.rules.quantities import amount_of

_REMOVING = (r"(?:remov\w*|delet\w*|eras\w*|eliminat\w*|get(?:ting)? rid of|tak\w* out|clear\w*(?: up| out| away)?|"
             r"clean\w*(?: up| out| off)?|cancel\w*(?: out)?|reduc\w*|minimi[sz]\w*|lift\w*|fix\w*|correct\w*|"
             r"lessen\w*|cut\w*(?: down)?|suppress\w*|kill\w*|strip\w*(?: away)?|wip\w*(?: out| away| off)?|purif\w*|"
             r"cleans\w*|lower\w*|decreas\w*|tone down|deal with|do something about|less|without(?!\s+(?:just\s+|any\s+|ever\s+)?[a-z]+ing\b)|"
             r"free of|no more|"
             r"un\w*|amend\w*|repair\w*|address\w*|counter\w*|liberat\w*|free\w*|rid\w*|devoid|purg\w*|banish\w*|dispel\w*|"
             r"dissipat\w*|smooth\w*(?: out)?|counteract\w*|combat\w*|overcome|lift\w*|melt\w*(?: away)?|wash\w*(?: away| out| off)?|"
             r"scrub\w*|eras\w*|filter\w*(?: out)?|tak\w* (?:out|away|off)|undo\w*|tak\w* care of|sort\w* out|tid\w*(?: up)?|"
             r"rectif\w*|revers\w*|mitigat\w*|alleviat\w*|attenuat\w*|subdu\w*|neutrali[sz]\w*|resolv\w*|tackl\w*|treat\w*|dismiss\w*|expel\w*|evict\w*|excis\w*|vanish\w*|exil\w*|sweep\w*(?: away)?)")
PHENOMENA: tuple[tuple[str, str, str], ...] = (
    # (name, pattern, what does it)
    ("haze", r"haz[eiy]\w*|fog\w*|mist[sy]?|smog\w*|atmospheric distortion|murk\w*|obscur\w*|veil\w*|clouded|"
              r"cloudiness", "DEHAZE"),
    ("scratches and dust", r"scratch\w*|tears?|torn (?:corners?|edges?|parts?)|creases?|cracks?|dust(?: spots| specks)?|"
                           r"specks of dust|fold(?:s| lines?)|rips?", "DESCRATCH"),
    ("noise", r"nois[ey]\w*|grain\w*|speckl\w*|specks?|static|visual disturbances?|visual disruptions?|compression artifacts?|"
              r"jpeg artifacts?|artifacts?|disturbances?", "DENOISE"),
    ("blur", r"blur\w*|soft(?:ness)?|fuzz\w*|smudg\w*|smear\w*|out[- ]of[- ]focus|unclear\w*|camera shake|lack of focus|"
             r"motion blur", "SHARPEN"),
    ("snow", r"snow(?!man|men|board|mobile)[\w-]*|frost\w*|icy|ice(?![- ]?cream)", "in clear weather, without snow"),
    ("clouds", r"cloudy|cloudiness|overcast|clouds", "on a clear sunny day"),
    ("rain", r"rain(?!bow|coat|ier)\w*|drizzl\w*|precipitation|raindrops?|water ?drops|droplets|downpour|rainstorm|showers|water elements|watery backdrop|wet weather",
     "in clear dry weather, without rain"),
    ("colour cast", r"(?:colou?r|green|yellow|blue|orange|red|magenta|purple|pink|warm|cold)?\s*(?:cast|tint)|"
                    r"(?:green|yellow|blue|orange|red|magenta|purple|pink)(?:ish)?\s+(?:filter|tinge|hue)", "WHITE-BALANCE"),
    ("reflections", r"reflections?|glare|lens flares?|shine|shininess|shiny spots?|hot spots?|oily (?:skin|spots?)", ""),
    ("stains or water damage", r"stains?|water damage|foxing|mou?ld spots|damage|damaged (?:areas?|parts?)", ""),
    ("lens and sensor defects", r"moir[eé](?: patterns?)?|banding|(?:lens |barrel |pincushion )?distortion|chromatic aberrations?|"
                                r"colou?r fringing|fringing|purple fringing|pixelation|pixelated|pixellation|hot pixels|dead pixels|"
                                r"(?:sharpening |white |bright )?halos?|halo(?:ing)? (?:effect|artifacts?)|ghosting|ghost images?|"
                                r"double exposure|interlacing(?: lines)?|scan lines|mosaic(?: effect)?|jaggies|jagged edges|"
                                r"aliasing|over-?sharpening", ""),
    ("red eye", r"red[- ]eyes?", "RED-EYE"),
)
_IMAGE = r"(?:the|this|my|our)?\s*(?:image|picture|photo|photograph|pic|shot|scene|visual\w*)"


_PHENOMENA_RE = tuple((name, re.compile(rf"\b(?:{pattern})\b"), re.compile(
    rf"\b{_REMOVING}\s+(?:[\w'-]+\s+){{0,3}}?(?:{pattern})\b|\b{_REMOVING}\s+{_IMAGE}\s+(?:of|from)\s+"
    rf"(?:any\s+|all\s+|the\s+)?(?:{pattern})\b|\b(?:{pattern})\s+(?:removal|reduction|correction)\b|"
    rf"\b(?:reveal\w*|uncover\w*|recover\w*|restor\w*|show\w*|bring\w* back)\b.*\b(?:hidden|obscured|veiled|lost|buried|"
    rf"concealed|masked|dulled|dimmed|muted|faded|washed out|softened|blurred|spoiled|ruined)\s+"
    rf"(?:by|in|behind|under|beneath)\s+(?:the\s+)?(?:{pattern})\b|"
    rf"\b{_REMOVING}\b.*\b(?:caused|created|introduced|produced|left)\s+by\s+(?:the\s+)?(?:{pattern})\b"), does)
    for name, pattern, does in PHENOMENA)


# Any verb before a phenomenon noun with nothing else named asks to clear it ("resolve the blur in this image",
# "tidy up the noise of this photo"), unless the verb brings it in ("add fog", "simulate rain").
_ANY_VERB_NOUN = re.compile(r"^(?!(?:add|make|turn|create|put|give|introduce|apply|simulate|generate|render|bring|show|"
                            r"keep|leave|increase|boost|intensify|enhance|emphasi[sz]e|mimic|include|insert|place|draw|paint)\b)"
                            r"[a-z]+(?:\s+(?:up|out|away|off|care\s+of|down\s+on|with|of))?\s+"
                            r"(?:the\s+|this\s+|that\s+|all\s+|any\s+|some\s+)?(?:overall\s+|visible\s+|annoying\s+|excess\s+|"
                            r"heavy\s+)?(?P<n>(?:motion\s+|camera\s+)?blur|noise|grain|graininess|blurriness|smudginess|"
                            r"lack\s+of\s+(?:focus|sharpness|clarity)|haze|haziness|fog|mist|smog|softness|fuzziness|"
                            r"speckles|artifacts|rain|snow)\b(?:\s+(?:present\s+)?(?:in|of|on|from|within|across)\s+"
                            + _IMAGE + r"(?:\s+(?:of|from|with|taken)\s.*)?)?\s*$")


_PHENOMENON_GATE = any_needed([pattern for _, pattern, _ in PHENOMENA])


def _phenomenon(clause: str) -> tuple[str, str] | None:
    if _PHENOMENON_GATE is not None and not _PHENOMENON_GATE.search(clause):
        return None  # no phenomenon named (every way below needs one of their words)
    m = _ANY_VERB_NOUN.match(clause)
    if m:
        for name, word, _removing, does in _PHENOMENA_RE:
            if word.fullmatch(m.group("n")) or name == "blur" and m.group("n").startswith("lack"):
                return name, does
    for name, word, removing, does in _PHENOMENA_RE:
        if name == "colour cast" and re.search(r"\b(?:shadow\w*|spell|cast (?:on|over|by))\b", clause):
            continue  # "the shadow cast on the wall" is an object
        if name == "haze" and re.search(r"\b(?:shadow\w*|silhouette|presence)\b", clause):
            continue  # "the portion obscured by the shadow": a shadow to remove, not haze
        if word.search(clause) and removing.search(clause):
            return name, does
    return None


def _op(brick: str, **inputs: Any) -> tuple[str, tuple[tuple[str, Any], ...]]:
    return brick, tuple(inputs.items())


# A colour cast asked for by its colour ("more yellow", "bluer", "add a pink tint", "a green filter"): TINT, a photo
# filter. Warm and cool light stay TEMPERATURE; "too blue" and "less green" are casts to remove (further down).
_TINT_FORMS = {"red": "red|redder", "orange": "orange", "yellow": "yellow|yellower", "green": "green|greener",
               "teal": "teal", "cyan": "cyan", "blue": "blue|bluer", "purple": "purple|violet", "magenta": "magenta",
               "pink": "pink|pinker|rosy|rosier"}
TINT_COLOURS = frozenset(_TINT_FORMS)


def _tint_pattern(forms: str) -> str:
    comparative = forms.partition("|")[2]  # "bluer", "redder": the colour itself, more of it
    return (rf"(?<!too )(?<!less )(?<!not )\bmore\s+(?:{forms})\b(?!\s+(?:and|or)\b)|"
            + (rf"\b(?:{comparative})\b(?!\s+(?:and|or)\b)|" if comparative else "")
            + rf"\b(?:{forms})(?:ish)?[- ](?:colou?r(?:ed)?\s+)?(?:filter|tint|tinted|cast|wash|overlay|toning|colou?r grade|"
            rf"grade|hue)\b|\btint\w*\s+(?:(?:it|this|the (?:image|photo|picture|whole thing))\s+)?(?:slightly\s+|a bit\s+)?"
            rf"(?:{forms})\b")


_TINTS = tuple((_tint_pattern(forms), lambda s, colour=colour: [_op("TINT", color=colour, amount=s(0.3))])
               for colour, forms in _TINT_FORMS.items())


# Tone words -> ops. Each pattern is searched in the whole clause; a clause whose every content word is a tone
# word is a look (several may chain: "warmer and more contrast").
_TONE: tuple[tuple[str, Any], ...] = (
    # the tonal range set from the photo itself: Auto Levels / Stretch Contrast, or a histogram equalisation
    (r"\b(?:histogram|contrast)\s+equali[sz]\w*|\bequali[sz]\w*\s+(?:the\s+|its\s+)?(?:histogram|contrast|levels|tones?)\b|"
     r"\bclahe\b", lambda s: [_op("AUTO-LEVELS", mode="equalize")]),
    (r"\bauto(?:matic(?:ally)?)?[- ]?(?:levels?|contrast|tones?)\b|\b(?:adjust|fix|correct|set|stretch|balanc)\w*\s+(?:the\s+|its\s+|"
     r"my\s+)?(?:levels|tonal range|black\s+(?:and|&)\s+white\s+points?|histogram)\b|\bstretch\w*\s+(?:the\s+)?contrast\b|"
     r"\bcontrast\s+stretch\w*|^normali[sz]e\b(?!.*\b(?:colou?rs?|white|size|noise)\b)|\b(?:full|whole)\s+tonal\s+range\b", lambda s: [_op("AUTO-LEVELS")]),
    (r"\bpop(?:s|ping)?(?: out)?(?: more| a bit(?: more)?)?\b|\bpunch(?:ier| it up)?\b",
     lambda s: [_op("CONTRAST", amount=s(0.3)), _op("SATURATION", amount=s(0.3))]),
    # a film's grade: deeper contrast, colour held back, the corners darkened (a tone treatment, not a painting style)
    (r"\b(?:cinematic|filmic|film|movie|hollywood|blockbuster)(?:,?\s+(?:and\s+)?(?:dramatic|moody|dark|rich|warm|cool|"
     r"subtle|soft)\s*)*\s+(?:colou?r\s+)?(?:grad(?:e|ed|ing)|lighting|light|tones?|toning|colou?rs?)\b|\bteal[- ](?:and[- ]|&\s*)?orange\b|"
     r"\bcolou?r[- ]grad(?:e|ed|ing)\b(?=.*\b(?:cinematic|film|movie|filmic)\b)",
     lambda s: [_op("CONTRAST", amount=s(0.25)), _op("SATURATION", amount=-s(0.1)), _op("VIGNETTE", amount=s(0.3))]),
    (r"\bdramatic(?:\s+(?:lighting|light|tones?))?\b", lambda s: [_op("CONTRAST", amount=s(0.4)), _op("SATURATION", amount=s(0.1))]),
    # a grade with no look named ("add professional colour grading", "colour grade it"): the photo app's auto grade
    (r"(?:^|\b(?:add|apply|give it|use|do|some|a|an|the|professional|pro|proper|nice|good|natural|subtle|basic|overall)\s+)"
     r"colou?r[- ]?grad(?:e|ed|ing)\b(?:\s+it\b)?",
     lambda s: [_op("SHADOWS-HIGHLIGHTS", shadows=s(0.2), highlights=-s(0.2)), _op("CONTRAST", amount=s(0.15)),
                _op("SATURATION", amount=s(0.2))]),
    (r"\b(?:(?:soft|even|flattering|professional|natural)\s+)*studio\s+(?:lighting|light)\b",
     lambda s: [_op("SHADOWS-HIGHLIGHTS", shadows=s(0.3), highlights=-s(0.3))]),
    # a photo asked to look better as a whole: an auto-enhance (open the shadows, tame the highlights, a little
    # contrast and colour), as a photo app's one-tap "auto" does; what it did is in the plan
    (r"\b(?:look|looks|looking|appear)\s+(?:a lot\s+|a bit\s+|a little\s+|much\s+|way\s+|more\s+|so\s+|really\s+)*"
     r"(?:better|nicer|awesome|epic|amazing|stunning|striking|professional|great|beautiful|prettier|appealing|"
     r"impressive|vibrant)\b|\bvisually (?:striking|appealing|stunning)\b|\bstand out\b|"
     r"^(?:make|get)\s+(?:(?:the|this|my|our)\s+)?(?:(?:photo|image|picture|pic|shot|photograph)\s+)?(?:a lot\s+|a bit\s+|"
     r"much\s+|way\s+)?(?:better|nicer|prettier|more beautiful)$",
     lambda s: [_op("SHADOWS-HIGHLIGHTS", shadows=s(0.2), highlights=-s(0.2)), _op("CONTRAST", amount=s(0.15)),
                _op("SATURATION", amount=s(0.2))]),
    (r"\bhdr\b(?:\s+(?:effect|look|style|feel|mode|filter))?|\bhigh dynamic range\b",  # tone mapping plus local detail
     lambda s: [_op("SHADOWS-HIGHLIGHTS", shadows=s(0.4), highlights=-s(0.4)), _op("CONTRAST", amount=s(0.2)),
                _op("SATURATION", amount=s(0.2)), _op("SHARPEN", amount=s(0.3))]),
    (r"\b(?:less|un)[- ]?faded\b|\b(?:restor|reviv|recover|bring\w* back|refresh)\w* (?:the |its |my |their )?(?:faded |"
     r"washed[- ]out |dull |original |lost |old )?colou?rs?\b|\b(?:fix|correct|repair)\w* (?:the |its |my )?(?:faded|dull) "
     r"colou?rs?\b|\b(?:fix|correct|repair)\w* (?:the |its |my )?washed[- ]out\b|\b(?:looks?|is|are|seems?|too|so|very|got|gotten|"
     r"has|have) (?:a bit |a little |quite |very |really |so |too |all )?(?:faded|washed[- ]out)\b",
     # faded colours brought back: more contrast and colour, not less
     lambda s: [_op("CONTRAST", amount=s(0.2)), _op("SATURATION", amount=s(0.3))]),
    (r"\b(?:shin(?:y|ier)|brilliant|glossy|glossier|gleaming|lustrous|sparkl(?:y|ier|ing)|glisten\w*|glittery)\b",
     lambda s: [_op("CONTRAST", amount=s(0.3)), _op("SHADOWS-HIGHLIGHTS", shadows=0.0, highlights=s(0.2))]),  # a sheen: brighter highlights
    (r"\bmood(?:y|ier)\b", lambda s: [_op("CONTRAST", amount=s(0.3)), _op("SATURATION", amount=-s(0.2))]),
    (r"\b(?:less|lower|reduce\w*|decrease\w*|soften\w*|lessen\w*) (?:the )?contrast\b|\bflatter\b|\bfaded\b",
     lambda s: [_op("CONTRAST", amount=-s(0.3))]),
    (r"\bcontrast\w*\b|\bless flat\b", lambda s: [_op("CONTRAST", amount=s(0.3))]),
    (r"\b(?:less|more) (?:dull|flat|lifeless|drab)\b(?<!more dull)(?<!more flat)|\bmore (?:alive|lively)\b|\b(?:some|more) life\b",
     lambda s: [_op("CONTRAST", amount=s(0.2)), _op("SATURATION", amount=s(0.2))]),
    (r"\b(?:too|overly|way too|so|very)\s+(?:saturated|vivid|colou?rful|garish|intense)\b|\bover-?saturat\w*",
     lambda s: [_op("SATURATION", amount=-s(0.3))]),  # a complaint names the opposite: "the card is too saturated"
    (r"\bdesaturat\w*|\b(?:less|lower\w*|reduce\w*|decrease\w*|tone down|dial down|turn down|bring down|cut|mute) (?:the )?"
     r"(?:saturation|vibrance|colou?r intensity)\b|"
     r"\bmuted\b|\bless (?:colou?rful|vivid|saturated|intense)\b|\bwashed[- ]out\b|\bfade\w* (?:the |its )?colou?rs?\b|"
     r"\bcolou?rs? less (?:intense|vivid|saturated|strong)\b",
     lambda s: [_op("SATURATION", amount=-s(0.4))]),
    (r"\bsaturat\w*|\bvibran\w*|\bvivid\w*|\b(?:more )?colou?rful\b|^(?:more|richer|stronger|bolder)\s+colou?rs?\b|\bcolou?rs? (?:pop|stand out|richer)\b|"
     r"\bricher colou?rs?\b|\b(?:enhanc|boost|improv|intensif|enrich|deepen|amplif|heighten|strengthen|bring\w* out)\w*\s+(?:the\s+)?"
     r"colou?rs?\b", lambda s: [_op("SATURATION", amount=s(0.3))]),
    *_TINTS,
    # a complaint names the opposite: "it looks too cold" wants it warmer
    (r"\btoo (?:cold|cool|blue|bluish)\b", lambda s: [_op("TEMPERATURE", amount=s(0.3))]),
    (r"\btoo (?:warm|yellow|yellowish|orange)\b", lambda s: [_op("TEMPERATURE", amount=-s(0.3))]),
    (r"\b(?:less|lower\w*|reduc\w*|decreas\w*|tone down|dial down|turn down|bring down|cut|cool\w*(?: down)?|take "
     r"(?:away|out)(?: some of)?)\s+(?:(?:the|some)\s+)?(?:[\w']+\s+)?(?:warmth|colou?r temperature|temperature)\b|"
     r"\b(?:warmth|colou?r temperature|temperature) (?:down|lower)\b",  # "cool down the image's warmth": cooler, once
     lambda s: [_op("TEMPERATURE", amount=-s(0.3))]),
    (r"\b(?:rais\w*|increas\w*|boost\w*|more|add\w*|higher) (?:the |some )?(?:colou?r )?temperature\b",
     lambda s: [_op("TEMPERATURE", amount=s(0.3))]),
    (r"\bless (?:yellow|yellowish|orange|warm)\b", lambda s: [_op("TEMPERATURE", amount=-s(0.3))]),
    (r"\bless (?:blue|bluish|cold|cool)\b", lambda s: [_op("TEMPERATURE", amount=s(0.3))]),
    (r"\bless (?:green|greenish|magenta|pink|purple|red|reddish)\b|\bmore natural colou?rs?\b|\bcolou?rs? (?:look )?more natural\b|"
     r"\bnatural(?:-looking)? colou?rs?\b", lambda s: [_op("WHITE-BALANCE")]),
    (r"\b(?:fix|correct|balance|normali[sz]e|neutrali[sz]e|even out|true up)\w* (?:the |my |its )?(?:colou?r(?:s|ing|ation)?|"
     r"tones?|white balance)\b", lambda s: [_op("WHITE-BALANCE")]),
    (r"\bwhite[- ]balance\b|\bcolou?r cast\b|\bneutral colou?rs?\b|\b(?:red|green|blue)\s+channel\s+(?:is\s+|seems\s+|looks\s+)?"
     r"(?:(?:a\s+bit|a\s+little|slightly|way|much|far)\s+)?(?:too\s+)?(?:strong|high|much|heavy|dominant|boosted|overpowering)\b",
     lambda s: [_op("WHITE-BALANCE")]),
    (r"\bwarm (?:it |this |the (?:image|photo|picture) )?up\b|\bwarm(?:er|th)?\b(?!\s+(?:light|golden))",
     lambda s: [_op("TEMPERATURE", amount=s(0.3))]),
    (r"\bcool (?:it |this |the (?:image|photo|picture) )?down\b|\bcool(?:er)?\b|\bcold(?:er)?\b", lambda s: [_op("TEMPERATURE", amount=-s(0.3))]),
    (r"\boverexpos\w*", lambda s: [_op("EXPOSURE", amount=-s(0.25))]),
    (r"\bunderexpos\w*|\b(?:a|one|two|half a) stops?\b", lambda s: [_op("EXPOSURE", amount=s(0.25))]),
    (r"\b(?:lift\w*|brighten\w*|lighten\w*|open\w* up|recover\w*|raise|boost\w*|bring up|pull up|reduc\w*|lessen\w*) "
     r"(?:up )?(?:the )?(?:shadows?|dark(?:er)? (?:parts|areas|spots|bits|"
     r"regions|side))\b|\bshadows? (?:lighter|brighter)\b",
     lambda s: [_op("SHADOWS-HIGHLIGHTS", shadows=s(0.4), highlights=0.0)]),
    (r"\b(?:less harsh|softer|gentler) shadows?\b|\bshadows? (?:less harsh|softer|gentler)\b|\b(?:reduc|lessen|minimi[sz]|tone down|"
     r"lighten|tam)\w* (?:the )?harsh (?:shadows?|lighting|light)\b|\bsoften\w* (?:the )?(?:harsh )?"
     r"shadows?\b|\b(?:even\w*(?: out)?|balanc\w*) (?:the )?(?:lighting|light|exposure)\b|\b(?:lighting|light|exposure) "
     r"(?:more )?(?:even|evener|balanced|better|nicer)\b|\b(?:better|nicer|improved?|fix) (?:the )?lighting\b|"
     r"\b(?:soften\w*|diffus\w*) (?:the )?(?:harsh )?(?:lighting|light)\b|\b(?:soft(?:er)?|gentler|diffused|less harsh) "
     r"(?:lighting|light)\b|\b(?:lighting|light) (?:(?:a bit|a little|much|slightly) )?(?:softer|gentler|less harsh|more diffused)\b",
     lambda s: [_op("SHADOWS-HIGHLIGHTS", shadows=s(0.3), highlights=-s(0.3))]),
    # tones named by their part of the range: "deep blacks", "gentle shadows", "balanced whites", "bright highlights"
    (r"\b(?:deep(?:er)?|rich(?:er)?|inky|crushed|true|dense|strong(?:er)?|dark(?:er)?|dramatic)\s+(?:blacks|shadows)\b",
     lambda s: [_op("SHADOWS-HIGHLIGHTS", shadows=-s(0.3), highlights=0.0)]),
    (r"\b(?:soft|gentle|lifted|open|subtle|light(?:er)?|airy)\s+shadows\b",
     lambda s: [_op("SHADOWS-HIGHLIGHTS", shadows=s(0.3), highlights=0.0)]),
    (r"\b(?:balanced|clean|neutral|true|pure)\s+whites\b", lambda s: [_op("WHITE-BALANCE")]),
    (r"\b(?:bright(?:er)?|glowing|luminous|brilliant)\s+(?:whites|highlights)\b",
     lambda s: [_op("SHADOWS-HIGHLIGHTS", shadows=0.0, highlights=s(0.2))]),
    (r"\b(?:deepen\w*|darken\w*|crush\w*) (?:the )?shadows?\b",
     lambda s: [_op("SHADOWS-HIGHLIGHTS", shadows=-s(0.4), highlights=0.0)]),
    (r"\b(?:recover\w*|tame|tone down|reduce\w*|bring down|lower\w*|darken\w*|soften\w*|dim\w*|dial down) (?:the )?"
     r"(?:blown(?:[- ]out)? )?highlights?\b|"
     r"\bblown(?:[- ]out)? highlights?\b",
     lambda s: [_op("SHADOWS-HIGHLIGHTS", shadows=0.0, highlights=-s(0.4))]),
    (r"\b(?:remove|lighten|reduce) (?:the )?vignett\w*|\blighten (?:the )?corners\b",
     lambda s: [_op("VIGNETTE", amount=-s(0.4))]),
    (r"\bvignett\w*|\bdark(?:en|er)? (?:the )?(?:corners|edges)\b", lambda s: [_op("VIGNETTE", amount=s(0.4))]),
    (r"\bsharpen\w*|\bsharp(?:er|ness)?\b|\bdetails? and definition\b|\bcrisp(?:er|ness)?\b|\b(?:clarity|definition|acuity|(?<!out of )focus)\b|"
     r"\bde-?blur\w*|\bunblur\w*|\brefocus\w*|\bclearer\b|\bclarif\w*|\bin(?:to)? focus\b|"
     r"\b(?:add|bring\s+out|give\s+(?:it|the\s+(?:image|photo|picture)))\s+(?:more\s+|some\s+|extra\s+|fine\s+)?(?:texture|details?)"
     r"(?:\s+and\s+(?:texture|details?|definition|clarity|sharpness))?$|"
     r"\bmake\s+(?:(?:it|this|(?:the|this|my|his|her|their)\s+(?:[\w-]+\s+)?(?:faces?|text|details?|writing|letters|"
     r"numbers|plate))\s+)?(?:more\s+|look\s+|very\s+)?(?:clear|sharp|crisp)(?:\s+again)?\s*$|"
     r"\b(?:enhanc|bring\w* (?:out|back)|accentuat|emphasi[sz]|strengthen|defin|crisp|restor|recover|refin|improv|boost|sharpen)\w*"
     r"\s+(?:the\s+)?(?:edges|fine lines|outlines)\b", lambda s: [_op("SHARPEN", amount=s(0.5))]),
    (r"\bde-?nois\w*", lambda s: [_op("DENOISE", amount=s(0.5))]),
    (r"\b(?:gaussian\s+)?blur(?:red|ry)?\s+(?:effect|filter)\b|^make\s+it\s+(?:look\s+)?(?:blur|blurry|blurred)\s*$",
     lambda s: [_op("BLUR", amount=min(1.0, s(0.4)))]),  # "apply a blur effect": all of it softly
    (r"\bcolou?r[- ]correct\w*|\bcolou?r correction\b", lambda s: [_op("WHITE-BALANCE")]),
    (r"\bde-?haz\w*|\bde-?fog\w*|\bde-?veil\w*|\buncloud\w*", lambda s: [_op("DEHAZE", amount=s(0.6))]),
)
_TONE_RE = tuple((re.compile(p), f) for p, f in _TONE)
_TONE_GATE = any_needed([p for p, _ in _TONE])  # a clause with none of the tone patterns' words names no tone
_FILLER = frozenset("""make it the this image photo picture whole overall a an bit little more much lot very high
slightly touch tad and with add increase boost raise up give look looks looking give improve enhance some
way to be lower reduce decrease less adjust fix correct please so that it's too is be can also just somewhat
really quite extra higher stronger strong subtle subtly slight of colors colours color colour tones tone feel in
crank turn bump pump dial apply set its shot pic mood atmosphere appear seem vibe general correction refine restore
details detail visual quality overall lively livelier punchy bring out scene representation obscured content edges
edge lines up fine greens reds blues yellows oranges purples pinks whites contours outlines features hazy blurry blurred fuzzy unclear bring back recover
by about around roughly approximately percent per cent stops stop notch notches level levels exposure grade grading graded
want wants wanted need needs would like love etc highlights shadows midtones blacks whites""".split())
# "of this blurry photo", "the image's": the image named, whatever its state (left out of the tone words' leftovers).
_IMAGE_NAMED = re.compile(r"\b(?:(?:of|in|on|for)\s+)?(?:the|this|my|our)\s+(?:[\w-]+\s+){0,2}?"
                          r"(?:image|photo|photograph|picture|pic|shot|selfie|scan|screenshot)s?(?:'s)?\b(?:\s+(?:of|from|with|taken)\s.*$)?")
_FILLER_ONLY = frozenset("high effect effects issues problems them everything texture textures fine".split())
# Whole-image words that keep their old plans (ImgEdit's "adjust"): brightness stays FLUX-BRIGHT.
_BRIGHT = re.compile(r"\b(?:bright\w*|dark\w*|light\w*|dim\w*|lumin\w*|radian\w*|glow\w*)\b")


def is_whole_look(phrase: str) -> bool:
    """Does the phrase name only tone of the whole picture ("warm highlights", "deep blacks", "cinematic grading")?"""
    return bool(_tone_parts(phrase)[0])


def _tone(clause: str) -> list[tuple[str, tuple[tuple[str, Any], ...]]]:
    return _tone_parts(clause)[0]


def whole_look_ops(phrase: str) -> tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]:
    """The tone steps of a phrase that names only tone of the whole picture ("more yellow", "punchier"), or ()."""
    return tuple(_tone_parts(phrase)[0])


def _tone_parts(clause: str) -> tuple[list[tuple[str, tuple[tuple[str, Any], ...]]], str | None]:
    """(the tone ops, None) for a whole-image look; ([], what is left) when other words remain (an object,
    perhaps: "make the sky more vivid" leaves "the sky"); ([], None) when no tone word is there."""
    ops: list[tuple[str, tuple[tuple[str, Any], ...]]] = []
    if _TONE_GATE is not None and not _TONE_GATE.search(clause):
        return [], None
    rest = _IMAGE_NAMED.sub(" ", clause)

    def scale(base: float) -> float:
        return round(amount_of(clause, base), 3)

    for pattern, make in _TONE_RE:
        if pattern.search(rest):
            ops.extend(op for op in make(scale) if all(op[0] != b for b, _ in ops))  # each brick once, the first said
            rest = pattern.sub(" ", rest)
    if not ops:
        return [], None
    leftover = [w for w in re.findall(r"[a-z']+", _BRIGHT.sub(" ", rest)) if w not in _FILLER and w not in _FILLER_ONLY]
    if leftover:
        return [], rest  # other words name something else (an object, a style): not a whole-image look
    bright = _BRIGHT.search(clause)
    if any(b == "SHADOWS-HIGHLIGHTS" for b, _ in ops) and re.search(r"\b(?:shadows?|dark(?:er)? (?:parts|areas|spots|bits|regions|"
                                                                    r"side))\b", clause) and " and " not in clause:
        bright = None  # "brighten the dark parts" lifts the shadows, not the whole image
    if bright and re.search(r"\b(?:bright|dark|light|dim)\w*", bright.group(0)):
        from lego_edit.builder.rules.quantities import brightness_ratio

        ratio = brightness_ratio(clause)
        if ratio is not None:
            ops.insert(0, _op("FLUX-BRIGHT", ratio=ratio))
    return ops, None


_LOCAL_STOP = frozenset("""make it the this a an bit little more much lot very slightly touch tad and with add increase boost
raise up give look looks looking improve enhance some way to be lower reduce decrease less adjust fix please so that
too is be can also just somewhat really quite extra higher of in on crank turn bump pump dial apply set its out stand
stands while than from at for by into onto within across throughout highlight emphasize emphasise accentuate""".split())


def _local_tone(clause: str, rest: str) -> Edit | None:
    """"make the sky more vivid", "increase the contrast of the grass", "make the milky way pop": tone steps on one
    object. What is left once the tone words are gone must be a short noun phrase."""
    from lego_edit.builder.rules.phrases import target_of

    if re.match(r"(?:remov|extract|delet|eras|add|replac|cut|segment|isolat|select|put|plac|insert|swap|get rid|take)\w*\b",
                clause):
        return None  # another edit's verb leads: the tone word describes its object ("remove the colourful hat")
    if re.match(r"(?:chang|alter|turn|transform|convert|switch)\w*\s+.+?\s+(?:to|into)\s+(?:show\s+|display\s+|have\s+)?"
                r"(?:an?|the|some)\s+\w", clause):
        return None  # "change the sky to a sunset with vibrant colours": the tone words describe what it becomes
    words = re.findall(r"[a-z'-]+", rest)
    content = [i for i, w in enumerate(words) if w not in _LOCAL_STOP and w not in _FILLER and w not in _FILLER_ONLY]
    if _BRIGHT.search(clause) and not re.search(r"\bbright(?:en)? (?:the )?colou?rs?\b", clause):
        return None
    ops = []
    said = clause
    for pattern, make in _TONE_RE:  # in order, each tone phrase read once ("less saturated" is not also "saturated")
        if pattern.search(said):
            ops.extend(make(lambda base: round(amount_of(clause, base), 3)))
            said = pattern.sub(" ", said)
    if not content:  # only small words were left ("sharpen the crispness from this photograph"): the whole image
        return Edit("look", None, ops=tuple(ops), text=clause) if ops else None
    if content[0] == 0 and re.match(r"[a-z]+\s+(?:the|this|my|its|some|more|up)\b", clause):
        content = content[1:]  # a leading verb the lexicon does not know ("bolster the clarity")
        if not content and ops:
            return Edit("look", None, ops=tuple(ops), text=clause)
    if not content or content[0] == 0 or words[content[0] - 1] not in {"the", "this", "that", "my", "his", "her", "their", "our", "of",
                                                    "on", "in", "make", "these", "those", "all"}:
        return None
    phrase = " ".join(words[content[0]:content[-1] + 1])
    if len(phrase.split()) > 5 or re.search(r"\b(?:style|look|like|into|as|effect|filter|version)\b", phrase):
        return None
    target = target_of(phrase, False)
    if all(b in ("WHITE-BALANCE", "TINT") for b, _ in ops):
        return None  # a colour cast is set on the whole image; "make the car less red" or "the sky bluer" is a recolour
    if not ops or target is None or (target.startswith("<") and target != SUBJECT):
        return None
    return Edit("look", target, ops=tuple(ops), text=clause)


_EXCEPT_HINT = re.compile(r"\b(?:except|but|apart|other than|save for|leaving|keep|only)")
_EXCEPT = re.compile(r"\b(?:black[- ](?:and|&)[- ]white|b&w|b/w|gr[ae]yscale|monochrome|desaturat\w*|"
                     r"(?:remove|drain|strip) (?:the |all )?colou?rs?)\b.*?\b(?:except(?: for)?|but(?: for| keep)?|"
                     r"apart from|other than|save for|leaving|keep(?:ing)?|with only|(?:and\s+)?only)\s+(?:for\s+)?(?P<x>.+?)"
                     r"(?:\s+(?:in colou?r|colou?red|as it is|unchanged|intact|in (?:its|their) (?:own )?colou?rs?|"
                     r"(?:still\s+)?(?:red|blue|green|yellow|orange|pink|purple|white|black|brown|gold|golden)))?$")


# The subject looking the other way: "X is facing the wrong way", "make it face left", "should face the other way".
_FACING = re.compile(r"\b(?:is|are|'s|'re)\s+(?:facing|looking|pointing)\s+the\s+wrong\s+(?:way|direction|side)\b|"
                     r"^(?:make|have|get|let)\s+(?:it|them|him|her|(?:the|this|our|my)\s+[\w-]+)\s+(?:face|look|point)\s+"
                     r"(?:the\s+other\s+way|(?:to(?:wards)?\s+)?the\s+(?:left|right)|left|right|(?:to(?:wards)?\s+)?the\s+other\s+"
                     r"(?:side|direction))$|"
                     r"\b(?:should|must|needs?\s+to|has\s+to)\s+(?:be\s+)?fac(?:e|ing)\s+(?:the\s+other\s+way|the\s+other\s+"
                     r"(?:side|direction)|(?:to(?:wards)?\s+)?the\s+(?:left|right)|left|right)$")


_NOT_A_RESIZE = re.compile(r"^(?:crop|cut|trim|chop)\b|\b(?:expand\w*|extend\w*|outpaint\w*|uncrop\w*|widen\w*|canvas|pad\w*|"
                           r"zoom\w*|border|margin|frame|print\w*|dpi|ppi|file\s+size|kb|mb)\b")


# The words a resize of the whole picture by a factor is said in ("reduce the image size by half", "scale all the
# photos down to 25%"): any other word names what is resized.
_SIZE_WORDS = frozenset("""the this that my our its it them these those all whole entire image images photo photos picture
pictures pic pics shot shots screenshot screenshots scan scans file files size resolution dimensions to by in of down up
half double twice two times as big large please a an bit percent per cent original current overall so""".split())


def _geometry(clause: str) -> Edit | None:
    from lego_edit.builder.rules.quantities import aspect_name, image_resize

    size = image_resize(clause) if not _NOT_A_RESIZE.search(clause) else None
    if size is not None and "factor" in size and \
            any(w not in _SIZE_WORDS for w in re.findall(r"[a-z][a-z']*", clause)[1:]):
        size = None  # "make the dog half the size": an object's size, not the picture's
    if size is not None:  # "resize it to 1200x900", "half the size", "make it 1080 pixels wide"
        return Edit("look", None, ops=(_op("SCALE", **size),), text=clause)
    if _TRIM.search(clause):
        return Edit("look", None, ops=(_op("TRIM"),), text=clause)
    if re.match(r"^crop\b(?!\s+out)", clause):
        aspect = aspect_name(clause)
        if aspect is None:
            raise TextRefused(f"'{clause}': say how to crop: to a shape ('crop to 16:9', 'crop it square'), an edge "
                              "('crop the bottom', 'cut off the left third') or an object ('crop to the dog')")
        return Edit("look", None, ops=(_op("CROP", aspect=aspect),), text=clause)
    whole = r"(?:(?:the|this|my)\s+(?:whole\s+)?(?:image|photo|picture|pic|shot)|it|everything|this(?=\s+(?:by\s+)?\d))"
    if re.match(r"^(?:rotate|turn|tilt)\s+(?:it|this|the\s+(?:image|photo|picture|pic|shot))\s+(?:slightly\s+|a\s+bit\s+)?(?:to|so\s+"
                r"(?:that\s+)?it)\s+(?:straighten|level|fix)\w*\s+(?:the\s+)?(?:horizon|lines|buildings|picture|image|photo|it)\b",
                clause):  # "rotate the image to straighten the horizon": by the angle its lines say
        return Edit("look", None, ops=(_op("STRAIGHTEN"),), text=clause)
    if "fac" in clause and _FACING.search(clause):  # "the raccoon is facing the wrong way": the picture mirrored
        return Edit("look", None, ops=(_op("FLIP", direction="horizontal"),), text=clause)
    if re.match(rf"^(?:flip|mirror)(?:\s+{whole})?\b", clause):
        vertical = re.search(r"\bvertical\w*|\bupside[- ]down\b|\btop to bottom\b", clause)
        return Edit("look", None, ops=(_op("FLIP", direction="vertical" if vertical else "horizontal"),), text=clause)
    m = re.match(rf"^(?:rotate|turn|spin)(?:\s+{whole})?(?P<how>\s+.*)?$",
                 _DEGREE_WORDS.sub(lambda w: _DEGREES[re.sub(r"[\s-]+(?:and\s+)?", " ", w.group(1))], clause))
    if m and not re.match(r"^rotate\b", clause) and m.group("how") is not None and not re.match(
            r"\s+(?:by\b|through\b|\d|clockwise|counter|anti|upside|sideways|a quarter|half|ninety|to the (?:left|right)\b|"
            r"(?:left|right)\b)", m.group("how")):
        m = None  # "turn the car on the left into a bus", "turn up the brightness": an object or a phrasal verb, not a rotation
    if m and re.search(r"\s(?:into|to be|to look)\s", clause):
        m = None
    if m and (m.group("how") is None or not re.search(r"\b(?:head|arm|body|face|him|her|them|around)\b", clause)):
        how = m.group("how") or ""
        if re.match(r"\s+(?:['\"]|(?:the|this|that|his|her|my|its|their|our)\s+(?!(?:whole\s+)?(?:image|photo|picture|pic|shot|logo|icon|favicon|scan|document|page|screenshot|drawing|"
                    r"painting|artwork|portrait|selfie|poster|banner)\b))",
                    how):
            raise TextRefused(f"'{clause}': ROTATE turns the whole image; turning one object or piece of text in it is "
                              "not something the bricks do (say e.g. 'rotate the image 90 degrees')")
        if not re.search(r"\d|\b(?:clockwise|counter|anti|upside|left|right|sideways|quarter|half)\b", how) and \
                not re.match(r"^rotate\b", clause):
            return None
        deg = re.search(r"(-?\d+(?:\.\d+)?)\s*(?:°|deg\w*)?", how)
        angle = float(deg.group(1)) if deg else (180.0 if re.search(r"upside|half turn|180", how) else 90.0)
        if re.search(r"\bclockwise\b|\bto the right\b|\bright\b", how) and not re.search(r"counter|anti", how):
            angle = -angle
        if not deg and not re.search(r"\b(?:clockwise|counter|anti|upside|left|right|sideways|quarter|half)", how):
            raise TextRefused(f"'{clause}': say by how much to rotate, e.g. 'rotate 90 degrees clockwise'")
        return Edit("look", None, ops=(_op("ROTATE", angle=angle),), text=clause)
    if _STRAIGHTEN.match(clause):
        return Edit("look", None, ops=(_op("STRAIGHTEN"),), text=clause)
    return None


# Angles said in words ("ninety degrees", "one hundred and eighty degrees"): the ones people turn pictures by.
_DEGREES = {"five": "5", "ten": "10", "fifteen": "15", "twenty": "20", "thirty": "30", "forty five": "45", "sixty": "60",
            "ninety": "90", "one hundred eighty": "180", "a hundred eighty": "180", "hundred eighty": "180",
            "two hundred seventy": "270"}
_DEGREE_WORDS = re.compile(r"\b((?:(?:one|a)\s+)?hundred(?:\s+and)?\s+eighty|two\s+hundred(?:\s+and)?\s+seventy|forty[\s-]five|"
                           r"ninety|sixty|thirty|twenty|fifteen|ten|five)(?=\s*(?:°|deg))")


# Plain borders cropped away: "trim the white space around the logo", "crop out the black edge", "remove the
# transparent padding", "crop to content", "get rid of the excess background around the favicon".
_EMPTY = r"(?:white|black|blank|empty|transparent|excess|extra|unused|plain|grey|gray|blue)"
_TRIM = re.compile(
    rf"^(?:auto-?)?trim(?:\s+(?:it|this|the\s+(?:image|photo|picture|scan|screenshot|logo|icon)))?(?:\s+(?:down|please))?\s*$|"
    rf"^(?:auto-?)?trim\s+(?:off\s+|away\s+)?(?:the\s+|all\s+(?:the\s+)?)?(?:{_EMPTY}\s+)*(?:space|edges?|borders?|margins?|"
    rf"padding|bars?)\b|^auto-?crop\b|"
    rf"^crop\s+(?:it\s+|this\s+|the\s+image\s+)?to\s+(?:the\s+)?content\b|"
    rf"^(?:crop|cut)\s+(?:out|off|away)?\s*(?:the\s+|all\s+(?:the\s+)?)?{_EMPTY}?\s*(?:space|edges?|borders?|margins?|"
    rf"padding|bars?|frame)\b|"
    rf"^(?:remove|delete|get rid of|take out|take off|cut|strip|eliminate)\s+(?:the\s+|all\s+(?:the\s+)?)?"
    rf"(?:{_EMPTY}\s+)+(?:space|edges?|borders?|margins?|padding|bars?|background|pixels|lines? of (?:\w+\s+)?pixels)\s+"
    rf"(?:around|at|on|along|from|of|in)\b|"
    rf"^(?:remove|delete|get rid of|take out|take off|cut|strip|eliminate)\s+(?:the\s+|all\s+(?:the\s+)?)?"
    rf"(?:{_EMPTY}\s+)+(?:space|margins?|padding|bars?|borders?)\s*$|"
    rf"^(?:remove|delete|get rid of|trim|cut)\s+(?:the\s+)?(?:logo|icon|favicon|image|picture|screenshot)(?:'s)?\s+(?:{_EMPTY}\s+)+"
    rf"(?:space|margins?|padding|borders?|background|pixels)\s*$|"
    rf"^(?:remove|delete|get rid of|trim|cut)\s+(?:the\s+)?(?:(?:top|bottom|left|right|outer|last|first)\s+)?(?:lines?|rows?|columns?)\s+of\s+"
    rf"(?:{_EMPTY}\s+)?pixels\b")


# A tilted photo levelled by its own straight lines: "straighten the horizon", "level this photo", "fix the tilt",
# "make the horizon straight" (not "straighten her hair": only the picture, its horizon or its lines).
_TILTED = r"(?:tilt(?:ed|ing)?|skew(?:ed)?|crooked|slant(?:ed|ing)?|wonky|off[- ]level)"
_LEVELLED = (r"(?:(?:the|this|my|a|an|our)\s+)?(?:whole\s+)?(?:(?:tilted|skewed|crooked|slanted|wonky)\s+)?(?:image|photo|"
             r"picture|pic|shot|photograph|scan|horizon(?: line)?|skyline|buildings?|walls?|lines|verticals)|it|this|everything")
_STRAIGHTEN = re.compile(
    rf"^(?:(?:straighten(?:\s+(?:out|up))?|level|de-?skew)(?:\s+(?:{_LEVELLED}))?|"
    rf"(?:fix|correct|remove|undo|get rid of|take out)\s+(?:the\s+|this\s+|a\s+|my\s+)?"
    rf"(?:tilt|skew|slant|(?:{_TILTED}\s+)?horizon(?: line)?|angle of the horizon|{_TILTED}\s+(?:image|photo|picture|pic|shot))"
    rf"(?:\s+(?:of|in|on)\s+(?:{_LEVELLED}))?|"
    rf"(?:make|get|put|set)\s+(?:{_LEVELLED})\s+(?:straight|level|even|horizontal)(?:\s+again)?)"
    rf"(?:\s+(?:please|again|a bit|slightly|for me|automatically))*\s*$")


_LOW_LIGHT = re.compile(
    rf"\b(?:{_REMOVING}|dispel\w*|banish\w*|chase away|pierce|brighten\w*|light up)\s+(?:the\s+|this\s+|all\s+)?"
    rf"(?:[\w-]+\s+)?(?:darkness|gloom\w*|dimness|murky darkness|low[- ]light|shadows of (?:the )?night|underexposure)\b|"
    r"\b(?:hidden|lost|shrouded|cloaked|veiled|buried)\s+in\s+(?:the\s+)?(?:darkness|gloom|shadows?)\b|"
    r"\bbring (?:more )?light (?:to|into)\b|\b(?:enhance|improve|increase|boost)\w* (?:the )?visibility\b")


# "restore this noisy photograph", "fix the details of this blurry image": the state of the image says what to do.
_DEGRADED = re.compile(
    r"^(?:restor\w*|fix\w*|repair\w*|enhanc\w*|improv\w*|increase|clean\w*(?: up)?|recover\w*|correct\w*|clarif\w*|"
    r"process\w*|treat\w*|rescue|save|refine|polish\w*|retouch\w*|rehabilitat\w*|revive|rejuvenat\w*|salvage|rectif\w*|"
    r"remed\w*|resolv\w*|tid\w*(?: up)?|touch\w* up|sort\w* out|deal with|handl\w*|address\w*|mend\w*|perfect\w*|"
    r"upgrad\w*|optimi[sz]\w*|sharpen\w*|work on|edit|photoshop)\b"
    r"(?:.*\b(?:of|in|from|on)\b)?\s*(?:the|this|my|an?|these)\s+(?:[\w'-]+\s+)?(?P<adj>noisy|grainy|speckled|blurry|blurred|"
    r"out-of-focus|fuzzy|smeared|smudged|unclear|unfocused|shaky|indistinct|hazy|foggy|misty|smoggy|murky|dark|dim|underexposed|"
    r"low-light|gloomy|rainy|snowy|old|damaged|scanned|vintage|aged|worn|antique|low-res|low-resolution|"
    r"low-definition|low-quality|poor-quality)\s+(?:[\w-]+\s+)?(?:image|photo|photograph|"
    r"picture|pic|shot|scene|snapshot|frame|scan|print|portrait)s?\b")
_STATES = ((r"noisy|grainy|speckled", "DENOISE"), (r"blurry|blurred|out-of-focus|fuzzy|smeared|smudged|unclear|"
                                                    r"unfocused|shaky|indistinct", "SHARPEN"),
           (r"hazy|foggy|misty|smoggy", "DEHAZE"), (r"dark|dim|underexposed|low-light|gloomy", "BRIGHT"),
           (r"old|damaged|scanned|vintage|aged|worn|antique|murky|low-res|low-resolution|low-definition|"
            r"low-quality|poor-quality", "RESTORE"),
           (r"rainy", "in clear dry weather, without rain"), (r"snowy", "in clear weather, without snow"))
_QUALITY = re.compile(r"\b(?:improv\w*|enhanc\w*|increas\w*|restor\w*|boost\w*|better|rais\w*|upgrad\w*)\s+(?:the\s+)?"
                      r"(?:(?:image|photo|picture|overall|visual)(?:'s)?\s+)?quality\b|\bquality\s+of\s+(?:the|this)\s+"
                      r"(?:image|photo|picture)\b")


# "enhance the photo", "restore old photos", "auto enhance", "make this old photo look new": the photo as a whole restored.
_RESTORE_WHOLE = re.compile(
    r"^(?:(?:auto(?:matic(?:ally)?)?[- ]?|ai[- ]|one[- ]click )?(?:enhanc|restor|repair|reviv|rejuvenat|remaster)\w*|"
    r"(?:photo|image|picture)\s+(?:enhancement|restoration|repair))"
    r"(?:\s+(?:the|this|my|our|these|those|all|an?|old|older|damaged|aged|vintage|scanned|faded|family|whole|entire))*"
    r"(?:(?:\s+[a-z'-]+){0,2}?\s+(?:image|photo|photograph|picture|pic|scan|print|portrait)s?)?(?:\s+quality)?"
    r"(?:\s+of\s+(?:her|him|them|us|me|my\s+[\w-]+|our\s+[\w-]+))?$|"
    r"^(?:fix|mend)\s+(?:up\s+)?(?:the|this|my|our|these|those|an?)\s+(?:(?:old|older|damaged|aged|vintage|scanned|faded|family)\s+)*"
    r"(?:image|photo|photograph|picture|pic|scan|print|portrait)s?(?:\s+(?:up|of\s+(?:her|him|them|us|me|my\s+[\w-]+|"
    r"our\s+[\w-]+)))?$|"
    r"^(?:clean|tidy)\s+(?:up\s+)?(?:the|this|my|our)\s+(?:old\s+|family\s+|damaged\s+|scanned\s+)*(?:image|photo|photograph|"
    r"picture|pic|scan|print|portrait)s?(?:\s+up)?$|"
    r"^(?:i(?:'d| would) like|i want|(?:he|she|they|we)(?:'d| would) like|would like|wants?|love)\s+to\s+see\s+(?:it|this|them)\s+"
    r"(?:restored|fixed|repaired|cleaned up)$|"
    r"^make\s+(?:it|this|(?:the|this|my|our)\s+(?:old\s+|family\s+|damaged\s+)*(?:image|photo|photograph|picture|pic|snapshot|"
    r"shot|scan|print|portrait|selfie))\s+look\s+(?:like\s+)?(?:new|brand[- ]new|fresh|less old|younger|newer|recent)"
    r"(?:\s+again)?$|"
    r"^.*\b(?:would|'d)\s+(?:like|love)\s+to\s+see\s+(?:it\s+|this\s+|them\s+)?restored\b.*$|"
    r"^(?:make|get|give)\s+(?:me\s+)?(?:it|this|an?)?\s*(?:higher|high|better|good|best)[- ]quality(?:\s+(?:version|copy|"
    r"one|image|photo))?(?:\s+of\s+(?:it|this|the\s+\w+))?$|"
    r"^(?:(?:it'?s|this is|the (?:image|photo|picture) is|(?:too|very|so|really)\s+)\s*)*(?:too\s+|very\s+|so\s+)?"
    r"(?:low|poor|bad)[- ]quality$|^(?:higher|high|better)[- ]quality(?:\s+(?:version|copy|one))?$")
# "restore the faces", "enhance the licence plate", "fix the blurry faces": a part whose detail is wanted back.
_RESTORE_PART = re.compile(
    r"^(?:restor|enhanc|repair|recover|fix|improv|clean\w* up|sharpen|unblur|deblur)\w*\s+(?:the\s+|his\s+|her\s+|their\s+|"
    r"my\s+|our\s+|all\s+|its\s+)?(?:(?:old|blurry|blurred|damaged|fuzzy|unclear|out-of-focus|small|tiny)\s+)?"
    r"(?P<x>(?:(?:old|human|people'?s)\s+)?faces?|eyes|text|writing|lettering|(?:licen[cs]e\s+|number\s+|car\s+)?plates?|"
    r"signs?)(?:\s+(?:in|on|of)\s+(?:the\s+|this\s+|my\s+)?(?:old\s+)?(?:image|photo|picture|pic)s?)?$")


# Fine texture smoothed in a part: a skin retouch, creased fabric ("soften skin a little", "smooth the shirt").
# A part hidden under a mosaic: "pixelate the faces", "censor the licence plate", "add a mosaic over his face",
# "pixelate it".
_PIXELATE = re.compile(r"^(?:(?:pixel+[ai][sz]e|pixelate|mosaic|censor|pixel-?blur)\w*\s+(?:out\s+)?(?:(?P<x>.+?)\s*)?|"
                       r"(?:add|put|apply|use)\s+(?:a\s+|some\s+)?(?:mosaic|pixelation|pixel\s+blur|censor\s+blocks?)"
                       r"(?:\s+(?:effect|filter))?(?:\s+(?:over|on|to)\s+(?P<y>.+?))?\s*)$")
_SMOOTH_NOUN = (r"(?:skin(?:\s+tones?)?|complexion|faces?|cheeks|forehead|fabric|cloth|clothes|shirt|dress|sheets?|bedding|"
                r"tablecloth|curtains?|wall|walls|surface)")
_SMOOTH_PART = re.compile(
    rf"^(?:smooth|soften|even\s+out|airbrush|retouch)\w*\s+(?:out\s+)?(?:the\s+|her\s+|his\s+|their\s+|my\s+|our\s+|its\s+)?"
    rf"(?:(?:subject's|model's|person's|woman's|man's)\s+)?(?P<x>{_SMOOTH_NOUN})(?:\s+(?:subtly|slightly|gently|a\s+(?:little\s+)?bit|"
    rf"a\s+little|a\s+touch|naturally|a\s+lot|more|too))*$|"
    rf"^(?:smooth|soft|smoother|softer)\s+(?P<y>skin(?:\s+tones?)?)(?:\s+(?:retouching|retouch|smoothing))?$|"
    rf"^(?:skin|face)\s+(?:smoothing|softening|retouch(?:ing)?)$")


_PLAIN_BW = re.compile(r"^(?:make|turn|convert|change|put|set|switch)\s+(?:it|this|everything|(?:the|this|my|our)\s+(?:whole\s+)?(?:image|photo|"
                       r"picture|pic|shot|colou?rs?))?\s*(?:(?:in(?:to)?|to)\s+)?(?:an?\s+)?(?:black[- ](?:and|&)[- ]white|b&w|b/w|"
                       r"gr[ae]y\s?scale|monochrome)(?:\s+(?:photo|image|picture|version|one))?$")


# The adjectives of an added look ("warm golden tones", "soft diffused lighting", "slight desaturation"), each
# read as one tone step; the first word that names a brick's step wins it.
_LOOK_WORDS: tuple[tuple[str, tuple[str, tuple[tuple[str, Any], ...]]], ...] = (
    (r"warm\w*|golden|amber|sunny|honey", _op("TEMPERATURE", amount=0.3)),
    (r"cool\w*|cold\w*|blue|bluish|icy|teal", _op("TEMPERATURE", amount=-0.3)),
    (r"desaturat\w*|muted|faded|washed|pastel|subdued", _op("SATURATION", amount=-0.3)),
    (r"vibrant|vivid|rich|saturated|bold|colou?rful|punchy|colou?rs|myriad|burst|blues|greens|reds|yellows|oranges|"
     r"purples|pinks|teals|golds|ambers", _op("SATURATION", amount=0.3)),
    (r"contrast\w*|dramatic|dynamic|moody|deep|crisp|strobes?", _op("CONTRAST", amount=0.3)),
    (r"soft|diffused|even|balanced|gentle|flattering|natural", _op("SHADOWS-HIGHLIGHTS", shadows=0.3, highlights=-0.3)),
    (r"bright|brighter|airy|clean|luminous|glowing|radiant|sunlit", _op("EXPOSURE", amount=0.2)),
)
_LOOK_WORDS_RE = tuple((re.compile(rf"^(?:{p})$"), op) for p, op in _LOOK_WORDS)


def look_of_words(text: str) -> Edit | None:
    """The tone steps the adjectives of an added look name, on the whole image; None when none does."""
    ops: dict[str, tuple[str, tuple[tuple[str, Any], ...]]] = {}
    for word in re.findall(r"[a-z]+", text.lower()):
        for pattern, op in _LOOK_WORDS_RE:
            if pattern.match(word) and op[0] not in ops:
                ops[op[0]] = op
                break
    return Edit("look", None, ops=tuple(ops.values()), text=text) if ops else None


# More pixels: "upscale it 4x", "increase the resolution", "it is too low resolution to print", "make it high-res".
_UPSCALE = re.compile(
    r"\b(?:upscal\w*|upsampl\w*|up-?res\w*|super-?resol\w*|pixel count|megapixels?|hi-?res|high-?res(?:olution)?|"
    r"(?:increase|raise|improve|boost|double|enhance|higher|better|more|bigger|larger|greater|improved|increased|"
    r"low|lower|poor|bad|too low|low-)\s*(?:the\s+|its\s+|their\s+|this\s+)?(?:image(?:'s)?\s+|photo(?:'s)?\s+|"
    r"picture(?:'s)?\s+|logo(?:'s)?\s+|pixel\s+)?resolution)\b")


def _upscale(clause: str) -> Edit | None:
    if not _UPSCALE.search(clause) or re.search(r"\b(?:remain|stay|keep|kept|still|retain)\w*\s+(?:it\s+|the\s+)?(?:in\s+)?"
                                                r"(?:hi-?res|high-?res|high resolution|full resolution)", clause):
        return None  # "..., need it to remain high-res": a rider on another edit
    if re.search(r"\b(?:remov|delet|eras|add|replac|swap|put|insert|get rid|take out|recolou?r|paint)\w*\b", clause):
        return None  # another edit leads; the splitter gives "... and upscale it" its own clause
    scale = 4.0 if re.search(r"\b(?:4\s*x|x\s*4|four times|quadruple|4 times)\b", clause) else \
        3.0 if re.search(r"\b(?:3\s*x|x\s*3|three times|triple|3 times)\b", clause) else 2.0
    ops = [_op("UPSCALE", scale=scale)]
    if re.search(r"\b(?:clarity|clear\w*|sharp\w*|crisp\w*|details?|definition|blurr?y|readable|legible)\b", clause):
        ops.append(_op("SHARPEN", amount=0.4))  # asked clearer too: edges sharpened on the larger image
    return Edit("look", None, ops=tuple(ops), text=clause)


def parse_look(clause: str, target_named: bool) -> Edit | None:
    """A whole-image look in `clause` (lower case), or None. `target_named`: the grammar found an object to
    edit (then tone words belong to it, e.g. "make the sky warmer", and this returns None)."""
    geo = _geometry(clause)
    if geo is not None:
        return geo
    up = _upscale(clause)
    if up is not None:
        return up
    phen = _phenomenon(clause)
    if phen is not None:
        name, does = phen
        if not does:
            raise NoBrick(f"'{clause}': there is no brick that removes {name}; the offline planner can remove "
                          "haze, noise, blur, snow and rain from the whole image, or an object you name", clause)
        if does in ("WHITE-BALANCE", "RED-EYE"):
            return Edit("look", None, ops=(_op(does),), text=clause)
        if does == "DESCRATCH":  # thin scratches, cracks and dust found and filled from around them
            return Edit("look", None, ops=(_op(does, amount=round(amount_of(clause, 0.5), 3)),), text=clause)
        if does in ("DEHAZE", "DENOISE", "SHARPEN"):
            fallback = "on a clear day, without haze or fog" if does == "DEHAZE" else None
            return Edit("look", None, value=fallback, ops=(_op(does, amount=round(amount_of(clause, 0.6), 3)),),
                        text=clause)
        return Edit("env", None, does, text=clause)
    hidden = _PIXELATE.match(clause) if "pixel" in clause or "mosaic" in clause or "censor" in clause else None
    if hidden:  # "pixelate the faces", "censor the licence plate", "add a mosaic over his face": hidden under blocks
        from lego_edit.builder.rules.phrases import target_of

        said = hidden.group("x") or hidden.group("y")
        target = target_of(said, False) if said else None
        if target not in (None, PRONOUN):  # a part: found, then covered through its own mask
            return Edit("blur", target, "pixelated", text=clause)
        return Edit("look", None, ops=(_op("PIXELATE", amount=round(min(1.0, amount_of(clause, 0.6)), 3)),), text=clause)
    smoothed = _SMOOTH_PART.match(clause) if "smooth" in clause or "soft" in clause or "retouch" in clause or \
        "airbrush" in clause or "even" in clause else None
    if smoothed:  # "soften skin a little", "smooth the fabric", "skin smoothing": fine texture smoothed in that part
        from lego_edit.builder.rules.phrases import target_of

        part = smoothed.group("x") or smoothed.group("y") or "skin"
        target = target_of(re.sub(r"\s+tones?$", "", part), False)
        return Edit("look", target, ops=(_op("SMOOTH", amount=round(amount_of(clause, 0.5), 3)),), text=clause)
    local = _RESTORE_PART.match(clause)
    if local:  # "restore the faces", "enhance the licence plate": detail back inside that part
        from lego_edit.builder.rules.phrases import target_of

        target = target_of(local.group("x"), False)
        if target is not None and not target.startswith("<"):
            return Edit("look", target, ops=(_op("DENOISE", amount=0.3), _op("SHARPEN", amount=0.5)), text=clause)
    if re.search(r"\b(?:less|too|overly|over) sharp\b|\bover-?sharpen\w*|\bunsharpen\w*", clause):
        raise NoBrick(f"'{clause}': no specialised brick softens the whole image (SHARPEN only adds detail)", clause)
    degraded = _DEGRADED.search(clause)
    if degraded:
        state = degraded.group("adj")
        for words, does in _STATES:
            if re.fullmatch(words, state):
                if does == "BRIGHT":
                    return Edit("bright", None, ratio=0.7, text=clause)
                if does == "RESTORE":  # an old or damaged photo in general: noise out, then detail back
                    return Edit("look", None, ops=(_op("DENOISE", amount=0.4), _op("SHARPEN", amount=0.4)), text=clause)
                if does.startswith("in "):
                    return Edit("env", None, does, text=clause)
                return Edit("look", None, ops=(_op(does, amount=round(amount_of(clause, 0.6), 3)),), text=clause)
    if _QUALITY.search(clause) or _RESTORE_WHOLE.match(clause):  # a general restoration: noise out, then detail back
        also = _tone(re.sub(r",?\s*(?:and\s+)?$", "", _QUALITY.sub(" ", clause))) if _QUALITY.search(clause) else []
        restore = [_op("DENOISE", amount=0.4), _op("SHARPEN", amount=0.4)]  # "brighter, more vibrant, better quality"
        return Edit("look", None, ops=tuple(restore + [op for op in also if op[0] not in ("DENOISE", "SHARPEN")]),
                    text=clause)
    if _LOW_LIGHT.search(clause) and not re.search(r"\b(?:shadow\w*|silhouette|cast|outline)\b", clause):  # low-light enhancement: the darkness is lifted, nothing is segmented
        from lego_edit.builder.rules.quantities import brightness_ratio

        ratio = brightness_ratio(re.sub(r"\b(?:dark\w*|dim\w*|low|reduc\w*|lower\w*|decreas\w*)\b", "", clause))
        return Edit("bright", None, ratio=ratio if ratio is not None and ratio > 0.5 else 0.7, text=clause)
    if _PLAIN_BW.match(clause):  # "make it black and white": a desaturation, not a style
        return Edit("look", None, ops=(_op("SATURATION", amount=-1.0),), text=clause)
    pop = re.match(r"^(?:create|make|do|apply|add|give(?: it)?)\s+(?:an?\s+)?colou?r[- ]?pop(?:\s+effect)?\s+(?:of|on|for|with)\s+"
                   r"(?P<x>.+)$", clause)
    if pop:  # "create a color pop of the girl": she keeps her colours, the rest turns grey
        from lego_edit.builder.rules.phrases import noun_phrase

        return Edit("look", None, ops=(_op("SATURATION", amount=-1.0),), keep=noun_phrase(pop.group("x")), text=clause)
    m = _EXCEPT.search(clause) if _EXCEPT_HINT.search(clause) else None
    if m:
        from lego_edit.builder.rules.phrases import noun_phrase

        return Edit("look", None, ops=(_op("SATURATION", amount=-1.0),), keep=noun_phrase(m.group("x")), text=clause)
    if target_named:
        return None
    ops, rest = _tone_parts(clause)
    if not ops and rest is not None:
        return _local_tone(clause, rest)
    if ops:
        fallback = None
        if all(b == "TEMPERATURE" for b, _ in ops):
            warm = dict(ops[0][1])["amount"] > 0
            fallback = "in warm golden light" if warm else "in cool blue light"
        return Edit("look", None, value=fallback, ops=tuple(ops), text=clause)
    return None
