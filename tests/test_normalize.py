"""Typed text is folded so the forms workers type compare equal."""

from __future__ import annotations

import pytest

from retainment_bot.engine.normalize import compact, fold


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
