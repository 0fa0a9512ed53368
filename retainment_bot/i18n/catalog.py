"""The gettext catalogs in ``locales/<lang>/LC_MESSAGES/messages.po``, read with Babel.

The ``.po`` files are read directly at start-up (a few hundred messages take milliseconds), so a
fresh clone runs without a compile step and a translator's edit shows up on the next start.
Fuzzy, empty and broken translations (a lost placeholder, invalid HTML) are not served: the
English source is shown instead, and ``python -m retainment_bot check`` reports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from retainment_bot.engine.html import TELEGRAM_MESSAGE_LIMIT, html_problems, telegram_length
from retainment_bot.engine.render import PLACEHOLDER
from retainment_bot.errors import Location, Problem, display_path

SOURCE_LANGUAGE = "en"
SYNONYMS_CONTEXT = "synonyms"
DOMAIN = "messages"

if TYPE_CHECKING:  # Babel reads the files; a running bot restored from the cache never imports it
    from babel.messages.catalog import Catalog as BabelCatalog

Key = tuple[str | None, str]


@dataclass(frozen=True)
class Catalog:
    """One language's translations, keyed by ``(context, msgid)``."""

    lang: str
    path: Path
    translations: Mapping[Key, str]
    total: int
    fuzzy: int
    babel: BabelCatalog | None = field(default=None, compare=False, repr=False)

    @property
    def translated(self) -> int:
        return len(self.translations)

    @property
    def completeness(self) -> float:
        return self.translated / self.total if self.total else 0.0


@dataclass(frozen=True)
class Catalogs:
    """Every catalog found; implements the engine's ``Translator`` protocol."""

    catalogs: Mapping[str, Catalog]
    source: str = SOURCE_LANGUAGE
    min_completeness: float = 0.9

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages offered to users: the source, then every catalog complete enough."""
        offered = [
            lang
            for lang, catalog in sorted(self.catalogs.items())
            if lang != self.source and catalog.completeness >= self.min_completeness
        ]
        return (self.source, *offered)

    def translate(self, lang: str, context: str | None, message: str) -> str:
        """``message`` in ``lang``, or the source text when there is no usable translation."""
        catalog = self.catalogs.get(lang)
        if catalog is None:
            return message
        return catalog.translations.get((context, message), message)

    def for_serving(self) -> Catalogs:
        """The same translations without Babel's parsed catalogs, which only ``check`` and the
        review site read (line numbers, flags, comments): what the running bot keeps."""
        return replace(self, catalogs={lang: replace(c, babel=None) for lang, c in self.catalogs.items()})


def load_catalogs(
    locales: Path, min_completeness: float = 0.9, root: Path | None = None
) -> tuple[Catalogs, list[Problem]]:
    """Read every ``locales/*/LC_MESSAGES/messages.po``; unreadable files become problems."""
    catalogs: dict[str, Catalog] = {}
    problems: list[Problem] = []
    for path in sorted(locales.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        lang = path.parent.parent.name
        catalog, found = read_catalog(path, lang, root)
        problems += found
        if catalog is not None:
            catalogs[lang] = catalog
    return Catalogs(catalogs, min_completeness=min_completeness), problems


def read_catalog(path: Path, lang: str, root: Path | None = None) -> tuple[Catalog | None, list[Problem]]:
    """Read one ``.po`` file; a syntax error becomes a problem at its line."""
    from babel.messages.pofile import PoFileError, read_po

    name = display_path(path, root)
    try:
        with path.open("rb") as fileobj:
            babel = read_po(fileobj, locale=None, abort_invalid=True)
    except PoFileError as exc:
        return None, [Problem(Location(name, exc.lineno + 1), f"cannot read catalog: {exc}")]
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return None, [Problem(Location(name, 0), f"cannot read catalog: {exc}")]
    translations: dict[Key, str] = {}
    total = fuzzy = 0
    for message in babel:
        if not message.id:
            continue  # the header
        total += 1
        if message.fuzzy:
            fuzzy += 1
            continue
        # We use no plural forms: a plural entry counts by its singular.
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        string = message.string if isinstance(message.string, str) else (message.string or ("",))[0]
        # A translation that would break the message (see ``checks``) is not served.
        if string and not translation_problems(message.context, msgid, string):
            translations[(message.context, msgid)] = string
    return Catalog(lang, path, translations, total, fuzzy, babel), []


def translation_problems(context: str | None, source: str, translation: str) -> list[str]:
    """Why a translation cannot be served in place of its source; empty when it can."""
    problems: list[str] = []
    wanted, found = set(PLACEHOLDER.findall(source)), set(PLACEHOLDER.findall(translation))
    for name in sorted(wanted - found):
        problems.append(f"placeholder {{{name}}} is missing from the translation")
    for name in sorted(found - wanted):
        problems.append(f"placeholder {{{name}}} is not in the source: remove it")
    problems += [f"HTML: {p}" for p in html_problems(translation)]
    length = telegram_length(translation)
    if length > TELEGRAM_MESSAGE_LIMIT:
        problems.append(f"{length} characters, over Telegram's limit of {TELEGRAM_MESSAGE_LIMIT}: shorten it")
    if "<" not in source and "<" in translation:
        problems.append("the source has no HTML tags; neither may the translation")
    if context == SYNONYMS_CONTEXT and any(not word.strip() for word in translation.split("|")):
        problems.append("an empty word between | separators")
    return problems
