"""The load generator and the bot processes it drives.

Generic on purpose, so that it keeps working whatever the update pipeline becomes: it only POSTs
Telegram update JSON to ``http://127.0.0.1:PORT/<path>`` with the secret header, and counts as a
reply the fake API's ``sendMessage`` to that chat (:mod:`benchmarks.fakeapi`).

Users are many and distinct. Each follows a short session: ``/start`` (half of them through a
deep link), presses of buttons taken from the bot's own last keyboard, and questions typed in
their language. A fixed number of updates is in flight at once (closed loop); a user sends the
next update only once the bot has gone quiet in their chat, so a late second message of one
answer is never taken for the first reply to the next update.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.fakeapi import BOT_USER, FakeApi, Reply

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123:bench"
SECRET = "bench-secret"
HOOK_PATH = "hook"
LANGUAGES = ("vi", "en", "ja")


# -- updates ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Material:
    """What users say: deep-link payloads and typed questions per language."""

    topics: tuple[str, ...]
    questions: dict[str, tuple[str, ...]]


def material(topics: Sequence[str]) -> Material:
    """Questions from the evaluation sets (tests/eval/*/questions_<lang>.yaml)."""
    import yaml

    questions: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
    for path in sorted((ROOT / "tests" / "eval").rglob("questions_*.yaml")):
        lang = path.stem.removeprefix("questions_")
        if lang in questions:
            questions[lang] += [str(entry["q"]) for entry in yaml.safe_load(path.read_text(encoding="utf-8"))]
    return Material(tuple(topics), {lang: tuple(found) for lang, found in questions.items()})


class Ids:
    """Update, user and message ids, unique in a harness run."""

    def __init__(self, first_user: int = 10_000_000) -> None:
        self.updates = itertools.count(1)
        self.users = itertools.count(first_user)
        self.messages = itertools.count(1)


def _user(user_id: int, lang: str) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Bench", "language_code": lang}


def text_update(ids: Ids, user_id: int, lang: str, text: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(ids.messages),
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": "Bench"},
        "from": _user(user_id, lang),
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split(" ")[0])}]
    return {"update_id": next(ids.updates), "message": message}


def press_update(ids: Ids, user_id: int, lang: str, data: str) -> dict[str, Any]:
    shown = {
        "message_id": next(ids.messages),
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": "Bench"},
        "from": BOT_USER,
        "text": "…",
    }
    query = {"id": str(next(ids.messages)), "from": _user(user_id, lang), "chat_instance": "1", "data": data}
    return {"update_id": next(ids.updates), "callback_query": {**query, "message": shown}}


class Session:
    """One user's visit: ``/start``, then 2 to 8 presses and typed questions (3 to 2)."""

    def __init__(self, ids: Ids, stuff: Material, rng: random.Random) -> None:
        self.ids, self.stuff, self.rng = ids, stuff, rng
        self.user_id = next(ids.users)
        self.lang = rng.choice(LANGUAGES)
        # Sessions of different lengths, presses and questions mixed, so that users started at
        # the same moment soon fall out of step.
        steps = rng.randint(2, 8)
        self.plan = iter(["start", *(rng.choice(("press", "press", "press", "type", "type")) for _ in range(steps))])

    def next_update(self, keyboard: tuple[str, ...]) -> dict[str, Any] | None:
        """The next update, pressing a button of ``keyboard`` (the bot's last); None when done."""
        kind = next(self.plan, None)
        if kind is None:
            return None
        rng = self.rng
        if kind == "start":
            roll = rng.random()
            if roll < 0.45 or not self.stuff.topics:
                text = "/start"
            elif roll < 0.95:
                topic = rng.choice(self.stuff.topics)
                text = f"/start {topic}-{self.lang}" if rng.random() < 0.5 else f"/start {topic}"
            else:
                text = "/start no_such_topic"
            return text_update(self.ids, self.user_id, self.lang, text)
        if kind == "press" and keyboard:
            return press_update(self.ids, self.user_id, self.lang, rng.choice(keyboard))
        question = rng.choice(self.stuff.questions.get(self.lang) or ("hello",))
        return text_update(self.ids, self.user_id, self.lang, question)


# -- posting -----------------------------------------------------------------------------------


class Poster:
    """POSTs JSON over kept-alive connections (one per worker), as Telegram's servers do."""

    def __init__(self) -> None:
        self.connections: dict[int, tuple[asyncio.StreamReader, asyncio.StreamWriter]] = {}

    async def post(self, port: int, body: bytes) -> int:
        """The HTTP status; 0 when the connection failed."""
        for _ in range(2):
            try:
                if port not in self.connections:
                    self.connections[port] = await asyncio.open_connection("127.0.0.1", port)
                reader, writer = self.connections[port]
                writer.write(
                    f"POST /{HOOK_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                    f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                status = int(lines[0].split(" ")[1])
                headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
                if "content-length" in headers:
                    await reader.readexactly(int(headers["content-length"]))
                elif headers.get("transfer-encoding") == "chunked":
                    await reader.readuntil(b"0\r\n\r\n")
                return status
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                self.close(port)
        return 0

    def close(self, port: int | None = None) -> None:
        for key in [port] if port is not None else list(self.connections):
            pair = self.connections.pop(key, None) if key is not None else None
            if pair is not None:
                pair[1].close()


# -- the load generator ------------------------------------------------------------------------


@dataclass
class RunResult:
    """One run against one set of processes."""

    updates: int  # answered
    replies: int
    seconds: float
    latencies: list[float]
    lost: int
    posted: int
    answered: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def updates_per_s(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    @property
    def replies_per_s(self) -> float:
        return self.replies / self.seconds if self.seconds else 0.0

    def latency(self, share: float) -> float:
        return percentile(self.latencies, share) if self.latencies else float("nan")


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass
class Generator:
    """Drives a set of webhook ports (round robin) through one fake API."""

    api: FakeApi
    stuff: Material
    ids: Ids = field(default_factory=Ids)
    concurrency: int = 32
    timeout: float = 30.0
    rng: random.Random = field(default_factory=lambda: random.Random(13))
    keyboards: dict[int, tuple[str, ...]] = field(default_factory=dict)
    last_reply: dict[int, float] = field(default_factory=dict)
    waiting: dict[int, asyncio.Future[float]] = field(default_factory=dict)
    pools: dict[tuple[int, ...], collections.deque[Session]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.api.on_reply = self.on_reply

    def on_reply(self, reply: Reply) -> None:
        self.last_reply[reply.chat_id] = reply.at
        if reply.buttons:
            self.keyboards[reply.chat_id] = reply.buttons
        waiter = self.waiting.pop(reply.chat_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(reply.at)

    async def run(self, ports: Sequence[int], seconds: float, max_updates: int | None = None) -> RunResult:
        """Keep ``concurrency`` updates in flight for ``seconds`` (or ``max_updates``), then drain."""
        quiet = 0.1 + 3 * self.api.latency
        # Users whose chat went quiet go first; a new user arrives only when none is ready. The
        # users carry over to the next run against the same ports, so that after the warm-up
        # the mix of updates is the sessions' (per /start, about three presses, two questions).
        ready = self.pools.setdefault(tuple(ports), collections.deque())

        def take() -> Session:
            if ready and self.last_reply.get(ready[0].user_id, 0.0) + quiet <= time.monotonic():
                return ready.popleft()
            return Session(self.ids, self.stuff, self.rng)

        posters: list[Poster] = []
        turn = itertools.cycle(ports)
        latencies: list[float] = []
        answered: list[dict[str, Any]] = []
        counts = {"posted": 0, "lost": 0}
        replies_before = self.api.replies
        started = time.monotonic()

        def more() -> bool:
            if max_updates is not None:
                return counts["posted"] < max_updates
            return time.monotonic() - started < seconds

        async def worker() -> None:
            poster = Poster()
            posters.append(poster)
            while more():
                session = take()
                update = session.next_update(self.keyboards.get(session.user_id, ()))
                if update is None:
                    self.keyboards.pop(session.user_id, None)
                    self.last_reply.pop(session.user_id, None)
                    continue
                counts["posted"] += 1
                chat = session.user_id
                waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
                self.waiting[chat] = waiter
                sent = time.monotonic()
                status = await poster.post(next(turn), json.dumps(update).encode())
                try:
                    if status != 200:
                        raise TimeoutError
                    answered_at = await asyncio.wait_for(waiter, self.timeout)
                    latencies.append(answered_at - sent)
                    answered.append(update)
                except TimeoutError:
                    counts["lost"] += 1
                    self.waiting.pop(chat, None)
                ready.append(session)

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))
        elapsed = time.monotonic() - started
        for poster in posters:
            poster.close()
        return RunResult(
            updates=len(latencies),
            replies=self.api.replies - replies_before,
            seconds=elapsed,
            latencies=latencies,
            lost=counts["lost"],
            posted=counts["posted"],
            answered=answered,
        )

    async def redeliver(
        self, ports: Sequence[int], answered: Sequence[dict[str, Any]], settle: float = 1.5
    ) -> tuple[int, int]:
        """Post ``answered`` updates again, alternately to each port (Telegram redelivering,
        to either replica) once they have been answered; return (redelivered, replies to them)."""
        sample = list(answered)
        poster = Poster()
        chats = {_chat(update) for update in sample}
        await asyncio.sleep(settle)
        extra_chats: list[int] = []
        previous = self.api.on_reply

        def spy(reply: Reply) -> None:
            if reply.chat_id in chats:
                extra_chats.append(reply.chat_id)
            if previous is not None:
                previous(reply)

        self.api.on_reply = spy
        try:
            for index, update in enumerate(sample):
                await poster.post(ports[index % len(ports)], json.dumps(update).encode())
            await asyncio.sleep(settle)
        finally:
            self.api.on_reply = previous
            poster.close()
        return len(sample), len(extra_chats)


def _chat(update: dict[str, Any]) -> int:
    inner = update.get("message") or update["callback_query"]
    return int(inner["from"]["id"])


# -- processes ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Process:
    """A bot (``python -m retainment_bot webhook``) or the echo baseline, listening on ``port``."""

    kind: str
    port: int
    popen: subprocess.Popen[bytes]
    log: Path
    started: float

    @property
    def rss_mib(self) -> float:
        """Resident memory now, from /proc."""
        return self.memory_mib()["VmRSS"]

    def memory_mib(self) -> dict[str, float]:
        """``VmRSS`` and its parts ``RssAnon`` (the process's own memory) and ``RssFile`` (pages
        of mapped files, such as libraries and SudachiPy's dictionary: shared with the page
        cache, and dropped by the kernel under memory pressure), from /proc, in MiB; and
        ``Dictionary``, the part of ``RssFile`` that is SudachiPy's dictionary (/proc/PID/smaps)."""
        from retainment_bot.i18n.japanese import DICTIONARY_FILE

        found = dict.fromkeys(("VmRSS", "RssAnon", "RssFile"), float("nan"))
        for line in Path(f"/proc/{self.popen.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in found:
                found[name] = int(value.split()[0]) / 1024
        found["Dictionary"], inside = 0.0, False
        for line in Path(f"/proc/{self.popen.pid}/smaps").read_text().splitlines():
            head = line.split(maxsplit=1)
            if head and not head[0].endswith(":"):  # a mapping's first line: its range, ..., its path
                inside = line.endswith(DICTIONARY_FILE)
            elif inside and head[0] == "Rss:":
                found["Dictionary"] += int(head[1].split()[0]) / 1024
        return found

    async def stop(self, timeout: float = 20.0) -> None:
        """SIGINT, as a platform stops a process, while the loop keeps the fake API answering."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            deadline = time.monotonic() + timeout
            while self.popen.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            if self.popen.poll() is None:
                self.popen.kill()
                self.popen.wait()


def spawn(
    kind: str,
    api: FakeApi,
    workdir: Path,
    database_url: str | None = None,
    prefix: Sequence[str] = (),
    extra_env: Mapping[str, str] | None = None,
    root: Path = ROOT,
) -> Process:
    """Start ``kind`` ("bot" or "echo") with the webhook environment (and ``extra_env``);
    ``prefix`` wraps the command (a profiler). SQLite lives in ``workdir`` unless
    ``database_url`` is given. ``root`` is the source tree it runs from (another checkout's,
    for a comparison)."""
    port = free_port()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api.base_url,
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/{HOOK_PATH}",
        "WEBHOOK_SECRET": SECRET,
        "PORT": str(port),
        "DATA_DIR": str(workdir / "data"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        # The fake Bot API is not Telegram: the bot's own send limits (30/s overall, 1/s a chat)
        # would measure Telegram's limits, not the bot. BENCH_SEND_LIMITS=1 keeps them on.
        **({} if os.environ.get("BENCH_SEND_LIMITS") == "1" else {"SEND_RATE": "0", "CHAT_SEND_INTERVAL": "0"}),
    }
    env.pop("DATABASE_URL", None)
    if root != ROOT:
        env["PYTHONPATH"] = str(root)
    env.update(extra_env or {})
    if database_url:
        env["DATABASE_URL"] = database_url
    module = ["-m", "retainment_bot", "webhook"] if kind == "bot" else ["-m", "benchmarks.echo_bot"]
    log = workdir / f"{kind}-{port}.log"
    started = time.monotonic()
    with log.open("wb") as out:
        popen = subprocess.Popen([*prefix, sys.executable, *module], env=env, cwd=root, stdout=out, stderr=out)
    return Process(kind, port, popen, log, started)


# The settings a small host runs with (README): no classifier (and no Japanese analyser, which is
# off by default since session 18).
SMALL_HOST = {"BOT_JAPANESE_ANALYSER": "off", "BOT_SECOND_OPINION": "off"}
# Memory beside the default's: the small host's, and with the Japanese analyser turned on.
MEMORY_SETTINGS = {
    "small host": SMALL_HOST,
    "with the Japanese analyser": {"BOT_JAPANESE_ANALYSER": "on"},
}


def prepare_start(workdir: Path, settings: Mapping[str, str] | None = None) -> dict[str, str]:
    """Make a start like a deployed restart: the package and the baseline byte-compiled, as a
    wheel install is (a checkout may have no bytecode, and with ``PYTHONDONTWRITEBYTECODE=1``
    every start would compile the source again), and the bot's engine cache written in
    ``workdir`` for these ``settings`` (environment variables such as ``SMALL_HOST``; a cache
    directory holds one engine per content directory, so each setting gets its own). Returns the
    environment that starts the bot with that cache and those settings."""
    import compileall

    from retainment_bot.cache import CACHE_ENV
    from retainment_bot.project import Project

    for package in ("retainment_bot", "benchmarks"):
        compileall.compile_dir(ROOT / package, quiet=1)
    settings = dict(settings or {})
    name = "engine-cache" + "".join(f"-{key}={value}" for key, value in sorted(settings.items()))
    env = {CACHE_ENV: str(workdir / name), **settings}
    before = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        Project.from_env().engine(cached=True)
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key)
            else:
                os.environ[key] = value
    return env


async def wait_listening(process: Process, timeout: float = 120.0) -> None:
    """Until the webhook accepts connections; raises with the log's tail if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.kind} exited early:\n{process.log.read_text()[-3000:]}")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", process.port)
            writer.close()
            return
        await asyncio.sleep(0.01)
    raise RuntimeError(f"{process.kind} did not listen within {timeout:.0f} s:\n{process.log.read_text()[-3000:]}")


async def first_reply(generator: Generator, process: Process, timeout: float = 120.0) -> float:
    """Seconds from the process's start to the first reply to a ``/start`` posted as soon as
    the webhook accepts connections (re-posted while the process is not serving yet)."""
    user = next(generator.ids.users)
    waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    generator.waiting[user] = waiter
    poster = Poster()
    deadline = time.monotonic() + timeout
    try:
        while True:
            if process.popen.poll() is not None:
                raise RuntimeError(f"{process.kind} exited early:\n{process.log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{process.kind}: no reply within {timeout:.0f} s")
            body = json.dumps(text_update(generator.ids, user, "en", "/start")).encode()
            status = await poster.post(process.port, body)
            if status == 200:
                break
            await asyncio.sleep(0.01)
        answered = await asyncio.wait_for(waiter, timeout)
    finally:
        poster.close()
    return answered - process.started


def median(values: Iterator[float] | Sequence[float]) -> float:
    listed = list(values)
    return statistics.median(listed) if listed else float("nan")
