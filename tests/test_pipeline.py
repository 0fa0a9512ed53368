"""The durable update pipeline under faults, with real processes and real databases: kill -9 in
the middle of a burst, PostgreSQL stopped and restarted, a Bot API that fails, /forget racing
updates, two replicas sharing PostgreSQL, SIGTERM with a backlog; and the logs of all of it."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import pytest

from retainment_bot.engine.engine import Engine, State
from retainment_bot.store import Effect, PostgresStore, SqliteStore, Store
from tests.fakebotapi import FIRST_NAME, LAST_NAME, FakeBotApi, WebhookPoster, message, press
from tests.pipeline_harness import (
    PRIVATE_TEXT,
    BotProcess,
    Burst,
    bot_env,
    free_port,
    own_postgres,
    schema_url,
    wait_until,
)
from tests.telegram_harness import DATABASE_URL, postgres_store, running, settings_for
from tests.test_telegram_state import load_test_project

QUESTIONS = 12


def clean(log: str, token: str) -> None:
    """No message text, name or token in a log."""
    for secret in (token, FIRST_NAME, LAST_NAME, PRIVATE_TEXT, "Nguyen Van Binh"):
        assert secret not in log, f"{secret!r} is in the log"


async def views(store: Store) -> int:
    """Topic views recorded: one per applied press, so it counts applications exactly."""
    await store.open()
    try:
        report = await store.report("2000-01-01")
    finally:
        await store.close()
    return sum(count for _, topic, _, count in report.views if topic == "load")


def reopen(backend: str, tmp_path: Path, schema: str | None) -> Store:
    if backend == "sqlite":
        return SqliteStore(tmp_path / "data" / "bot.sqlite3")
    assert schema is not None
    return postgres_store(schema)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_kill_9_in_a_burst_loses_no_acknowledged_update(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    """The real `python -m retainment_bot webhook` is killed (SIGKILL) while a few hundred updates arrive;
    restarted, it applies every acknowledged update exactly once, in each user's order, and
    answers each; then SIGTERM stops it with exit status 0."""
    engine = load_test_project(tmp_path / "project", QUESTIONS)
    burst = Burst(engine, users=tuple(range(101, 121)), questions=QUESTIONS, chatty=(901, 902))
    api = FakeBotApi()
    await api.start()
    port = free_port()
    schema = request.getfixturevalue("pg_schema") if backend == "postgres" else None
    database = {"DATABASE_URL": schema_url(DATABASE_URL, schema)} if schema else {"DATA_DIR": str(tmp_path / "data")}
    log = tmp_path / "bot.log"
    bot = BotProcess(bot_env(api, port, tmp_path / "project", **database), log)
    poster = WebhookPoster(f"http://127.0.0.1:{port}/hook", secret="s3cret")
    try:
        bot.start()
        await poster.start()
        for update in burst.updates:
            poster.post(update)
        await wait_until(lambda: len(poster.acknowledged) >= len(burst.updates) // 3, 60, "a third acknowledged")
        bot.kill()
        acknowledged_before = len(poster.acknowledged)
        bot.start()
        await poster.drain(timeout=90)
        await wait_until(lambda: burst.answered(api), 60, "every answer")
        status = bot.terminate()
    finally:
        await poster.stop()
        bot.stop_quietly()
        await api.stop()
    applied = await views(reopen(backend, tmp_path, schema))
    print(
        f"\nkill -9 ({backend}): {burst.report(api, len(poster.acknowledged), applied)}; "
        f"{acknowledged_before} acknowledged before the kill; posts by status {poster.statuses}"
    )
    assert status == 0
    assert len(poster.acknowledged) == len(burst.updates)
    assert applied == burst.presses, "a press was lost or applied twice"
    for user_id in burst.users:
        assert burst.order_seen(api, user_id) == burst.expected_order(), "a user's updates were reordered"
    clean(log.read_text(encoding="utf-8", errors="replace"), api.token)


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_postgres_stopped_and_restarted_mid_stream_loses_nothing(tmp_path: Path, mode: str) -> None:
    """A PostgreSQL of the test's own is stopped for a few seconds while updates arrive: the
    webhook answers 503 meanwhile (Telegram delivers again), the same bot process carries on
    once the server is back, and every update is applied once and answered.

    ``immediate`` crashes the server: commits not yet flushed are lost. An update's transaction
    commits without waiting for the flush (``synchronous_commit`` off), so this is the case that
    must replay it from its inbox row, which was flushed before the webhook's 200."""
    engine = load_test_project(tmp_path / "project", QUESTIONS)
    burst = Burst(engine, users=tuple(range(201, 211)), questions=QUESTIONS)
    api = FakeBotApi()
    await api.start()
    port = free_port()
    log = tmp_path / "bot.log"
    with own_postgres() as server:
        bot = BotProcess(bot_env(api, port, tmp_path / "project", DATABASE_URL=server.url), log)
        poster = WebhookPoster(f"http://127.0.0.1:{port}/hook", secret="s3cret")
        try:
            bot.start()
            await poster.start()
            for update in burst.updates[: len(burst.updates) // 2]:
                poster.post(update)
            await wait_until(lambda: len(poster.acknowledged) >= len(burst.updates) // 4, 60, "a quarter")
            await asyncio.to_thread(server.stop, mode)
            for update in burst.updates[len(burst.updates) // 2 :]:
                poster.post(update)
            # Down until the webhook has refused a few posts (its pool waits 5 s for a connection).
            await wait_until(lambda: poster.statuses.get(503, 0) >= 3, 60, "503 while the database is down")
            refused = poster.statuses.get(503, 0)
            await asyncio.to_thread(server.start)
            await poster.drain(timeout=90)
            await wait_until(lambda: burst.answered(api), 60, "every answer")
            assert bot.alive(), "the bot process died"
            status = bot.terminate()
        finally:
            await poster.stop()
            bot.stop_quietly()
            await api.stop()
        applied = await views(PostgresStore(server.url))
    print(f"\npostgres {mode} stop: {burst.report(api, len(poster.acknowledged), applied)}; 503 while down {refused}")
    assert status == 0
    assert refused > 0, "the outage was not noticed"
    assert applied == burst.presses
    for user_id in burst.users:
        assert burst.order_seen(api, user_id) == burst.expected_order()
    clean(log.read_text(encoding="utf-8", errors="replace"), api.token)


async def test_bot_api_faults_every_reply_arrives_and_none_more_than_the_retries_allow(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """500s, slow answers past the send timeout, and 429 with retry_after on a third of the
    sends: every answer arrives, in order; only a timed-out send (delivered, but unconfirmed) may
    arrive twice."""
    caplog.set_level("DEBUG")
    engine = load_test_project(tmp_path / "project", 5)
    burst = Burst(engine, users=tuple(range(301, 309)), questions=5)
    api = FakeBotApi(delay=1.0, retry_after=1)
    rng = random.Random(7)
    api.faults = [rng.choice(["ok", "ok", "500", "timeout", "429"]) for _ in range(30)]
    await api.start()
    store = SqliteStore(tmp_path / "data" / "bot.sqlite3")
    settings = settings_for(api, send_timeout=0.5)
    try:
        async with running(engine, store, settings):
            for update in burst.updates:
                api.queue(update)
            await wait_until(lambda: burst.answered(api), 90, "every answer")
            await asyncio.sleep(1)  # a late duplicate would show up now
    finally:
        await api.stop()
    timeouts = api.injected.get("timeout", 0)
    applied = await views(SqliteStore(tmp_path / "data" / "bot.sqlite3"))
    print(f"\nBot API faults: {burst.report(api, len(burst.updates), applied)}; injected {api.injected}")
    assert api.injected.get("500") and api.injected.get("429") and timeouts
    assert burst.duplicates(api) <= timeouts
    for user_id in burst.users:
        assert burst.order_seen(api, user_id) == burst.expected_order()
    clean(caplog.text, api.token)


async def test_a_blocked_user_reply_is_dropped_and_the_next_one_is_sent(api: FakeBotApi, tmp_path: Path) -> None:
    """403 Forbidden can never succeed: that reply is dropped (not retried), the chat moves on."""
    engine = load_test_project(tmp_path / "project", 3)
    store = SqliteStore(tmp_path / "bot.sqlite3")
    api.fail_next.append(("sendMessage", 403, "Forbidden: bot was blocked by the user"))
    async with running(engine, store, settings_for(api)):
        api.queue(message(401, "/start"))
        await api.wait_for(lambda calls: any(c.failed for c in calls))
        api.queue(message(401, "/menu"))
        (menu,) = await api.wait_messages(401, 1)
        for _ in range(100):
            if await store.pending_replies() == 0:
                break
            await asyncio.sleep(0.05)
        assert await store.pending_replies() == 0
    assert len([c for c in api.calls if c.method == "sendMessage"]) == 2  # the dropped one was not retried
    assert menu.buttons


def counting(_state: State | None) -> Effect:
    """Adds one to a counter in the state: a write based on a stale read would show as > 1."""
    count = int(_state.answer("count") or 0) if _state else 0
    return Effect(state=State("en", answers=(("count", str(count + 1)),)))


async def test_a_postgres_crash_after_update_commits_replays_them_from_the_inbox() -> None:
    """Updates are committed to the inbox (waiting for the WAL flush, as the webhook's 200 does)
    and applied by transactions that do not wait for it (``synchronous_commit`` off); then the
    server crashes (immediate stop), losing the commits not yet flushed. After recovery every
    update is either applied or back in the inbox, never neither, and applying what is back
    counts every update exactly once."""
    users = range(1, 301)
    with own_postgres() as server:
        store = PostgresStore(server.url)
        await store.open()
        for user_id in users:
            assert await store.enqueue(user_id, user_id, "{}", 0)  # update id = user id
        for queued in await store.claim(now=0, lease_seconds=600, limit=len(users)):
            await store.apply(queued.user_id, queued.update_id, 0, counting)
        await asyncio.to_thread(server.stop, "immediate")
        await store.close()
        await asyncio.to_thread(server.start)
        store = PostgresStore(server.url)
        await store.open()
        try:
            # As after a real crash, the claims' leases must run out first (LEASE_SECONDS).
            replayed = await store.claim(now=601, lease_seconds=600, limit=len(users))
            for queued in replayed:
                assert not (await store.apply(queued.user_id, queued.update_id, 1, counting)).duplicate
            states = [await store.load(user_id) for user_id in users]
        finally:
            await store.close()
    print(f"\npostgres crash after {len(users)} asynchronous commits: {len(replayed)} lost and replayed")
    wrong = [user_id for user_id, state in zip(users, states, strict=True) if not state or state.answer("count") != "1"]
    assert not wrong, f"{len(wrong)} updates were neither applied once nor back in the inbox"
    # The crash must have lost some commits, or this test proved nothing about them.
    assert replayed, "no commit was lost: the crash came after the WAL was flushed"


async def test_forget_racing_updates_never_brings_the_data_back(store: Store) -> None:
    """Many times over, an update of a user is applied while the same user's data is erased
    (the /forget path and the retention purge): afterwards the user is either gone or has only
    what an update applied *after* the erasure wrote, never the erased state written back."""
    await store.open()
    try:
        for round_ in range(40):
            user_id = 7000 + round_
            await store.apply(user_id, None, 1000, counting)
            await store.apply(user_id, None, 1000, counting)
            # The racing update keeps the user inactive (an old clock), so the purge must delete them
            # whichever runs first: afterwards, gone or counted once from nothing, never 3.
            erase = store.forget(user_id) if round_ % 2 else store.purge(10**6, retention_seconds=1)
            await asyncio.gather(store.apply(user_id, None, 1000, counting), erase)
            state = await store.load(user_id)
            assert state is None or state.answer("count") == "1", f"round {round_}: {state}"
    finally:
        await store.close()


async def test_forget_erases_pending_replies_and_stored_updates(store: Store) -> None:
    """What /forget erases besides the state: replies not yet sent and updates not yet handled."""
    from retainment_bot.store import Outgoing

    await store.open()
    try:
        reply = Outgoing(8001, "sendMessage", json.dumps({"chat_id": 8001, "text": "x"}))
        await store.apply(8001, 1, 0, lambda _s: Effect(state=State("en"), replies=(reply,)))
        await store.enqueue(2, 8001, json.dumps({"update_id": 2}), 0)
        assert await store.pending_replies() == 1 and await store.backlog() == 1
        await store.forget(8001)
        assert await store.load(8001) is None
        assert await store.pending_replies() == 0 and await store.backlog() == 0
    finally:
        await store.close()


async def test_forget_through_telegram_is_serialised_with_the_user_updates(
    api: FakeBotApi, engine: Engine, store: Store
) -> None:
    """A user answers questions, erases their data and goes on, all at once: the erasure is
    applied in its place in the user's order, and nothing from before it survives."""
    async with running(engine, store, settings_for(api)):
        for round_ in range(6):
            user_id = 9100 + round_
            api.queue(message(user_id, "/start eligibility"))
            api.queue(press(user_id, "forget:yes"))
            api.queue(message(user_id, "/menu"))

        def erased_then_menu(user_id: int) -> bool:
            texts = [m.text for m in api.messages_to(user_id)]
            done = [i for i, text in enumerate(texts) if "erased" in text]
            return bool(done) and len(texts) > done[0] + 1

        await wait_until(lambda: all(erased_then_menu(9100 + r) for r in range(6)), 60, "answers")
        for round_ in range(6):
            saved = await store.load(9100 + round_)
            # /menu after the erasure starts afresh: no answers, no way Back into the old screens.
            assert saved is not None and saved.history == () and saved.answers == ()


async def test_two_replicas_on_one_postgres_keep_each_user_order(
    tmp_path: Path, pg_schema: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Two replicas (each a runtime with its own webhook and connections) on one PostgreSQL,
    behind a load balancer that spreads each user's updates over both; a fifth of the updates
    are delivered twice: every update applied once, each user's answers in order."""
    caplog.set_level("DEBUG")
    engine = load_test_project(tmp_path / "project", QUESTIONS)
    burst = Burst(engine, users=tuple(range(501, 516)), questions=QUESTIONS)
    api = FakeBotApi()
    await api.start()
    ports = [free_port(), free_port()]
    settings = [
        settings_for(api, webhook_url=f"http://127.0.0.1:{port}/hook", port=port, lease_seconds=3) for port in ports
    ]
    poster = WebhookPoster([f"http://127.0.0.1:{port}/hook" for port in ports])
    try:
        async with (
            running(engine, postgres_store(pg_schema), settings[0], polling=False),
            running(engine, postgres_store(pg_schema), settings[1], polling=False),
        ):
            await poster.start()
            rng = random.Random(3)
            for update in burst.updates:
                poster.post(update)
                if rng.random() < 0.2:
                    poster.post(update)  # a redelivery, to whichever replica
            await poster.drain(60)
            await wait_until(lambda: burst.answered(api), 60, "every answer")
            await asyncio.sleep(0.5)
    finally:
        await poster.stop()
        await api.stop()
    applied = await views(postgres_store(pg_schema))
    print(f"\ntwo replicas: {burst.report(api, len(burst.updates), applied)}; {sum(poster.posts.values())} posts")
    assert applied == burst.presses
    assert burst.duplicates(api) == 0
    for user_id in burst.users:
        assert burst.order_seen(api, user_id) == burst.expected_order()
    clean(caplog.text, api.token)


async def test_an_update_acknowledged_by_a_replica_that_died_is_handled_by_another_in_order(
    tmp_path: Path, pg_schema: str
) -> None:
    """Replica A records a user's first update leased to itself and acknowledges it, then dies
    before its workers get it; the user's next updates reach replica B, which records them
    behind it (not leased). B handles the first once A's lease has run out, then the others:
    each once, in the user's order."""
    engine = load_test_project(tmp_path / "project", QUESTIONS)
    burst = Burst(engine, users=(701,), questions=4)
    api = FakeBotApi()
    await api.start()
    ports = [free_port(), free_port()]
    # A's lease outlasts its shutdown and B's start, so that B receives the others while it holds.
    settings = [
        settings_for(api, webhook_url=f"http://127.0.0.1:{port}/hook", port=port, lease_seconds=lease)
        for port, lease in zip(ports, (8, 2), strict=True)
    ]
    first, *rest = burst.updates
    try:
        async with running(engine, postgres_store(pg_schema), settings[0], polling=False) as dying:
            dying.inbox.on_leased = lambda _item, _update: None  # dead between the 200 and its workers
            poster = WebhookPoster(f"http://127.0.0.1:{ports[0]}/hook")
            await poster.start()
            poster.post(first)
            await poster.drain(10)
            await poster.stop()
            assert poster.acknowledged == {first["update_id"]}
        async with running(engine, postgres_store(pg_schema), settings[1], polling=False):
            poster = WebhookPoster(f"http://127.0.0.1:{ports[1]}/hook")
            await poster.start()
            for update in rest:
                poster.post(update)
            await poster.drain(10)
            await poster.stop()
            await wait_until(lambda: burst.answered(api), 30, "every answer")
            await asyncio.sleep(0.3)
    finally:
        await api.stop()
    assert await views(postgres_store(pg_schema)) == burst.presses
    assert burst.order_seen(api, 701) == [1, 2, 3, 4]  # question i+1 answers press i
    assert burst.duplicates(api) == 0


async def test_sigterm_with_a_backlog_exits_promptly_and_the_rest_is_done_on_restart(tmp_path: Path) -> None:
    """SIGTERM while a backlog waits: the process stops within seconds with status 0, and a
    restart applies and answers the rest."""
    engine = load_test_project(tmp_path / "project", QUESTIONS)
    burst = Burst(engine, users=tuple(range(601, 621)), questions=QUESTIONS)
    api = FakeBotApi()
    await api.start()
    port = free_port()
    env = bot_env(api, port, tmp_path / "project", DATA_DIR=str(tmp_path / "data"), SHUTDOWN_SECONDS="2")
    bot = BotProcess(env, tmp_path / "bot.log")
    poster = WebhookPoster(f"http://127.0.0.1:{port}/hook", secret="s3cret")
    try:
        bot.start()
        await poster.start()
        for update in burst.updates:
            poster.post(update)
        await wait_until(lambda: len(poster.acknowledged) >= len(burst.updates) // 2, 60, "half acknowledged")
        status = await asyncio.to_thread(bot.terminate, 20)
        bot.start()
        await poster.drain(timeout=90)
        await wait_until(lambda: burst.answered(api), 60, "every answer")
        assert bot.terminate() == 0
    finally:
        await poster.stop()
        bot.stop_quietly()
        await api.stop()
    applied = await views(SqliteStore(tmp_path / "data" / "bot.sqlite3"))
    print(f"\nSIGTERM with a backlog: {burst.report(api, len(poster.acknowledged), applied)}")
    assert status == 0
    assert applied == burst.presses


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_the_send_budget_is_shared_by_replicas(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    """Two stores on one database (two replicas) draw from one overall budget: at a given
    instant, a burst of slots in all, then each must wait, whichever replica asks."""
    if backend == "postgres":
        schema = request.getfixturevalue("pg_schema")
        replicas: list[Store] = [postgres_store(schema), postgres_store(schema)]
    else:
        replicas = [SqliteStore(tmp_path / "shared.sqlite3"), SqliteStore(tmp_path / "shared.sqlite3")]
    for replica in replicas:
        await replica.open()
    try:
        now, interval, burst = 1_000.0, 1 / 30, 5
        waits = [await replicas[i % 2].take_slot("global", now, interval, burst) for i in range(8)]
        later = await replicas[1].take_slot("global", now + 1.0, interval, burst)
    finally:
        for replica in replicas:
            await replica.close()
    assert waits[:burst] == [0.0] * burst
    assert all(wait > 0 for wait in waits[burst:])
    assert later == 0.0
