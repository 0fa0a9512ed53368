"""Which language a typed message is in, and typed language names.

Workers type in their own language whatever the bot's language is: Vietnamese with or without
diacritics, Japanese in kana and kanji or in romaji, English. The script decides first (kana or
kanji: Japanese; letters only Vietnamese has: Vietnamese); otherwise the words do: each
language's common words, and for romaji the shape of the words (syllables of kana) with a
Japanese particle among them. A guess is *clear* only with enough evidence; the bot switches
language only on a clear guess.
"""

from __future__ import annotations

import re

from retainment_bot.engine.normalize import compact, fold

_KANA = re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")
_KANJI = re.compile(r"[\u3400-\u9fff]")
# Letters that only Vietnamese uses among the three languages (tones and ă, â, ê, ô, ơ, ư, đ).
_VIETNAMESE = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.IGNORECASE)
# A word made of kana syllables, as Hepburn or Kunrei romaji writes them.
_ROMAJI = re.compile(r"^(?:(?:[kgsztdnhbpmr]y?|sh|ch|ts|j|f|w|y)?[aiueo]|n(?![aiueoy])|[kstpc](?=[kstpc]))+$")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Common words, without diacritics, that the other two languages rarely use (not the Japanese
# loanwords every worker uses, such as "tokutei ginou").
_WORDS = {
    "vi": _words(
        "toi minh em anh chi ban la co khong ko k dc duoc bi cua nhat viec lam cong cty tts thi ma "
        "nhung roi sao nao gi j ntn muon can xin giup nguoi nuoc ve o lai hay voi cho dang den phai "
        "thuc tap sinh het han gia dinh tien luong nghi mat duoc oi a nha nhe vay bao nhieu lau "
        "tieng viet nam chua moi tu dau"
    ),
    "ja": _words(
        "wa ga wo ni de desu masu ka kara made mo ne yo nan nani doko dou shitai dekimasu dekiru "
        "arimasu imasu kudasai shite suru sureba ii nai tte toka dake demo no watashi boku kore sore "
        "desuka masuka deshou naru narimasu ikemasu shitai"
    ),
    "en": _words(
        "the is are was were am i my me you your we our they it what how when where why which who "
        "can could would should will do does did not no have has had of and or for with from about "
        "company job work lost visa stay please help if this that there get want need"
    ),
}
# Words a message is allowed around a language name ("switch to English please").
_AROUND = _words(
    "switch change to in into language please pls lang speak use set doi chuyen sang ngon ngu dung "
    "noi bang tieng hay xin de ni wo onegai shimasu kudasai"
)
# Language names as people type them, folded (no diacritics, katakana as hiragana, no spaces).
_NAMES = {
    "en": ("english", "eng", "en", "tienganh", "anh", "eigo", "英語", "いんぐりっしゅ", "えいご"),
    "vi": (
        "vietnamese",
        "vietnam",
        "tiengviet",
        "viet",
        "vi",
        "vn",
        "betonamugo",
        "ベトナム語",
        "べとなむご",
        "べとなむ語",
        "越南語",
    ),
    "ja": ("japanese", "nihongo", "nihonggo", "tiengnhat", "nhat", "ja", "jp", "日本語", "にほんご", "にっぽんご"),
}


def detect(text: str) -> tuple[str | None, bool]:
    """The language ``text`` is written in (``None`` if unknown) and whether the guess is clear."""
    if _KANA.search(text):
        return "ja", True
    if _VIETNAMESE.search(text):
        return "vi", True
    if _KANJI.search(text):
        return "ja", len(_KANJI.findall(text)) >= 2
    words = [w for w in fold(text).split() if w.isalpha()]
    if not words:
        return None, False
    hits = {lang: sum(w in common for w in words) for lang, common in _WORDS.items()}
    shaped = sum(bool(_ROMAJI.match(w)) for w in words) / len(words)
    if shaped < 0.8:
        hits["ja"] = 0  # romaji is Japanese only if (nearly) every word could be written in kana
    ranked = sorted(hits.items(), key=lambda item: -item[1])
    (best, count), (_, second) = ranked[0], ranked[1]
    if count == 0:
        return None, False
    return best, count >= 2 and count >= 2 * second + 1


# Every name as compact() leaves it, worked out once: each typed message is looked up here.
_NAMED = {compact(name): lang for lang, names in _NAMES.items() for name in names}
# A name with a few words around it ("please switch the language to Vietnamese") is never longer;
# a longer message is a question, and folding it only to find that out cost ~0.1 ms.
_LONGEST_REQUEST = 80


def language_named(text: str) -> str | None:
    """The language a message names and nothing else ("日本語", "Tieng Viet", "switch to English")."""
    if len(text) > _LONGEST_REQUEST:
        return None
    words = [w for w in fold(text).split() if w not in _AROUND]
    if not words or len(words) > 3:
        return None
    return _NAMED.get(compact(" ".join(words)))
