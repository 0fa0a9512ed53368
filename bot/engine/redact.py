"""Remove what could identify someone from a question before it is kept for content editors."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:https?://|www\.)\S+|t\.me/\S+", re.IGNORECASE)
_HANDLE = re.compile(r"@\w+")
_DIGITS = re.compile(r"\d")
KEEP = 300


def redact(text: str) -> str:
    """``text`` with e-mail addresses, links, @names and every digit replaced, and shortened."""
    text = text[: 4 * KEEP]  # bounded work, whatever the length
    text = _EMAIL.sub("[email]", text)
    text = _URL.sub("[link]", text)
    text = _HANDLE.sub("[name]", text)
    text = _DIGITS.sub("#", text)
    return " ".join(text.split())[:KEEP]
