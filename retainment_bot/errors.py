"""The exceptions the bot raises on purpose.

    BotError
     ├── ContentError   the dialogues or catalogs are broken; carries every Problem found
     ├── UsageError     a command was called with arguments that cannot work
     └── MissingExtra   a command needs an optional dependency that is not installed

Each problem carries the file and line it points at, so a content editor or translator can fix it
without reading a traceback.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Location:
    """A place in a source file; ``line`` is 1-based (0 when the whole file is meant)."""

    file: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


def display_path(path: Path, root: Path | None) -> str:
    """``path`` relative to ``root`` when it lies inside it, as problems show it."""
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


@dataclass(frozen=True)
class Problem:
    """One mistake in the content or a catalog, printed GNU style: ``file:line: message``."""

    where: Location
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        if self.severity == "warning":
            return f"{self.where}: warning: {self.message}"
        return f"{self.where}: {self.message}"


class BotError(Exception):
    """Base of every error the bot raises on purpose."""


class ContentError(BotError):
    """The dialogues or catalogs cannot be served; ``problems`` lists every error found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        first = str(self.problems[0]) if self.problems else "no details"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more)


class UsageError(BotError):
    """A command-line option or argument that cannot work."""


DISTRIBUTION = "retainment-bot"  # the name pip installs, as in pyproject.toml


def require_extra(extra: str, purpose: str, *modules: str) -> None:
    """Raise :class:`MissingExtra` unless every module of the optional ``extra`` can be imported."""
    for module in modules:
        if importlib.util.find_spec(module) is None:
            raise MissingExtra(extra, purpose, module)


class MissingExtra(BotError):
    """A tool needs the packages of an optional extra (``pip install 'retainment-bot[extra]'``)."""

    def __init__(self, extra: str, purpose: str, missing: str) -> None:
        self.extra = extra
        super().__init__(
            f"{purpose} needs the optional '{extra}' packages ({missing} is not installed): "
            f"pip install '{DISTRIBUTION}[{extra}]'"
        )
