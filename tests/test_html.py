"""Telegram's HTML subset is enforced before Telegram sees a message."""

from __future__ import annotations

import pytest

from retainment_bot.engine.html import html_problems, strip_html, telegram_length


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "<b>bold</b> and <i>italic</i>",
        "<code>1-1-1 Kasumigaseki</code>",
        '<a href="https://example.org">link</a>',
        '<span class="tg-spoiler">x</span>',
        "5 &lt; 6 &amp; 7 &gt; 2 &#128512;",
        "<b><i>nested</i></b>",
    ],
)
def test_what_telegram_accepts_passes(text: str) -> None:
    assert html_problems(text) == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<b>open", "never closed"),
        ("close</b>", "without an opening tag"),
        ("<b><i>x</b></i>", "does not match"),
        ("<div>x</div>", "unsupported HTML tag <div>"),
        ("<br>", "unsupported HTML tag <br>"),
        ("5 < 6", "'<' or '>'"),
        ("fish & chips", "'&'"),
        ("<a>x</a>", "needs an href"),
        ('<b class="x">x</b>', "attribute 'class' is not allowed"),
        ('<span class="big">x</span>', "tg-spoiler"),
    ],
)
def test_what_telegram_rejects_is_reported(text: str, reason: str) -> None:
    assert any(reason in problem for problem in html_problems(text)), html_problems(text)


def test_length_counts_visible_text_in_utf16_units() -> None:
    assert strip_html("<b>a &amp; b</b>") == "a & b"
    assert telegram_length("<b>ab</b>") == 2
    assert telegram_length("😀") == 2  # outside the BMP: two UTF-16 units, as Telegram counts


def test_a_long_message_is_split_at_paragraphs_within_the_limit() -> None:
    from retainment_bot.engine.html import split_message

    text = "\n\n".join(f"<b>Part {i}</b> " + "x" * 900 for i in range(10))
    parts = split_message(text)
    assert len(parts) > 1
    assert all(telegram_length(part) <= 4096 and html_problems(part) == [] for part in parts)
    assert "\n\n".join(parts) == text
    assert split_message("short") == ["short"]
