"""The architecture's rules, held by a test: the core stays pure and Telegram stays in its shell."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_the_telegram_package_imports_telegram() -> None:
    for path in (ROOT / "retainment_bot").rglob("*.py"):
        if "telegram" in path.relative_to(ROOT / "retainment_bot").parts[:1]:
            continue
        assert not any(name == "telegram" or name.startswith("telegram.") for name in imports_of(path)), path


def test_the_engine_imports_nothing_of_the_shells() -> None:
    shells = (
        "retainment_bot.telegram",
        "retainment_bot.store",
        "retainment_bot.i18n",
        "retainment_bot.chat",
        "retainment_bot.cli",
        "retainment_bot.project",
        "retainment_bot.settings",
    )
    for path in (ROOT / "retainment_bot" / "engine").rglob("*.py"):
        for name in imports_of(path):
            assert not name.startswith(shells), f"{path.name} imports {name}"
        assert not {"sqlite3", "psycopg", "socket", "httpx", "time"} & imports_of(path), path
