"""The reasoning says what will really run: a FLUX-* step on its classical (OpenCV) backend is not a diffusion edit.

The brick names keep the paper's FLUX- prefix whatever runs them. Where the registry planned for runs such a step
on its classical backend, the reasoning names the step without "FLUX" and says in plain words what the offline
version does instead, so a painter is not promised a generated scene that a colour grading will deliver.
"""

from __future__ import annotations

import re
from typing import Any

# What each FLUX-* brick's classical backend does, in plain words (bricks/builtin: color, style, refine).
OFFLINE_DOES: dict[str, str] = {
    "FLUX-INPAINT": "matches the film grain over the quick fill, no diffusion refinement",
    "FLUX-RCM": "shifts the object's colour with OpenCV, keeping its shading; materials are not painted",
    "FLUX-CBG": "fills the background with a plain colour, a gradient or a blur, no generated scene",
    "FLUX-STYLE": "applies an OpenCV filter, not a generated painting",
    "FLUX-ENV": "grades the colours toward that light, no generated weather or scene",
    "FLUX-BRIGHT": "scales the brightness",
}


def classical_flux_steps(workflow: dict[str, Any], registry: Any) -> list[str]:
    """The FLUX-* bricks of `workflow` that `registry` (a live Registry) runs on a classical backend. With no live
    registry (the catalog's declarations only) nothing is known of backends: []."""
    get = getattr(registry, "get", None)
    if not callable(get):
        return []
    used = []
    for step in workflow.get("pipeline", []):
        name = step.get("model")
        if isinstance(name, str) and name.startswith("FLUX-") and name not in used:
            used.append(name)
    found = []
    for name in used:
        brick = get(name)
        backend = brick.active_backend() if brick is not None else None
        if backend is not None and backend.kind == "classical":
            found.append(name)
    return found


def honest_reasoning(reasoning: str, workflow: dict[str, Any], registry: Any) -> str:
    """`reasoning` with each classically-run FLUX-* step renamed (FLUX-ENV -> ENV) and a note on what it does
    offline."""
    steps = classical_flux_steps(workflow, registry)
    if not steps:
        return reasoning
    for name in steps:
        reasoning = re.sub(rf"\b{re.escape(name)}\b", name.removeprefix("FLUX-"), reasoning)
    said = "; ".join(f"{name.removeprefix('FLUX-')} {OFFLINE_DOES.get(name, 'runs its classical version')}"
                     for name in steps)
    return f"{reasoning} Offline here (no model for it): {said}."
