"""The translators' commands: Babel's own ``pybabel`` with the project's options, printed first.

The options are the ones ``docs/translating.md`` gives for plain ``pybabel`` (Babel's command line
reads no configuration file for them), so ``python -m retainment_bot i18n extract`` and the documented
command write the same template. Two things are added: the files are left in GNU gettext's
layout (``--no-wrap``, and no empty last line), which ``msgcat --no-wrap``, Poedit and Weblate
keep, so a save there changes no unrelated line; and a per-language statistics table and the
check that the committed template is current.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from retainment_bot.errors import BotError, ContentError, Location, Problem
from retainment_bot.i18n.catalog import DOMAIN, Catalogs
from retainment_bot.i18n.checks import PROJECT

MAPPING = "babel.cfg"
TEMPLATE = f"locales/{DOMAIN}.pot"
PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the package whose interface strings are extracted

EXTRACT = (
    "extract", "-F", MAPPING, "-o", TEMPLATE, "-c", "TRANSLATORS:", "--add-location=file", "--sort-by-file",
    "--no-wrap", f"--project={PROJECT}", f"--copyright-holder={PROJECT} contributors", ".",
)  # fmt: skip
# No --previous: Babel writes a multi-line previous msgid as "#|" lines gettext cannot read.
UPDATE = ("update", "-i", TEMPLATE, "-d", "locales", "-D", DOMAIN, "--no-wrap")


def init_command(lang: str) -> tuple[str, ...]:
    """``pybabel init`` for a new language, in the same layout as the others."""
    return ("init", "-i", TEMPLATE, "-d", "locales", "-D", DOMAIN, "--no-wrap", "-l", lang)


def shell_line(args: tuple[str, ...]) -> str:
    """The command as a person would type it."""
    return shlex.join(("pybabel", *args))


@contextlib.contextmanager
def _inside(directory: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(previous)


def _pybabel(root: Path, args: tuple[str, ...], show: bool = True) -> None:
    """Run ``pybabel ARGS`` in ``root`` (printed first, so it can be typed by hand next time)."""
    if show:
        print(f"$ {shell_line(args)}", file=sys.stderr)
    with _inside(root):
        status = CommandLineInterface().run(["pybabel", "--quiet", *args])  # type: ignore[no-untyped-call]
    if status:
        raise BotError(f"pybabel {args[0]} failed")


def gnu_layout(path: Path) -> None:
    """Drop the empty last line Babel writes: GNU gettext (msgcat, Poedit, Weblate) writes none."""
    data = path.read_bytes()
    if data.endswith(b"\n\n"):
        path.write_bytes(data.rstrip(b"\n") + b"\n")


def catalog_files(root: Path) -> list[Path]:
    """The template and every catalog, as ``pybabel update`` writes them."""
    return [root / TEMPLATE, *sorted((root / "locales").glob(f"*/LC_MESSAGES/{DOMAIN}.po"))]


def extract(root: Path) -> Path:
    """Collect every string of the dialogues and the Python interface into the template.

    In a checkout the command runs in place; for a content copy without the code beside it
    (``BOT_CONTENT_DIR`` next to an installed package), it runs on a scratch copy of both."""
    if (root / PACKAGE_DIR.name).is_dir():
        _pybabel(root, EXTRACT)
    else:
        with tempfile.TemporaryDirectory() as scratch:
            print(f"(in a scratch copy of {root / 'dialogues'} and {PACKAGE_DIR})", file=sys.stderr)
            shutil.copy(_extracted(root, Path(scratch), show=True), root / TEMPLATE)
    gnu_layout(root / TEMPLATE)
    return root / TEMPLATE


def update(root: Path) -> None:
    """Merge the template into every catalog; changed source strings become fuzzy."""
    _pybabel(root, UPDATE)
    for path in catalog_files(root)[1:]:
        gnu_layout(path)


def init(root: Path, lang: str) -> None:
    """Start the catalog of a new language from the template."""
    _pybabel(root, init_command(lang))
    gnu_layout(root / "locales" / lang / "LC_MESSAGES" / f"{DOMAIN}.po")


def _extracted(root: Path, work: Path, show: bool = False) -> Path:
    """Extract the dialogues of ``root`` and the code of the running package, side by side in
    ``work`` as in a checkout (an installed package's content has no Python sources beside it)."""
    if not (root / MAPPING).is_file():
        raise BotError(f"{root / MAPPING} is missing: copy it from the source")
    (work / "locales").mkdir()
    shutil.copytree(root / "dialogues", work / "dialogues", dirs_exist_ok=True)
    shutil.copy(root / MAPPING, work / MAPPING)
    ignore = shutil.ignore_patterns("__pycache__", "content", "*.pyc")
    shutil.copytree(PACKAGE_DIR, work / PACKAGE_DIR.name, ignore=ignore)
    _pybabel(work, EXTRACT, show=show)
    return work / TEMPLATE


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
    """A problem if ``locales/messages.pot`` differs from a fresh extraction of these dialogues and
    this package's interface strings (what ``pybabel extract`` with any wrapping or location style
    would write: only messages, notes and files are compared)."""
    committed = root / TEMPLATE
    if not committed.exists():
        return [Problem(Location(TEMPLATE, 0), "missing: run `python -m retainment_bot i18n extract`")]
    if not (root / MAPPING).is_file():
        return [Problem(Location(MAPPING, 0), "missing: the extraction settings (copy it from the source)")]
    with tempfile.TemporaryDirectory() as scratch:
        try:
            fresh = _extracted(root, Path(scratch))
        except ContentError:
            return []  # unreadable dialogues: the loader reports them with file and line
        if _messages(fresh) != _messages(committed):
            return [Problem(Location(TEMPLATE, 1), "stale: run `python -m retainment_bot i18n extract` and `update`")]
    return []


def _messages(path: Path) -> list[tuple[object, ...]]:
    with path.open("rb") as fileobj:
        catalog = read_po(fileobj)
    return [
        (m.context, m.id, " ".join(" ".join(m.auto_comments).split()), tuple(sorted({f for f, _ in m.locations})))
        for m in catalog
        if m.id
    ]
