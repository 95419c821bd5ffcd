"""Request forms: politeness, wishes and questions around an edit."""

from __future__ import annotations

import re

_POLITE = re.compile(
    r"^(?:(?:please|kindly|now|ok|okay|so|also|and|then|can you|could you|would you|will you|would you please|"
    r"can you please|could you please|i want you to|i'd like you to|i would like you to|i want to|i'd like to|"
    r"i would like to|i need you to|i need to|i wish to|we need to|let's|lets|let us|help me|try to|go ahead and|"
    r"you should|you could|you can|i want|i'd like|i need|just)\b[\s,]*)+", re.I)
_QUESTION_START = re.compile(
    r"^(?:what|who|whom|whose|where|when|why|how|which|tell me|describe|explain|count|caption|identify|"
    r"(?:is|are|was|were|does|do|did|has|have|can|could|would|will|should)\s+(?:you|i|we|they|he|she|it|there|"
    r"this|that|these|those)\b)", re.I)


def strip_polite(text: str) -> str:
    text = _POLITE.sub("", text.strip())
    return re.sub(r"[\s,]*\bplease\b[\s.!?]*$", "", text, flags=re.I).strip()


def is_question(sentence: str) -> bool:
    """A question about the image rather than a request ("can you remove the dog?" is a request)."""
    polite = re.match(r"^(?:can|could|would|will)\s+you\b|^please\b", sentence, re.I)
    if polite:
        return False
    return sentence.rstrip().endswith("?") or bool(_QUESTION_START.match(sentence))


