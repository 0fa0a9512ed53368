"""State across restarts and replicas: a restart resumes the conversation, two Applications on
one database lose no update, a redelivered update is applied once, and the webhook checks its
secret token."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from retainment_bot.engine.engine import Engine
from retainment_bot.engine.render import button_data
from retainment_bot.project import Project
from retainment_bot.store import SqliteStore, Store
from tests.conftest import ROOT
from tests.fakebotapi import FakeBotApi, message, press
from tests.telegram_harness import postgres_store, running, settings_for

USER = 555


async def test_a_restart_in_the_middle_of_a_conversation_keeps_the_state(
    api: FakeBotApi, engine: Engine, store: Store
) -> None:
    settings = settings_for(api)
    async with running(engine, store, settings):
        api.queue(message(USER, "/start eligibility"))
        (question,) = await api.wait_messages(USER, 1)
        data = [b.get("callback_data", "") for b in question.buttons]
        returnee = next(d for d in data if d.startswith("eligibility.start:2:"))
        api.queue(press(USER, returnee))
        await api.wait_messages(USER, 2)
    # A new process: a new Application and a new store object on the same database.
    again = SqliteStore(store.path) if isinstance(store, SqliteStore) else postgres_store(store.schema)  # type: ignore[attr-defined]
    started = time.perf_counter()
    async with running(engine, again, settings):
        api.queue(message(USER, "yes"))  # answers "cannot return home?" on the saved screen
        messages = await api.wait_messages(USER, 3)
        resumed = time.perf_counter() - started
        saved = await again.load(USER)
    assert "Did you wish to stay in Japan" in messages[2].text
    assert saved is not None and saved.answers == (("cannot_return", "yes"), ("situation", "returnee"))
    assert saved.history == ("eligibility.start", "eligibility.returnee")
    print(f"\nrestart to first reply ({type(store).__name__}): {resumed * 1000:.0f} ms")


def load_test_project(tmp_path: Path, questions: int) -> Engine:
    """A project with ``questions`` one-button questions, each recording its own answer key."""
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    (tmp_path / "dialogues").mkdir()
    shutil.copy(ROOT / "dialogues" / "start.yaml", tmp_path / "dialogues" / "start.yaml")
    shutil.copy(ROOT / "dialogues" / "contact.yaml", tmp_path / "dialogues" / "contact.yaml")  # the notices' full text
    start = (tmp_path / "dialogues" / "start.yaml").read_text(encoding="utf-8")
    start = start.replace("      - label: ✅ Was I eligible? (check)\n        goto: eligibility.start\n", "")
    lines = [line for line in start.splitlines() if "goto:" not in line and "- label:" not in line]
    start = "\n".join(lines) + "\n      - label: Load\n        goto: load.q0\n"
    (tmp_path / "dialogues" / "start.yaml").write_text(start, encoding="utf-8")
    nodes = []
    for i in range(questions):
        nodes.append(
            f"  - id: load.q{i}\n    text: Question {i}\n    ask: a{i}\n    buttons:\n"
            f"      - label: Answer\n        value: v{i}\n        goto: load.q{(i + 1) % questions}\n"
        )
    body = "topic: load\ntitle: Load\nnotice: none\nnodes:\n" + "".join(nodes)
    (tmp_path / "dialogues" / "load.yaml").write_text(body, encoding="utf-8")
    return Project(tmp_path).engine()


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
async def test_two_replicas_on_one_database_lose_no_update_and_apply_redeliveries_once(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    """Interleaved presses of one user reach two Applications at once; some are delivered to both."""
    questions, redelivered = 40, 10
    engine = load_test_project(tmp_path, questions)
    if backend == "postgres":
        schema = request.getfixturevalue("pg_schema")
        stores: list[Store] = [postgres_store(schema), postgres_store(schema)]
    else:
        stores = [SqliteStore(tmp_path / "shared.sqlite3"), SqliteStore(tmp_path / "shared.sqlite3")]
    apis = [FakeBotApi(), FakeBotApi()]
    for api in apis:
        await api.start()

    async with running(engine, stores[0], settings_for(apis[0])), running(engine, stores[1], settings_for(apis[1])):
        updates = []
        for i in range(questions):
            update = press(USER, button_data(engine.content.nodes[f"load.q{i}"], 0))
            update["update_id"] = 10_000 + i
            updates.append(update)
        for i, update in enumerate(updates):
            apis[i % 2].queue(json.loads(json.dumps(update)))
            if i < redelivered:  # Telegram delivers these twice, once to each replica
                apis[(i + 1) % 2].queue(json.loads(json.dumps(update)))
        deadline = time.monotonic() + 30
        while sum(len(api.messages_to(USER)) for api in apis) < questions and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # give a wrongly applied duplicate the time to show up
        state = await stores[0].load(USER)
    sent = [len(api.messages_to(USER)) for api in apis]
    for api in apis:
        await api.stop()
    assert state is not None
    kept = {key for key, _ in state.answers}
    print(
        f"\n{backend}: {questions} updates ({redelivered} delivered twice) over 2 replicas: "
        f"{sum(sent)} replies sent {sent}, {len(kept)} answers kept"
    )
    assert kept == {f"a{i}" for i in range(questions)}, "an update was lost"
    assert sum(sent) == questions, "a redelivered update was applied twice"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_webhook_accepts_only_the_secret_token(api: FakeBotApi, engine: Engine, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    settings = settings_for(api, webhook_url=url, webhook_secret="s3cret", port=port)
    async with running(engine, SqliteStore(tmp_path / "bot.sqlite3"), settings, polling=False):
        update = {"update_id": 1, **message(USER, "/start")}
        async with httpx.AsyncClient() as client:
            missing = await client.post(url, json=update)
            wrong = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
            assert api.messages_to(USER) == []
            right = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"})
        (reply,) = await api.wait_messages(USER, 1)
        set_webhook = [c for c in api.calls if c.method == "setWebhook"]
    assert (missing.status_code, wrong.status_code, right.status_code) == (403, 403, 200)
    assert "start.menu:0:" in str(reply.buttons)
    assert set_webhook and set_webhook[0].params["secret_token"] == "s3cret"


async def test_the_webhook_refuses_a_body_that_is_not_an_update(
    api: FakeBotApi, engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """400 without a traceback or the body in the logs; the next real update is served."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    settings = settings_for(api, webhook_url=url, port=port)
    secret_text = "Nguyen Van Binh lives in Minato-ku"
    caplog.set_level("DEBUG")
    async with running(engine, SqliteStore(tmp_path / "bot.sqlite3"), settings, polling=False):
        async with httpx.AsyncClient() as client:
            answers = [
                (await client.post(url, content=body)).status_code
                for body in (
                    b"not json " + secret_text.encode(),
                    json.dumps([secret_text]).encode(),
                    json.dumps({"update_id": "x", "text": secret_text}).encode(),
                    json.dumps({"update_id": 5, "message": {"text": secret_text}}).encode(),
                )
            ]
            good = await client.post(url, json={"update_id": 6, **message(USER, "/start")})
        await api.wait_messages(USER, 1)
    assert answers == [400, 400, 400, 400]
    assert good.status_code == 200
    assert secret_text not in caplog.text and "Traceback" not in caplog.text


def test_the_bot_serves_a_bot_api_server_from_the_environment(tmp_path: Path) -> None:
    """`TELEGRAM_BOT_TOKEN=... TELEGRAM_API_URL=... python -m retainment_bot` talks to that server."""
    import os
    import subprocess
    import sys

    async def scenario() -> list[Any]:
        api = FakeBotApi()
        await api.start()
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_URL": api.base_url,
            "DATA_DIR": str(tmp_path / "data"),
        }
        env.pop("WEBHOOK_URL", None)
        env.pop("DATABASE_URL", None)
        process = subprocess.Popen(
            [sys.executable, "-m", "retainment_bot"], env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True
        )
        try:
            api.queue(message(USER, "/start titp-ja", lang="en"))
            messages = await api.wait_messages(USER, 1, timeout=30)
        finally:
            process.terminate()  # SIGTERM: a clean stop
            _, stderr = await asyncio.to_thread(process.communicate, timeout=30)
            await api.stop()
        assert process.returncode == 0, stderr
        assert api.token not in stderr and "/start" not in stderr
        return messages

    messages = asyncio.run(scenario())
    assert "技能実習" in messages[0].text
    assert (tmp_path / "data" / "bot.sqlite3").exists()
