"""What the language layer produces: `Edit`s (one per asked-for change) and the special targets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# -- what the parser produces --------------------------------------------------------------------------
SELECTION = "<selection>"  # the user's mask (init[mask])
SUBJECT = "<subject>"  # the most salient object (SOS)
PRONOUN = "<pronoun>"  # "it"/"them" naming an object: resolved against the previous edit


class PlanRefused(ValueError):
    """The rules planner cannot plan this instruction; `reason` says why, for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TextRefused(ValueError):
    """The text cannot be planned; `reason` is meant for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NoBrick(TextRefused):
    """A clear edit that no specialised brick covers ("remove the reflections", "make him bald"): the general
    EDIT brick can do it when an editing engine runs it. `target` is the object it is about (None: the whole
    image), `prompt` the edit in the user's words."""

    def __init__(self, reason: str, prompt: str, target: str | None = None) -> None:
        super().__init__(reason)
        self.prompt = prompt
        self.target = target


class Vague(TextRefused):
    """A clause that asks for no concrete change ("make it better", "make it more seamless")."""


@dataclass(frozen=True)
class Edit:
    """One edit of an instruction.

    kind: remove | recolor | background | blur | style | bright | env | add | extract | outpaint |
          replace | regenerate | pose | resize | crop_to (the window around `target`, `ratio` its margin) |
          look (classical whole-image steps in `ops`) |
          edit (the general EDIT brick, `value` its prompt).
    target: what it applies to — a noun phrase for RES, SELECTION, SUBJECT, PRONOUN, or None for the
            whole image. For background edits: the region to change (None = the background).
    value: the colour/material, new background, style, environment prompt, object to add,
           replacement, or pose prompt.
    keep: background edits: the subject to keep out of the change (noun phrase or SUBJECT).
    """

    kind: str
    target: str | None = None
    value: str | None = None
    ratio: float | None = None  # brightness ratio (0.5 = unchanged) or resize factor
    ratios: tuple[float | None, float | None, float | None, float | None] | None = None  # left, right, top, bottom
    keep: str | None = None
    where: str | None = None  # add: the placement phrase for ADD-PRED
    want_mask: bool = False  # extract: also output the mask
    ops: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()  # look: (brick, inputs) steps, chained
    instead_of: str | None = None  # edit: the specialised brick that would do it but cannot run here
    text: str = ""

    def describe(self) -> str:
        """A short English phrase for the workflow's "process" summary."""
        t, v = _show(self.target), self.value
        if self.kind == "background":
            where = f"change {t} to {v}" if self.target else f"change the background to {v}"
            return where + (f", keeping {_show(self.keep)}" if self.keep else "")
        if self.kind == "bright":
            which = "brighter" if (self.ratio or 0.5) > 0.5 else "darker"
            return f"make {t} {which} (ratio {self.ratio:g})"
        if self.kind == "resize":
            which = "larger" if (self.ratio or 1) > 1 else "smaller"
            return f"make {t} {which} (x{self.ratio:g})"
        if self.kind == "look":
            steps = ", ".join(f"{b}(" + ", ".join(f"{k}={v}" for k, v in args) + ")" for b, args in self.ops)
            where = "the whole image" if self.target is None else _show(self.target)
            return f"adjust {where}: {steps}" + (f", except {_show(self.keep)}" if self.keep else "")
        if self.kind == "extract":
            return f"extract {t}" + (" (cut-out and mask)" if self.want_mask else "")
        phrases = {
            "remove": f"remove {t}", "recolor": f"make {t} {v}", "blur": f"pixelate {t}" if v == "pixelated" else f"blur {t}",
            "style": f"render {t} in {v}", "env": f"set the scene {v}", "add": f"add {v}",
            "outpaint": "expand the canvas: " + _sides(self.ratios), "replace": f"replace {t} with {v}",
            "regenerate": f"redraw {t} as {v}", "pose": f"change the pose: {v}",
            "edit": f"edit {t} as asked: '{v}'", "crop_to": f"crop to {t}",
        }
        return phrases.get(self.kind, self.kind)


def _show(target: str | None) -> str:
    if target is None:
        return "the image"
    return {SELECTION: "the selected region", SUBJECT: "the main subject", PRONOUN: "it"}.get(target, f"the {target}")


def _sides(ratios) -> str:
    names = ("left", "right", "top", "bottom")
    return ", ".join(f"{n} by {r * 100:g}%" for n, r in zip(names, ratios or (), strict=False) if r)


@dataclass(frozen=True)
class Ctx:
    """A clause as the verb handlers see it."""

    clause: str  # the whole clause, lower case (riders included: "to make it lighter")
    core: str  # the clause without riders
    rest: str  # the core after the leading verb
    verb: str
    has_mask: bool
    image_size: tuple[int, int] | None = None
