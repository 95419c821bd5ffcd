"""Which editing engine and VRAM preset the model bricks use, and why, without importing torch.

`[models] engine = "auto"` takes the most preferred engine (catalog rank) whose weights are on this
machine, whose licence the `licence` setting allows, and that fits the card's free memory in some
VRAM preset, the most generous preset first. Instruction engines come before the inpainting ones;
with no GPU the smallest present engine is named (it needs `allow_cpu`). The card is read from
`nvidia-smi`, so `doctor` and `models list` can answer before torch is ever imported.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

from lego_edit.bricks.models.engines.catalog import ENGINES, VRAM_PRESETS, EngineSpec, Kind, by_rank
from lego_edit.bricks.models.settings import ModelSettings


@dataclass(frozen=True)
class Gpu:
    name: str
    total_gb: float
    free_gb: float


_seen: tuple[float, Gpu | None] | None = None


def detect_gpu(max_age: float = 30.0) -> Gpu | None:
    """The first NVIDIA card as nvidia-smi reports it (None without one, or without nvidia-smi); the
    answer is kept `max_age` seconds, as availability checks ask often."""
    global _seen
    now = time.monotonic()
    if _seen is not None and now - _seen[0] < max_age:
        return _seen[1]
    found = _query_nvidia_smi()
    _seen = (now, found)
    return found


def _query_nvidia_smi() -> Gpu | None:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "--query-gpu=name,memory.total,memory.free", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=10, check=True).stdout
        name, total, free = (x.strip() for x in out.splitlines()[0].split(","))
        return Gpu(name, float(total) / 1024, float(free) / 1024)
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def preset_for_card(free_gb: float) -> str:
    """The VRAM preset a card gets when nothing is configured: bf16 above 24 GB free, 8-bit with offload
    down to 16 GB, 4-bit with offload below."""
    if free_gb > 24:
        return "full"
    if free_gb > 16:
        return "standard"
    return "low-vram"


def licence_allows(settings: ModelSettings, engine: EngineSpec) -> bool:
    from lego_edit.bricks.models.known import KNOWN

    return settings.licence != "permissive" or KNOWN[engine.model].commercial


@dataclass(frozen=True)
class Choice:
    engine: EngineSpec | None
    preset: str | None  # VRAM preset; None on a CPU
    reason: str

    @property
    def line(self) -> str:
        if self.engine is None:
            return f"none: {self.reason}"
        preset = f", {self.preset} preset" if self.preset else ""
        return f"{self.engine.name}{preset}: {self.reason}"


def _present(settings: ModelSettings) -> Callable[[EngineSpec], bool]:
    from lego_edit.bricks.models.locate import missing_reason

    return lambda e: missing_reason(e.model, settings) is None


def _preset(settings: ModelSettings, engine: EngineSpec, gpu: Gpu | None) -> str | None:
    if gpu is None:
        return None
    if settings.vram_preset != "auto":
        return settings.vram_preset
    return engine.fits(gpu.free_gb) or "low-vram"


def choose(settings: ModelSettings, *, gpu: Gpu | None | bool = True,
           present: Callable[[EngineSpec], bool] | None = None, instruct_only: bool = False) -> Choice:
    """The engine the bricks would use. `gpu`: True detects the card, None means none, or a Gpu.
    `present`: whether an engine's weights are here (default: the file system). `instruct_only`:
    leave out the inpainting engines unless configured by name (auto keeps FLUX.1 Fill and SD for
    their own backends, which run the Lego-Edit LoRAs as the reference does)."""
    card = detect_gpu() if gpu is True else (gpu or None)
    is_here = present or _present(settings)
    if settings.engine != "auto":
        engine = ENGINES[settings.engine]
        if not licence_allows(settings, engine):
            return Choice(None, None, f"engine {engine.name} is non-commercial and models.licence is permissive")
        if not is_here(engine):
            return Choice(None, None, f"engine {engine.name} is configured but its weights ({engine.model}) are not "
                                      f"here (fix: lego-edit models pull {engine.model})")
        return Choice(engine, _preset(settings, engine, card), "configured in [models] engine")
    allowed = [e for e in by_rank() if licence_allows(settings, e) and not (instruct_only and e.kind != Kind.INSTRUCT)]
    here = [e for e in allowed if is_here(e)]
    licence = " with a permissive licence" if settings.licence == "permissive" else ""
    if not here:
        return Choice(None, None, f"no editing engine{licence} is downloaded")
    if card is None:
        smallest = min(here, key=lambda e: e.vram_gb["full"])
        return Choice(smallest, None, f"no GPU found: the smallest downloaded engine{licence} (needs allow_cpu)")
    if settings.vram_preset != "auto":
        fixed = settings.vram_preset
        for e in here:
            if e.vram_gb[fixed] <= card.free_gb:
                return Choice(e, fixed, f"the most preferred downloaded engine{licence} that fits "
                                        f"{card.free_gb:.1f} GB free in the configured {fixed} preset")
        best = here[0]
        return Choice(best, fixed, f"nothing downloaded fits {card.free_gb:.1f} GB free in the {fixed} preset; "
                                   "the most preferred one is used anyway")
    for e in here:  # bf16 or 8-bit before anything in 4-bit
        preset = e.fits(card.free_gb)
        if preset in ("full", "standard"):
            return Choice(e, preset, f"the most preferred downloaded engine{licence} that fits {card.free_gb:.1f} GB "
                                     f"free on {card.name} ({e.vram_gb[preset]:.0f} GB in the {preset} preset)")
    for e in here:
        if e.fits(card.free_gb):
            return Choice(e, "low-vram", f"only 4-bit with offload fits {card.free_gb:.1f} GB free on {card.name} "
                                         f"({e.vram_gb['low-vram']:.0f} GB)")
    smallest = min(here, key=lambda e: e.vram_gb["low-vram"])
    return Choice(smallest, "low-vram", f"nothing downloaded fits {card.free_gb:.1f} GB free; the smallest is used "
                                        "in the low-vram preset (it may run out of memory)")


def recommend(settings: ModelSettings, gpu: Gpu | None) -> Choice:
    """What auto would pick if every engine were downloaded (for `doctor` before any pull)."""
    return choose(settings, gpu=gpu, present=lambda e: True, instruct_only=settings.engine == "auto")


def describe_presets(engine: EngineSpec) -> str:
    return ", ".join(f"{p} {engine.vram_gb[p]:.0f} GB" for p in VRAM_PRESETS)


def engine_rows(settings: ModelSettings, present: Callable[[EngineSpec], bool] | None = None) -> list[dict]:
    """One row per engine for `models list` and `doctor`: size, licence, VRAM per preset, downloaded."""
    from lego_edit.bricks.models.known import KNOWN

    is_here = present or _present(settings)
    rows = []
    for e in by_rank():
        spec = KNOWN[e.model]
        rows.append({"name": e.name, "model": e.model, "kind": e.kind.value, "size_gb": spec.size_gb,
                     "licence": spec.licence, "commercial": spec.commercial, "what": e.what,
                     "vram_gb": dict(e.vram_gb), "downloaded": bool(is_here(e)),
                     "allowed": licence_allows(settings, e)})
    return rows


def auto_summary(settings: ModelSettings, gpu: Gpu | None) -> list[str]:
    """Lines saying which engine and VRAM preset the bricks use on this machine, and why."""
    card = (f"{gpu.name}, {gpu.free_gb:.1f} of {gpu.total_gb:.1f} GB free" if gpu else "no NVIDIA GPU found")
    lines = [f"card: {card}"]
    if gpu is not None:
        lines.append(f"VRAM preset for this card: {preset_for_card(gpu.free_gb)} "
                     f"({VRAM_PRESETS[preset_for_card(gpu.free_gb)].what})"
                     + (f"; configured: {settings.vram_preset}" if settings.vram_preset != "auto" else ""))
    now = choose(settings, gpu=gpu, instruct_only=settings.engine == "auto")
    lines.append(f"engine ({settings.engine}): {now.line}")
    if now.engine is None or settings.engine == "auto":
        best = recommend(settings, gpu)
        if best.engine is not None and best.engine != now.engine:
            lines.append(f"with every engine downloaded, auto would take {best.line} "
                         f"(lego-edit models pull {best.engine.model})")
    return lines
