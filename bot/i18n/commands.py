"""The translators' commands, wrapping Babel's own ``pybabel``: extract, update, compile, stats.

Babel does the work; this module only fixes the options (so everyone extracts the same way)
and adds a per-language statistics table and the check that the committed template is current.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from bot.errors import ContentError, Location, Problem
from bot.i18n.catalog import DOMAIN, Catalogs

PROJECT = "retainment-bot"


@contextlib.contextmanager
def _inside(directory: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(previous)


def _pybabel(root: Path, *args: str) -> None:
    with _inside(root):
        CommandLineInterface().run(["pybabel", "--quiet", *args])  # type: ignore[no-untyped-call]


def extract(root: Path, output: Path | None = None) -> Path:
    """Collect every string of the dialogues and the Python interface into the template."""
    target = output or root / "locales" / f"{DOMAIN}.pot"
    _pybabel(
        root,
        "extract",
        "-F", "babel.cfg",
        "-o", str(target),
        "-c", "TRANSLATORS:",
        "--add-location=file",
        "--sort-by-file",
        f"--project={PROJECT}",
        "--copyright-holder=retainment-bot contributors",
        ".",
    )  # fmt: skip
    return target


def update(root: Path) -> None:
    """Merge the template into every catalog; changed source strings become fuzzy."""
    _pybabel(root, "update", "-i", f"locales/{DOMAIN}.pot", "-d", "locales", "-D", DOMAIN, "--previous")


def compile_catalogs(root: Path) -> None:
    """Write the binary ``.mo`` files next to the catalogs (the bot itself reads the ``.po``)."""
    _pybabel(root, "compile", "-d", "locales", "-D", DOMAIN, "--statistics")


def init(root: Path, lang: str) -> None:
    """Start the catalog of a new language from the template."""
    _pybabel(root, "init", "-i", f"locales/{DOMAIN}.pot", "-d", "locales", "-D", DOMAIN, "-l", lang)


@dataclass(frozen=True)
class LanguageStats:
    """How far one language's translation is."""

    lang: str
    translated: int
    fuzzy: int
    untranslated: int

    @property
    def percent(self) -> float:
        total = self.translated + self.fuzzy + self.untranslated
        return 100.0 * self.translated / total if total else 0.0


def stats(catalogs: Catalogs) -> list[LanguageStats]:
    """Per language: translated, fuzzy and untranslated messages."""
    rows = []
    for lang, catalog in sorted(catalogs.catalogs.items()):
        untranslated = catalog.total - catalog.translated - catalog.fuzzy
        rows.append(LanguageStats(lang, catalog.translated, catalog.fuzzy, untranslated))
    return rows


def stats_table(rows: list[LanguageStats], offered: tuple[str, ...]) -> str:
    """The statistics as an aligned text table."""
    lines = [f"{'language':<10}{'translated':>12}{'fuzzy':>8}{'untranslated':>14}{'percent':>9}  offered"]
    for row in rows:
        mark = "yes" if row.lang in offered else "no"
        lines.append(
            f"{row.lang:<10}{row.translated:>12}{row.fuzzy:>8}{row.untranslated:>14}{row.percent:>8.1f}%  {mark}"
        )
    return "\n".join(lines)


def template_problems(root: Path) -> list[Problem]:
    """A problem if ``locales/messages.pot`` differs from a fresh extraction."""
    committed = root / "locales" / f"{DOMAIN}.pot"
    if not committed.exists():
        return [Problem(Location("locales/messages.pot", 0), "missing: run `python -m bot i18n extract`")]
    with tempfile.TemporaryDirectory() as scratch:
        try:
            fresh = extract(root, Path(scratch) / f"{DOMAIN}.pot")
        except ContentError:
            return []  # unreadable dialogues: the loader reports them with file and line
        if _messages(fresh) != _messages(committed):
            return [
                Problem(Location("locales/messages.pot", 1), "stale: run `python -m bot i18n extract` and `update`")
            ]
    return []


def _messages(path: Path) -> list[tuple[object, ...]]:
    with path.open("rb") as fileobj:
        catalog = read_po(fileobj)
    return [(m.context, m.id, tuple(m.auto_comments), tuple(sorted(m.locations))) for m in catalog if m.id]
