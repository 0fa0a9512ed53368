"""Helpers for the durability tests: the real ``python -m retainment_bot webhook`` process, a PostgreSQL
server of the test's own, a burst of button presses whose effects can be counted exactly."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from retainment_bot.engine.engine import Engine
from retainment_bot.engine.render import button_data
from tests.conftest import ROOT
from tests.fakebotapi import FakeBotApi, message, press

PG_BIN = Path("/usr/lib/postgresql/15/bin")
QUESTION = re.compile(r"Question (\d+)")
# Typed by the "chatty" users; no log line may contain it.
PRIVATE_TEXT = "my name is Nguyen Van Binh, I live in Nagoya Minato-ku"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Burst:
    """``users`` users each pressing the buttons of a chain of ``questions`` questions, in order,
    interleaved across users; plus ``chatty`` users typing a private sentence."""

    engine: Engine
    users: tuple[int, ...]
    questions: int
    chatty: tuple[int, ...] = ()
    updates: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        update_id = 50_000
        for i in range(self.questions):
            for user_id in self.users:
                update_id += 1
                update = press(user_id, button_data(self.engine.content.nodes[f"load.q{i}"], 0))
                self.updates.append({"update_id": update_id, **update})
            for user_id in self.chatty:
                update_id += 1
                self.updates.append({"update_id": update_id, **message(user_id, PRIVATE_TEXT)})

    @property
    def presses(self) -> int:
        return len(self.users) * self.questions

    def order_seen(self, api: FakeBotApi, user_id: int) -> list[int]:
        """The questions this user was shown, in order of first arrival."""
        seen: list[int] = []
        for sent in api.messages_to(user_id):
            match = QUESTION.search(sent.text)
            if match and int(match.group(1)) not in seen:
                seen.append(int(match.group(1)))
        return seen

    def expected_order(self) -> list[int]:
        return [(i + 1) % self.questions for i in range(self.questions)]

    def answered(self, api: FakeBotApi) -> bool:
        """Every press has its answer and every chatty message an answer."""
        pressed = all(len(self.order_seen(api, user_id)) == self.questions for user_id in self.users)
        typed = all(len(api.messages_to(user_id)) >= self.questions for user_id in self.chatty)
        return pressed and typed

    def answered_count(self, api: FakeBotApi) -> int:
        """Updates with their answer: distinct questions shown per presser, messages per chatty user."""
        pressed = sum(len(self.order_seen(api, user_id)) for user_id in self.users)
        return pressed + sum(min(self.questions, len(api.messages_to(user_id))) for user_id in self.chatty)

    def report(self, api: FakeBotApi, acknowledged: int, applied: int) -> str:
        """sent / acknowledged / applied / answered / lost, as the issue asks."""
        answered = self.answered_count(api)
        return (
            f"sent {len(self.updates)} / acknowledged {acknowledged} / applied {applied} of {self.presses} presses"
            f" / answered {answered} / lost {len(self.updates) - answered} / duplicated answers {self.duplicates(api)}"
        )

    def duplicates(self, api: FakeBotApi) -> int:
        """Answers that arrived more than once (allowed after a crash or a timeout: at least once)."""
        extra = 0
        for user_id in self.users:
            texts = [QUESTION.search(s.text) for s in api.messages_to(user_id)]
            numbers = [int(m.group(1)) for m in texts if m]
            extra += len(numbers) - len(set(numbers))
        return extra


async def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


class BotProcess:
    """``python -m retainment_bot webhook`` with the given environment; stderr goes to ``log``."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "retainment_bot", "webhook"], env=self.env, cwd=ROOT, stderr=sink, stdout=sink
            )

    def kill(self) -> None:
        """kill -9: no chance to clean up."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM, and the exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop_quietly(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.kill()
            self.process.wait(timeout=10)


def bot_env(api: FakeBotApi, port: int, content: Path, **extra: str) -> dict[str, str]:
    """The environment of ``python -m retainment_bot webhook`` against the fake Bot API, logging at DEBUG."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_URL": api.base_url,
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
        "WEBHOOK_LISTEN": "127.0.0.1",
        "PORT": str(port),
        "WEBHOOK_SECRET": "s3cret",
        "BOT_CONTENT_DIR": str(content),
        "LOG_LEVEL": "DEBUG",
        "SEND_RATE": "0",
        "CHAT_SEND_INTERVAL": "0",
        "LEASE_SECONDS": "3",
        "SEND_TIMEOUT": "1",
        **extra,
    }
    env.pop("DATABASE_URL", None)
    env.update(extra)
    return env


def schema_url(base: str, schema: str) -> str:
    """A PostgreSQL URL whose connections work in ``schema`` (created here)."""
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


class OwnPostgres:
    """A PostgreSQL server of the test's own (initdb in a temporary directory, a free port), so
    that it can be stopped without touching the shared one."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="pg-own-"))
        self.port = free_port()
        self.data = self.dir / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *args: str | Path) -> None:
        command = [str(a) for a in args]
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres(PG_BIN / "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-N")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir} -c fsync=off"
        self._as_postgres(
            PG_BIN / "pg_ctl", "-D", str(self.data), "-o", options, "-w", "-l", str(self.dir / "log"), "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """``fast``: a clean shutdown; ``immediate``: what a crash does to the server (its shared
        memory, with WAL not yet written, is thrown away; recovery runs at the next start)."""
        self._as_postgres(PG_BIN / "pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    server = OwnPostgres()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.remove()
