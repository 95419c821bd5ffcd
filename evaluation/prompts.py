"""The judge's prompts, written for Lego Edit from the published descriptions of two protocols.

GEdit-Bench (VIEScore): semantic consistency is judged on the source and the edited image together, as
two scores from 0 to 10 — did the edit do what was asked, and was nothing else changed — of which the
lower counts; perceptual quality is judged on the edited image alone, again as two scores (does it look
natural, is it free of artefacts), the lower counting. Both are answered as a small JSON object.

ImgEdit-Bench: one question per edit type with three criteria on a 1–5 scale, answered as one line per
criterion after a short reasoning line; an item's score is the mean of the three.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLE = ("You grade the output of an image-editing system. Be strict and brief. The pictures were made by software; "
        "any people in them are not real.")

GEDIT_ANSWER = ('Answer with JSON only, exactly in this shape: {"score": [FIRST, SECOND], "reasoning": "one short '
                'sentence"}, where FIRST and SECOND are whole numbers from 0 to 10.')

GEDIT_SC = f"""{ROLE}
You see two pictures: the first is the original, the second is the original after an edit was applied.
The edit was asked for with this instruction: {{instruction}}

Give two scores from 0 to 10.
FIRST — did the edit happen as asked? 0: the second picture ignores the instruction; 10: it carries the
instruction out completely and correctly.
SECOND — was only what the instruction names changed? 0: the second picture is a different scene from the
original; 10: everything the instruction does not mention is exactly as in the original.
{GEDIT_ANSWER}"""

GEDIT_PQ = f"""{ROLE}
You see one picture. Judge only how it looks, not what it shows or whether it matches any request.

Give two scores from 0 to 10.
FIRST — does it look natural? 0: impossible lighting, perspective or shapes, clearly fake; 10: it could be an
untouched photograph (or a clean artwork of its style).
SECOND — is it free of artefacts? 0: heavy smears, seams, blur, noise, distorted parts or broken texture;
10: none at all.
{GEDIT_ANSWER}"""


def gedit_sc_prompt(instruction: str) -> str:
    return GEDIT_SC.replace("{instruction}", instruction)


@dataclass(frozen=True)
class Criterion:
    name: str  # printed in the prompt and expected back verbatim, e.g. "Prompt Compliance"
    low: str  # what a 1 means
    high: str  # what a 5 means

    @property
    def key(self) -> str:
        return "_".join("".join(c if c.isalnum() else " " for c in self.name.lower()).split())


def _c(name: str, low: str, high: str) -> Criterion:
    return Criterion(name, low, high)


_NATURAL = _c("Visual Naturalness", "broken, smeared or obviously pasted; clashing colour or resolution",
              "seamless: nobody could tell where the picture was edited")
_INTEGRITY = _c("Detail Integrity", "the rest of the picture is damaged, warped or changed; physics is wrong "
                "(floating, missing shadows)", "everything outside the edit is untouched and the edit obeys light, "
                "perspective and contact")

IMGEDIT_CRITERIA: dict[str, tuple[Criterion, ...]] = {
    "add": (_c("Prompt Compliance", "nothing added, or the wrong thing", "exactly the object asked for, in the "
               "number, place, size and look asked for"), _NATURAL, _INTEGRITY),
    "remove": (_c("Prompt Compliance", "the object is still there, or something else was removed", "the object and "
                  "all of its traces (shadow, reflection) are gone and nothing else is"),
               _c("Visual Naturalness", "a blurred hole, smear or ghost where the object was", "the filled area "
                  "continues the surroundings so well that it cannot be found"), _INTEGRITY),
    "replace": (_c("Prompt Compliance", "the target is unchanged or an unrelated object was changed", "the target is "
                   "fully replaced by exactly the new object described"), _NATURAL, _INTEGRITY),
    "adjust": (_c("Prompt Compliance", "the attribute (colour, material, size, shape...) did not change, or changed "
                  "on the wrong object", "the named attribute of the named object changed exactly as asked"),
               _c("Visual Seamlessness", "visible edges, halos or colour bleeding around the change", "the change "
                  "looks as if the object had always been that way"),
               _c("Detail Fidelity", "texture, shading or the object's identity lost; the rest of the picture "
                  "changed", "shading, texture and everything else preserved")),
    "style": (_c("Style Fidelity", "no trace of the requested style", "the whole picture convincingly rendered in "
                 "the requested style"),
              _c("Content Preservation", "the scene's objects, layout or identities are lost", "every object and the "
                 "composition remain recognisable"),
              _c("Rendering Quality", "muddy, noisy or broken rendering", "clean, consistent rendering without "
                 "artefacts")),
    "background": (_c("Instruction Compliance", "the background is unchanged or not what was asked", "the background "
                      "is exactly the one asked for"),
                   _c("Visual Seamlessness", "cut-out edges, halos or missing parts of the subject", "the subject sits "
                      "in the new background with clean edges"),
                   _c("Physical Consistency", "the subject's light, scale or perspective contradict the new "
                      "background", "light, shadows, scale and perspective agree")),
    "extract": (_c("Object Identity", "the wrong object, or several objects, were extracted", "exactly the object "
                   "asked for, complete"),
                _c("Mask Precision", "rough edges, background left in, parts of the object cut away", "clean, tight "
                   "edges and nothing of the background"),
                _c("Visual Quality", "the object is damaged, blurred or recoloured", "the object is as sharp and "
                   "true as in the original")),
    "action": (_c("Action Fidelity", "the pose or action is unchanged or wrong", "the subject performs exactly the "
                  "action asked for"),
               _c("Identity Preservation", "the subject became someone or something else", "the same subject: face, "
                  "clothes, colours and proportions kept"),
               _c("Anatomical Coherence", "broken limbs, extra fingers, impossible bodies", "a natural, physically "
                  "possible body in a coherent scene")),
    "compose": (_c("Instruction Compliance", "few of the requested edits were made", "every requested edit was made "
                   "correctly"), _NATURAL,
                _c("Physical Consistency", "the edits contradict each other or the scene", "the edits agree with "
                   "each other and with the scene's light and perspective")),
}

GENERIC_CRITERIA = (_c("Prompt Compliance", "the instruction was not carried out", "the instruction was carried out "
                       "completely and correctly"), _NATURAL, _INTEGRITY)


def imgedit_criteria(edit_type: str | None) -> tuple[Criterion, ...]:
    """ImgEdit's criteria for one of its nine types; the three general ones for any other type."""
    return IMGEDIT_CRITERIA.get(edit_type or "", GENERIC_CRITERIA)


def imgedit_prompt(instruction: str, edit_type: str | None) -> str:
    criteria = imgedit_criteria(edit_type)
    kind = f"a {edit_type} edit" if edit_type in IMGEDIT_CRITERIA else "an edit"
    lines = [ROLE, f"You see two pictures: the first is the original, the second is the result of {kind}.",
             f"The instruction was: {instruction}", "",
             "Score each criterion from 1 (worst) to 5 (best); 2 to 4 lie in between."]
    for c in criteria:
        lines.append(f"{c.name}: 1 = {c.low}; 5 = {c.high}.")
    lines += [f"The second and third scores may not be higher than the first ({criteria[0].name}).", "",
              "Answer in exactly these lines and nothing else:", "Brief reasoning: at most 20 words"]
    lines += [f"{c.name}: a whole number from 1 to 5" for c in criteria]
    return "\n".join(lines)


def side_by_side_note(count: int) -> str:
    """Said to a model that sees several pictures joined into one, left to right."""
    return "" if count < 2 else (f"(The {count} pictures are shown side by side in one image, left to right, "
                                 "separated by a white bar.)\n")
