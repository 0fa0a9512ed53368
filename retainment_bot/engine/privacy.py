"""Typed requests to erase what the bot keeps about the user ("delete my data", "xoa du lieu
cua toi", "データを削除してください"). The Telegram front end answers them as it answers
/forget: with a confirmation, so a question that only mentions deleting erases nothing.
"""

from __future__ import annotations

import re

from retainment_bot.engine.normalize import compact, fold

# A request is short; a longer message is a question that may mention deleting something.
_LONGEST = 80
_MOST_WORDS = 8
_VERBS = frozenset({"delete", "erase", "remove", "wipe", "xoa"})
# What is erased: the user's data, in English and Vietnamese (folded, no diacritics).
_OBJECTS = frozenset(
    {"data", "information", "info", "account", "history", "messages", "everything", "lieu", "tin", "khoan"}
)
_PHRASES = frozenset({"forget me", "quen toi di"})
# Japanese, as compact() leaves it (katakana as hiragana): a verb of erasing and its object.
_JAPANESE_VERB = re.compile("削除|消去|消して|消したい|けして|さくじょ|忘れて")
_JAPANESE_OBJECT = re.compile("でーた|情報|じょうほう|履歴|りれき|記録|きろく|あかうんと|全部|ぜんぶ|私の|わたしの")


def asks_to_forget(text: str) -> bool:
    """Whether a message asks the bot to erase what it keeps about the user."""
    if len(text) > _LONGEST:
        return False
    squeezed = compact(text)
    if not squeezed.isascii():
        return bool(_JAPANESE_VERB.search(squeezed) and _JAPANESE_OBJECT.search(squeezed))
    folded = fold(text)
    words = folded.split()
    if folded in _PHRASES:
        return True
    return len(words) <= _MOST_WORDS and bool(_VERBS.intersection(words) and _OBJECTS.intersection(words))
