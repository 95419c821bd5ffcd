"""What no brick can do from words alone (a second photo, a face swap, reshaping a person, copies, vectors), and
what of that the general EDIT brick can do."""

from __future__ import annotations

import re

from lego_edit.builder.rules.prefilter import gate_of, literal_runs

_PEOPLE = (r"(?:me|myself|us|ourselves|my\s+(?:late\s+|deceased\s+|dead\s+|little\s+|baby\s+)?(?:\w+\s+)?(?:father|mother|dad|mom|"
           r"mum|grandma|grandpa|grandmother|grandfather|nana|brother|sister|son|daughter|husband|wife|boyfriend|"
           r"girlfriend|fiance|fiancee|friend|uncle|aunt|cousin|baby|partner|ex|pet|dog|cat))")


# What no brick can do from words alone: a second photo, a face swap, reshaping a body, copies of a person, vectors.
IMPOSSIBLE = tuple((re.compile(p, re.I), why) for p, why in (
    # What the picture should show has to be worked out first: a puzzle's next move, a diagram, a physical or chemical
    # process, what is wrong in it. The words do not say the edit, so no brick can be chosen from them.
    (r"\b(?:unreasonable|implausible|illogical)\b|\bbased on (?:its|the|their)\b|\bto achieve (?:a|the)\b|"
     r"\b(?:the|a) (?:case|situation|scenario) (?:where|in which)\b|\b(?:draw|add|fill in|complete)\s+(?:the\s+)?(?:image\s+of\s+)?"
     r"(?:the\s+)?missing\s+(?:[\w-]+\s+){0,3}?(?:operation|step|piece|move|number|shape|element)\b|\b(?:tic-tac-toe|sudoku|"
     r"chess ?board|maze|crossword)\b|\b(?:reagent|litmus|titration)\b|\b(?:centroid|incenter|circumcenter)\b|"
     r"\b(?:anhydrous|sulfate|sulphate|chloride|hydroxide|oxide)\b|\bdraw\s+(?:what|how)\b|\bnext move\b|"
     r"\bshortest path\b|\bto satisfy the equation\b|\bafter being\s+\w+\b|\bto (?:match )?the (?:size|height|width|length|scale) of\b|"
     r"\bso that\s+[a-z]\s+(?:has|have|is|are|becomes?)\b|\b(?:complete|bipartite|spanning|directed|binary|planar)\s+"
     r"(?:graph|tree)\b|\b(?:sibling|leaf|root|child)\s+nodes?\b",
     "the edit has to be worked out first (a puzzle, a diagram, a process or what is wrong in the picture), and the "
     "offline planner only plans edits the words say: a model backend (local or openai) can reason about it"),
    # An edit that depends on what the picture shows ("add reflections if there's water in the scene"): the words
    # cannot tell, and a plan would run whether or not the condition holds.
    (r"^(?=.*?\b(?:if|where|wherever)\s+(?:there|the|any)\b)(?!.*\b(?:remov\w*|delet\w*|eras\w*|get rid of|take out|"
     r"clean up)\b).*?(?:"  # a removal finds them or says none
     r"\bif\s+there(?:'s|\s+is|\s+are|'re)\s+(?:an?\s+|any\s+|some\s+)?[\w-]+(?:\s+[\w-]+)?\s+(?:in|on|visible|present)\b|"
     r"\b(?:wherever|where)\s+there(?:'s|\s+is|\s+are)\s+(?:an?\s+|any\s+)?[\w-]+\b|\bif\s+(?:the|any)\s+[\w-]+\s+(?:is|are)\s+"
     r"(?:visible|present|there|in the (?:photo|picture|image|scene|shot))\b)",
     "the edit depends on what the picture shows ('if there is ...'), which the offline planner cannot see: say the edit "
     "plainly for this picture, or use a model backend (local or openai) that looks at the image"),
    (r"\b(?:combine|merge|composite|stitch|blend|mix)\b.*\b(?:photos|images|pictures|pics|shots|these|both|two|2)\b|"
     r"\b(?:these|those|the)\s+(?:2|two|both|three|3)\s+(?:photos|images|pictures|pics|shots)\b|\bfrom (?:another|the other|a "
     r"different|my other|this other) (?:photo|picture|image|pic|shot)\b|\b(?:second|2nd|other) (?:photo|picture|image|pic)\b"
     r"|\b(?:add|insert|put|paste|place|overlay)\s+(?:an?|any|the|my|another|some)\s+(?:other\s+)?(?:image|photo|picture|"
     r"pic)s?\s+(?:from|of mine|i took)\b|\b(?:image|picture|photo|pic|img)[ _-]?(?:2|two|b)\b|\bin\s+(?:image|picture|photo)[ _-]?1\b",
     "it needs a second image, and the offline planner edits one image from words: a model backend (local or openai) "
     "or an editor can combine photos"),
    # A new drawing made from the picture, not an edit of it: a diagram, a sheet of poses, another projection.
    (r"\b(?:isometric|orthographic|axonometric|exploded|cross[- ]section(?:al)?|cutaway)\s+(?:view|diagram|drawing|image|"
     r"illustration|render\w*|style|version)\b|\b(?:pose|model|character|reference|sprite|turnaround|expression)\s+sheets?\b|"
     r"^(?:draw|create|generate|design|produce|make)\s+(?:me\s+)?(?:an?\s+)(?:[\w-]+\s+){0,3}(?:diagram|infographic|flowchart|"
     r"chart|blueprint|floor\s*plan|map|card|poster|flyer|comic|comic strip|storyboard|icons? set|sticker sheet)"
     r"(?:\s*$|\s*:|\s+(?:of|for|from|with|about|showing|that|based)\b)",
     "it asks for a new drawing made from the picture (a diagram, a sheet of poses, another projection), not an edit "
     "of it: a model backend (local or openai) may try"),
    # How many there are, or where one thing stands against another: no brick counts or moves objects.
    (r"(?<!\bto )\b(?:change|set|increase|reduce|decrease|alter)\s+the\s+(?:count|number|amount|quantity)\s+of\b|"
     r"\bturn\s+(?:the\s+)?(?:two|three|four|five|six|\d+)\s+[\w-]+(?:\s+[\w-]+){0,4}?\s+into\s+(?:one|two|three|four|five|\d+)\b|"
     r"\b(?:change|alter|swap)\s+the\s+(?:position|location|placement|place)\s+of\b.*\b(?:above|below|under|behind|next to|"
     r"left of|right of|beside|in front of|on top of)\b",
     "changing how many things there are, or where one stands against another, is not something the bricks do: remove "
     "or add one by name (e.g. 'remove one of the apples', 'add a cup to the left of the plate')"),
    # Another viewpoint, or the scene at another time: what the camera did not see is not in the picture.
    (r"\b(?:(?:change|alter|switch|shift|rotate|move|adjust)\s+(?:the\s+)?(?:camera(?:\s+angle)?|view(?:point|ing angle)?|angle|"
     r"perspective|point of view|pov|vantage point)\b(?!\s+(?:distortion|lines?|correction)\b)|"
     r"(?:bird'?s[- ]eye|top[- ]down|aerial|overhead|worm'?s[- ]eye|side|rear|back)\s+view\b|"
     r"show\s+(?:the\s+|its\s+|their\s+)?(?:back|other side|underside|rear|back side)\b|to\s+show\s+(?:its|their|the)\s+"
     r"(?:back|other side|underside|rear)\b|(?:in|after)\s+\d+\s+years\b|\d+\s+years\s+(?:later|from now|ago)\b|"
     r"(?:view(?:ed)?|seen|shown|shot|show\s+(?:it|the\s+\w+))\s+from\s+(?:above|below|behind|the (?:side|back|front|top|air)|"
     r"a (?:different|higher|lower|low|high) angle|another angle)\b)",
     "another viewpoint or the scene at another time shows what the camera did not see, so no brick can draw it from "
     "this picture: a model backend (local or openai) may try"),
    (r"\bface[- ]?swap|\bswap\s+(?:our|their|the|his|her|my)\s+faces?\b|\bswitch\s+(?:our|their)\s+faces\b",
     "swapping faces needs both faces as images; no brick does that from words"),
    (rf"\b(?:add|put|insert|photoshop|place|include|paste|edit)\s+{_PEOPLE}\s+(?:in|into|to|onto|on|next to|beside|with)\b"
     r"(?!\s+(?:an?|the)\s+(?:[\w,-]+\s+){0,3}?(?:background|backdrop)\b)|"
     rf"\b(?:add|put|insert|photoshop|place|paste)\s+(?:in\s+|back\s+)?{_PEOPLE}"
     r"\s*(?:[.,!?;]|$|instead\b|in\s+(?:her|his|their)\s+place\b)",
     "adding a particular person needs a photo of them; the bricks can only paint new things described in words"),
    (r"\bmake\s+(?:him|her|them|(?:the|this|that|my|our)\s+(?:person|man|woman|girl|boy|guy|lady|kid|child|baby|people|men|"
     r"women|bride|groom|model))\s+(?:look\s+)?(?:a\s+(?:bit|little|lot)\s+)?(?:thinner|slimmer|skinnier|fatter|taller|shorter|"
     r"younger|older|more muscular)\b",
     "reshaping or re-imagining a person is not something the specialised bricks do from words"),
    (r"\bmake\s+(?:me|us|myself)\s+(?:look\s+)?(?:a\s+(?:bit|little|lot)\s+)?(?:thinner|slimmer|skinnier|fatter|taller|shorter|"
     r"younger|older|more muscular|like)\b|\b(?:thinner|slimmer|skinnier)\s+(?:face|waist|arms|legs|body)\b",
     "reshaping or re-imagining a person is not something the specialised bricks do from words"),
    (r"\b(?:\d+\s*x\s*\d+|\d+-by-\d+)\s+grid\b|\b(?:into|as|make|create|build|turn\w*|arrange\w*)\s+(?:an?\s+|the\s+)?"
     r"(?:[\w-]+\s+){0,2}?(?:grid|collage|contact sheet|sprite sheet)\b",
     "a grid or collage of several pictures is a new layout, not an edit of this image"),
    (r"\b(?:draw|fill|paint|put|place|add|crop|cut|mark)\b[^.]*\(\s*\d+\s*,\s*\d+\s*\)",
     "shapes and regions given by pixel coordinates are a job for the host app's tools (its selection, shape and fill "
     "tools); the bricks find where to edit from what is in the picture"),
    (r"\b(?:clone|duplicate|multiply|copy)\s+(?:me|him|her|them|us|my|the|this|that)\b(?!\s+(?:out|stamp))",
     "copying an object to another place is not something the bricks do in one step"),
    (r"\bcolou?ri[sz]\w*", "there is no brick for colourising a black-and-white photo yet: a recolour needs a colour for a "
     "named object (e.g. 'make the dress red')"),
    (r"\bvectori[sz]\w*|\bsvg\b|\banimat(?:e|ion|ed)\b(?!\s+(?:style|movie|film|feature|cartoon|character|look))(?<!style animate)(?<!style animation)(?<!style animated)|\bgif\b|(?<!image/)(?<!photo/)(?<!picture/)\bvideo\b(?![- ]?games?)(?!\s*/\s*(?:image|photo|picture))|\b3d model\b",
     "vectors, animations and videos are not images the bricks make"),
))


# Each pattern with the cheap scan for the words it cannot match without (None: always tried), so a sentence is
# searched only by the patterns whose words it has.
IMPOSSIBLE_GATED = tuple((gate_of(literal_runs(pattern.pattern)), pattern, why) for pattern, why in IMPOSSIBLE)


def impossible_reason(sentence: str) -> str | None:
    """Why no brick can do what `sentence` asks (the first of the table's reasons that applies), or None."""
    for gate, pattern, why in IMPOSSIBLE_GATED:
        if (gate is None or gate.search(sentence)) and pattern.search(sentence):
            return why
    return None


# What the _IMPOSSIBLE table refuses that the general EDIT brick can do (reshape a person, colourise).
EDIT_CAN = re.compile(r"\bmake\s+(?:me|us|myself)\s+(?:look\s+)?(?:a\s+(?:bit|little|lot)\s+)?(?:thinner|slimmer|skinnier|"
                       r"fatter|taller|shorter|younger|older|more muscular)\b|\bcolou?ri[sz]\w*", re.I)
