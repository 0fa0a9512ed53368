"""Japanese words in their dictionary forms, so that the ways one word is written compare equal.

Workers write 受入れ or 受け入れ, 見つからない or 見付からない, ちがい or 違い. SudachiPy with its
small dictionary (installed from PyPI with the package, nothing downloaded at run time) splits a
text into words and gives each its normalised dictionary form. The search phrases' forms are
computed ahead of time (:mod:`retainment_bot.i18n.readings`); with ``BOT_JAPANESE_ANALYSER=on``
(off by default since session 18: beside the classifier it gained half a point of Japanese
top-1, for 44 MiB), the bot puts a Japanese question in these forms only when the text as
written leaves doubt. The dictionary is loaded on first use: about 0.03 s,
and its file (110 MiB) is mapped into memory, read-only and shared with the page cache. Loading
reads all of its 26 MiB of word entries once; those pages are then let go (:func:`_release`), so
only what questions use stays mapped: about 8 MiB after one question, 60-80 MiB after a few
hundred different ones (the connection matrix, 68 MiB, and the entries are read at random). The core
dictionary (twice the size: 75 MiB at once, about 145 MiB after the same questions) matched the
tuning questions no better: 4 of the 723 phrases' forms differ, and top-1 was the same.
Particles, auxiliaries and punctuation are left out: they carry no topic.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import sys
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sudachipy import Tokenizer

_SKIPPED = frozenset({"助詞", "助動詞", "補助記号", "空白"})
# The file SudachiPy maps (SudachiDict small's, as ``Dictionary(dict="small")`` finds it).
DICTIONARY_FILE = os.path.join("sudachidict_small", "resources", "system.dic")


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
    tokenizer = dictionary.tokenizer(mode=SplitMode.A)
    _release(DICTIONARY_FILE)
    return tokenizer, frozenset(skipped)


def _release(name: str) -> int:
    """Let go of the pages of this process's read-only mappings of a file whose path ends with
    ``name`` (``madvise(MADV_DONTNEED)``: Linux only; elsewhere nothing); returns how many
    mappings. SudachiPy reads every word entry of the dictionary while it loads (26 MiB), and
    those pages would stay in the process's resident memory although a question reads a few of
    them. The file is unchanged and mapped read-only, so a page read again comes back from the
    page cache (or the file) with the same bytes: only memory changes, never a result."""
    if sys.platform != "linux" or not hasattr(mmap, "MADV_DONTNEED"):
        return 0
    spans = []
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                fields = line.split(maxsplit=5)
                if len(fields) == 6 and fields[5].rstrip("\n").endswith(name) and fields[1].startswith("r-"):
                    start, end = (int(bound, 16) for bound in fields[0].split("-"))
                    spans.append((start, end - start))
        madvise = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return 0
    madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    return sum(madvise(start, length, mmap.MADV_DONTNEED) == 0 for start, length in spans)


def base_forms(text: str) -> str:
    """``text`` as its content words' normalised dictionary forms, run together (受入れ機関が
    見つからない -> 受ける入れる機関見付かる)."""
    tokenizer, skipped = _analyser()
    return "".join(m.normalized_form() for m in tokenizer.tokenize(text) if m.part_of_speech_id() not in skipped)
