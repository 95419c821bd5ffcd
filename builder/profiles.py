"""Builder profiles: how a model Builder is talked to — prompt layout, turns, image size, defaults.

`catalog` is Lego Edit's own form: a system turn with the catalog-generated prompt, then the
instruction in a user turn. `reference` is the form the released Lego-Edit Builder checkpoint was
trained on: ONE user turn holding the image and the whole prompt ("System Role", "Model library",
worked examples, then the instruction in its slot), no system turn, a user mask announced by the
reference's fixed prefix to the instruction, the image resized so its long side is exactly 448 px
(small images are upscaled), fp16 and up to 4096 new tokens. The prompt is generated from the live
catalog, so new bricks appear in it; the structure is what the checkpoint expects.

`render_chat` is the one place the messages a model backend receives are made, so training data
rendered with it is exactly what inference sends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lego_edit.bricks.registry import Brick, BrickRole, Registry

PROFILE_CHOICES = ("auto", "reference", "catalog")
REFERENCE_REPO = "xiaomi-research/lego-edit"  # the released checkpoint: hub repository ...
REFERENCE_SUBFOLDER = "Builder"  # ... and the folder in it that holds the Builder
# The fixed words the reference puts before the instruction when the user drew a mask ("the user
# supplied a mask and wants ..."); the checkpoint learnt to read init[mask] from them.
REFERENCE_MASK_PREFIX = "用户提供了mask并希望"
INSTRUCTION_SLOT = "YourInstruction"
DEFAULT_MAX_NEW_TOKENS = 4096

# The reference's tool order: its numbered PREDICT and EDIT lists. Bricks it does not know follow
# in catalog order, prediction-like ones in the first list and the rest after the edit tools.
REFERENCE_PREDICT = ("INVERSE", "RES", "SOS", "MASK-SEG", "ADD-PRED", "CMI-PRED", "BBOX")
REFERENCE_EDIT = ("FASTINPAINT", "FLUX-FILL", "FLUX-RCM", "FLUX-INPAINT", "FLUX-CBG", "FLUX-STYLE", "COMPOSE",
                  "RESIZE", "FLUX-ENV", "FLUX-POSE", "FLUX-BRIGHT")


@dataclass(frozen=True)
class Profile:
    """What differs between the ways of talking to a model Builder."""

    name: str
    system_turn: bool  # the prompt in a system turn (catalog) or all in the one user turn (reference)
    image_long_side: int
    exact_long_side: bool  # resize to exactly image_long_side (upscaling small images) or only shrink
    gpu_dtype: str  # what dtype "auto" means on a GPU
    max_new_tokens: int


PROFILES: dict[str, Profile] = {
    "reference": Profile("reference", False, 448, True, "float16", DEFAULT_MAX_NEW_TOKENS),
    "catalog": Profile("catalog", True, 448, False, "bfloat16", DEFAULT_MAX_NEW_TOKENS),
}


def is_reference_checkpoint(model: str) -> bool:
    """Is `model` the released Builder: its hub id, the hub id's Builder folder, a snapshot of that
    repository in the hub cache, a folder holding Builder/, or a copy named Builder as the reference
    demo keeps it?"""
    model = (model or "").strip()
    if not model:
        return False
    if model.rstrip("/").lower() in (REFERENCE_REPO, f"{REFERENCE_REPO}/{REFERENCE_SUBFOLDER}".lower()):
        return True
    path = Path(model).expanduser()
    cache_dir = "models--" + REFERENCE_REPO.replace("/", "--")
    if any(part.lower() == cache_dir for part in path.parts):
        return True
    if (path / REFERENCE_SUBFOLDER / "config.json").is_file():
        return True
    return path.name == REFERENCE_SUBFOLDER and (path / "config.json").is_file()


def resolve_profile(name: str = "auto", model: str = "") -> Profile:
    """The profile `name` ("auto": reference for the released checkpoint, catalog otherwise)."""
    name = (name or "auto").strip().lower()
    if name == "auto":
        name = "reference" if is_reference_checkpoint(model) else "catalog"
    if name not in PROFILES:
        raise ValueError(f"unknown builder profile {name!r} (choose from {', '.join(PROFILE_CHOICES)})")
    return PROFILES[name]


# -- the reference prompt ----------------------------------------------------------------------------

SYSTEM_ROLE = (
    "You plan image edits for an engine that chains image models. Turn the user's instruction into a JSON "
    "workflow of model calls that carries it out. Every input of a call comes from the user's image (or mask), "
    "from the words of the instruction (translated into English where a model needs English), or from an "
    "output of an earlier call.")

PROCESSING_RULES = (
    "1. Where inputs come from\n"
    "- An input is one of: the initial image (init[image]) or the user's mask (init[mask]); text taken from the "
    "instruction; an output of an earlier step (stepN[key]); your own English rendering of the instruction's words.\n"
    "2. How to build the workflow\n"
    "a. Find what the instruction acts on and what it asks for, looking at the image.\n"
    "b. Choose a model for each operation whose inputs you can satisfy as its description demands.\n"
    "c. Chain the steps: every step's output must be used later or be part of the result, else leave the step out.")

TYPES = ("Inputs and outputs have one of four types:\n1. Image\n2. Mask\n3. Str (English only)\n4. Float")

CLOSING = ('Here are the image and the user instruction: "' + INSTRUCTION_SLOT + '". '
           "Please output the multi-model collaboration process json.")


def _ports(ports) -> str:
    return "{" + ", ".join(f"{p.type}[{p.name}]" for p in ports) + "}"


def _constraint(brick: Brick) -> str:
    notes = [brick.constraints] if brick.constraints else []
    notes += [f"{p.name}{' (may be null)' if p.optional else ''}: {p.doc}." for p in brick.inputs if p.doc]
    return " ".join(n.strip() for n in notes) or "None"


def reference_entry(number: int, brick: Brick) -> str:
    """One tool of the Model library, in the reference's layout."""
    return "\n".join((f"{number}.{brick.name} ({brick.purpose.rstrip('.')})", f"Input: {_ports(brick.inputs)}",
                      f"Output: {_ports(brick.outputs)}", f"Constraint: {_constraint(brick)}"))


def _library(bricks: Sequence[Brick]) -> tuple[list[Brick], list[Brick]]:
    by_name = {b.name: b for b in bricks}
    known = set(REFERENCE_PREDICT) | set(REFERENCE_EDIT)
    predict = [by_name[n] for n in REFERENCE_PREDICT if n in by_name]
    edit = [by_name[n] for n in REFERENCE_EDIT if n in by_name]
    for b in bricks:
        if b.name not in known:
            (predict if b.role in (BrickRole.SEGMENT, BrickRole.PREDICT) else edit).append(b)
    return predict, edit


def reference_prompt(registry: Registry, *, include_unavailable: bool = False,
                     examples: Sequence[tuple[str, dict[str, Any]]] | None = None) -> str:
    """The whole reference-layout prompt with INSTRUCTION_SLOT where the instruction goes."""
    from lego_edit.builder.prompt import usable_bricks

    if examples is None:
        from lego_edit.builder.examples import reference_examples

        examples = reference_examples()
    bricks = usable_bricks(registry, include_unavailable)
    predict, edit = _library(bricks)
    library = ["**Model library**",
               "The models are of two kinds, PREDICT models and EDIT models.",
               "PREDICT model list:", *(reference_entry(i, b) for i, b in enumerate(predict, 1)), "",
               "EDIT model list:", *(reference_entry(i, b) for i, b in enumerate(edit, 1))]
    parts = ["**System Role**\n" + SYSTEM_ROLE, "**Processing rules**\n" + PROCESSING_RULES,
             "**Input and output types**\n" + TYPES, "\n".join(library)]
    names = {b.name for b in bricks}
    shown = [(instr, wf) for instr, wf in examples
             if all(step.get("model") in names for step in wf["pipeline"] if "model" in step)]
    for i, (instruction, workflow) in enumerate(shown, 1):
        parts.append(f"**Actual example{i}:**\nUser instruction: {instruction}\nExpected output:\n"
                     + json.dumps(workflow, ensure_ascii=False, indent=2))
    parts.append(CLOSING)
    return "\n\n".join(parts)


def reference_instruction(instruction: str, *, has_mask: bool) -> str:
    """The instruction as the slot receives it: the reference's mask prefix first when there is a mask."""
    instruction = instruction.strip()
    return REFERENCE_MASK_PREFIX + instruction if has_mask else instruction


def _extras(constraints: Sequence[Any], previous: Any) -> list[str]:
    """Re-plan context that has no place in the reference layout: after the prompt, only when present."""
    lines = []
    if previous is not None:
        lines.append("Your previous workflow for this instruction was:\n" + previous.to_json(indent=None)
                     + "\nKeep the parts of it that the feedback does not concern unchanged.")
    if constraints:
        lines.append("The user's feedback, which the workflow must respect:\n"
                     + "\n".join(f"- {c.describe()}" for c in constraints))
    return lines


def render_chat(registry: Registry, instruction: str, *, has_mask: bool, constraints: Sequence[Any] = (),
                profile: str = "catalog", previous: Any = None, include_unavailable: bool = False,
                model: str = "") -> list[dict]:
    """The messages a model backend receives for `instruction` ([{"role", "content": str}]); the image
    goes with the first user message. `profile` is "reference", "catalog" or "auto" (decided by
    `model`, the configured checkpoint)."""
    chosen = resolve_profile(profile, model)
    if chosen.system_turn:
        from lego_edit.builder.examples import worked_examples
        from lego_edit.builder.prompt import system_prompt, user_prompt

        system = system_prompt(registry, include_unavailable=include_unavailable, examples=worked_examples())
        return [{"role": "system", "content": system},
                {"role": "user", "content": user_prompt(instruction, has_mask=has_mask, constraints=constraints,
                                                        previous=previous)}]
    head, _, tail = reference_prompt(registry, include_unavailable=include_unavailable).rpartition(INSTRUCTION_SLOT)
    text = head + reference_instruction(instruction, has_mask=has_mask) + tail  # the closing sentence's slot only
    return [{"role": "user", "content": "\n\n".join([text, *_extras(constraints, previous)])}]


def reference_fixups(data: Any) -> Any:
    """The released Builder's answer made runnable the way its prompt meant it, before it is checked.

    As the reference's demo does: an ADD-PRED whose mask is step1[mask] is given no mask (free
    placement) unless the plan also removes something with FLUX-INPAINT. Beyond it, two habits of
    the reference's first worked example, which the checkpoint saw in every prompt: CMI-PRED with
    one "ratio" (all four sides that ratio), and an output declared under another key than its
    reference names ("mask": "step2[image]" is the image). Changes `data` in place and returns it."""
    if not isinstance(data, dict) or not isinstance(data.get("pipeline"), list):
        return data
    steps = [s for s in data["pipeline"] if isinstance(s, dict)]
    removes = any(s.get("model") == "FLUX-INPAINT" for s in steps)
    for step in steps:
        inputs, outputs = step.get("input"), step.get("output")
        if isinstance(inputs, dict):
            if step.get("model") == "ADD-PRED" and not removes and inputs.get("mask") == "step1[mask]":
                inputs["mask"] = None
            sides = ("left_ratio", "right_ratio", "top_ratio", "bottom_ratio")
            if step.get("model") == "CMI-PRED" and "ratio" in inputs and not any(k in inputs for k in sides):
                value = inputs.pop("ratio")
                inputs.update(dict.fromkeys(sides, value))
        if isinstance(outputs, dict):
            for key, ref in list(outputs.items()):
                match = re.fullmatch(rf"step{step.get('step')}\[([\w-]+)\]", ref) if isinstance(ref, str) else None
                if match and match.group(1) != key and match.group(1) not in outputs:
                    outputs[match.group(1)] = outputs.pop(key)
    return data


def builder_image(image: Any, profile: Profile | str):
    """The user's image as the Builder sees it (RGB PIL): reference — long side exactly 448 px, the
    short side truncated as the reference computes it; catalog — shrunk to at most 448 px."""
    from PIL import Image

    chosen = resolve_profile(profile) if isinstance(profile, str) else profile
    pil = image if isinstance(image, Image.Image) else Image.fromarray(
        image[..., :3] if getattr(image, "ndim", 0) == 3 else image)
    pil = pil.convert("RGB")
    side = chosen.image_long_side
    w, h = pil.size
    if chosen.exact_long_side:
        size = (side, max(1, int(h / w * side))) if w > h else (max(1, int(w / h * side)), side) if w < h else (side, side)
        return pil.resize(size) if size != pil.size else pil
    scale = side / max(w, h)
    if scale < 1:
        pil = pil.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.LANCZOS)
    return pil
