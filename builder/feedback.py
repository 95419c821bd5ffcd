"""User feedback as constraints on a workflow: parsed from plain English, enforced on the JSON form.

"don't use RES before FASTINPAINT", "don't use SOS", "use MASK-SEG", "keep the sky unchanged" each
become a small frozen value with two faces:

- `describe()` — an English sentence for a model backend's prompt;
- `violations(workflow_dict)` — what a given workflow (the reference JSON form) breaks, one message
  a problem, so the checker can report them and the self-repair loop can send them back.

The rules planner reads the same values to steer its choices. Everything here works on plain dicts;
what it knows of the bricks (their names, roles and mask ports) comes from the registry through
builder/tables.py, so a third-party brick can be named in feedback and is judged by its role.
Nothing here loads the image stack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lego_edit.bricks.refs import Ref
from lego_edit.builder.tables import BrickTables, brick_tables

if TYPE_CHECKING:
    from lego_edit.bricks.registry import Registry

# The brick whose mask2 is taken away from mask1: a mask that reaches an edit only as INVERSE's mask2
# is kept out of the edit, and an edit through an INVERSE mask is an edit of "everything else".
COMPLEMENT = "INVERSE"

# Regions for which a background change (family "background") or an environment change (family
# "env") is itself an edit of the region, whatever its mask.
BACKGROUND_REGIONS = frozenset({"background", "backdrop", "surroundings", "environment", "setting", "scenery",
                                "scene", "sky", "landscape"})


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
            raw_inputs = entry.get("input")
            inputs = raw_inputs if isinstance(raw_inputs, dict) else {}
            found.append(_Step(_step_number(entry.get("step")), entry["model"].strip(), inputs))
    return found


def _step_number(value: Any) -> Any:
    """A step number as the constraints key steps by: a list or object (a malformed step, which the
    checker reports) stands in as a short text, so it can be a dict key and a message part."""
    try:
        hash(value)
    except TypeError:
        text = repr(value)
        return text if len(text) <= 40 else text[:39] + "\u2026"
    return value


def result_refs(workflow: dict[str, Any]) -> list[Ref]:
    """The references the workflow's result names (the reference format's `[step1[image], ...]` text)."""
    raw = workflow.get("result")
    for entry in workflow.get("pipeline") or ():
        if isinstance(entry, dict) and "result" in entry and "model" not in entry:
            raw = entry["result"]
    text = " ".join(map(str, raw)) if isinstance(raw, list) else str(raw or "")
    return list(Ref.find_all(text))


def _consumers(steps: Sequence[_Step], number: Any) -> Iterator[tuple[_Step, str, str]]:
    """(consumer step, its input name, the output key it reads) for each use of step `number`."""
    for s in steps:
        for name, value in s.inputs.items():
            ref = Ref.parse(value)
            if ref is not None and ref.step == number:
                yield s, name, ref.key


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


def _tables_field() -> Any:
    """The bricks a constraint judges by (their roles and mask ports): those of the registry the feedback
    was parsed against; None stands for the built-in catalog. Not part of the constraint's value."""
    return field(default=None, compare=False, repr=False, kw_only=True)


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
    made from a `first` step's mask through mask-only steps (the mask helpers of builder/tables.py:
    BBOX, INVERSE, COMPOSE, RESIZE, MASK-SEG among the built-in bricks). An edited image flowing on to
    later edits does not count: in "recolour the car, then remove the dog", FASTINPAINT works on the
    recoloured image, but its mask owes nothing to the car's RES.
    """

    first: str
    then: str
    bricks: BrickTables | None = _tables_field()

    def describe(self) -> str:
        return (f"Do not use {self.first} before {self.then}: no output of {self.first} (nor a mask derived "
                f"from one) may be an input of {self.then}.")

    def violations(self, workflow: dict[str, Any]) -> list[str]:
        tables = brick_tables(self.bricks)
        steps = steps_of(workflow)
        by_number = {s.number: s for s in steps}
        found = []
        for s in steps:
            if s.model != self.then:
                continue
            source = self._source(s, by_number, tables)
            if source is not None:
                found.append(f"step {s.number} ({self.then}) uses the output of step {source} ({self.first}); "
                             f"the user asked not to use {self.first} before {self.then}")
        return found

    def _source(self, step: _Step, by_number: dict[Any, _Step], tables: BrickTables) -> Any:
        seen: set[Any] = set()
        todo = [(Ref.parse(v), True) for v in step.inputs.values()]
        while todo:
            ref, direct = todo.pop()
            if ref is None or ref.step is None or ref.step in seen:
                continue
            seen.add(ref.step)
            producer = by_number.get(ref.step)
            if producer is None:
                continue
            mask = tables.is_mask_output(producer.model, ref.key)
            if producer.model == self.first and (direct or mask):
                return producer.number
            if producer.model in tables.mask_helpers and mask:
                todo.extend((Ref.parse(v), False) for k, v in producer.inputs.items()
                            if tables.is_mask_input(producer.model, k))
        return None


@dataclass(frozen=True)
class KeepRegion(Constraint):
    """The named region must come out unchanged. Deliberately simple; a workflow violates it when

    - a segmenter prompted with text (RES) segments the region (its prompt is the region, or ends with
      the region's head noun: "blue sky" for "sky") and that mask or cut-out reaches an editing brick —
      except as the subtracted mask of INVERSE, which is how a plan keeps something out of an edit;
    - the region is background-like (background, sky, scenery, ...) and the plan changes the
      background (a "background"-family brick such as FLUX-CBG, or any editing brick through an
      INVERSE mask: "everything but the subject") or the weather/season/time of day (an "env"-family
      brick, FLUX-ENV);
    - the plan edits the whole image: an "env"-family brick, a "style"-family brick (FLUX-STYLE) whose
      mask is null, or a "bright"-family brick (FLUX-BRIGHT) whose brightened image is used as a whole
      (not only cut out again by a segmentation step).
    Edits whose masks come from SOS, MASK-SEG or the user's mask are not judged: their region has
    no name. Roles and families are the registry's (builder/tables.py).
    """

    region: str
    bricks: BrickTables | None = _tables_field()

    def describe(self) -> str:
        return f"Keep the {self.region} unchanged: do not edit it, and do not edit the whole image."

    def violations(self, workflow: dict[str, Any]) -> list[str]:
        tables = brick_tables(self.bricks)
        steps = steps_of(workflow)
        found = []
        background_like = _head(self.region) in BACKGROUND_REGIONS or _norm_region(self.region) in BACKGROUND_REGIONS
        for s in steps:
            family = tables.families.get(s.model)
            if s.model in tables.segmenters and self.names(s.inputs.get("prompt")) and \
                    self._reaches_edit(steps, s.number, tables):
                found.append(f"step {s.number} segments the {self.region} for an edit; the user asked to keep it unchanged")
            elif background_like and (family in ("background", "env") or self._edits_complement(steps, s, tables)):
                what = "the weather, season or time of day" if family == "env" else "the background"
                also = "" if _head(self.region) == "background" else f", and with it the {self.region}"
                found.append(f"step {s.number} ({s.model}) changes {what}{also}; the user asked to keep the "
                             f"{self.region} unchanged")
            elif self._whole_image(steps, s, tables):
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
    def _reaches_edit(steps: Sequence[_Step], number: Any, tables: BrickTables) -> bool:
        todo, seen = [number], set()
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            for consumer, name, _key in _consumers(steps, n):
                if consumer.model == COMPLEMENT and name == "mask2":
                    continue
                if consumer.model in tables.mask_helpers and tables.is_mask_input(consumer.model, name):
                    todo.append(consumer.number)
                elif consumer.model in tables.editing or consumer.model not in tables.segmenters:
                    return True
        return False

    @staticmethod
    def _edits_complement(steps: Sequence[_Step], step: _Step, tables: BrickTables) -> bool:
        """An editing step whose mask is 'everything but something' (an INVERSE): a background edit."""
        if step.model not in tables.editing:
            return False
        by_number = {s.number: s for s in steps}
        for name in tables.mask_inputs.get(step.model, ()):
            if _is_complement(by_number, Ref.parse(step.inputs.get(name))):
                return True
        return False

    @staticmethod
    def _whole_image(steps: Sequence[_Step], step: _Step, tables: BrickTables) -> bool:
        family = tables.families.get(step.model)
        if family == "env":
            return True
        if family == "style":
            return all(step.inputs.get(name) is None for name in tables.mask_inputs.get(step.model, ()))
        if family == "bright":
            uses = list(_consumers(steps, step.number))
            return not uses or any(c.model not in tables.segmenters for c, _, _ in uses)
        return False


def _is_complement(by_number: dict[Any, _Step], ref: Ref | None) -> bool:
    """Is `ref` an INVERSE mask of "everything but something" (its mask1 null, or itself such a mask)?
    "mask1 minus mask2" with mask1 an object's mask is that object less a part: not a complement."""
    seen: set[Any] = set()
    while ref is not None and ref.step not in seen:
        seen.add(ref.step)
        producer = by_number.get(ref.step)
        if producer is None or producer.model != COMPLEMENT:
            return False
        base = producer.inputs.get("mask1")
        if base is None:
            return True
        ref = Ref.parse(base)
    return False


# -- parsing -----------------------------------------------------------------------------------------
# Bounds on the work parsing does, whatever the text (the daemon parses feedback holding its plan lock):
# a feedback text longer than MAX_FEEDBACK_CHARS is refused, and a clause longer than MAX_CLAUSE_CHARS is
# not matched (no instruction about bricks or regions is that long). Whitespace runs are collapsed
# before any pattern sees the text, and every pattern below is linear in its input: brick names and
# regions have bounded lengths, the "use the ..." prefix is possessive (never given back).
MAX_FEEDBACK_CHARS = 4000
MAX_CLAUSE_CHARS = 300
_MAX_NAME = 48
_MAX_REGION = 80

_CLAUSE_SPLIT = re.compile(r"(?:[.;!\n]+|,\s?(?:and|but)\s|\s(?:and|but)\s(?=(?:do\s?n[o']t|do not|never|"
                           r"use|keep|avoid|preserve|leave|please|stop|no)\b)|,\s?(?=(?:do\s?n[o']t|do not|never|"
                           r"use|keep|avoid|preserve|leave|please|stop|no)\b))", re.I)
_WHITESPACE = re.compile(r"\s+")


def normalize_space(text: str) -> str:
    """`text` with each run of whitespace made one character: a newline when the run has one, else a
    space (linear: one greedy run per match)."""
    return _WHITESPACE.sub(lambda m: "\n" if "\n" in m.group() else " ", text)


def shorten(text: str, limit: int = 80) -> str:
    """`text` cut to `limit` characters (with an ellipsis) for an error message."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def check_length(text: str) -> None:
    """ValueError for a feedback text too long to be read."""
    if len(text) > MAX_FEEDBACK_CHARS:
        raise ValueError(f"the feedback is {len(text)} characters long, above the limit of {MAX_FEEDBACK_CHARS}; "
                         "say it in a few short sentences, e.g. \"don't use SOS\" or \"keep the sky unchanged\"")


_NEG = r"(?:do\s*n[o'’]?t|do not|never|avoid|stop|no|without|not)"
_USE = r"(?:use|using|run|running|call|calling|apply|applying|put|putting|invoke|the)"
_NAME = "(?P<{}>[A-Za-z][A-Za-z0-9_ -]{{0," + str(_MAX_NAME) + "}}?)"  # .format(group) makes {{ one {
_KEEP_TAIL = (r"(?:\s+(?:unchanged|untouched|intact|alone|as it is|as is|as it was|the same|same|as before|"
              r"unedited|unmodified|exactly)|\s+(?:the way|how) it (?:is|was))*")
_REGION = rf"(?:the\s+|my\s+|this\s+)?(?P<r>[a-z][a-z0-9' -]{{0,{_MAX_REGION}}}?)"

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((kind, re.compile(p, re.I)) for kind, p in (
    ("order", rf"^{_NEG}\s+(?:{_USE}\s+)*+{_NAME.format('a')}\s+(?:before|ahead of|prior to|then|followed by|"
              rf"to feed|into|for)\s+(?:the\s+)?{_NAME.format('b')}$"),
    ("order_after", rf"^{_NEG}\s+(?:{_USE}\s+)*+{_NAME.format('b')}\s+after\s+(?:the\s+)?{_NAME.format('a')}$"),
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
    ("forbid", rf"^{_NEG}\s+(?:{_USE}\s+)*+{_NAME.format('a')}(?:\s+(?:at all|please|anymore|any more|again))*$"),
    ("forbid_is", rf"^(?:the\s+)?{_NAME.format('a')}\s+(?:is|was)\s+(?:bad|wrong|not needed|unnecessary|"
                  rf"the problem|broken)$"),
    ("require", rf"^(?:please\s+)?(?:(?:you\s+)?(?:must|should|need to|have to)\s+)?(?:use|try|apply|add|"
                rf"include|run|refine (?:the\s+)?masks? with|with)\s+(?:the\s+)?{_NAME.format('a')}"
                rf"(?:\s+(?:instead|too|as well|please|first|for the masks?|for segmentation))*$"),
))


def brick_name(text: str, known: Iterable[str] | None = None) -> str | None:
    """The known brick (the built-in catalog's when `known` is None) `text` names, ignoring case and
    separators ("mask seg" -> "MASK-SEG")."""
    known = brick_tables().names if known is None else known
    key = re.sub(r"[\s_-]+", "", text).upper()
    for name in known:
        if re.sub(r"[\s_-]+", "", name).upper() == key:
            return name
    return None


def _clean_region(text: str) -> str:
    text = re.sub(r"^(?:the|my|this|that)\s+", "", text.strip(" .,'\""), flags=re.I)
    return re.sub(r"\s+(?:area|region|part)$", "", text).strip()


def _clause_constraints(clause: str, tables: BrickTables) -> list[Constraint] | None:
    """Constraints of one clause; None when it matches no pattern (or names no known brick), or is
    longer than MAX_CLAUSE_CHARS."""
    known = tables.names
    clause = normalize_space(clause[:MAX_CLAUSE_CHARS + 1]).strip()
    if len(clause) > MAX_CLAUSE_CHARS:
        return None
    for kind, pattern in _PATTERNS:
        m = pattern.match(clause)
        if not m:
            continue
        groups = m.groupdict()
        if kind.startswith("keep"):
            region = _clean_region(groups["r"])
            if region and not brick_name(region, known):
                return [KeepRegion(region.lower(), bricks=tables)]
            continue
        a = brick_name(groups["a"], known) if groups.get("a") else None
        b = brick_name(groups["b"], known) if groups.get("b") else None
        if a is None or ("b" in groups and b is None):
            continue
        if b is not None:  # the order and instead patterns, the ones that name two bricks
            if kind.startswith("order"):
                return [ForbidOrder(a, b, bricks=tables)]
            if kind.startswith("instead"):
                return [RequireBrick(a), ForbidBrick(b)]
        if kind.startswith("forbid"):
            return [ForbidBrick(a)]
        return [RequireBrick(a)]
    return None


# A brick-looking word: possessive, so a failed word boundary at its end is not retried at every dash.
_BRICK_WORD = re.compile(r"\b[A-Z][A-Z0-9]++(?:-[A-Z0-9]++)*+\b")


def _unknown_brick(clause: str, known: Sequence[str]) -> str | None:
    """A brick-looking word (all capitals, maybe with a hyphen) in `clause` that is not a known brick."""
    for token in _BRICK_WORD.findall(clause[:MAX_CLAUSE_CHARS]):
        if brick_name(token, known) is None and token not in {"I", "OK"}:
            return token
    return None


def split_clauses(text: str) -> list[str]:
    """The clauses of a feedback text (split at '.', ';', ', and', 'and keep' ...), each stripped of
    politeness ("please", "also") and empty ones dropped. Whitespace runs become one space (or one
    newline); ValueError for a text longer than MAX_FEEDBACK_CHARS."""
    check_length(text or "")
    clauses = [c.strip(" ,.!'\"") for c in _CLAUSE_SPLIT.split(normalize_space(text or ""))]
    found = []
    for c in clauses:
        if not c or c.lower() in {"please", "thanks", "thank you", "and", "also"}:
            continue
        c = re.sub(r"^(?:please|also|and|but|then|instead)\s+", "", c, flags=re.I)
        found.append(c)
    return found


def clause_constraints(clause: str, registry: Registry | BrickTables | None = None) -> list[Constraint] | None:
    """The constraints one clause says (see parse_feedback), or None when it says none."""
    return _clause_constraints(clause, brick_tables(registry))


def unknown_brick(clause: str, registry: Registry | BrickTables | None = None) -> str | None:
    """A brick-looking word in `clause` (all capitals) that is not one of `registry`'s bricks."""
    return _unknown_brick(clause, brick_tables(registry).names)


def parse_feedback(text: str, registry: Registry | BrickTables | None = None) -> list[Constraint]:
    """Constraints from feedback text; ValueError with a readable message for what is not understood.

    Understood (one or several, separated by '.', ';', ', and', 'and'):
    "don't use SOS", "don't use RES before FASTINPAINT", "don't run FASTINPAINT after RES",
    "use MASK-SEG", "use SOS instead of RES", "keep the sky unchanged", "don't change the background",
    "the sky should stay the same".
    Bricks are named as `registry` has them (the built-in catalog when None), third-party ones too; the
    constraints judge a workflow by that registry's roles and ports.
    """
    tables = brick_tables(registry)
    known = tables.names
    clauses = split_clauses(text)
    if not clauses:
        raise ValueError("the feedback is empty: say e.g. \"don't use SOS\" or \"keep the sky unchanged\"")
    found: list[Constraint] = []
    for clause in clauses:
        parsed = _clause_constraints(clause, tables)
        if parsed is None:
            if len(clause) > MAX_CLAUSE_CHARS:
                raise ValueError(f"the clause {shorten(clause)!r} is {len(clause)} characters long, above the limit "
                                 f"of {MAX_CLAUSE_CHARS}; say one thing a sentence")
            unknown = _unknown_brick(clause, known)
            if unknown:
                raise ValueError(f"{unknown!r} in {shorten(clause)!r} is not a brick; the bricks are {', '.join(known)}")
            raise ValueError(
                f"could not turn {shorten(clause)!r} into a constraint; say e.g. \"don't use SOS\", \"use MASK-SEG\", "
                "\"don't use RES before FASTINPAINT\" or \"keep the sky unchanged\"")
        found.extend(c for c in parsed if c not in found)
    return found
