"""Telegram's HTML subset: what ``parse_mode=HTML`` accepts, checked before Telegram sees it.

One unclosed tag makes Telegram reject the whole message, so ``check`` runs every text (and every
translation) through :func:`html_problems`. See https://core.telegram.org/bots/api#html-style.
"""

from __future__ import annotations

import html
import re

# tag -> attributes it may carry
ALLOWED_TAGS: dict[str, frozenset[str]] = {
    "b": frozenset(),
    "strong": frozenset(),
    "i": frozenset(),
    "em": frozenset(),
    "u": frozenset(),
    "ins": frozenset(),
    "s": frozenset(),
    "strike": frozenset(),
    "del": frozenset(),
    "tg-spoiler": frozenset(),
    "span": frozenset({"class"}),
    "a": frozenset({"href"}),
    "code": frozenset({"class"}),
    "pre": frozenset(),
    "blockquote": frozenset({"expandable"}),
    "tg-emoji": frozenset({"emoji-id"}),
}
TELEGRAM_MESSAGE_LIMIT = 4096

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:=\"[^\"]*\"|='[^']*')?)*)\s*>")
_ATTR = re.compile(r"([a-zA-Z-]+)(?:=(?:\"([^\"]*)\"|'([^']*)'))?")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")


def html_problems(text: str) -> list[str]:
    """Every reason Telegram would reject ``text`` as HTML; empty when it is fine."""
    problems: list[str] = []
    stack: list[str] = []
    position = 0
    for match in _TAG.finditer(text):
        problems += _stray(text[position : match.start()])
        position = match.end()
        closing, name, attributes = match.group(1) == "/", match.group(2).lower(), match.group(3)
        if name not in ALLOWED_TAGS:
            problems.append(f"unsupported HTML tag <{name}> (Telegram accepts: {', '.join(sorted(ALLOWED_TAGS))})")
            continue
        if closing:
            if not stack:
                problems.append(f"closing tag </{name}> without an opening tag")
            elif stack[-1] != name:
                problems.append(f"closing tag </{name}> does not match the open <{stack[-1]}>")
                if name in stack:
                    del stack[stack.index(name) :]
            else:
                stack.pop()
            continue
        problems += _attribute_problems(name, attributes)
        stack.append(name)
    problems += _stray(text[position:])
    problems += [f"tag <{name}> is never closed" for name in stack]
    return problems


def _attribute_problems(name: str, attributes: str) -> list[str]:
    problems: list[str] = []
    found = {m.group(1).lower(): m.group(2) or m.group(3) or "" for m in _ATTR.finditer(attributes)}
    for attribute in found:
        if attribute not in ALLOWED_TAGS[name]:
            problems.append(f"attribute '{attribute}' is not allowed on <{name}>")
    if name == "a" and not found.get("href"):
        problems.append("<a> needs an href")
    if name == "span" and found.get("class") != "tg-spoiler":
        problems.append('<span> is only allowed as <span class="tg-spoiler">')
    return problems


def _stray(chunk: str) -> list[str]:
    problems: list[str] = []
    if "<" in chunk or ">" in chunk:
        problems.append("a '<' or '>' that is not part of a tag: write &lt; or &gt;")
    for index in (i for i, char in enumerate(chunk) if char == "&"):
        if not _ENTITY.match(chunk, index):
            problems.append("an '&' that is not an entity: write &amp;")
            break
    return problems


def strip_html(text: str) -> str:
    """The text a reader sees: tags removed, entities decoded."""
    return html.unescape(_TAG.sub("", text))


def telegram_length(text: str) -> int:
    """Length as Telegram counts it against its limits (UTF-16 code units of the visible text)."""
    return len(strip_html(text).encode("utf-16-le")) // 2


def escape(text: str) -> str:
    """Make plain text safe inside an HTML message."""
    return html.escape(text, quote=False)


def split_message(text: str, limit: int = TELEGRAM_MESSAGE_LIMIT) -> list[str]:
    """Split ``text`` into messages within ``limit``, at paragraph, then line boundaries.

    Tags in our texts never span lines, so cutting between lines keeps each part valid; a single
    line over the limit loses its formatting and is cut as plain text.
    """
    if telegram_length(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        for piece in _fit(paragraph, limit):
            candidate = f"{current}\n\n{piece}" if current else piece
            if telegram_length(candidate) <= limit:
                current = candidate
            else:
                parts.append(current)
                current = piece
    if current:
        parts.append(current)
    return [part for part in parts if part.strip()]


def _fit(paragraph: str, limit: int) -> list[str]:
    """A paragraph as pieces within ``limit``: whole, or by lines, or cut as plain text."""
    if telegram_length(paragraph) <= limit:
        return [paragraph]
    pieces: list[str] = []
    for line in paragraph.split("\n"):
        if telegram_length(line) <= limit:
            pieces.append(line)
            continue
        plain = strip_html(line)
        step = limit // 2  # UTF-16: a character may count twice
        pieces += [escape(plain[i : i + step]) for i in range(0, len(plain), step)]
    return pieces
