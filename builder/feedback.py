"""User feedback as constraints on a workflow: parsed from plain English, enforced on the JSON form.

"don't use RES before FASTINPAINT", "don't use SOS", "use MASK-SEG", "keep the sky unchanged" each
become a small frozen value with two faces:

- `describe()` — an English sentence for a model backend's prompt;
- `violations(workflow_dict)` — what a given workflow (the reference JSON form) breaks, one message
  a problem, so the checker can report them and the self-repair loop can send them back.

The rules planner reads the same values to steer its choices. Everything here is pure Python on
plain dicts: no numpy, no registry, so the feedback path costs nothing at daemon start.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

# The built-in catalog's names (bricks/builtin/catalog.py). Third-party bricks can be named too:
# parse_feedback(text, known_bricks=registry.names()).
BUILTIN_BRICKS = (
    "RES", "SOS", "MASK-SEG", "ADD-PRED", "CMI-PRED", "BBOX", "INVERSE", "COMPOSE", "RESIZE", "FASTINPAINT",
    "FLUX-INPAINT", "FLUX-FILL", "FLUX-RCM", "FLUX-CBG", "FLUX-STYLE", "FLUX-ENV", "FLUX-POSE", "FLUX-BRIGHT",
)

# Bricks that only pass a mask on (reshaped, combined, refined). ForbidOrder follows a mask through
# them: RES -> BBOX -> FASTINPAINT still puts RES before FASTINPAINT.
MASK_HELPERS = frozenset({"BBOX", "INVERSE", "COMPOSE", "RESIZE", "MASK-SEG"})

# Bricks that change pixels of the image they are given (what KeepRegion guards against).
EDITING_BRICKS = frozenset({
    "FASTINPAINT", "FLUX-INPAINT", "FLUX-FILL", "FLUX-RCM", "FLUX-CBG", "FLUX-STYLE", "FLUX-ENV", "FLUX-POSE",
    "FLUX-BRIGHT", "COMPOSE", "RESIZE",
})
SEGMENTERS = frozenset({"RES", "SOS", "MASK-SEG"})

# Regions for which a background change (FLUX-CBG) or an environment change (FLUX-ENV) is itself an
# edit of the region, whatever its mask.
BACKGROUND_REGIONS = frozenset({"background", "backdrop", "surroundings", "environment", "setting", "scenery",
                                "scene", "sky", "landscape"})

_REF = re.compile(r"(init|step(\d+))\[([A-Za-z_][A-Za-z0-9_]*)\]")


# -- reading the JSON form ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Step:
    number: Any
    model: str
    inputs: dict[str, Any]


def _as_dict(workflow: Any) -> dict[str, Any]:
    """A workflow dict, or anything with `to_dict()` (bricks.workflow.Workflow)."""
    if isinstance(workflow, dict):
        return workflow
    to_dict = getattr(workflow, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    raise TypeError(f"expected a workflow dict, got {type(workflow).__name__}")


def steps_of(workflow: dict[str, Any]) -> list[_Step]:
    """The tool-call entries of a workflow dict (the result entry and junk are skipped)."""
    found = []
    for entry in workflow.get("pipeline") or ():
        if isinstance(entry, dict) and isinstance(entry.get("model"), str):
            inputs = entry.get("input") if isinstance(entry.get("input"), dict) else {}
            found.append(_Step(entry.get("step"), entry["model"].strip(), inputs))
    return found


def ref_of(value: Any) -> tuple[int | None, str] | None:
    """(step number or None for init, key) if `value` is a reference, else None."""
    if not isinstance(value, str):
        return None
    m = _REF.fullmatch(value.strip())
    if not m:
        return None
    return (None if m.group(1) == "init" else int(m.group(2)), m.group(3))


def result_refs(workflow: dict[str, Any]) -> list[tuple[int | None, str]]:
    raw = workflow.get("result")
    for entry in workflow.get("pipeline") or ():
        if isinstance(entry, dict) and "result" in entry and "model" not in entry:
            raw = entry["result"]
    text = " ".join(map(str, raw)) if isinstance(raw, list) else str(raw or "")
    return [(None if m.group(1) == "init" else int(m.group(2)), m.group(3)) for m in _REF.finditer(text)]


def _consumers(steps: Sequence[_Step], number: Any) -> Iterator[tuple[_Step, str, str]]:
    """(consumer step, its input name, the output key it reads) for each use of step `number`."""
    for s in steps:
        for name, value in s.inputs.items():
            ref = ref_of(value)
            if ref is not None and ref[0] == number:
                yield s, name, ref[1]


def _norm_region(text: str) -> str:
    words = re.sub(r"[^a-z0-9' -]+", " ", text.lower()).split()
    words = [w for w in words if w not in {"the", "a", "an", "this", "that", "my", "our", "its"}]
    return " ".join(words)


def _head(text: str) -> str:
    words = _norm_region(text).split()
    if not words:
        return ""
    head = words[-1]
    return head[:-1] if head.endswith("s") and len(head) > 3 and not head.endswith("ss") else head


# -- constraint types --------------------------------------------------------------------------------
class Constraint:
    """Base of the feedback constraints. Calling one on a workflow (dict or Workflow) lists violations,
    so it can be handed to bricks.checker.check(constraints=...) as is."""

    def describe(self) -> str:  # pragma: no cover - every subclass says it
        raise NotImplementedError

    def violations(self, workflow: dict[str, Any]) -> list[str]:  # pragma: no cover
        raise NotImplementedError

    def __call__(self, workflow: Any) -> list[str]:
        return self.violations(_as_dict(workflow))

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class ForbidBrick(Constraint):
    """The workflow must not use brick `name` at all."""

    name: str

    def describe(self) -> str:
        return f"Do not use {self.name}."

    def violations(self, workflow: dict[str, Any]) -> list[str]:
        return [f"step {s.number} uses {self.name}, which the user asked not to use"
                for s in steps_of(workflow) if s.model == self.name]


@dataclass(frozen=True)
class RequireBrick(Constraint):
    """The workflow must use brick `name` at least once."""

    name: str

    def describe(self) -> str:
        return f"Use {self.name}."

    def violations(self, workflow: dict[str, Any]) -> list[str]:
        if any(s.model == self.name for s in steps_of(workflow)):
            return []
        return [f"the workflow does not use {self.name}, which the user asked for"]


@dataclass(frozen=True)
class ForbidOrder(Constraint):
    """No output of a `first` step may reach a `then` step.

    "Reach" means: a `then` step reads an output of a `first` step directly, or reads a mask that was
    made from a `first` step's mask through mask-only steps (BBOX, INVERSE, COMPOSE, RESIZE, MASK-SEG).
    An edited image flowing on to later edits does not count: in "recolour the car, then remove the
    dog", FASTINPAINT works on the recoloured image, but its mask owes nothing to the car's RES.
    """

    first: str
    then: str

    def describe(self) -> str:
        return (f"Do not use {self.first} before {self.then}: no output of {self.first} (nor a mask derived "
                f"from one) may be an input of {self.then}.")

    def violations(self, workflow: dict[str, Any]) -> list[str]:
        steps = steps_of(workflow)
        by_number = {s.number: s for s in steps}
        found = []
        for s in steps:
            if s.model != self.then:
                continue
            source = self._source(s, by_number)
            if source is not None:
                found.append(f"step {s.number} ({self.then}) uses the output of step {source} ({self.first}); "
                             f"the user asked not to use {self.first} before {self.then}")
        return found

    def _source(self, step: _Step, by_number: dict[Any, _Step]) -> Any:
        seen: set[Any] = set()
        todo = [(ref_of(v), True) for v in step.inputs.values()]
        while todo:
            ref, direct = todo.pop()
            if ref is None or ref[0] is None or ref[0] in seen:
                continue
            seen.add(ref[0])
            producer = by_number.get(ref[0])
            if producer is None:
                continue
            if producer.model == self.first and (direct or ref[1] == "mask"):
                return producer.number
            if producer.model in MASK_HELPERS and ref[1] == "mask":
                todo.extend((ref_of(v), False) for k, v in producer.inputs.items() if k.startswith("mask"))
        return None


@dataclass(frozen=True)
class KeepRegion(Constraint):
    """The named region must come out unchanged. Deliberately simple; a workflow violates it when

    - a RES step segments the region (its prompt is the region, or ends with the region's head noun:
      "blue sky" for "sky") and that mask or cut-out reaches an editing brick — except as the
      subtracted mask of INVERSE, which is how a plan keeps something out of an edit;
    - the region is background-like (background, sky, scenery, ...) and the plan changes the
      background (FLUX-CBG, or any edit through an INVERSE mask: "everything but the subject") or the
      weather/season/time of day (FLUX-ENV);
    - the plan edits the whole image: FLUX-ENV, FLUX-STYLE without a mask, or FLUX-BRIGHT whose
      brightened image is used as a whole (not only cut out again by a segmentation step).
    Edits whose masks come from SOS, MASK-SEG or the user's mask are not judged: their region has
    no name.
    """

    region: str

    def describe(self) -> str:
        return f"Keep the {self.region} unchanged: do not edit it, and do not edit the whole image."

    def violations(self, workflow: dict[str, Any]) -> list[str]:
        steps = steps_of(workflow)
        found = []
        background_like = _head(self.region) in BACKGROUND_REGIONS or _norm_region(self.region) in BACKGROUND_REGIONS
        for s in steps:
            if s.model == "RES" and self.names(s.inputs.get("prompt")) and self._reaches_edit(steps, s.number):
                found.append(f"step {s.number} segments the {self.region} for an edit; the user asked to keep it unchanged")
            elif background_like and (s.model in ("FLUX-CBG", "FLUX-ENV") or self._edits_complement(steps, s)):
                what = "the weather, season or time of day" if s.model == "FLUX-ENV" else "the background"
                also = "" if _head(self.region) == "background" else f", and with it the {self.region}"
                found.append(f"step {s.number} ({s.model}) changes {what}{also}; the user asked to keep the "
                             f"{self.region} unchanged")
            elif self._whole_image(steps, s):
                found.append(f"step {s.number} ({s.model}) edits the whole image, {self.region} included; "
                             "the user asked to keep it unchanged")
        return found

    def names(self, phrase: Any) -> bool:
        """Does `phrase` (a RES prompt, an edit's target) name this region? Equal, or the same head noun."""
        if not isinstance(phrase, str):
            return False
        norm, region = _norm_region(phrase), _norm_region(self.region)
        return bool(region) and (norm == region or _head(norm) == _head(region))

    @staticmethod
    def _reaches_edit(steps: Sequence[_Step], number: Any) -> bool:
        todo, seen = [number], set()
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            for consumer, name, _key in _consumers(steps, n):
                if consumer.model == "INVERSE" and name == "mask2":
                    continue
                if consumer.model in MASK_HELPERS and name.startswith("mask"):
                    todo.append(consumer.number)
                elif consumer.model in EDITING_BRICKS or consumer.model not in SEGMENTERS:
                    return True
        return False

    @staticmethod
    def _edits_complement(steps: Sequence[_Step], step: _Step) -> bool:
        """An editing step whose mask is 'everything but something' (an INVERSE): a background edit."""
        if step.model not in EDITING_BRICKS:
            return False
        by_number = {s.number: s for s in steps}
        r = ref_of(step.inputs.get("mask"))
        producer = by_number.get(r[0]) if r is not None else None
        return producer is not None and producer.model == "INVERSE"

    @staticmethod
    def _whole_image(steps: Sequence[_Step], step: _Step) -> bool:
        if step.model == "FLUX-ENV":
            return True
        if step.model == "FLUX-STYLE":
            return step.inputs.get("mask") is None
        if step.model == "FLUX-BRIGHT":
            uses = list(_consumers(steps, step.number))
            return not uses or any(c.model not in SEGMENTERS for c, _, _ in uses)
        return False


# -- parsing -----------------------------------------------------------------------------------------
_CLAUSE_SPLIT = re.compile(r"\s*(?:[.;!\n]+|,\s*(?:and|but)\s+|\s+(?:and|but)\s+(?=(?:do\s*n[o']t|do not|never|"
                           r"use|keep|avoid|preserve|leave|please|stop|no)\b)|,\s*(?=(?:do\s*n[o']t|do not|never|"
                           r"use|keep|avoid|preserve|leave|please|stop|no)\b))\s*", re.I)
_NEG = r"(?:do\s*n[o'’]?t|do not|never|avoid|stop|no|without|not)"
_USE = r"(?:use|using|run|running|call|calling|apply|applying|put|putting|invoke|the)"
_NAME = r"(?P<{}>[A-Za-z][A-Za-z0-9_ -]*?)"
_KEEP_TAIL = (r"(?:\s+(?:unchanged|untouched|intact|alone|as it is|as is|as it was|the same|same|as before|"
              r"unedited|unmodified|exactly)|\s+(?:the way|how) it (?:is|was))*")
_REGION = r"(?:the\s+|my\s+|this\s+)?(?P<r>[a-z][a-z0-9' -]*?)"

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((kind, re.compile(p, re.I)) for kind, p in (
    ("order", rf"^{_NEG}\s+(?:{_USE}\s+)*{_NAME.format('a')}\s+(?:before|ahead of|prior to|then|followed by|"
              rf"to feed|into|for)\s+(?:the\s+)?{_NAME.format('b')}$"),
    ("order_after", rf"^{_NEG}\s+(?:{_USE}\s+)*{_NAME.format('b')}\s+after\s+(?:the\s+)?{_NAME.format('a')}$"),
    ("order_should", rf"^(?:the\s+)?{_NAME.format('a')}\s+(?:should|must)\s*(?:n[o']t|not| not)\s+(?:come|go|run|"
                     rf"be used)\s+before\s+(?:the\s+)?{_NAME.format('b')}$"),
    ("instead", rf"^(?:please\s+)?(?:use|try)\s+(?:the\s+)?{_NAME.format('a')}\s+(?:instead of|rather than|not)\s+"
                rf"(?:the\s+)?{_NAME.format('b')}(?:\s+instead)?$"),
    ("instead_rev", rf"^(?:please\s+)?replace\s+(?:the\s+)?{_NAME.format('b')}\s+(?:with|by)\s+(?:the\s+)?"
                    rf"{_NAME.format('a')}$"),
    ("keep", rf"^(?:please\s+)?(?:keep|preserve|leave|protect|retain|do\s*n[o'’]?t\s+touch|do not touch|"
             rf"do\s*n[o'’]?t\s+(?:change|alter|modify|edit|affect|recolou?r)|do not (?:change|alter|modify|edit|"
             rf"affect|recolou?r)|never (?:change|touch|alter|modify|edit))\s+{_REGION}{_KEEP_TAIL}$"),
    ("keep_should", rf"^{_REGION}\s+(?:should|must|has to|needs to)\s+(?:stay|remain|be kept|be left|"
                    rf"not (?:change|be changed|be edited|be touched))(?:\s+.*)?$"),
    ("forbid", rf"^{_NEG}\s+(?:{_USE}\s+)*{_NAME.format('a')}(?:\s+(?:at all|please|anymore|any more|again))*$"),
    ("forbid_is", rf"^(?:the\s+)?{_NAME.format('a')}\s+(?:is|was)\s+(?:bad|wrong|not needed|unnecessary|"
                  rf"the problem|broken)$"),
    ("require", rf"^(?:please\s+)?(?:(?:you\s+)?(?:must|should|need to|have to)\s+)?(?:use|try|apply|add|"
                rf"include|run|refine (?:the\s+)?masks? with|with)\s+(?:the\s+)?{_NAME.format('a')}"
                rf"(?:\s+(?:instead|too|as well|please|first|for the masks?|for segmentation))*$"),
))


def brick_name(text: str, known: Iterable[str] = BUILTIN_BRICKS) -> str | None:
    """The known brick `text` names, ignoring case and separators ("mask seg" -> "MASK-SEG")."""
    key = re.sub(r"[\s_-]+", "", text).upper()
    for name in known:
        if re.sub(r"[\s_-]+", "", name).upper() == key:
            return name
    return None


def _clean_region(text: str) -> str:
    text = re.sub(r"^(?:the|my|this|that)\s+", "", text.strip(" .,'\""), flags=re.I)
    return re.sub(r"\s+(?:area|region|part)$", "", text).strip()


def _clause_constraints(clause: str, known: Sequence[str]) -> list[Constraint] | None:
    """Constraints of one clause; None when it matches no pattern (or names no known brick)."""
    for kind, pattern in _PATTERNS:
        m = pattern.match(clause)
        if not m:
            continue
        groups = m.groupdict()
        if kind.startswith("keep"):
            region = _clean_region(groups["r"])
            if region and not brick_name(region, known):
                return [KeepRegion(region.lower())]
            continue
        a = brick_name(groups["a"], known) if groups.get("a") else None
        b = brick_name(groups["b"], known) if groups.get("b") else None
        if a is None or ("b" in groups and b is None):
            continue
        if kind.startswith("order"):
            return [ForbidOrder(a, b)]
        if kind.startswith("instead"):
            return [RequireBrick(a), ForbidBrick(b)]
        if kind.startswith("forbid"):
            return [ForbidBrick(a)]
        return [RequireBrick(a)]
    return None


def _unknown_brick(clause: str, known: Sequence[str]) -> str | None:
    """A brick-looking word (all capitals, maybe with a hyphen) in `clause` that is not a known brick."""
    for token in re.findall(r"\b[A-Z][A-Z0-9]+(?:-[A-Z0-9]+)*\b", clause):
        if brick_name(token, known) is None and token not in {"I", "OK"}:
            return token
    return None


def parse_feedback(text: str, known_bricks: Iterable[str] | None = None) -> list[Constraint]:
    """Constraints from feedback text; ValueError with a readable message for what is not understood.

    Understood (one or several, separated by '.', ';', ', and', 'and'):
    "don't use SOS", "don't use RES before FASTINPAINT", "don't run FASTINPAINT after RES",
    "use MASK-SEG", "use SOS instead of RES", "keep the sky unchanged", "don't change the background",
    "the sky should stay the same".
    """
    known = tuple(known_bricks) if known_bricks is not None else BUILTIN_BRICKS
    clauses = [c.strip(" ,.!'\"") for c in _CLAUSE_SPLIT.split(text or "")]
    clauses = [c for c in clauses if c and c.lower() not in {"please", "thanks", "thank you", "and", "also"}]
    if not clauses:
        raise ValueError("the feedback is empty: say e.g. \"don't use SOS\" or \"keep the sky unchanged\"")
    found: list[Constraint] = []
    for clause in clauses:
        clause = re.sub(r"^(?:please|also|and|but|then|instead)\s+", "", clause, flags=re.I)
        parsed = _clause_constraints(clause, known)
        if parsed is None:
            unknown = _unknown_brick(clause, known)
            if unknown:
                raise ValueError(f"{unknown!r} in {clause!r} is not a brick; the bricks are {', '.join(known)}")
            raise ValueError(
                f"could not turn {clause!r} into a constraint; say e.g. \"don't use SOS\", \"use MASK-SEG\", "
                "\"don't use RES before FASTINPAINT\" or \"keep the sky unchanged\"")
        found.extend(c for c in parsed if c not in found)
    return found
