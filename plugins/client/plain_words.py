"""What an edit's layers, progress and plan are called in plain words, for a painter rather than a developer.

The brick names (RES, FASTINPAINT, ...) are the workflow's vocabulary; a layer panel or a status line
shows what was done instead: "mask: red ball", "result", "Removing (2/3)\u2026". The brick names stay
available for a details view (`EditSession.plan.text`). Standard library only, no host needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .session import GROUP_PREFIX, PlanSummary

# What a brick does, as the -ing form of a verb (the status line) and as a short noun phrase (plan summary).
_DOING = {
    "RES": "Finding", "SOS": "Finding", "MASK-SEG": "Finding", "BBOX": "Finding", "ADD-PRED": "Placing",
    "CMI-PRED": "Placing", "INVERSE": "Preparing the mask", "GROW-MASK": "Preparing the mask",
    "COMPOSE": "Combining", "RESIZE": "Resizing", "FASTINPAINT": "Removing", "FLUX-INPAINT": "Removing",
    "FLUX-FILL": "Adding", "FLUX-RCM": "Recolouring", "FLUX-CBG": "Changing the background",
    "FLUX-STYLE": "Restyling", "FLUX-ENV": "Changing the scene", "FLUX-POSE": "Changing the pose",
    "FLUX-BRIGHT": "Relighting", "EDIT": "Editing", "CONTRAST": "Adjusting the contrast",
    "SATURATION": "Adjusting the colours", "TEMPERATURE": "Warming or cooling", "TINT": "Tinting",
    "WHITE-BALANCE": "Balancing the colours", "EXPOSURE": "Adjusting the brightness",
    "SHADOWS-HIGHLIGHTS": "Lifting shadows and highlights", "VIGNETTE": "Adding a vignette",
    "AUTO-LEVELS": "Setting the tonal range",
    "SHARPEN": "Sharpening", "SMOOTH": "Smoothing", "DENOISE": "Removing noise", "DEHAZE": "Removing haze", "BLUR": "Blurring", "PIXELATE": "Pixelating",
    "UPSCALE": "Upscaling", "DESCRATCH": "Removing scratches", "RED-EYE": "Fixing red eyes",
    "CROP": "Cropping", "ROTATE": "Rotating", "FLIP": "Flipping", "STRAIGHTEN": "Straightening",
    "TRIM": "Trimming", "CROP-EDGES": "Cropping", "CROP-TO": "Cropping",
    "SCALE": "Resizing",
}
_TEXT_INPUTS = ("prompt", "text", "object", "target", "subject", "query")


def doing(brick: str | None) -> str:
    """"Removing" for FASTINPAINT; "Working" for a brick this module does not know."""
    return _DOING.get(str(brick or "").upper(), "Working")


def step_subject(plan: PlanSummary | None, step: int | None, _seen: frozenset[int] = frozenset()) -> str | None:
    """The thing a step is about: its text input ("red ball" for RES(prompt='red ball')), else that of the
    step whose mask it works on (a GROW-MASK of that mask is about the red ball too)."""
    if plan is None or step is None or step in _seen:
        return None
    for entry in plan.steps:
        if entry.number == step:
            for key in _TEXT_INPUTS:
                value = entry.inputs.get(key)
                if isinstance(value, str) and value.strip() and not value.endswith("]"):
                    return " ".join(value.split())
            for value in entry.inputs.values():
                if isinstance(value, str) and value.startswith("step") and value.endswith("[mask]"):
                    number = value[4:value.index("[")]
                    if number.isdigit():
                        return step_subject(plan, int(number), _seen | {step})
    return None


def group_title(instruction: str | None, feedback: Iterable[str] = ()) -> str:
    """"Lego Edit: remove the red ball (keep the shadow)": whole, never cut (hosts show a tooltip if narrow)."""
    text = " ".join((instruction or "re-plan").split())
    notes = [" ".join(f.split()) for f in feedback if f and f.strip()]
    if notes:
        text += " (" + "; ".join(notes) + ")"
    return GROUP_PREFIX + text


def mask_label(plan: PlanSummary | None, step: int | None, taken: Iterable[str] = ()) -> str:
    """"mask: red ball" (what the step looked for), else "mask"; a number added when the name is taken."""
    subject = step_subject(plan, step)
    return _unique(f"mask: {subject}" if subject else "mask", taken)


def result_label(index: int, count: int) -> str:
    """"result" for the one result image; "result 1", "result 2" when the workflow has several."""
    return "result" if count <= 1 else f"result {index + 1}"


def status_line(session: Any, progress: Mapping[str, Any] | None = None) -> str:
    """The status of an `EditSession` in plain words: "Planning\u2026", "Removing (2/3)\u2026", "Done in 1.2 s".

    `progress`: the last `progress` header of this edit (which step runs now)."""
    phase = str(getattr(session.phase, "value", session.phase))
    if phase == "running" and progress:
        step = progress.get("step")
        steps = session.steps or progress.get("steps") or 0
        brick = progress.get("brick") or (session.plan.brick(step) if session.plan is not None else None)
        word = doing(brick)
        subject = step_subject(session.plan, step) if word == "Finding" else None
        counted = f" ({step}/{steps})" if isinstance(step, int) and steps else ""
        return f"{word}{' ' + subject if subject else ''}{counted}\u2026"
    if phase == "running":
        return "Starting\u2026"
    if phase == "planning":
        return "Planning\u2026"
    if phase == "queued":
        return f"Waiting for {session.position} earlier edit(s)\u2026"
    if phase in ("new", "waiting"):
        return "Sending the image\u2026"
    if phase == "failed" and session.failure is not None:
        return session.failure.sentence
    return session.status  # done ("Done in 1.2 s"), cancelled ("Cancelled")


def plan_words(plan: PlanSummary | None) -> str:
    """"find red ball, then remove": the plan as a painter would say it (history entries, summaries)."""
    if plan is None or not plan.steps:
        return "nothing to do"
    words: list[str] = []
    for entry in plan.steps:
        word = doing(entry.brick).lower()
        if word == "finding":
            subject = step_subject(plan, entry.number)
            word = f"find {subject}" if subject else "find the area"
        else:
            word = _base_form(word)
        if not words or words[-1] != word:
            words.append(word)
    return ", then ".join(words)


def _base_form(word: str) -> str:
    head, _, rest = word.partition(" ")
    for ing, base in (("removing", "remove"), ("adding", "add"), ("recolouring", "recolour"),
                      ("changing", "change"), ("restyling", "restyle"), ("relighting", "relight"),
                      ("editing", "edit"), ("adjusting", "adjust"), ("warming", "warm"), ("balancing", "balance"),
                      ("lifting", "lift"), ("sharpening", "sharpen"), ("blurring", "blur"), ("cropping", "crop"),
                      ("rotating", "rotate"), ("flipping", "flip"), ("preparing", "prepare"),
                      ("combining", "combine"), ("resizing", "resize"), ("placing", "place"), ("working", "work")):
        if head == ing:
            return base + (" " + rest if rest else "")
    return word


def _unique(name: str, taken: Iterable[str]) -> str:
    taken = set(taken)
    if name not in taken:
        return name
    number = 2
    while f"{name} ({number})" in taken:
        number += 1
    return f"{name} ({number})"
