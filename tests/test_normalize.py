"""Typed text is folded so the forms workers type compare equal."""

from __future__ import annotations

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
