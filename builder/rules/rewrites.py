"""Plain forms of request phrasings that the verb handlers do not read directly.

Each rewrite turns one *structure* into the imperative the grammar knows, whatever the words in it:
a try / have-a-go frame around a gerund ("have a go at boosting the contrast" -> "boosting the contrast"), a
need or wish with a comparative ("this image needs to be much warmer" -> "make this image much warmer"), a tone
noun given or added ("add more contrast", "give it more colour" -> "increase the contrast", "boost the colours"),
colour channels ("pull up the greens" -> "increase the saturation"), a scene put behind someone ("put a sunset
behind me" -> a new background), and verbless forum titles ("background to white"). `split_coordinated` splits
one clause that asks for two edits without a second verb ("make the lines sharper and the background lighter",
"raise the brightness and sharpness"). Every rewrite is tried only when its cue word is in the clause.
"""

from __future__ import annotations

import re

from lego_edit.builder.rules.edits import TextRefused
from lego_edit.builder.rules.lexicon import COLOURS, KNOWN_VERBS, STYLE_TERMS, canonical_verb, lemma
from lego_edit.builder.rules.looks import TINT_COLOURS
from lego_edit.builder.rules.phrases import env_value, is_descriptor
from lego_edit.builder.rules.requests import strip_polite

_DEGREE = r"(?:much|a lot|lots|a bit|a little(?: bit)?|slightly|way|far|somewhat|even|a touch|a tad|a few shades|really|so|very)"
# Comparatives that say an edit on their own ("lighter", "warmer"); "more X" / "less X" are read for any X.
_COMPARATIVES = ("lighter|brighter|darker|dimmer|warmer|cooler|colder|sharper|clearer|crisper|richer|deeper|softer|"
                 "smoother|punchier|moodier|sunnier|bluer|greener|redder|yellower|pinker|whiter|blacker|greyer|grayer|"
                 "bigger|smaller|larger|cleaner")
_COMPARATIVE = rf"(?:{_DEGREE}\s+)*(?:(?:more|less)\s+[a-z][a-z-]*|(?:{_COMPARATIVES}))"

# "try increasing", "have a go at boosting", "attempt to lighten", "help me with removing"
_TRY = re.compile(r"^(?:try(?:ing)?(?:\s+to)?|attempt(?:ing)?(?:\s+to)?|hav(?:e|ing)\s+a\s+(?:go|shot|stab|crack)\s+at|"
                  r"tak(?:e|ing)\s+a\s+(?:shot|stab|crack)\s+at|giv(?:e|ing)\s+(?:it\s+)?a\s+(?:go|shot|try)\s+(?:at\s+)?|"
                  r"start\s+(?:off\s+)?by|begin\s+by|focus\s+on|help\s+(?:me\s+|us\s+)?with|see about|look into)\s+"
                  r"(?P<v>[a-z]+)\b")
_TRY_LEADS = ("try", "attempt", "hav", "tak", "giv", "start", "begin", "focus", "help", "see ", "look")
_NEED_CUES = (" need", " has to", " have to", " should ", " must ", " ought ", " could ", " would ", " is to ", " are to ")
# "the photo needs to be much lighter", "I wish it were warmer", "the sky could be a bit bluer"
_NEED = re.compile(rf"^(?P<x>it|this|everything|(?:the|this|my|our|his|her|their|these|those)\s+"
                   rf"[\w' -]+?)\s+(?:really\s+|just\s+|kind of\s+)?(?:needs?\s+to|has\s+to|have\s+to|should|must|ought\s+to|"
                   rf"could|would|is\s+to|are\s+to)\s+(?:be\s+|look\s+|get\s+|appear\s+|"
                   rf"seem\s+|become\s+)?(?P<y>{_COMPARATIVE})(?P<tail>\s*\(.*|\s+(?:but|while|and still|without)\b.*)?$")
# "the baseball should adopt an orange hue", "the car should take on a red colour": that colour given to it
_TAKE_ON = re.compile(r"^(?P<x>(?:the|this|that|these|those|my|our|his|her|their|its)\s+[\w' -]+?)\s+(?:should|must|needs?\s+to|"
                      r"has\s+to|have\s+to|ought\s+to|could|will|shall)\s+(?:adopt|take\s+on|get|have|gain|acquire|assume|"
                      r"show|sport)\s+(?:an?\s+|the\s+|some\s+)?(?P<y>[\w -]+?)\s+(?:hue|tint|colou?r|tone|shade|colou?ring|"
                      r"finish|cast)$")
# "the man should wear sunglasses", "the dog should have a red collar": the thing given to them
_SHOULD_HAVE = re.compile(r"^(?P<x>(?:the|this|that|my|our|his|her|their)\s+[\w' -]+?|he|she|they)\s+(?:should|must|needs?\s+to|"
                          r"has\s+to|have\s+to|ought\s+to|could|would)\s+(?:also\s+)?(?P<v>have|get|wear|be\s+wearing|"
                          r"hold|be\s+holding|carry|be\s+carrying)\s+(?P<y>(?!been\b|no\b|to\b|more\b|less\b)(?:(?:an?|some|two|three|"
                          r"a\s+pair\s+of)\s+)?[\w' -]+)$")
_TONE_NOUN = (r"contrast|saturation|colou?r saturation|vibrance|vibrancy|vividness|warmth|sharpness|clarity|definition|"
              r"crispness|brightness|exposure|colou?rs?|colou?ring")
_PICTURE = r"(?:the|this|my)\s+(?:whole\s+)?(?:image|photo|picture|pic|shot|scene)"  # the picture as a whole
_ADD_TONE = re.compile(
    rf"^(?:add|give|bring|put|inject|introduce|apply)\s+(?:(?:it|this|that|{_PICTURE})\s+)?(?:(?:a bit|a little(?: bit)?|"
    rf"a touch|a hint|a lot|lots|some|more|extra|much more|bit|little|slightly)\s+(?:of\s+)?)*(?P<n>{_TONE_NOUN})\b"
    rf"(?P<tail>.*)$")
_TONE_TAIL = re.compile(rf"\s+(?:between\s+.+|(?:to|in|on|for|into)\s+{_PICTURE}s?)$")
_ADD_COLOUR = re.compile(rf"^(?:add|give|put|inject|introduce|apply)\s+(?:(?:it|this|{_PICTURE})\s+)?(?:(?:a bit|"
                         rf"a little(?: bit)?|a touch|a hint|some|more|extra|bit)\s+(?:of\s+)?)*(?:an?\s+)?"
                         rf"(?P<c>[a-z]+(?:ish)?)(?:\s+(?:tint|tone|hue|cast|glow|colou?r|feel))?"
                         rf"(?:\s+(?:to|in|on|into)\s+(?:it|this|{_PICTURE}))?$")
_WARM = frozenset("yellow yellowish orange orangey gold golden amber warm warmer warmth sunny".split())
_COOL = frozenset("blue bluish cool cooler cold teal".split())
_CHANNELS = r"greens|blues|reds|yellows|oranges|purples|pinks|magentas|cyans"
_RAISE = (r"boost|pull up|bring out|bring up|enhance|increase|intensify|pump up|punch up|push|strengthen|deepen|enrich|"
          r"saturate|amplify|heighten|emphasi[sz]e|accentuate|make more of")
_LOWER = r"tone down|reduce|mute|lower|desaturate|calm down|dial down|turn down|soften|tame|pull down|bring down|lessen"
_CHANNEL = re.compile(rf"^(?P<v>{_RAISE}|{_LOWER}|take out|remove|get rid of)\s+(?:the\s+|all\s+the\s+|some\s+of\s+the\s+)?"
                      rf"(?P<c>{_CHANNELS})(?:\s+(?:in|of|on)\s+(?P<x>.+))?$")
_BEHIND = re.compile(r"^(?:put|add|place|have|give me|insert)\s+(?P<y>(?:an?|some|the)\s+.+?)\s+behind\s+(?:me|us|him|her|them|"
                     r"my\s+\w+|the\s+(?:person|people|subject|couple|kids?|child|dog|cat|family|group|bride|groom|car))$")
_IN_FRONT = re.compile(r"^(?:put|place|photoshop|move|stand|show)\s+(?:me|us|him|her|them|my\s+\w+)\s+in front of\s+"
                       r"(?P<y>(?:an?|the|some)\s+.+)$")
_TITLE = re.compile(r"^(?:the\s+|new\s+|different\s+|a new\s+)?(?:background|backdrop)(?:\s+please)?\s*(?:\s(?:to|into|->|=>)\s|[:=]\s*|"
                    r"->\s*|,\s+)(?P<y>.+?)(?:\s+please)?$")
_WHITES_BLACKS = re.compile(r"^(?:make|get|turn)\s+(?:the\s+)?(?P<n>whites|blacks)\s+(?:(?:a bit|a little|much|more)\s+)?"
                            r"(?:whiter|brighter|cleaner|purer|blacker|deeper|darker|richer|stronger)$")
_GIVE_FEEL = re.compile(rf"^(?:(?:give|add)\s+(?:{_PICTURE}|it|this)|apply(?:\s+(?:to\s+)?(?:{_PICTURE}|it|this))?)\s+"
                        r"(?:(?:more of|a bit more of|a little more of|more|some|a bit of|a touch of)\s+)*(?:an?\s+)?"
                        r"(?P<d>[\w ,-]+?)\s+(?P<n>feel|look|vibe|mood|atmosphere|aesthetic|glow|colou?r grade|colou?r grading|grade|grading|effect|"
                        r"style|finish|filter)(?:\s+(?:from|of)\s+the\s+(?:19|20)?\d0s)?$")
# "give this image the appearance of vintage film photography", "give it the look of an old polaroid": the look of
# that kind of picture, as "make it look like ..." reads it.
_GIVE_LOOK_OF = re.compile(rf"^(?:give|lend)\s+(?:{_PICTURE}|it|this)\s+(?:the|a|an)\s+(?:(?:overall|general|distinct\w*)\s+)?"
                           r"(?:appearance|look|feel|feeling|aesthetic|vibe|atmosphere|character|quality)\s+of\s+(?P<d>.+)$")
_CLEAN_UP = re.compile(r"^clean\s+(?:up|away|off|out)\s+(?P<x>(?:the\s+|all\s+(?:the\s+)?|some\s+(?:of\s+)?(?:the\s+)?)?"
                       r"(?:[\w-]+\s+)?(?:trash|litter|garbage|rubbish|debris|clutter|mess|junk|leaves|wrappers|bottles|cans|"
                       r"cables|cords|wires)\b.*)$")
_BOTH = re.compile(r"\bboth\s+(?=(?:the\s+)?[\w' -]+?\s+and\b)")


def _gerund_lead(text: str) -> bool:
    """The text starts with a known editing verb (any form)."""
    word = re.match(r"[a-z]+", text)
    return word is not None and lemma(word.group(0)) in KNOWN_VERBS


# A colour said as a coat or a choice: "coat the bridge with black pigment", "opt for a blue shade for the cake".
_COAT = re.compile(r"^(?:coat|cover|paint|spray|douse)\s+(?P<x>.+?)\s+(?:with|in)\s+(?:an?\s+)?(?P<c>[\w -]+?)\s+"
                   r"(?:pigment|paint|colou?r|coating|dye|lacquer|varnish)$")
_OPT = re.compile(r"^(?:opt|go)\s+for\s+(?:an?\s+)?(?P<c>[\w -]+?)\s+(?:shade|colou?r|hue|tone)\s+for\s+(?P<x>.+)$")


_BOKEH = re.compile(r"^(?:add|create|apply|give\s+(?:it|this|the\s+(?:image|photo|picture|shot))|put|use|simulate|fake|make)\s+"
                    r"(?:a|an|some|the)?\s*(?:(?:nice|soft|subtle|strong|artificial|artifical|fake|realistic|natural|dslr|"
                    r"creamy|shallow)\s+)*(?:background\s+blur|bokeh(?:\s*/\s*background\s+blur)?(?:\s+(?:effect|look|background))?|"
                    r"(?:shallow\s+)?depth[- ]of[- ]field(?:\s+effect)?|portrait[- ](?:mode|effect|blur)|blurr?(?:ed|y)\s+background)"
                    r"(?:\s+(?:effect|look))?(?:\s+(?:to|on|in)\s+(?:it|this|the\s+(?:image|photo|picture|shot)))?$")


def plain_clause(clause: str) -> str:
    """`clause` (lower case, politeness stripped) in a plainer form the handlers read, or unchanged. Raises
    TextRefused for a colour added to the whole image that is neither warm nor cool (no brick tints a photo
    green: say what should turn green)."""
    text = clause
    m = re.match(r"^(?:make|get)\s+it\s+so\s+(?:that\s+)?(?P<x>(?:the|his|her|their|my|our|its)\s+[\w' -]+?)\s+(?:is|are|looks?|"
                 r"becomes?)\s+(?P<y>(?!in\b|on\b|at\b)[\w ,'-]+)$", text)
    if m:  # "make it so the sky is blue": make the sky blue
        return f"make {m.group('x')} {m.group('y')}"
    m = re.match(r"^(?:remove|take out|take away|get rid of|cut|drop)\s+(?:the\s+|some\s+(?:of\s+)?(?:the\s+)?|(?:a\s+)?(?:bit|little|lot)\s+of\s+(?:the\s+)?|"
                 r"(?:significant|excess|extra|too much|much|all)\s+(?:of\s+)?(?:the\s+)?)*(?P<n>contrast|saturation|brightness|"
                 r"warmth|sharpness|exposure|vibrance)\b(?:\s+(?:from|to|of|in)\s+(?:the|this|my)\s+(?:photo|image|picture|pic))?$", text)
    if m:  # "remove some contrast": less of it, not an object taken out
        return f"reduce the {m.group('n')}"
    m = re.match(r"^wear\s+(?P<x>him|her|them|me|us|the\s+[\w-]+)\s+(?P<y>(?:an?\s+|some\s+)?[\w ,-]+)$", text)
    if m:  # "wear him blue clothes": dress him in them
        return f"dress {m.group('x')} in {m.group('y')}"
    m = _COAT.match(text) or _OPT.match(text)
    if m:
        return f"make {m.group('x')} {m.group('c')}"
    if "both" in text:
        text = _BOTH.sub("", text)
    m = _TRY.match(text) if text.startswith(_TRY_LEADS) else None
    if m and _gerund_lead(text[m.start("v"):]):
        text = text[m.start("v"):]
    if any(w in text for w in _NEED_CUES):
        m = _NEED.match(text)
        if m:
            return f"make {m.group('x')} {m.group('y')}"
        m = _TAKE_ON.match(text)
        if m and is_descriptor(m.group("y")):
            return f"make {m.group('x')} {m.group('y')}"
        m = _SHOULD_HAVE.match(text)
        if m and not re.fullmatch(r"(?:the|this|that|my|our)\s+(?:image|photo|picture|pic|scene|shot)", m.group("x")):
            x = {"he": "him", "she": "her", "they": "them"}.get(m.group("x"), m.group("x"))
            if is_descriptor(m.group("y")):  # "he should wear red": his clothes that colour
                return f"dress {x} in {m.group('y')}" if "wear" in m.group("v") else text
            return f"give {x} {m.group('y')}"  # worn, held or had: a thing added on them
    m = re.match(r"^(?:make|turn|change|paint|colou?r|set)\s+(?:the\s+)?background\s+of\s+(?:the\s+|this\s+|my\s+|our\s+)?"
                 r"(?:[\w-]+\s+){0,2}?(?:icon|logo|favicon|image|photo|picture|avatar|banner|sprite|emoji|badge|portrait|"
                 r"screenshot)s?\s+(?:to\s+)?(?P<c>[a-z]+(?:\s+[a-z]+)?)$", text) if "background of" in text else None
    if m and (m.group("c").split()[-1] in COLOURS or m.group("c") == "transparent"):
        return f"make the background {m.group('c')}"  # "make the background of the app icon white": the picture's own
    m = re.search(r"\b(?:look|appear)\s+(?:like|as\s+if|as\s+though)\s+(?:it\s+|they\s+)?(?:was|were|had\s+been)?\s*(?:photographed|"
                  r"taken|shot|captured|snapped)\s+(?P<p>during|at|in|on)\s+(?P<y>.+)$", text) if "as if" in text or "like" in text else None
    when = re.split(r"\s+with\s+|\s*,", m.group("y"), maxsplit=1)[0] if m else ""
    if m and env_value(when.replace("-", " ")):  # "appear as if photographed during golden hour, with warm ...": that time
        return f"make it {m.group('p')} {when}"
    if " more like " in text:  # "make it look more like a painting": like one
        text = re.sub(r"\b(look|looks|looking|appear|seem)\s+(?:a\s+(?:bit|little|lot)\s+|much\s+)?more\s+like\b", r"\1 like", text)
    m = re.match(r"^make\s+(?P<x>(?!.*\blook)(?:it|this|him|her|them|me|us|(?:the|this|my|his|her|their|our)\s+[\w' -]+?))\s+"
                 r"(?:more\s+)?like\s+(?P<y>(?:an?|the|some)\s+.+)$", text) if " like " in text else None
    if m:  # "make him like a Greek statue", "make it like a painting": look like one
        return f"make {m.group('x')} look like {m.group('y')}"
    if _BOKEH.match(text):  # "add a background blur", "create an artificial bokeh": the real background blurred
        return "blur the background"
    if text.startswith(("add", "give", "bring", "put", "inject", "introduce", "apply")):
        m = _ADD_TONE.match(text)
        if m and not re.match(r"\s+(?:of|to)\s+(?!the\s+(?:whole\s+)?(?:image|photo|picture|pic|shot|scene))", m.group("tail")):
            noun = m.group("n")
            tail = _TONE_TAIL.sub("", m.group("tail"))
            if tail.strip():
                return text  # more words follow ("add colour to the walls"): not the whole image's tone
            if re.fullmatch(r"colou?rs?|colou?ring", noun):
                return "boost the colours"
            return f"increase the {noun}"
        m = _ADD_COLOUR.match(text)
        if m and m.group("c").removesuffix("ish") in COLOURS | _WARM | _COOL:
            colour = m.group("c")
            if colour in _WARM or colour.removesuffix("ish") in _WARM:
                return "make it warmer"
            if colour in _COOL or colour.removesuffix("ish") in _COOL:
                return "make it cooler"
            if colour.removesuffix("ish") in TINT_COLOURS:
                return f"tint it {colour.removesuffix('ish')}"  # "add a pink tint": a colour filter over the whole photo
            raise TextRefused(f"'{clause}': no brick tints the whole photo {colour.removesuffix('ish')}; say what should "
                              f"turn {colour.removesuffix('ish')} (e.g. 'make the sky {colour.removesuffix('ish')}') or "
                              "name the object to add")
    if any(c in text for c in ("greens", "blues", "reds", "yellows", "oranges", "purples", "pinks", "magentas", "cyans")):
        m = _CHANNEL.match(text)
        if m:
            where = f" of {m.group('x')}" if m.group("x") else ""
            if re.fullmatch(_RAISE, m.group("v")):
                return f"increase the saturation{where}"
            if m.group("x"):
                return f"reduce the saturation{where}"
            return f"make it less {m.group('c')[:-1]}"
    if text.startswith("clean"):
        m = _CLEAN_UP.match(text)
        if m:  # "clean up the trash on the beach": the litter removed
            return f"remove {m.group('x')}"
    if text.startswith(("give", "lend")):
        m = _GIVE_LOOK_OF.match(text)
        if m:
            return f"make it look like {m.group('d')}"
    if text.startswith(("give", "add", "apply")):
        m = _GIVE_FEEL.match(text)
        if m:  # "give it more of a golden hour feel": the whole image's look
            d = m.group("d")  # several words of a look ("a vintage, faded photograph look") are read as a look
            hue = re.fullmatch(r"(?P<c>[a-z]+?)(?:ish)?(?:\s+colou?r(?:ed)?)?", d)
            if hue and m.group("n") in ("filter", "glow") and (c := hue.group("c")) in COLOURS:
                if c in TINT_COLOURS:
                    return f"tint it {c}"  # "apply a green colour filter": a photo filter of that colour
            if re.search(r"grad", m.group("n")):
                return f"add {d} colour grading"  # a grade is tone work: "apply a cinematic colour grade"
            if len(d.split()) > 1 and "," not in d and STYLE_TERMS.search(d):
                return f"in {d} style"  # "give it a vintage polaroid feel": that style, not an object called "it vintage"
            return f"make it look {d}" if "," in d or len(d.split()) > 2 else f"make it {d}"
    if "whites" in text or "blacks" in text:
        m = _WHITES_BLACKS.match(text)
        if m:  # "make the whites whiter": the tonal range, not white objects
            return "increase the contrast" if m.group("n") == "whites" else "deepen the shadows"
    if "behind" in text:
        m = _BEHIND.match(text)
        if m:
            return f"change the background to {m.group('y')}"
    if "in front of" in text:
        m = _IN_FRONT.match(text)
        if m:
            return f"change the background to {m.group('y')}"
    if "smile" in text or "grin" in text or "frown" in text:
        m = re.match(r"^(?:create|put|add|give|draw|place|paint)\s+(?:a|an)\s+(?:(?:big|small|slight|gentle|warm|wide|happy|soft)\s+)?"
                     r"(?P<e>smile|grin|frown|smirk)\s+(?:on|to)\s+(?:the\s+|a\s+)?(?:face\s+of\s+(?:the\s+|an?\s+)?)?(?P<x>.+?)(?:'s\s+face)?$",
                     text)
        if m and not re.match(r"(?:his|her|their|my)\s+face$|face$", m.group("x")):  # "create a smile on a face of old woman"
            return f"make the {re.sub(r'^(?:the|an?)[ ]+', '', m.group('x'))} {m.group('e')}"
    if "expression" in text:
        m = re.match(r"^(?:edit|change|alter|modify|adjust|tweak)\s+(?P<x>(?:the\s+)?(?:facial\s+)?expressions?\s+of\s+.+?)\s+(?:to|so\s+as\s+to)\s+"
                     r"make\s+(?:them|him|her|it)\s+(?:appear|look|seem)\s+(?:as\s+)?(?P<y>.+?)(?:\s+as\s+possible)?$", text)
        if m:  # "edit the expression of that person to make them appear joyful"
            return f"change {m.group('x')} to {m.group('y')}"
    if "overlay" in text or "effect" in text:
        m = re.match(r"^(?P<v>add|apply|put|give\s+it)\s+(?P<x>(?:an?\s+|some\s+)?(?:[\w-]+\s+){0,2}?(?:fog|mist|haze|rain|snow|"
                     r"snowfall|drizzle))\s+(?:overlay|effect|layer|filter)$", text)
        if m:  # "add a light fog overlay": the weather itself
            return f"add {m.group('x')}"
    if "them" in text:
        m = _SEASON_THEME.match(text)
        if m:  # "change the banner to a winter theme": the season of the whole picture
            return f"make it {m.group('s')}"
        m = re.match(r"^(?:change|switch|set|turn)\s+(?:the|its)\s+(?:colou?r\s+)?theme\s+(?:to|into)\s+(?P<y>.+)$", text)
        if m:  # "change the theme to surrealist": the look of the whole picture
            return f"make it {m.group('y')}"
    if "background" in text and text.startswith(("change", "turn", "convert", "switch", "set", "make")):
        m = re.match(r"^(?:change|turn|convert|switch|set|make)\s+(?:this|the|my|it|its)\s*(?:image|photo|picture|pic)?\s+(?:to|into)\s+"
                     r"(?P<y>(?:an?\s+)?[\w ,'-]+?)\s+(?:background|backdrop)$", text)
        if m:  # "change this image to a white background": the picture's background
            return f"change the background to {m.group('y')}"
    if "background" in text and "colo" in text:
        m = _BACKGROUND_COLOUR.match(text)
        if m:  # "make the app icon background color black": the picture's own background
            return f"change the background to {m.group('y')}"
    if "background" in text or "backdrop" in text:
        m = _TITLE.match(text)
        if m:
            return f"change the background to {m.group('y')}"
    return text


_SEASON_THEME = re.compile(r"^(?:change|turn|make|convert|put|set|switch|update|give|render)\s+(?:(?:the|this|our|my|it|its)\s+)?"
                           r"(?:[\w-]+\s+){0,3}?(?:(?:to|into|in|with)\s+)?(?:an?\s+|the\s+)?(?P<s>(?:(?:snowy|wintry|rainy|sunny|misty)\s+)?(?:winter|wintry|snowy|"
                           r"summer|summery|autumn|autumnal|fall|spring|rainy|night(?:time)?|sunset))[- ]?(?:theme|themed|look|version|setting|"
                           r"mood|vibe)\b")
_BACKGROUND_COLOUR = re.compile(r"^(?:make|turn|set|change|switch)\s+(?:the\s+|its\s+|this\s+)?(?:(?:app\s+)?(?:icon|logo|favicon|"
                                r"image|photo|picture|emoji|avatar|sticker)(?:'s)?\s+)?background\s+colou?r\s+(?:to\s+|into\s+)?"
                                r"(?!from\b)(?P<y>(?:an?\s+)?[\w -]+)$")


# "make the lines sharper and the background lighter": one verb, two objects each with its own comparative.
_GAPPED = re.compile(rf"^(?P<v>make|get|turn|render)\s+(?P<x>(?:the|this|my|his|her|its|their|our)\s+[\w' -]+?|it)\s+"
                     rf"(?P<a>{_COMPARATIVE})\s*(?:,\s*|\s+)and\s+(?P<y>(?:the\s+|my\s+|his\s+|her\s+|its\s+|their\s+|our\s+)?"
                     rf"[\w' -]+?)\s+(?P<b>{_COMPARATIVE})$")
_PHENOMENON_NOUN = r"shadows|highlights|lighting|light|haze|fog|noise|grain|blur|blurriness|focus|white balance|tones?"
_TWO_COMPARATIVES = re.compile(rf"^(?P<v>make|get|turn)\s+(?P<x>(?:the|this|my|his|her|its|their|our)\s+[\w' -]+?|it)\s+"
                               rf"(?P<a>{_COMPARATIVE})\s*(?:,\s*|\s+)and\s+(?P<b>{_COMPARATIVE})$")
# "raise the brightness and sharpness", "boost the contrast and the saturation of the photo", "adjust the
# lighting/contrast" (a slash or an "or" between two tone nouns asks for both)
# "enhance this image with cinematic colour grading, warm highlights, deep shadows and rich blacks": a list of
# whole-picture tones, each one a look of its own (only when every item is one).
_WITH_LOOKS = re.compile(r"^(?:enhanc|edit|improv|retouch|grad|finish|process|treat|style|transform|upgrad|polish)\w*\s+"
                         r"(?:(?:this|the|it|my|our)\s*(?:[\w/-]+\s+)?)?(?:with|using)\s+(?P<list>.+)$")


def _looks_listed(text: str) -> list[str] | None:
    from lego_edit.builder.rules.looks import is_whole_look

    m = _WITH_LOOKS.match(text)
    if not m:
        return None
    items = [i.strip() for i in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", m.group("list")) if i.strip()]
    if len(items) < 2 or not all(is_whole_look(i) for i in items):
        return None
    return [f"add {i}" for i in items]


_TONE_PAIR = re.compile(rf"^(?P<v>[a-z]+(?:\s+(?:up|down))?)\s+(?:both\s+)?(?:the\s+)?(?:(?:amount|level|levels)\s+of\s+(?:the\s+)?)?"
                        rf"(?:colou?r\s+)?(?P<n1>{_TONE_NOUN}|{_PHENOMENON_NOUN})(?:\s*/\s*|\s*(?:,\s*|\s+)(?:and|&|as well as|plus|or)\s+)"
                        rf"(?:the\s+)?(?:colou?r\s+)?(?P<n2>{_TONE_NOUN}|{_PHENOMENON_NOUN})(?P<tail>(?:\s+(?:of|in|on)\s+.+)?)$")
# "brighten the image a lot and highlight the flower": a second verb the clause splitter does not split at
_AND_VERB = re.compile(r"^(?P<a>.+?)\s+and\s+(?P<b>(?P<v>[a-z]+)\s+(?:up\s+|down\s+|out\s+)?(?:the|this|my|his|her|its|their|"
                       r"some|more|a)\b.+)$")


# "remove red eye and soften skin a little", "extract the person and dress them in a uniform": the second verb's
# object without a determiner; only verbs that are not also a thing one adds ("a hat and dress", "and paint").
_AND_BARE_VERB = re.compile(r"^(?P<a>.+?)\s+and\s+(?P<b>(?P<v>[a-z]+)\s+(?:up\s+|down\s+|out\s+)?[a-z][\w'-]*(?:\s.+)?)$")
_NOUN_TOO = frozenset("""dress paint light tone mirror face frame colour color clear crop flip fix clean blur tint fade
patch level balance shift trim fill tidy place put cool warm polish lift lower clone zoom give open""".split())


def _two_recolours(low: str) -> list[str] | None:
    """"make the car red and the house blue", "paint the door green and the fence white": one verb, two objects,
    each with its own colour or material."""
    m = re.match(r"^(?P<v>make|paint|turn|colou?r|dye|change)\s+(?P<left>.+?)\s+and\s+(?P<right>(?:the|my|his|her|its|their|our)\s.+)$",
                 low)
    if not m:
        return None
    sides = []
    for side in (m.group("left"), m.group("right")):
        words = side.split()
        for i in range(1, len(words)):
            if is_descriptor(" ".join(words[i:])) and not is_descriptor(" ".join(words[:i])):
                sides.append((" ".join(words[:i]), " ".join(words[i:])))
                break
        else:
            return None
    (x, a), (y, b) = sides
    return [f"{m.group('v')} {x} {a}", f"{m.group('v')} {y} {b}"]


def split_coordinated(clause: str) -> list[str]:
    """One clause that asks for two edits without repeating the verb -> two clauses; otherwise [clause]."""
    low = clause.lower()
    if not re.search(r" and | & | plus | as well as | or |/|, ", low):
        return [clause]
    low = canonical_verb(re.sub(r"^to\s+", "", strip_polite(low).strip(" .,!")))
    looks = _looks_listed(low) if " with " in low or " using " in low else None
    if looks:
        return looks
    m = _GAPPED.match(low)
    if m and m.group("y") not in ("it", "this"):
        return [f"{m.group('v')} {m.group('x')} {m.group('a')}", f"{m.group('v')} {m.group('y')} {m.group('b')}"]
    pair = _two_recolours(low)
    if pair:
        return pair
    m = _TWO_COMPARATIVES.match(low)
    if m:  # "make the water bluer and clearer": two changes of one object
        return [f"{m.group('v')} {m.group('x')} {m.group('a')}", f"{m.group('v')} {m.group('x')} {m.group('b')}"]
    m = _TONE_PAIR.match(low)
    if m and lemma(m.group("v").split()[0]) in KNOWN_VERBS:
        tail = m.group("tail")
        return [f"{m.group('v')} the {m.group('n1')}{tail}", f"{m.group('v')} the {m.group('n2')}{tail}"]
    m = _AND_VERB.match(low)
    if m and m.group("v") in KNOWN_VERBS and _gerund_lead(m.group("a")) and \
            not re.match(r"(?:make|turn|get|keep|leave|let)\b", m.group("v")):
        return [_as_written(clause, m.group("a")), _as_written(clause, m.group("b"))]
    m = _AND_BARE_VERB.match(low)
    if m and m.group("v") in KNOWN_VERBS and _gerund_lead(m.group("a")) and \
            (m.group("v") not in _NOUN_TOO or re.match(r"[a-z]+\s+(?:it|them|him|her|me|us|everything)\b", m.group("b"))) and \
            not re.match(r"(?:make|turn|get|keep|leave|let)\b", m.group("v")):
        return [_as_written(clause, m.group("a")), _as_written(clause, m.group("b"))]
    return [clause]


def _as_written(clause: str, part: str) -> str:
    """`part` (lower case) as the clause wrote it, so the words of a text edit keep their capitals ("add the text RIT")."""
    at = clause.lower().find(part)
    return clause[at:at + len(part)] if at >= 0 else part
