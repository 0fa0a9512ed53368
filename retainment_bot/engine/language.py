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
# A Latin letter, accented ones included; Japanese script and its punctuation, full-width forms included.
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
_JAPANESE_RUN = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff01-\uff9f]+")
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
        "tieng viet nam chua moi tu dau gui nop giay thu dong di"
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
# Words a message is allowed around a language name ("can you speak Vietnamese", "toi muon doi
# sang tieng viet", "nihongo de onegai shimasu"): requests, pronouns, politeness. A message with
# other words is a question that mentions a language ("japanese visa for my wife").
_AROUND = _words(
    "switch change to in into language languages please pls plz lang speak use set reply answer "
    "write talk show can could you i me my we want would like need the a an for with do is only "
    "instead now ok okay bot version "
    "doi chuyen sang qua ngon ngu dung noi bang tieng hay xin de toi minh em muon cho duoc dc "
    "khong ko co giup voi tra loi hien thi nhe di a oi vui long "
    "ni wo onegai shimasu kudasai hanashite kaete henkou shite hoshii ii desu"
)
# The words that ask for another language without naming one ("change language", "doi ngon ngu").
_LANGUAGE_WORDS = frozenset({"language", "languages", "lang", "ngu", "gengo"})
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
    if _KANA.search(text) or _KANJI.search(text):
        # A Vietnamese or English question that quotes a Japanese term ("tai mau 同意書 o dau",
        # "where do i send the 同意書") is in the language of its own words, when they are clear and
        # outweigh the Japanese (a Japanese character says about as much as two letters).
        if _LATIN.search(text):
            latin = _JAPANESE_RUN.sub(" ", text)
            around = _by_letters(latin)
            letters = sum(char.isalpha() for char in latin)
            if around[1] and around[0] != "ja" and 2 * letters >= 3 * (len(text) - len(latin)):
                return around
        if _KANA.search(text):
            return "ja", True
        return "ja", len(_KANJI.findall(text)) >= 2
    return _by_letters(text)


def _by_letters(text: str) -> tuple[str | None, bool]:
    """:func:`detect` for text in Latin script: Vietnamese letters, then each language's words."""
    if _VIETNAMESE.search(text):
        return "vi", True
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
# Japanese writes no spaces: a request is the word for language, a name in Japanese script, then
# only particles and request endings ("日本語にしてください", "言語を変更したい", "英語でお願いします"),
# as compact() leaves them (katakana as hiragana).
_JAPANESE_NAMES = "|".join(sorted((name for name in _NAMED if not name.isascii()), key=len, reverse=True))
_JAPANESE_REQUEST = re.compile(
    rf"(?:言語|げんご)?[をはの]?(?P<name>{_JAPANESE_NAMES})?[でにへ]?"
    r"(?:変えて|かえて|変更|へんこう|切り替え|切りかえ|きりかえ|話して|はなして|答えて|こたえて|表示|ひょうじ"
    r"|お願い|おねがい|ください|下さい|ほしい|欲しい|できますか|できる|します|したい|して|がいい|です|ます|か|ね|よ)*"
)


def language_request(text: str) -> tuple[bool, str | None]:
    """Whether ``text`` only asks about the language, and the language it names (if any): what
    :func:`language_named` and :func:`asks_for_languages` read, in one pass."""
    if len(text) > _LONGEST_REQUEST:
        return False, None
    folded = fold(text)
    squeezed = folded.replace(" ", "")  # compact(text)
    if squeezed and not squeezed.isascii():
        found = _JAPANESE_REQUEST.fullmatch(squeezed)
        if found is None or found.group() in ("", "か", "ね", "よ"):
            return False, None
        name = found.group("name")
        asks = name is not None or squeezed.startswith(("言語", "げんご"))
        return asks, _NAMED[name] if name else None
    every = folded.split()
    words = [w for w in every if w not in _AROUND]
    if not words:  # only request words: a request when one of them is "language"
        return bool(_LANGUAGE_WORDS.intersection(every)), None
    if len(words) > 3:
        return False, None
    named = _NAMED.get(compact(" ".join(words)))
    return named is not None, named


def language_named(text: str) -> str | None:
    """The language a message names and nothing else ("日本語", "Tieng Viet", "switch to English",
    "can you speak vietnamese", "日本語にしてください")."""
    return language_request(text)[1]


def asks_for_languages(text: str) -> bool:
    """Whether a message asks to change the language without naming one ("change language",
    "doi ngon ngu", "言語を変更したい")."""
    asks, named = language_request(text)
    return asks and named is None
