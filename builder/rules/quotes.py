"""Quoted words are opaque: "change the subtitle 'Relying on the Growth' to brown" must not be split at the "on"
or "to" inside the quote. Each quote is swapped for a placeholder word before the language
layer reads the instruction, and swapped back in the plan's prompts and the reasons it gives."""

from __future__ import annotations

import re
from typing import Any

# A quote opens after a space, a bracket or the start, and closes before a space, punctuation or the end (so the
# apostrophes of "the dog's and the cat's" are not a quote); typographic quotes are folded first.
_QUOTE = re.compile(r"""(?:(?<=^)|(?<=[\s(\[:,]))(?P<q>['"])(?P<t>[^'"\n]*?\S[^'"\n]*?)(?P=q)(?=$|[\s.,;:!?)\]])""")
_FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "`": '"'})  # `code` quotes too
_PLACEHOLDER = "QQ{}ZQ"  # upper case: a quoted lower-case word is read as an emphasised word, not as text
_PLACED = re.compile(r"qq([a-z])zq", re.I)


def protect(instruction: str, leads_a_request: Any) -> tuple[str, list[str]]:
    """The instruction with each quote replaced by a placeholder word (so its case is kept too), and the quoted texts
    in order. A quote that is itself an instruction (`leads_a_request(text)`: it starts with an editing verb, as
    in 'I typed "remove the man" and nothing happened') is left to be read."""
    text = instruction.translate(_FOLD)
    if "'" not in text and '"' not in text:  # (backticks were folded to double quotes above)
        return instruction, []
    quoted: list[str] = []

    def swap(m: re.Match[str]) -> str:
        said = m.group("t")
        if leads_a_request(said) or len(quoted) >= 26 or (" " not in said.strip() and said.islower()):
            return m.group(0)  # 'I typed "remove the man"'; 'possible to "deblur"' (one lower-case word, as before)
        quoted.append(m.group("t"))
        return f"{m.group('q')}{_PLACEHOLDER.format(chr(ord('A') + len(quoted) - 1))}{m.group('q')}"

    out = _QUOTE.sub(swap, text)
    return (out, quoted) if quoted else (instruction, [])


def restore(value: Any, quoted: list[str]) -> Any:
    """`value` (a string, or the lists and dicts of a workflow) with the placeholders swapped back."""
    if not quoted:
        return value
    if isinstance(value, str):
        return _PLACED.sub(lambda m: quoted[ord(m.group(1).lower()) - ord("a")]
                           if ord(m.group(1).lower()) - ord("a") < len(quoted) else m.group(0), value)
    if isinstance(value, dict):
        return {k: restore(v, quoted) for k, v in value.items()}
    if isinstance(value, list):
        return [restore(v, quoted) for v in value]
    return value
