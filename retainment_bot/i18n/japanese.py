"""Japanese words in their dictionary forms, so that the ways one word is written compare equal.

Workers write 受入れ or 受け入れ, 見つからない or 見付からない, ちがい or 違い. SudachiPy with its
small dictionary (installed from PyPI with the package, nothing downloaded at run time) splits a
text into words and gives each its normalised dictionary form. The search phrases' forms are
computed ahead of time (:mod:`retainment_bot.i18n.readings`); the bot puts a Japanese question in these forms
only when the text as written leaves doubt. The dictionary is loaded on first use: about 0.03 s,
and its file is mapped into memory (read-only, shared with the page cache), about 35 MiB of it
resident at once and up to about 80 MiB after a few hundred different questions. The core
dictionary (twice the size: 75 MiB at once, about 145 MiB after the same questions) matched the
tuning questions no better: 4 of the 723 phrases' forms differ, and top-1 was the same.
Particles, auxiliaries and punctuation are left out: they carry no topic.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sudachipy import Tokenizer

_SKIPPED = frozenset({"助詞", "助動詞", "補助記号", "空白"})


@cache
def _analyser() -> tuple[Tokenizer, frozenset[int]]:
    """The tokenizer, and the ids of the parts of speech left out."""
    from sudachipy import Dictionary, SplitMode

    dictionary = Dictionary(dict="small")
    skipped = set()
    index = 0
    while (pos := dictionary.pos_of(index)) is not None:
        if pos[0] in _SKIPPED:
            skipped.add(index)
        index += 1
    return dictionary.tokenizer(mode=SplitMode.A), frozenset(skipped)


def base_forms(text: str) -> str:
    """``text`` as its content words' normalised dictionary forms, run together (受入れ機関が
    見つからない -> 受ける入れる機関見付かる)."""
    tokenizer, skipped = _analyser()
    return "".join(m.normalized_form() for m in tokenizer.tokenize(text) if m.part_of_speech_id() not in skipped)
