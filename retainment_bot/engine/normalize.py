"""Fold typed text so that the forms workers type compare equal.

NFKC (full- and half-width forms), case folding, Vietnamese diacritics removed (``đ`` → ``d``),
katakana read as hiragana, punctuation and symbols turned into spaces.
"""

from __future__ import annotations

import re
import unicodedata

# Katakana (U+30A1..U+30F6) sit 0x60 above their hiragana.
_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}
_KATAKANA = re.compile("[\u30a1-\u30f6]+")
# The combining marks that are diacritics (the Combining Diacritical Marks blocks).
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
# Words are runs of letters and digits (``\w`` is those and "_"); the rest separates them.
_WORD = re.compile(r"[^\W_]+")
# Full- and half-width forms and the ideographic space, each with its compatibility decomposition.
# NFKC of a text that is not already in NFKC takes the slow path, which costs ten times the quick
# check (15 µs for one "？" in a Japanese question); replacing these first by what NFKC decomposes
# them into gives the same NFKC (it is the composition of the same decomposition), mostly already
# normalised.
_WIDE = re.compile("[\u3000\uff01-\uffef]")
_NARROW = {
    char: unicodedata.normalize("NFKD", char)
    for char in map(chr, [0x3000, *range(0xFF01, 0xFFF0)])
    if unicodedata.normalize("NFKD", char) != char
}


def fold(text: str, keep_diacritics: bool = False, kana: bool = True) -> str:
    """Lower-case, width- and script-folded words separated by single spaces.

    ``kana=False`` keeps katakana as katakana (same length, so positions still line up).
    """
    if not unicodedata.is_normalized("NFKC", text):
        text = _WIDE.sub(_narrow, text)
    text = unicodedata.normalize("NFKC", text).casefold()
    if not keep_diacritics:
        text = text.replace("đ", "d")
        decomposed = unicodedata.normalize("NFD", text)
        # NFC(NFD(t)) is NFC(t): without marks to remove, NFC of the text itself, which the quick
        # check mostly returns as it is (recomposing Japanese voiced kana cost 15 µs a question).
        if _MARKS.search(decomposed) is not None:
            text = _MARKS.sub("", decomposed)
    text = unicodedata.normalize("NFC", text)
    if kana:
        text = hiragana(text)
    return " ".join(_WORD.findall(text))  # a fifth faster than a sub() and a split()


def hiragana(text: str) -> str:
    """Katakana read as hiragana, as :func:`fold` reads them: ``hiragana(fold(t, kana=False))``
    is ``fold(t)`` (both are letters, so the words stay the same), one fold instead of two."""
    # Only the katakana runs are translated: ``str.translate`` looks every character up in the
    # table, a few microseconds a question, and most of a question is not katakana.
    return _KATAKANA.sub(_katakana_run, text)


def _narrow(found: re.Match[str]) -> str:
    return _NARROW.get(found.group(), found.group())


def _katakana_run(found: re.Match[str]) -> str:
    return found.group().translate(_KATAKANA_TO_HIRAGANA)


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
