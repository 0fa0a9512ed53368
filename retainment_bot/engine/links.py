"""Deep links to the bot (``https://t.me/BOT?start=consent_form-vi``) and Telegram share links."""

from __future__ import annotations

import re
from urllib.parse import quote

USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")


def clean_username(username: str) -> str | None:
    """A bot username without its @, or None if Telegram would not accept it."""
    name = username.strip().removeprefix("@")
    return name if USERNAME.match(name) else None


def deep_link(username: str, topic: str, lang: str | None = None) -> str:
    """The link that opens ``topic`` (in ``lang``) in a private chat with the bot."""
    payload = f"{topic}-{lang}" if lang else topic
    return f"https://t.me/{username}?start={payload}"


def share_link(url: str, text: str) -> str:
    """Telegram's share dialog for ``url`` with a line of ``text``."""
    return f"https://t.me/share/url?url={quote(url, safe='')}&text={quote(text, safe='')}"
