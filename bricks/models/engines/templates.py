"""Prompts for the model bricks on the editing engines.

Instruction engines (FLUX.2 klein, Qwen-Image-Edit, Kontext) are told what to change and what to
keep; inpainting engines (FLUX.1 Fill, SD) are given a description of what the masked region should
show. The style name follows the reference demo's rules (a missing style is anime, `ink` is Chinese
ink, "style" appended once), shared with the LoRA backend.
"""

from __future__ import annotations

from lego_edit.bricks.models.engines.catalog import Kind

KEEP = "Keep everything else exactly as it is."


def sentence(text: str | None) -> str:
    return " ".join((text or "").split()).rstrip(".")


def style_name(style: str | None) -> str:
    """The reference's style phrase: None/empty -> "anime style", "ink" -> "Chinese ink", "... style"."""
    name = sentence(style)
    if not name:
        return "anime style"
    if "style" not in name.lower():
        name += " style"
    if "ink" in name and "hinese" not in name:
        name = name.replace("ink", "Chinese ink")
    return name


def recolour_instruction(prompt: str) -> str:
    """A bare colour or a short phrase becomes a recolouring of the marked object."""
    text = sentence(prompt)
    return text if len(text.split()) >= 3 else f"the object is {text}"


def prompt_for(brick: str, kind: Kind, *, prompt: str = "", style: str | None = None, masked: bool = False,
               removal: str = "") -> str:
    """The prompt an engine of `kind` gets for `brick` (FLUX-RCM ... EDIT)."""
    text = sentence(prompt)
    instruct = kind == Kind.INSTRUCT
    where = " in the marked area" if masked else ""
    if brick == "FLUX-RCM":
        if not instruct:
            return f"{recolour_instruction(text)}, same shape, texture and lighting"
        if len(text.split()) < 3:
            return f"Make the object{where} {text}, keeping its shape, texture and lighting. {KEEP}"
        return f"{text}. Keep the object's shape, texture and lighting. {KEEP}"
    if brick == "FLUX-STYLE":
        caption = f"{text}. " if text else ""
        if not instruct:
            return f"{caption}{style_name(style)}"
        return f"{caption}Convert the image into {style_name(style)}. Keep the composition and the content."
    if brick == "FLUX-ENV":
        if not instruct:
            return text
        return f"Change the scene: {text}. Keep the objects, the people and the composition unchanged."
    if brick == "FLUX-POSE":
        if not instruct:
            return text
        return f"Change the pose: {text}. Keep the person's identity and clothes and the background unchanged."
    if brick == "FLUX-FILL":
        if not instruct:
            return text
        return f"Add {text}{where}, matching the scene's lighting, perspective and style. {KEEP}"
    if brick == "FLUX-INPAINT":
        if not instruct:
            return removal
        return (f"Remove the object{where} and fill the area with the background that continues the surroundings "
                f"seamlessly. {KEEP}")
    if brick == "FLUX-CBG":
        if not instruct:
            return text
        return f"Replace the background with {text}. Keep the main subject exactly as it is."
    if brick == "EDIT":
        if not instruct:
            return text
        return f"{text}. {KEEP}" if masked else text
    raise KeyError(f"no prompt template for {brick}")
