"""Shared fixtures: the real project, its engine, a scratch copy to break, and a jsonl chat."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from retainment_bot.engine.engine import Engine
from retainment_bot.project import Project

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("en", "vi", "ja")
KASUMIGASEKI = (
    "1-1-1 Kasumigaseki, Chiyoda-ku, Tokyo, 100-8973",
    "出入国在留管理庁 在留管理支援部 在留管理課 雇用維持支援担当",
)


# The bot runs on uvloop where it is installed (retainment_bot/telegram/eventloop.py): the tests of
# the running bot run on it as well as on asyncio's own loop.
BOTH_LOOPS = ("tests.test_telegram", "tests.test_telegram_state", "tests.test_outgoing")


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    """asyncio's own loop for every test, and uvloop (when installed) too for ``BOTH_LOOPS``."""
    loops: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {"asyncio": asyncio.new_event_loop}
    module = getattr(item, "module", None)
    if module is not None and module.__name__ in BOTH_LOOPS:
        from retainment_bot.telegram.eventloop import loop_factory

        uvloop = loop_factory("uvloop")
        if uvloop is not None:
            loops["uvloop"] = uvloop
    return loops


@pytest.fixture(scope="session")
def project() -> Project:
    return Project(ROOT)


@pytest.fixture(scope="session")
def engine(project: Project) -> Engine:
    return project.engine()


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A copy of the project's content and catalogs that a test may break."""
    for name in ("dialogues", "locales", "search"):
        shutil.copytree(ROOT / name, tmp_path / name)
    for name in ("babel.cfg", "languages.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    # The interface strings, for extraction (Babel does not follow symlinks).
    shutil.copytree(ROOT / "retainment_bot", tmp_path / "retainment_bot", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def run_bot(
    *args: str, root: Path = ROOT, stdin: str = "", timeout: float = 60, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m retainment_bot ARGS`` on the project at ``root``, in ``cwd``."""
    env = {**os.environ, "BOT_CONTENT_DIR": str(root)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "retainment_bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )


class JsonlChat:
    """The terminal chat in ``--jsonl`` mode, driven line by line as a script would."""

    def __init__(self, lang: str | None, root: Path = ROOT) -> None:
        args = [sys.executable, "-m", "retainment_bot", "chat", "--jsonl"] + (["--lang", lang] if lang else [])
        env = {**os.environ, "BOT_CONTENT_DIR": str(root)}
        self.process = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT, encoding="utf-8"
        )
        self.replies: list[dict[str, Any]] = []

    def send(self, message: dict[str, str]) -> list[dict[str, Any]]:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(message, ensure_ascii=False) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        self.replies = answer["replies"]
        return self.replies

    def text(self, text: str) -> list[dict[str, Any]]:
        return self.send({"text": text})

    def press(self, data: str) -> list[dict[str, Any]]:
        return self.send({"press": data})

    def press_option(self, index: int) -> list[dict[str, Any]]:
        """Press the ``index``-th content button of the last screen, whatever its language."""
        node = self.node
        prefix = f"{node}:{index}:"
        matches = [b["data"] for b in self.buttons if b.get("data", "").startswith(prefix)]
        assert matches, f"no button {index} on {node}: {self.buttons}"
        return self.press(matches[0])

    @property
    def last(self) -> dict[str, Any]:
        return self.replies[-1]

    @property
    def node(self) -> str | None:
        node = self.last["node"]
        assert node is None or isinstance(node, str)
        return node

    @property
    def buttons(self) -> list[dict[str, str]]:
        buttons: list[dict[str, str]] = self.last["buttons"]
        return buttons

    @property
    def all_text(self) -> str:
        return "\n".join(reply["text"] for reply in self.replies)

    def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait(timeout=10)


@pytest.fixture
def chat() -> Iterator[Any]:
    """A factory of jsonl chats, closed after the test."""
    chats: list[JsonlChat] = []

    def start(lang: str | None = "en", root: Path = ROOT) -> JsonlChat:
        session = JsonlChat(lang, root)
        chats.append(session)
        return session

    yield start
    for session in chats:
        session.close()


@pytest.fixture
async def api() -> Any:
    """A fake Bot API server on a free port of 127.0.0.1."""
    from tests.fakebotapi import FakeBotApi

    server = FakeBotApi()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh schema on the PostgreSQL test server, dropped afterwards. Fails (never skips) if
    the server is missing: point TEST_DATABASE_URL at one (see README)."""
    import psycopg

    from tests.telegram_harness import DATABASE_URL, drop_schema, new_schema

    try:
        psycopg.connect(DATABASE_URL, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is required at TEST_DATABASE_URL={DATABASE_URL}: {exc}")
    schema = new_schema()
    yield schema
    drop_schema(schema)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """Each real backend in turn: a SQLite file, then a PostgreSQL schema."""
    from retainment_bot.store import SqliteStore
    from tests.telegram_harness import postgres_store

    if request.param == "sqlite":
        return SqliteStore(tmp_path / "data" / "bot.sqlite3")
    return postgres_store(request.getfixturevalue("pg_schema"))
