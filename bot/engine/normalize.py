"""Fold typed text so that the forms workers type compare equal.

NFKC (full- and half-width forms), case folding, Vietnamese diacritics removed (``đ`` → ``d``),
katakana read as hiragana, punctuation and symbols turned into spaces.
"""

from __future__ import annotations

import unicodedata

# Katakana (U+30A1..U+30F6) sit 0x60 above their hiragana.
_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}
# Japanese voicing marks are combining characters too, but が is not か.
_KEEP_MARKS = {"\u3099", "\u309a"}


def fold(text: str, keep_diacritics: bool = False, kana: bool = True) -> str:
    """Lower-case, width- and script-folded words separated by single spaces.

    ``kana=False`` keeps katakana as katakana (same length, so positions still line up).
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    if not keep_diacritics:
        text = text.replace("đ", "d")
        decomposed = unicodedata.normalize("NFD", text)
        text = "".join(c for c in decomposed if c in _KEEP_MARKS or not unicodedata.combining(c))
    text = unicodedata.normalize("NFC", text)
    if kana:
        text = text.translate(_KATAKANA_TO_HIRAGANA)
    kept = (c if unicodedata.category(c)[0] in "LN" else " " for c in text)
    return " ".join("".join(kept).split())


def compact(text: str, keep_diacritics: bool = False, kana: bool = True) -> str:
    """:func:`fold` without spaces, for comparing character by character (Japanese has none)."""
    return fold(text, keep_diacritics, kana).replace(" ", "")


def clip(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters: its start and its end, where a long story
    usually asks its question."""
    if len(text) <= limit:
        return text
    head = limit // 3
    return f"{text[:head]} … {text[len(text) - (limit - head) :]}"
