"""Where each string on a screen comes from and whether its translation is served.

A translator needs the ``.po`` file, the line, the ``msgctxt`` and the ``msgid``; an editor needs
the YAML file and line of the English source. The states mirror what the bot does: a fuzzy, empty,
missing or broken translation is not served, so the reader sees English instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from retainment_bot.errors import Location, display_path
from retainment_bot.i18n.catalog import Catalogs, translation_problems

State = Literal["source", "translated", "fuzzy", "missing", "broken"]
FALLBACK_STATES = frozenset({"fuzzy", "missing", "broken"})


@dataclass(frozen=True)
class StringState:
    """One message in one language: where it lives and whether readers see it translated."""

    lang: str
    context: str | None
    msgid: str
    state: State
    where: Location
    problems: tuple[str, ...] = ()

    @property
    def falls_back(self) -> bool:
        """True when readers of ``lang`` see the English source instead."""
        return self.state in FALLBACK_STATES


def string_state(
    catalogs: Catalogs, lang: str, context: str | None, msgid: str, source: Location, root: Path | None
) -> StringState:
    """The state of ``(context, msgid)`` in ``lang``; ``source`` is the English text's YAML location."""
    if lang == catalogs.source:
        return StringState(lang, context, msgid, "source", source)
    catalog = catalogs.catalogs.get(lang)
    if catalog is None or catalog.babel is None:
        return StringState(lang, context, msgid, "missing", Location(f"locales/{lang}/LC_MESSAGES/messages.po"))
    name = display_path(catalog.path, root)
    message = catalog.babel.get(msgid, context=context)
    if message is None:
        return StringState(lang, context, msgid, "missing", Location(name, 0))
    where = Location(name, message.lineno or 0)
    string = message.string if isinstance(message.string, str) else ""
    if message.fuzzy:
        return StringState(lang, context, msgid, "fuzzy", where)
    if not string:
        return StringState(lang, context, msgid, "missing", where)
    if (context, msgid) not in catalog.translations:
        return StringState(lang, context, msgid, "broken", where, tuple(translation_problems(context, msgid, string)))
    return StringState(lang, context, msgid, "translated", where)
