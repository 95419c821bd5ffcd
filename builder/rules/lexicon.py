"""The vocabulary of editing requests: word lists and verb groups (no grammar here)."""

from __future__ import annotations

import functools
import re

from lego_edit.bricks.builtin.vocab import COLOUR_WORDS

# -- word lists -------------------------------------------------------------------------------------
# Colour words are the bricks' one colour vocabulary (what the recolour and background bricks paint, what RES
# finds, and the colour words they cannot paint but a recolour still means).
COLOURS = COLOUR_WORDS
MATERIALS = frozenset("""wood wooden metal metallic steel iron glass crystal marble stone brick concrete plastic rubber
leather fabric cotton silk velvet denim wool woolen woollen knitted paper cardboard ceramic porcelain chrome ice icy
jade fur furry bamboo wicker clay granite carbon fiber fibre plush satin suede tiled chrome-plated gilded rusty rusted
weathered tarnished bronze copper brass pewter diamond pearl sequined glittery sparkly frosted translucent mossy
moss-covered charred lacquered enamel felt lace linen tweed corduroy calfskin sheepskin snakeskin cashmere neon
canvas""".split())
PATTERNS = frozenset("polka dots dotted striped stripes checkered plaid floral tartan camouflage leopard zebra".split())
TEXTURES = frozenset("""smooth smoother glossy matte shiny rough rougher soft softer lighter darker brighter whiter blacker
bluer redder greener yellower pinker grayer greyer shinier glossier silkier satin metallic pearly""".split())
# Words that may sit around a colour or material without naming anything else ("a soft shade of blue").
DESCRIPTOR_FILLERS = frozenset("""a an the of and or with in to light dark deep deeper bright pale paler vivid
vibrant solid pastel neon muted rich warm warmer cool cooler shade shades tone tones hue color colour colors colours
gradient mix more less slightly very hint tint royal sky baby hot dusty bold faded strong subtle saturated pure
cobalt navy midnight electric powder steel slate forest emerald olive lime mint kelly hunter ice cherry blood wine
rose dusky ash charcoal jet off ivory cream
finish surface texture appearance look pattern textured fluffy glowing sheen like one ones dots old aged worn
genuine faux polished brushed distressed""".split())
RCM_CORE = COLOURS | MATERIALS | PATTERNS | TEXTURES
ATTRIBUTE_WORDS = (r"colou?r palette|colou?r scheme|colou?ring|colou?ration|colou?rs?|texture|material|pattern|finish|tone|"
                   r"shade|hue|paint|paintwork|coating|fabric colou?r")

WHOLE_IMAGE = frozenset({
    "image", "picture", "photo", "photograph", "scene", "everything", "frame", "shot", "view", "overall",
    "lighting", "whole image", "entire image", "this image", "this picture", "this photo", "whole picture",
    "entire picture", "whole scene", "entire scene", "whole photo", "image overall", "whole thing", "all", "elements",
    "composition", "contents", "content", "visuals", "overall look", "look", "aesthetic", "vibe", "colors", "colours",
    "overall colors", "overall colours", "color palette", "colour palette", "palette"})
SELECTION_WORDS = frozenset({
    "this", "that", "it", "them", "these", "those", "here", "selection", "selected object", "selected area",
    "selected region", "selected part", "selected objects", "masked area", "masked region", "masked part",
    "masked object", "marked area", "marked object", "marked region", "highlighted area", "highlighted object",
    "highlighted region", "this object", "this area", "this region", "this part", "that object", "object",
    "area", "region", "mask", "masked", "selected", "this thing", "thing"})
PRONOUNS = frozenset({"it", "them", "this", "that", "these", "those", "its", "they", "one", "this one", "that one"})
SUBJECT_WORDS = frozenset({
    "subject", "main subject", "main object", "salient object", "most salient object", "foreground object",
    "focal point", "main thing", "main element", "foreground", "central object", "main figure", "subjects"})

GENERIC_BACKGROUND = r"background|backdrop|environment|setting|surroundings|surrounding|scenery|backgrounds"
# Nouns naming a part of the scene (not an object): "change the beach to ..." recolours nothing but
# replaces the region itself.
SCENE_NOUNS = frozenset("""background backdrop sky beach forest woods trees grass lawn ground field fields garden
leaves foliage wall walls wallpaper floor surface water ocean sea lake river desert mountain mountains hills hill
cliff cliffs landscape area site street road track racetrack room interior view snow sand park countryside meadow
backyard setting environment surroundings scenery scene stage jungle greenery vegetation terrain shore shoreline
coast city cityscape skyline horizon clouds fog waves plain plains savanna savannah prairie tundra valley canyon hillside
mountainside wilderness""".split())
# Head nouns that make a phrase a setting ("a coastal setting", "a snowy mountain").
SETTING_NOUNS = SCENE_NOUNS | frozenset("""rainforest cityscape city skyline lagoon tundra savanna office bedroom
kitchen countertop deck studio riverbank island village town valley canyon glacier universe space galaxy
underwater seaside beachside coastline volcano prairie farm farmland vineyard orchard""".split()) - frozenset(
    {"wall", "walls", "floor", "surface", "track", "view", "snow", "fog", "clouds", "waves"})

STYLE_TERMS = re.compile(
    r"\b(?:style|styled|watercolou?r|water-colou?r|pencil|sketch|sketched|drawing|cartoon|cartoonish|anime|manga|"
    r"comic|comics|oil painting|painting|painted|acrylic|gouache|pastel drawing|crayon|charcoal|ink drawing|"
    r"line art|ukiyo-e|woodblock|woodcut|engraving|etching|pixel art|pixel-art|8-bit|pop art|pop-art|"
    r"impressionis[mt]\w*|expressionis[mt]\w*|cubis[mt]\w*|surreal\w*|van gogh|monet|picasso|rembrandt|"
    r"ghibli|pixar|disney|claymation|origami|mosaic|stained[- ]glass|cyberpunk|steampunk|vaporwave|synthwave|"
    r"sepia|black[- ]and[- ]white|grayscale|greyscale|monochrome|noir|graffiti|low[- ]poly|3-?d render|"
    r"lego|cross-stitch|embroider\w*|blueprint|art nouveau|art deco|renaissance|baroque|minimalis[mt]\w*|"
    r"vintage photo\w*|retro|polaroid|halftone|chalk|mural|fresco|tapestry|doodle|storybook|"
    r"illustration|illustrated|caricature|silhouette art|neon-soaked|vector art|flat design|psychedelic|trippy|"
    r"album cover|poster art|hand-drawn|hand-painted|comic strip|scribble|contour|line drawing|outline drawing|diorama|"
    r"miniature|tilt-shift|postcard|movie still|film still|video game|clay render|clay figure|claymation figure|toy model)\b",
    re.I)
ENV_TERMS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p, re.I), v) for p, v in (
    (r"\b(?:night(?:time|fall)?|midnight|nocturnal|starry sky|moonlight|moonlit)\b", "at night"),
    (r"\b(?:sunset|dusk|golden hour|evening|twilight)\b", "at sunset"),
    (r"\b(?:sunrise|dawn|morning)\b", "at sunrise"),
    (r"\b(?:winter|wintry|wintery|snow|snowy|snowing|snowfall|snow-covered|blizzard)\b", "in winter with snow"),
    (r"\b(?:autumn|autumnal|fall season|in (?:the )?fall)\b", "in autumn"),
    (r"\b(?:spring|springtime)\b", "in spring"),
    (r"\b(?:summer|summertime)\b", "in summer"),
    (r"\b(?:fog|foggy|mist|misty|haze|hazy)\b", "in fog"),
    (r"\b(?:rain|rainy|raining|storm|stormy|thunderstorm|drizzle|drizzling)\b", "in the rain"),
    (r"\b(?:wet|puddles?|rain-soaked|soaked|damp|waterlogged|rainy (?:street|road|pavement|sidewalk|city)s?)\b",
     "with wet ground and puddles"),
    (r"\b(?:sunny|sunshine|daytime|daylight|midday|noon|day)\b", "on a sunny day"),
    (r"\b(?:cloudy|overcast)\b", "on an overcast day"),
))
ENV_FILLERS = frozenset("""a an the in at on during time of day season weather light lighting scene it make look
like turn into to change a bit more very heavy light golden clear bright dark late early with and covered
full falling gentle thick dense drifting swirling softly one dramatic beautiful vibrant colorful colourful stunning
gorgeous soft warm moody epic orange pink purple red clouds cloudy""".split())

# Head nouns that name a property, a look or an app feature, never a thing in the picture: RES cannot find one.
NOT_OBJECTS = frozenset("""hue hues tint tints filter filters saturation contrast brightness exposure sharpness
resolution quality clarity vibrance warmth temperature change changes hotkey shortcut option
options feature features tool tools function functionality slider menu ability possibility adjustment adjustments
adjusting tweak tweaks edit edits editing improvement improvements fixes correction corrections version versions
vibe mood atmosphere aesthetic theme themes this that""".split())
# Nouns that end in "-ly" (other such last words of a target are adverbs).
LY_NOUNS = frozenset("""lily lilies belly jelly fly butterfly dragonfly firefly family ally holly bully gully rally
doily tally folly assembly anomaly supply monopoly dolly lolly""".split())
VAGUE_WORDS = frozenset("""better nicer prettier good great beautiful pop awesome cool perfect professional
realistic improved nice amazing stunning fixed fix improve enhance enhanced seamless seamlessly natural naturally
consistent coherent blended interesting appealing attractive cleaner clean polished pleasant healthier fresher
nicer-looking lovelier cuter fancier""".split())
# What no brick of the built-in catalog does (the classical tone, restore and geometry bricks do the rest; a
# catalog without them is answered by the recipes, naming the missing brick).
UNSUPPORTED = (
    (r"\bcoloriz\w*|\bcolouriz\w*", "colourising a black-and-white photo"),
)

SLIGHT = r"\b(?:slightly|a (?:little )?bit|a little|a touch|somewhat|subtly|a tad|mildly|gently|a hint)\b"
STRONG = r"\b(?:a lot|much|very|significantly|greatly|considerably|dramatically|way|really|lots|strongly|heavily|" \
         r"substantially|far|extremely|hugely|drastically|massively|seriously|majorly|intensely|tons)\b"

POSE_VERBS = (r"raise|raises|raising|lift|lifts|lower|lowers|wave|waves|waving|tilt|tilts|nod|nods|bow|bows|smile|"
              r"smiles|smiling|frown|frowns|laugh|laughs|laughing|grin|grins|cry|cries|crying|sit|sits|sitting|"
              r"stand|stands|standing|kneel|kneels|jump|jumps|jumping|cross|crosses|fold|folds|bend|bends|open|"
              r"opens|close|closes|look|looks|looking|point|points|pointing|clap|claps|shrug|shrugs|wink|winks|"
              r"stretch|stretches|turn|turns|rotate|hold|holds|put|shake|shakes|run|running|walk|walking|dance|"
              r"dancing|lie|lying|lie down|yawn|yawns|pout|squint|blink|face|kiss|hug|salute|sleep|sleeping|hugging|"
              r"kissing|embrace|kick|kicks|kicking|throw|throws|throwing|catch|fly|flies|flying|swim|swims|swimming|"
              r"climb|climbing|sing|singing|crouch|squat|lean|leaning|roar|bark|barking|yell|shout|shouting|scream|"
              r"screaming|eat|eating|drink|drinking|give a thumbs[- ]up|thumbs[- ]up")
BODY_PARTS = (r"arm|arms|hand|hands|head|leg|legs|face|eyes|eye|mouth|body|chin|shoulder|shoulders|finger|"
              r"fingers|paw|paws|tail|ears|ear|knee|knees|foot|feet|thumb|thumbs|eyebrows|lips|neck|torso|"
              r"expression|pose|posture|gaze")
FEATURES = r"hair|fur|skin|nails|beard|moustache|mustache|feathers|wings|lips|eyelashes|coat|mane|scales|petals"
EXPRESSION_VERBS = (r"smile|smiles|smiling|frown|frowns|laugh|laughs|laughing|grin|grins|cry|cries|crying|sit|"
                    r"sits|sitting|stand|stands|standing|kneel|kneels|jump|jumps|jumping|wave|waves|waving|nod|nods|"
                    r"bow|bows|clap|claps|shrug|shrugs|wink|winks|yawn|yawns|pout|squint|blink|run|running|walk|"
                    r"walking|dance|dancing|lie down|sleep|sleeping|salute|look (?:up|down|left|right|away|at|to|"
                    r"slightly|toward|towards|straight)|looking|turn around|look happy|look sad|look angry|"
                    r"look surprised|look scared|hug|hugs|hugging|kiss|kissing|embrace|hold hands|shake hands|kick|"
                    r"kicks|kicking|throw|throws|throwing|catch|fly|flies|flying|swim|swims|swimming|climb|climbing|"
                    r"sing|singing|eat|eating|drink|drinking|read|reading|play|playing|hide|crouch|squat|lean|leaning|"
                    r"roar|bark|barking|yell|shout|shouting|scream|screaming|ride|riding|give a thumbs[- ]up|"
                    r"give thumbs[- ]up")
# Actions only something alive does ("make the bird fly", "have them hug"); "make the clouds sing" asks no pose.
ANIMATE_ACTIONS = frozenset("""hug hugs hugging kiss kissing embrace kick kicks kicking throw throws throwing catch fly flies
flying swim swims swimming climb climbing sing singing crouch squat lean leaning roar bark barking yell shout shouting
scream screaming eat eating drink drinking""".split())
ANIMATE = (r"\b(?:him|her|them|he|she|they|me|us|person|people|man|men|woman|women|girl|girls|boy|boys|kid|kids|child|"
           r"children|baby|lady|guy|guys|couple|bride|groom|player|players|dog|dogs|puppy|cat|cats|kitten|bird|birds|horse|"
           r"horses|animal|animals|lion|tiger|bear|monkey|cow|sheep|duck|fish|dolphin|eagle|owl|parrot|family|friends?|"
           r"mom|dad|mother|father|son|daughter|brother|sister|student|athlete|dancer|singer|soldier|worker|character)s?\b")
EXPRESSION_ADJ = r"happy|happier|sad|sadder|angry|surprised|scared|smiling|serious|sleepy|excited|shocked|" \
                 r"worried|calm|joyful|cheerful|grumpy|confused"

# Leading verbs, longest alternatives first; each group has a handler below.
VERB_GROUPS: tuple[tuple[str, str], ...] = (
    ("remove", r"get rid of|take out|take away|clear away|clear out|wipe out|rub out|remove|delete|erase|eliminate|"
               r"discard|hide|strip|drop"),
    ("extract", r"cut out|cut-out|crop out|mask out|pull out|segment|extract|isolate|separate|select|"
                r"matte|output|show me|show|give me|return|export|mask"),
    ("outpaint", r"zoom out|pull back|outpaint|uncrop|expand|extend|widen|broaden|lengthen|enlarge the canvas|"
                 r"enlarge the frame"),
    ("add", r"add in|put in|add|insert|place|put|include|introduce|draw|spawn|plant"),
    ("replace", r"replace|swap out|swap|substitute|exchange|switch out|fill"),
    ("blur", r"blur|defocus|soften the background"),
    ("style", r"transfer|stylize|stylise|restyle|redraw|repaint|reimagine|re-imagine|render|apply|recreate|"
              r"cartoonify|cartoonize|animefy|sketchify"),
    ("bright", r"brighten|darken|lighten|dim|illuminate|light up"),
    ("level", r"turn up|turn down|increase|decrease|reduce|boost|raise|lower|enhance|lessen|up|bump up|crank up|"
              r"tone down|amplify|intensify"),
    ("resize", r"resize|enlarge|shrink|scale up|scale down|scale|grow|magnify|minify"),
    ("pose", r"raise|lift|lower|wave|tilt|nod|bow|smile|frown|laugh|grin|cry|sit|stand|kneel|jump|cross|fold|bend|"
             r"open|close|look|point|clap|shrug|wink|stretch|rotate|shake|yawn|pout|squint|blink|face|salute"),
    ("change", r"change|make|turn|convert|transform|adjust|alter|modify|set|switch|recolou?r|colou?r|paint|dye|"
               r"tint|give|update|edit|shift|transition|let|have|get"),
)
VERB_RES = tuple((group, re.compile(rf"^(?:{alts})\b\s*", re.I)) for group, alts in VERB_GROUPS)
# Verbs that start a new edit inside a sentence ("remove the dog and make the sky orange"). Only strong
# ones: "have", "get", "show" ... also occur inside descriptions ("..., and have a whistle").
SPLIT_VERBS = (r"remove|delete|erase|eliminate|get rid of|take out|extract|segment|isolate|cut out|add|insert|place|"
               r"put|replace|swap|substitute|change|make|turn|convert|transform|adjust|alter|modify|recolou?r|"
               r"colou?r|paint|brighten|darken|lighten|increase|decrease|reduce|boost|raise|lower|lift|blur|expand|"
               r"extend|zoom|outpaint|resize|enlarge|shrink|scale|transfer|stylize|stylise|improve|enhance|fix|sharpen|"
               r"denoise|crop|rotate|flip|swap out|clean up|correct|normali[sz]e|dehaze|desaturate|straighten|upscale|upsample|"
               r"colori[sz]e|colouri[sz]e|highlight|emphasi[sz]e|accentuate|fill in|fill")


# -- synonyms and inflection: how people say the verbs of editing ---------------------------------------
# Each paraphrase -> the verb the grammar knows. Phrasal verbs first (longest match wins).
VERB_SYNONYMS: dict[str, str] = {
    # removal
    "obliterate": "remove", "eradicate": "remove", "expunge": "remove", "banish": "remove", "oust": "remove",
    "purge": "remove", "exclude": "remove", "omit": "remove", "abolish": "remove", "annihilate": "remove",
    "negate": "remove", "dissolve": "remove", "detach": "remove", "withdraw": "remove", "abandon": "remove",
    "vanquish": "remove", "nullify": "remove", "void": "remove", "dispel": "remove", "dissipate": "remove",
    "abrogate": "remove", "scrub": "remove", "ditch": "remove", "zap": "remove", "nuke": "remove",
    "lose": "remove", "kill": "remove", "cancel out": "remove", "edit out": "remove", "photoshop out": "remove",
    "wipe away": "remove", "wipe off": "remove", "strip away": "remove", "strip out": "remove", "scrub out": "remove",
    "clean off": "remove", "clean out": "remove", "take off": "remove", "get out": "remove", "paint out": "remove",
    "clone out": "remove", "retouch out": "remove", "airbrush out": "remove", "airbrush away": "remove",
    "blot out": "remove", "do away with": "remove", "free the image of": "remove", "rid the image of": "remove",
    "unmark": "remove", "dispose of": "remove", "leave out": "remove", "cut away": "remove", "scrub away": "remove", "scrub off": "remove", "wash away": "remove",
    "wash off": "remove", "clean away": "remove", "brush away": "remove", "brush out": "remove", "sweep out": "remove",
    "grant": "give", "lend": "give", "endow": "give", "impart": "give", "provide": "give", "award": "give",
    "excise": "remove", "expel": "remove", "evict": "remove", "dismiss": "remove", "vanish": "remove",
    "exile": "remove", "extinguish": "remove", "uproot": "remove", "sweep away": "remove", "terminate": "remove",
    "conceal": "remove", "discard": "remove", "ax": "remove", "axe": "remove", "chuck": "remove", "toss": "remove",
    "continue": "extend",     "relight": "fix the lighting of", "re-light": "fix the lighting of",
    "take down": "decrease", "inject": "add", "stylize": "render", "stylise": "render", "restyle": "render",
    "reimagine": "render", "re-imagine": "render", "depict": "render", "portray": "render", "tone back": "decrease", "shape": "turn", "reshape": "turn", "fashion": "turn",
    # addition
    "embed": "add", "incorporate": "add", "integrate": "add", "position": "add", "stick": "add", "pop in": "add",
    "situate": "place", "station": "place", "nestle": "place",
    "throw in": "add", "sneak in": "add", "drop in": "add", "slip in": "add", "superimpose": "add",
    # change
    "customize": "change", "customise": "change", "refashion": "change", "redesign": "change", "adapt": "change",
    "rearrange": "change", "revamp": "change", "tweak": "change", "rework": "change", "morph": "change",
    # level
    "augment": "increase", "elevate": "increase", "heighten": "increase", "improve": "increase",
    "polish": "increase", "up the": "increase the", "push": "increase", "pump up": "increase",
    "dial up": "increase", "dial down": "decrease", "bring up": "increase", "bring down": "decrease",
    "knock down": "decrease", "pull down": "decrease", "minimize": "reduce", "minimise": "reduce",
    "cut down": "reduce", "diminish": "reduce",
}
_SYNONYM_RE = re.compile(r"^(?P<v>" + "|".join(sorted(map(re.escape, VERB_SYNONYMS), key=len, reverse=True)) + r")\b",
                         re.I)
# Verbs whose -ing / -ed / -s forms the lemmatiser restores (all verb groups, and the synonyms).
KNOWN_VERBS = frozenset(
    {w for _, alts in VERB_GROUPS for alt in alts.split("|") for w in [alt.split()[0]] if w.isalpha()}
    | {v.split()[0] for v in VERB_SYNONYMS} | set("""brighten darken lighten sharpen denoise dehaze deblur unblur
    warm cool desaturate saturate crop rotate flip mirror straighten restore colorize colourize enhance fix clean
    clear recolor recolour expose tone vignette clarify refine amend optimize optimise purify adorn dress clad
    clothe smooth align move whiten fade centre center correct balance tidy remaster upscale trim deepen
    mute strengthen weaken heal patch duplicate""".split()))
_IRREGULAR = {"took": "take", "taken": "take", "got": "get", "gotten": "get", "made": "make", "put": "put",
              "cut": "cut", "lit": "light", "done": "do", "did": "do", "given": "give", "gave": "give", "shown": "show"}


@functools.lru_cache(maxsize=256)  # pure, and asked of the same words several times in one plan
def lemma(word: str) -> str:
    """The base form of an editing verb: removing/removed/removes -> remove, cropping -> crop, tidied -> tidy.
    Words that are not known verbs come back unchanged."""
    w = word.lower()
    if w in KNOWN_VERBS:
        return w
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    for suffix in ("ing", "ed", "es", "s"):
        if not w.endswith(suffix) or len(w) <= len(suffix) + 1:
            continue
        stem = w[: -len(suffix)]
        for candidate in (stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else "",
                          stem[:-1] + "y" if stem.endswith("i") else ""):
            if candidate and candidate in KNOWN_VERBS:
                return candidate
    return w


@functools.lru_cache(maxsize=256)  # pure, and asked of the same words several times in one plan
def canonical_verb(clause: str) -> str:
    """The clause with its leading verb in base form and a paraphrase mapped to the verb the grammar knows:
    "obliterating the car" -> "remove the car", "wipe out the date" -> "remove the date"."""
    m = re.match(r"^([a-z]+)\b", clause)
    if m:
        base = lemma(m.group(1))
        if base != m.group(1).lower():
            clause = base + clause[m.end():]
    s = _SYNONYM_RE.match(clause)
    if s:
        clause = VERB_SYNONYMS[s.group("v").lower()] + clause[s.end():]
    return clause
