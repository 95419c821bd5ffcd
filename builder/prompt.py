"""The Builder's prompt, generated from the live brick catalog.

Every registered brick — built-in or third-party — is described from its declaration (purpose,
typed inputs and outputs, constraints, examples), so a new brick is in the prompt the moment it is
registered. This is the `catalog` profile's prompt (builder/profiles.py has the reference's layout too).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from lego_edit.bricks.checker import ProblemCode
from lego_edit.bricks.registry import Brick, Registry
from lego_edit.bricks.workflow import Workflow

USER_MASK_NOTE = "The user supplied a mask (init[mask])."

FORMAT = """Answer with your reasoning inside <think>...</think>, then ONE JSON object and nothing else:
{"process": "<what the workflow does, in a few words>",
 "pipeline": [
   {"step": 1, "model": "<TOOL>", "input": {"<input>": <value>, ...}, "output": {"<output>": "step1[<output>]", ...}},
   ...,
   {"result": "[stepN[image], ...]"}]}
Rules:
- An input value is a reference or a literal. References: init[image] (the user's image), init[mask] (only when the user supplied a mask), stepN[key] (output `key` of an EARLIER step N). Literals: a string, a number, or null for an optional input.
- Use only the tools listed, only their input and output names, and give every required input.
- An input's type must match: an Image input takes an Image, a Mask input a Mask.
- "result" lists the outputs to return to the user, the final edited image last.
- If the instruction cannot be done with these tools, answer {"refuse": "<why>"} instead."""


def describe_brick(brick: Brick, *, flag_unavailable: bool = False) -> str:
    def port(p) -> str:
        return f"{p.name} ({p.type}{', optional' if p.optional else ''}){': ' + p.doc if p.doc else ''}"

    lines = [f"### {brick.name}", f"Purpose: {brick.purpose}",
             "Inputs: " + "; ".join(port(p) for p in brick.inputs),
             "Outputs: " + "; ".join(port(p) for p in brick.outputs)]
    if brick.constraints:
        lines.append(f"Constraints: {brick.constraints}")
    if flag_unavailable and brick.active_backend() is None:
        lines.append("Note: not installed on this machine; a workflow using it will not run here.")
    for example in brick.examples:
        lines.append(f"Example: {example}")
    return "\n".join(lines)


def usable_bricks(registry: Registry, include_unavailable: bool) -> list[Brick]:
    return [b for b in registry if include_unavailable or b.active_backend() is not None]


def system_prompt(registry: Registry, *, include_unavailable: bool = False,
                  examples: Sequence[tuple[str, dict[str, Any]]] = ()) -> str:
    bricks = usable_bricks(registry, include_unavailable)
    parts = [
        "You are the Builder of Lego-Edit. You read an image and an editing instruction and write a "
        "workflow: a chain of calls to the image tools below that carries out the edit. Think about what "
        "must be segmented, what must change, and in which order; reuse earlier outputs instead of "
        "recomputing them.",
        "## Tools",
        "\n\n".join(describe_brick(b, flag_unavailable=include_unavailable) for b in bricks),
        "## Format",
        FORMAT,
    ]
    names = {b.name for b in bricks}
    shown = [(instr, wf) for instr, wf in examples
             if all(step.get("model") in names for step in wf["pipeline"] if "model" in step)]
    if shown:
        parts.append("## Examples")
        for instruction, workflow in shown:
            parts.append(f"Instruction: {instruction}\n{json.dumps(workflow, ensure_ascii=False)}")
    return "\n\n".join(parts)


def user_prompt(instruction: str, *, has_mask: bool, constraints: Sequence[Any] = (),
                previous: Workflow | None = None) -> str:
    lines = []
    if has_mask:
        lines.append(USER_MASK_NOTE)
    lines.append(f"Instruction: {instruction}")
    if previous is not None:
        lines.append("Your previous workflow for this instruction was:\n" + previous.to_json(indent=None)
                     + "\nKeep the parts of it that the feedback does not concern unchanged.")
    if constraints:
        lines.append("The user's feedback, which the workflow must respect:")
        lines.extend(f"- {c.describe()}" for c in constraints)
    return "\n".join(lines)


# Codes of what can be wrong with a model's answer besides the checker's problems.
NO_JSON = "no_json"  # no JSON object in the answer
NOT_A_WORKFLOW = "not_a_workflow"  # JSON, but not the workflow shape

# How to fix each kind of problem, by checker code (bricks.checker.ProblemCode) or one of the above;
# the repair message adds the hints of the codes its problems carry.
REPAIR_HINTS: dict[str, str] = {
    ProblemCode.BAD_STEP_NUMBER: "Number the steps 1, 2, 3 ... with integers.",
    ProblemCode.DUPLICATE_STEP: "Give every step its own number.",
    ProblemCode.UNKNOWN_BRICK: "Use only the tools the prompt lists, spelled exactly as there.",
    ProblemCode.UNKNOWN_OUTPUT: "Declare only the outputs the tool lists.",
    ProblemCode.BAD_OUTPUT: 'Write each output as "key": "stepN[key]", with the step\'s own number and key.',
    ProblemCode.UNKNOWN_INPUT: "Give only the inputs the tool lists.",
    ProblemCode.MISSING_INPUT: "Give every required input; null is only for an optional input.",
    ProblemCode.TYPE_MISMATCH: "An Image input takes an Image and a Mask input a Mask: stepN[key] has the type of "
                               "output `key` of that step's tool.",
    ProblemCode.BAD_REF: "Refer only to outputs that the earlier steps' tools have.",
    ProblemCode.MISSING_INIT: "init[mask] exists only when the user supplied a mask.",
    ProblemCode.FORWARD_REF: "A step may read only outputs of EARLIER steps.",
    ProblemCode.CYCLE: "A step may read only outputs of EARLIER steps.",
    ProblemCode.BAD_RESULT: '"result" lists outputs of the steps, the final image last, e.g. "[step2[image]]".',
    ProblemCode.CONSTRAINT: "The workflow must respect the user's feedback.",
    NO_JSON: "After the <think> block, answer with ONE JSON object.",
    NOT_A_WORKFLOW: 'The JSON object needs "process" and "pipeline": the steps, then {"result": "[...]"}.',
}


def repair_prompt(problems: Sequence[Any]) -> str:
    """The message sent back after a broken answer: its problems (checker Problems, or anything with
    a `code` and a text), then how to fix each kind of them."""
    listed = "\n".join(f"- {p}" for p in problems)
    hints = dict.fromkeys(REPAIR_HINTS[c] for c in (str(getattr(p, "code", "")) for p in problems)
                          if c in REPAIR_HINTS)
    how = "\nHow to fix them:\n" + "\n".join(f"- {h}" for h in hints) if hints else ""
    return (f"Your workflow cannot run. Problems:\n{listed}{how}\n"
            "Write the whole workflow again with these fixed, in the same format.")
