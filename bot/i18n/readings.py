"""Readings of Japanese search phrases, so that kana-only and romaji questions find them.

Workers who cannot type kanji write 延長 as えんちょう, ｴﾝﾁｮｳ or "encho". pykakasi gives each
kanji phrase its hiragana reading and its Hepburn romaji (also without long vowels, as people
type it); the matcher indexes these next to the original. Only phrases are converted, once at
start-up: questions are matched as typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

import pykakasi

from bot.engine.matcher import Phrase

_KANJI = re.compile(r"[\u3400-\u9fff]")
_LONG_VOWELS = (("ou", "o"), ("uu", "u"), ("oo", "o"), ("aa", "a"), ("ii", "i"), ("ee", "e"))


@cache
def _converter() -> pykakasi.kakasi:
    return pykakasi.kakasi()  # type: ignore[no-untyped-call]


def reading_phrases(phrases: Iterable[Phrase]) -> list[Phrase]:
    """For each phrase containing kanji: its hiragana reading and romaji, for the same node."""
    found: list[Phrase] = []
    for phrase in phrases:
        if not _KANJI.search(phrase.text):
            continue
        parts = _converter().convert(phrase.text)
        hiragana = "".join(part["hira"] for part in parts)
        romaji = " ".join(part["hepburn"] for part in parts if part["hepburn"].strip())
        short = romaji
        for long, plain in _LONG_VOWELS:
            short = short.replace(long, plain)
        found += [Phrase(phrase.node, phrase.lang, text) for text in {hiragana, romaji, short} if text]
    return found
