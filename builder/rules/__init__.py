"""The offline `rules` Builder: a deterministic planner for common edits.

`plan_rules("remove the dog and then make the sky orange")` returns a workflow in the reference
Lego-Edit JSON format and a short reasoning; what it cannot plan —
questions, gibberish, vague wishes, operations no brick does — it refuses with `PlanRefused`, whose
message a user can read.

How it works:
1. the language layer (instruction.py and the modules it uses) turns the text into a list of `Edit`s (kind, target, value ...).
2. Each edit has a few *recipes* — ways to do it with bricks, best first (e.g. a removal:
   RES -> FASTINPAINT -> FLUX-INPAINT; or SOS instead of RES; or FASTINPAINT alone). Without
   feedback the first recipe is taken. With feedback constraints (builder/feedback.py) each recipe
   is tried on the plan so far and the first that breaks nothing (preferring those that use a
   required brick) wins; if none does, the plan is refused naming the constraint.
3. Edits chain: each takes the previous edit's image, and its segmentation runs on that image.

Pure Python with no heavy imports. What the planner knows of the bricks (port names, optional
inputs, edit families) is read off the registry it plans for (the built-in catalog by default) via
builder/tables.py, once per registry, so planning costs a fraction of a millisecond. A recipe that
needs a brick the registry lacks is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lego_edit.builder.rules.edits import SELECTION, Edit, PlanRefused, TextRefused
from lego_edit.builder.rules.honesty import honest_reasoning
from lego_edit.builder.rules.instruction import parse_instruction
from lego_edit.builder.rules.lexicon import KNOWN_VERBS, lemma
from lego_edit.builder.rules.quantities import aspect_of
from lego_edit.builder.rules.quotes import protect, restore
from lego_edit.builder.rules.recipes import INIT_IMAGE, Graph, Policy, choose, make_policy
from lego_edit.builder.rules.reuse import reuse_previous, well_formed
from lego_edit.builder.tables import BrickTables, brick_tables

if TYPE_CHECKING:
    from lego_edit.bricks.registry import Registry

__all__ = ["PlanRefused", "RulesPlan", "plan_rules", "well_formed"]


@dataclass
class RulesPlan:
    reasoning: str
    workflow: dict[str, Any]


# -- the planner ---------------------------------------------------------------------------------------
def plan_rules(instruction: str, *, has_mask: bool = False, constraints: Sequence[Any] = (),
               previous: dict[str, Any] | None = None, registry: Registry | BrickTables | None = None,
               image_size: tuple[int, int] | None = None) -> RulesPlan:
    """Plan `instruction` as a workflow dict (reference format), or raise PlanRefused with the reason.
    The plan uses `registry`'s bricks (the built-in catalog's when None). `image_size` (width, height), when
    known, makes aspect-ratio outpainting exact ("extend to 16:9"); without it a 4:3 image is assumed."""
    protected, quoted = protect(instruction, _leads_a_request)
    try:
        plan = _plan(protected, has_mask, constraints, previous, registry, image_size)
    except PlanRefused as exc:
        if not quoted:
            raise
        raise PlanRefused(restore(exc.reason, quoted)) from None
    return RulesPlan(restore(plan.reasoning, quoted), restore(plan.workflow, quoted)) if quoted else plan


def _leads_a_request(text: str) -> bool:
    """A quoted instruction ('I typed "remove the man"'), not a title ('Open Late Every Day', 'SALE ENDS')."""
    words = text.split()
    if all(w[:1].isupper() or not w[:1].isalpha() for w in words):
        return False
    word = re.match(r"\s*([a-z]+)", text.lower())
    return word is not None and lemma(word.group(1)) in KNOWN_VERBS


def _plan(instruction: str, has_mask: bool, constraints: Sequence[Any], previous: dict[str, Any] | None,
          registry: Registry | BrickTables | None, image_size: tuple[int, int] | None) -> RulesPlan:
    general, hint, runnable = _general_edit(registry)
    bricks = runnable if runnable is not None else brick_tables(registry)
    try:
        edits, notes = parse_instruction(instruction, has_mask, image_size, general_edit=general, edit_hint=hint)
    except TextRefused as exc:
        raise PlanRefused(exc.reason) from None
    policy = make_policy(constraints, has_mask, general_edit=general)
    g = Graph(bricks)
    image = INIT_IMAGE
    results: list[str] = []
    lines: list[str] = []
    for index, edit in enumerate(edits, start=1):
        g, out = choose(g, edit, image, results, policy)
        image = out.image
        results.extend(out.results)
        lines.append(f"({index}) {edit.describe()}: {out.how}.")
    process = ", then ".join(e.describe() for e in edits)
    workflow = g.to_dict(process, [*results, image] if image != INIT_IMAGE or not results else results)
    missing = [p for c in policy.constraints for p in c.violations(workflow)]
    if missing:
        raise PlanRefused(f"this instruction cannot be planned to honour the feedback: {missing[0]}")
    if image_size is None and any(e.kind == "outpaint" and aspect_of(e.text) for e in edits):
        notes = [*notes, "the image size was not given, so the canvas ratios assume a 4:3 image"]
    reasoning = _reasoning(edits, lines, notes, policy)
    if previous is not None:
        reused, reuse_note = reuse_previous(previous, workflow, policy, bricks)
        if reused == previous and reused != workflow:  # its own steps, not the lines above, describe it
            honoured = " ".join(c.describe() for c in policy.constraints)
            reasoning = f"{reuse_note} Feedback honoured: {honoured}" if honoured else reuse_note
        else:
            reasoning += " " + reuse_note
        workflow = reused
    return RulesPlan(honest_reasoning(reasoning, workflow, registry), workflow)


EDIT_FIX = "lego-edit models pull flux2-klein-4b"  # what makes the general EDIT brick run, when its backend says nothing
_RUNNABLE: dict[tuple[int, frozenset[str]], BrickTables] = {}


def _general_edit(registry: Registry | BrickTables | None) -> tuple[bool, str | None, BrickTables | None]:
    """(the EDIT brick can run, what would make it run when it cannot, the runnable bricks' tables or None for all).

    Only a live registry says what can run; with the catalog's declarations alone (no registry) EDIT counts as not
    running, as it has no offline version. Where EDIT runs, bricks that cannot run here are left out of the
    tables, so an edit whose only brick is unavailable (e.g. FLUX-POSE without its model) goes to EDIT."""
    get = getattr(registry, "get", None)
    brick = get("EDIT") if callable(get) else None
    if brick is None and (registry is None or "EDIT" in brick_tables(registry).names):
        return False, f"the general EDIT brick could do it once an editing engine is installed: {EDIT_FIX}", None
    if brick is None:
        return False, ("the general EDIT brick could do it with an editing engine: it needs a catalog with EDIT and "
                       f"{EDIT_FIX}"), None
    if brick.active_backend() is None:
        fix = next((b.fix for b in brick.backends if b.fix), "") or EDIT_FIX
        return False, f"the general EDIT brick could do it once an editing engine is installed: {fix}", None
    bricks = list(registry)  # type: ignore[arg-type]
    off = frozenset(b.name for b in bricks if b.active_backend() is None)
    if not off:
        return True, None, None
    key = (id(registry), off)
    tables = _RUNNABLE.get(key)
    if tables is None:
        if len(_RUNNABLE) > 32:
            _RUNNABLE.clear()
        tables = _RUNNABLE[key] = BrickTables.of(b for b in bricks if b.name not in off)
    return True, None, tables


def _reasoning(edits: Sequence[Edit], lines: Sequence[str], notes: Sequence[str], policy: Policy) -> str:
    count = "one edit" if len(edits) == 1 else f"{len(edits)} edits, each working on the result of the one before"
    parts = [f"The instruction asks for {count}.", *lines]
    if policy.constraints:
        parts.append("Feedback honoured: " + " ".join(c.describe() for c in policy.constraints))
    if policy.has_mask and not any(SELECTION in (e.target, e.keep) for e in edits):
        parts.append("The user's mask is not needed: the instruction names what to edit.")
    parts.extend(f"Note: {n}." for n in notes)
    return " ".join(parts)
