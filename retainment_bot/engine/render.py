"""Turn nodes into replies in a language: plain values that a shell sends however it likes."""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from retainment_bot.engine.html import strip_html
from retainment_bot.engine.model import Button, Content, Node, Notice
from retainment_bot.engine.ui import UiText

JAPANESE = "ja"
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
NO_NOTICE = "none"
# An aside in brackets, left out of a shortened name ("accepting organization (the company or ...)").
_ASIDE = re.compile(r"\s*[(（][^()（）]*[)）]")


class Translator(Protocol):
    """Where translations come from (``retainment_bot.i18n.catalog.Catalogs`` in the real bot)."""

    @property
    def languages(self) -> tuple[str, ...]: ...

    def translate(self, lang: str, context: str | None, message: str) -> str: ...


@dataclass(frozen=True)
class ReplyButton:
    """A button to show: ``data`` comes back as a press; ``url`` opens a page."""

    label: str
    data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Reply:
    """One message: Telegram-HTML ``text`` and rows of buttons; ``node`` is None for notes."""

    node: str | None
    text: str
    buttons: tuple[tuple[ReplyButton, ...], ...] = ()

    @property
    def flat_buttons(self) -> tuple[ReplyButton, ...]:
        return tuple(button for row in self.buttons for button in row)


def button_data(node: Node, index: int) -> str:
    """Callback data for a content button: node, position and a checksum of what it does.

    The checksum makes a button from an old message stale (instead of doing something else)
    when an editor has changed, reordered or removed buttons since.
    """
    button = node.buttons[index]
    fingerprint = f"{node.id}|{index}|{button.goto}|{button.value}|{node.ask}".encode()
    return f"{node.id}:{index}:{zlib.crc32(fingerprint) & 0xFFFF:04x}"


def interface_text(translator: Translator, lang: str, text: UiText, **values: str) -> str:
    """An interface string in ``lang``, with ``{name}`` placeholders filled."""
    translated = translator.translate(lang, text.context, text.message)
    return fill(translated, values, fallback=fill(text.message, values))


def fill(text: str, values: Mapping[str, str], fallback: str | None = None) -> str:
    """Replace ``{name}`` placeholders; a text whose placeholders differ uses ``fallback``."""
    if fallback is not None and set(PLACEHOLDER.findall(text)) - set(values):
        return fallback
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


# Babel's CLDR data costs about 25 ms a locale the first time a date is formatted or a language
# named, yet the results are a handful of strings: they are remembered here, and the engine cache
# stores them with the engine (``formatted``, ``remember``), so a restored bot never loads Babel.
_FORMATTED: dict[tuple[str, str, str], str] = {}
_FORMATTED_LIMIT = 4096  # language codes come from users' clients: never let the table grow unbounded


def _remembered(kind: str, value: str, lang: str, make: Callable[[], str]) -> str:
    found = _FORMATTED.get((kind, value, lang))
    if found is None:
        found = make()
        if len(_FORMATTED) < _FORMATTED_LIMIT:
            _FORMATTED[(kind, value, lang)] = found
    return found


def formatted() -> dict[tuple[str, str, str], str]:
    """The dates and language names formatted so far (for the engine cache)."""
    return dict(_FORMATTED)


def remember(found: Mapping[tuple[str, str, str], str]) -> None:
    """Take dates and language names formatted by an earlier process (the engine cache)."""
    for key, text in found.items():
        if len(_FORMATTED) < _FORMATTED_LIMIT:
            _FORMATTED.setdefault(key, text)


def format_as_of(as_of: str, lang: str) -> str:
    """``2021`` or ``2021-03`` as a reader of ``lang`` writes it (``2021年3月``, ``tháng 3, 2021``)."""

    def make() -> str:
        from babel.core import UnknownLocaleError
        from babel.dates import format_skeleton

        parts = [int(part) for part in as_of.split("-")]
        day = date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
        skeleton = {1: "y", 2: "yMMMM", 3: "yMMMMd"}[min(len(parts), 3)]
        try:
            return format_skeleton(skeleton, day, locale=lang)
        except (UnknownLocaleError, ValueError):
            return as_of

    return _remembered("as_of", as_of, lang, make)


def language_name(lang: str) -> str:
    """A language's own name for itself (``Tiếng Việt``, ``日本語``), from Babel's CLDR data."""

    def make() -> str:
        from babel.core import Locale, UnknownLocaleError

        try:
            name = Locale.parse(lang).get_display_name(lang) or lang
        except (UnknownLocaleError, ValueError):
            return lang
        return name[:1].upper() + name[1:]

    return _remembered("language", lang, lang, make)


def node_notice(content: Content, node: Node) -> Notice | None:
    """The footer appended to ``node``, if any."""
    return content.notices.get(node.notice or NO_NOTICE)


def node_text(content: Content, translator: Translator, node: Node, lang: str) -> str:
    """The node's text in ``lang`` with snippets filled in and its notice appended."""
    text = _own_text(content, translator, node, lang)
    notice = node_notice(content, node)
    if notice is not None:
        dated = {"as_of": format_as_of(node.as_of, lang) if node.as_of else ""}
        translated = translator.translate(lang, f"notice.{notice.name}", notice.text)
        text += "\n\n" + fill(translated, dated, fallback=fill(notice.text, dated))
    return text


def _own_text(content: Content, translator: Translator, node: Node, lang: str) -> str:
    """The node's own text in ``lang`` with snippets filled in (no notice)."""
    source = node.text or ""
    values = dict(content.snippets)
    return fill(translator.translate(lang, node.id, source), values, fallback=fill(source, values))


def first_line(content: Content, translator: Translator, node: Node, lang: str) -> str:
    """The first line a reader sees of ``node``'s own text in ``lang`` (tags removed, snippets
    filled, no notice); empty when it has none."""
    text = strip_html(_own_text(content, translator, node, lang))
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def shortened(text: str, columns: int) -> str:
    """``text`` in at most ``columns`` columns (a wide character, as in Japanese, counts two): its
    asides in brackets left out first, then cut, ending in "…" (at a space when one falls in the
    second half of what is kept)."""
    if _width(text) <= columns:
        return text
    text = _ASIDE.sub("", text)
    width = 0
    for index, char in enumerate(text):
        width += _width(char)
        if width > columns - 1:  # the "…" takes the last column
            kept = text[:index]
            space = kept.rfind(" ")
            if space > len(kept) // 2:
                kept = kept[:space]
            return kept.rstrip(" ,.;:、。(（") + "…"
    return text


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def notice_row(content: Content, translator: Translator, lang: str, node: Node, prefix: str) -> tuple[ReplyButton, ...]:
    """The footer's button to its full text (``prefix`` + node id), or nothing.

    Not shown on the full text's own screen, where it would lead nowhere new.
    """
    notice = node_notice(content, node)
    if notice is None or notice.more is None or notice.button is None or notice.more == node.id:
        return ()
    text = translator.translate(lang, f"notice.{notice.name}", notice.button)
    return (ReplyButton(text, data=f"{prefix}{notice.more}"),)


def label(translator: Translator, lang: str, node: Node, button: Button) -> str:
    """A content button's label in ``lang``."""
    return translator.translate(lang, node.id, button.label)


def content_rows(translator: Translator, lang: str, node: Node) -> list[tuple[ReplyButton, ...]]:
    """One row per content button of ``node``."""
    rows: list[tuple[ReplyButton, ...]] = []
    for index, button in enumerate(node.buttons):
        text = label(translator, lang, node, button)
        if button.url is not None:
            rows.append((ReplyButton(text, url=button.url),))
        else:
            rows.append((ReplyButton(text, data=button_data(node, index)),))
    return rows
