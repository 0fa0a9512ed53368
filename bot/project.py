"""The project's files on disk: where dialogues and catalogs live, and loading them into an Engine.

This is the one place that knows the layout (``dialogues/``, ``locales/``), so the CLI, the
terminal chat and the Telegram front end all start the same way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bot.engine.engine import Engine
from bot.engine.loader import dialogue_files, load_content
from bot.engine.validate import validate
from bot.engine.yamlread import LineDict, read_yaml
from bot.errors import ContentError, Location, Problem
from bot.i18n.catalog import load_catalogs
from bot.i18n.checks import CheckSettings, check_catalogs, template_keys

DEFAULT_ROOT = Path(__file__).resolve().parent.parent
LANGUAGES_FILE = "languages.yaml"


@dataclass(frozen=True)
class Project:
    """A checkout's content: ``root/dialogues`` and ``root/locales``."""

    root: Path = DEFAULT_ROOT

    @classmethod
    def from_env(cls) -> Project:
        """The project at ``$BOT_CONTENT_DIR``, else the one this package was installed from."""
        return cls(Path(os.environ.get("BOT_CONTENT_DIR", DEFAULT_ROOT)))

    @property
    def dialogues(self) -> Path:
        return self.root / "dialogues"

    @property
    def locales(self) -> Path:
        return self.root / "locales"

    @property
    def template(self) -> Path:
        return self.locales / "messages.pot"

    def settings(self) -> tuple[CheckSettings, float, list[Problem]]:
        """Shipped languages and the completeness needed to offer a language."""
        path = self.locales / LANGUAGES_FILE
        name = f"locales/{LANGUAGES_FILE}"
        if not path.exists():
            return CheckSettings(frozenset()), 0.9, []
        data, problems = read_yaml(path.read_text(encoding="utf-8"), name)
        if not isinstance(data, LineDict):
            return CheckSettings(frozenset()), 0.9, [*problems, Problem(Location(name, 1), "must be a mapping")]
        shipped = data.get("shipped", [])
        if not isinstance(shipped, list) or not all(isinstance(code, str) for code in shipped):
            problems.append(Problem(Location(name, data.lines.get("shipped", 1)), "'shipped' must be a list of codes"))
            shipped = []
        try:
            threshold = float(data.get("min_completeness", "0.9"))
        except ValueError:
            problems.append(
                Problem(Location(name, data.lines.get("min_completeness", 1)), "'min_completeness' must be a number")
            )
            threshold = 0.9
        return CheckSettings(frozenset(shipped)), threshold, problems

    def load(self) -> Loaded:
        """Load content and catalogs and check everything; the engine may be partial if there are errors."""
        settings, threshold, translation = self.settings()
        content, problems = load_content(dialogue_files(self.dialogues), self.root)
        catalogs, found = load_catalogs(self.locales, threshold, self.root)
        translation += found
        if self.template.exists():
            translation += check_catalogs(catalogs, template_keys(self.template), settings, self.root)
        else:
            translation.append(
                Problem(Location("locales/messages.pot", 0), "missing: run `python -m bot i18n extract`")
            )
        problems += validate(content, catalogs)
        return Loaded(Engine(content, catalogs), problems, translation)

    def engine(self) -> Engine:
        """A ready engine; raises :class:`ContentError` if the dialogues are broken.

        Catalog problems do not stop the bot: a broken or missing translation falls back to
        English (``check`` reports it, and CI fails on it for a shipped language).
        """
        loaded = self.load()
        errors = [p for p in loaded.content_problems if p.severity == "error"]
        if errors:
            raise ContentError(errors[:1])
        return loaded.engine


@dataclass(frozen=True)
class Loaded:
    """An engine with the problems found while loading it."""

    engine: Engine
    content_problems: list[Problem]
    catalog_problems: list[Problem]

    @property
    def problems(self) -> list[Problem]:
        return self.content_problems + self.catalog_problems
