"""Typed text is folded so the forms workers type compare equal."""

from __future__ import annotations

import re
import unicodedata

import pytest

from retainment_bot.engine.normalize import compact, fold, hiragana


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Không", "khong"),
        ("ĐƯỢC rồi!", "duoc roi"),
        ("ﾄｸﾃｲｷﾞﾉｳ", "とくていぎのう"),  # half-width katakana
        ("トクテイギノウ", "とくていぎのう"),  # katakana reads as hiragana
        ("Tokutei  Ginou", "tokutei ginou"),
        ("２号", "2号"),  # full-width digits
    ],
)
def test_fold(typed: str, folded: str) -> None:
    assert fold(typed) == folded


def test_diacritics_can_be_kept_for_exact_matching() -> None:
    assert fold("Không", keep_diacritics=True) == "không"


def test_voicing_marks_are_kept() -> None:
    assert fold("が") != fold("か")


def test_compact_drops_spaces_and_punctuation() -> None:
    assert compact("✅ Was I eligible? (check)") == "wasieligiblecheck"


@pytest.mark.parametrize(
    "typed", ["トクテイギノウ", "ﾄｸﾃｲｷﾞﾉｳ・カード", "ヴィザ ヵ月 ヶ所", "会社の㋐ＡＢＣ", "Không コロナ"]
)
def test_katakana_read_as_hiragana_after_folding_is_folding(typed: str) -> None:
    # The matcher folds a question once with kana=False and reads the katakana afterwards.
    assert hiragana(fold(typed, kana=False)) == fold(typed)
    assert hiragana(fold(typed, keep_diacritics=True, kana=False)) == fold(typed, keep_diacritics=True)


def test_words_are_split_at_every_character_that_is_no_letter_or_digit() -> None:
    # fold() finds the words (runs of ``[^\W_]``): the same words as turning everything else
    # into spaces and splitting, for every character of the Basic Multilingual Plane.
    separators = re.compile(r"[\W_]+")
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:  # surrogates are no characters
            continue
        text = f"ab{chr(code)}cd"
        normalized = unicodedata.normalize("NFC", unicodedata.normalize("NFKC", text).casefold())
        expected = " ".join(separators.sub(" ", normalized).split())
        assert fold(text, keep_diacritics=True, kana=False) == expected, hex(code)


def test_the_shortcuts_fold_as_the_whole_pipeline_does() -> None:
    # fold() narrows full- and half-width forms before NFKC and skips the NFD/NFC round trip when
    # there are no marks to remove: both must give what the plain pipeline gives, next to a
    # full-width "？", a half-width voiced kana and a combining mark.
    def plain(text: str) -> str:
        text = unicodedata.normalize("NFKC", text).casefold().replace("đ", "d")
        text = re.sub(
            "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+",
            "",
            unicodedata.normalize("NFD", text),
        )
        return " ".join(re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text)))

    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        for text in (f"が{chr(code)}？", f"ｶ{chr(code)}ﾞ", f"Ａ{chr(code)}\u0301"):
            assert fold(text, kana=False) == plain(text), hex(code)
