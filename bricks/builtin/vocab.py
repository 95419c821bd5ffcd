"""The one colour vocabulary: names -> RGB, other words for them, and hue ranges. Pure Python.

The classical recolour and background bricks paint `RGB`; RES by rules finds `HUE_RANGES`; the
Builder reads `COLOUR_WORDS` to tell a colour from an object. Everything else is derived from here.
"""

from __future__ import annotations

# The colours the classical bricks can paint, by name (multi-word names are one colour).
RGB: dict[str, tuple[int, int, int]] = {
    "red": (200, 30, 30), "dark red": (130, 12, 20), "crimson": (220, 20, 60), "orange": (245, 130, 30),
    "yellow": (245, 210, 40), "gold": (212, 175, 55), "green": (40, 160, 60), "dark green": (20, 90, 40),
    "light green": (140, 215, 120), "lime": (130, 220, 40), "teal": (0, 128, 128), "turquoise": (64, 210, 200),
    "cyan": (40, 200, 220), "blue": (30, 80, 200), "light blue": (135, 190, 235), "sky blue": (120, 185, 235),
    "navy": (20, 30, 110), "dark blue": (20, 35, 120), "purple": (120, 50, 160), "violet": (150, 90, 200),
    "lavender": (190, 170, 225), "magenta": (210, 40, 160), "pink": (245, 160, 190), "brown": (120, 75, 40),
    "light brown": (170, 120, 75), "dark brown": (80, 50, 25), "beige": (225, 205, 170), "cream": (250, 240, 210),
    "black": (20, 20, 20), "white": (245, 245, 245), "gray": (128, 128, 128), "light gray": (190, 190, 190),
    "dark gray": (70, 70, 70), "silver": (192, 192, 196),
}

# Other words for a colour of RGB.
ALIASES: dict[str, str] = {
    "grey": "gray", "golden": "gold", "navy blue": "navy", "aqua": "cyan", "scarlet": "red", "maroon": "dark red",
    "tan": "light brown", "light grey": "light gray", "dark grey": "dark gray",
}

# Words for a hue rather than a colour to paint ("a reddish object"): found by RES, never painted.
TINTS: dict[str, str] = {"reddish": "red", "bluish": "blue", "greenish": "green", "yellowish": "yellow"}

# Hue families RES by rules can find: (hue ranges on OpenCV's 0..180 scale, s_min, s_max, v_min, v_max).
HUE_RANGES: dict[str, tuple[tuple[tuple[int, int], ...], int, int, int, int]] = {
    "red": (((0, 5), (170, 180)), 100, 255, 60, 255),
    "orange": (((6, 21),), 120, 255, 120, 255),
    "yellow": (((21, 35),), 90, 255, 110, 255),
    "gold": (((17, 32),), 90, 255, 90, 255),
    "green": (((35, 85),), 60, 255, 40, 255),
    "cyan": (((85, 100),), 60, 255, 60, 255),
    "blue": (((100, 130),), 70, 255, 40, 255),
    "purple": (((128, 155),), 50, 255, 40, 255),
    "magenta": (((145, 170),), 80, 255, 60, 255),
    "pink": (((145, 180), (0, 10)), 25, 140, 150, 255),
    "brown": (((0, 25),), 60, 255, 30, 150),
    "white": (((0, 180),), 0, 40, 200, 255),
    "black": (((0, 180),), 0, 255, 0, 50),
    "gray": (((0, 180),), 0, 35, 70, 200),
}

# How the offline caption names the hue of a coloured pixel: (h_lo, h_hi exclusive, name), OpenCV's scale.
CAPTION_HUES: tuple[tuple[int, int, str], ...] = (
    (0, 5, "red"), (5, 21, "orange"), (21, 35, "yellow"), (35, 85, "green"), (85, 100, "teal"), (100, 130, "blue"),
    (130, 150, "purple"), (150, 170, "pink"), (170, 181, "red"))

# The hue family of named colours that are not a family themselves.
HUE_FAMILY: dict[str, str] = {"silver": "gray", "violet": "purple", "turquoise": "cyan", "teal": "cyan",
                              "crimson": "red", "navy": "blue"}

# Words that make a colour lighter or darker ("light blue" is a name; "pale blue" is blue made lighter).
LIGHTER = frozenset({"light", "lighter", "pale", "pastel", "soft"})
DARKER = frozenset({"dark", "darker", "deep"})

# Colours the vocabulary knows as words but has no RGB or hue range for: a text mentioning one is about
# colour (the Builder plans a recolour), though the classical bricks cannot paint it.
_UNPAINTED = frozenset("""beige burgundy olive lilac indigo azure ivory khaki coral salmon peach mint emerald amber
bronze copper rose ruby sapphire mustard ochre plum fuchsia blond blonde auburn platinum rainbow multicolored
multicoloured colorful colourful charcoal chocolate pinkish brownish orangey""".split()) - set(RGB)


def canonical(name: str) -> str | None:
    """The RGB name a colour word or phrase stands for ("grey" -> "gray"), or None."""
    name = ALIASES.get(name, name)
    return name if name in RGB else None


def hue_family(word: str) -> str | None:
    """The HUE_RANGES family a colour word belongs to ("teal" -> "cyan", "reddish" -> "red"), or None."""
    if word in TINTS:
        return TINTS[word]
    name = ALIASES.get(word, word)
    name = HUE_FAMILY.get(name, name)
    return name if name in HUE_RANGES else None


# Every single word that names a colour.
COLOUR_WORDS: frozenset[str] = frozenset(
    {n for n in (*RGB, *ALIASES) if " " not in n} | set(TINTS) | _UNPAINTED)
