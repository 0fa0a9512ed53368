"""Checks of each translation against its source: what would break or mislead a reader.

A placeholder lost, an HTML tag broken, a fuzzy (outdated) or missing translation. Problems point
at the ``.po`` file and line. Shipped languages get errors; a language in progress, warnings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog as BabelCatalog
from babel.messages.catalog import Message, TranslationError
from babel.messages.pofile import read_po

from retainment_bot.errors import Location, Problem, Severity, display_path
from retainment_bot.i18n.catalog import Catalog, Catalogs, Key, translation_problems

PROJECT = "retainment-bot"  # the catalogs' Project-Id-Version, so other projects' catalogs are left alone


@dataclass(frozen=True)
class CheckSettings:
    """Which languages are shipped (errors) rather than in progress (warnings)."""

    shipped: frozenset[str]


def template_keys(pot: Path) -> list[Key]:
    """The ``(context, msgid)`` of every message in the template, in order."""
    with pot.open("rb") as fileobj:
        template = read_po(fileobj)
    return [(m.context, m.id) for m in template if m.id and isinstance(m.id, str)]


def check_catalogs(
    catalogs: Catalogs, expected: Iterable[Key], settings: CheckSettings, root: Path | None = None
) -> list[Problem]:
    """Every problem of every catalog (the source language has none)."""
    keys = list(expected)
    problems: list[Problem] = []
    for lang, catalog in sorted(catalogs.catalogs.items()):
        if lang == catalogs.source:
            continue
        severity: Severity = "error" if lang in settings.shipped else "warning"
        problems += _check_catalog(catalog, keys, severity, root)
    for lang in sorted(settings.shipped - set(catalogs.catalogs) - {catalogs.source}):
        problems.append(Problem(Location("languages.yaml", 0), f"shipped language '{lang}' has no catalog"))
    return problems


def _check_catalog(catalog: Catalog, expected: list[Key], severity: Severity, root: Path | None) -> Iterator[Problem]:
    name = display_path(catalog.path, root)
    if catalog.babel is None:
        return
    present: set[Key] = set()
    for message in catalog.babel:
        if not message.id or not isinstance(message.id, str):
            continue
        present.add((message.context, message.id))
        where = Location(name, message.lineno or 0)
        string = message.string if isinstance(message.string, str) else ""
        label = f"msgctxt '{message.context}'" if message.context else "message"
        if message.fuzzy:
            yield Problem(
                where,
                f"{label}: fuzzy translation (the source changed): review it, then remove the fuzzy flag",
                severity,
            )
            continue
        if not string:
            yield Problem(where, f"{label}: not translated", severity)
            continue
        yield from (Problem(where, f"{label}: {p}") for p in translation_problems(message.context, message.id, string))
    for context, msgid in expected:
        if (context, msgid) not in present:
            text = msgid if len(msgid) < 40 else msgid[:37] + "..."
            yield Problem(
                Location(name, 1),
                f"missing msgctxt '{context}' msgid '{text}': run `python -m retainment_bot i18n update`",
                severity,
            )


def babel_checker(catalog: BabelCatalog | None, message: Message) -> None:
    """The per-translation checks as a Babel checker (entry point ``babel.checkers``), so that
    ``pybabel compile`` reports them too. Only this project's catalogs are checked: entry points
    apply to every catalog compiled in the environment."""
    if catalog is None or catalog.project != PROJECT or message.fuzzy or not isinstance(message.id, str):
        return
    if not message.id or not isinstance(message.string, str) or not message.string:
        return
    problems = translation_problems(message.context, message.id, message.string)
    if problems:
        raise TranslationError("; ".join(problems))
