"""Run the real Application against the fake Bot API: start, feed updates, read what was sent."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import psycopg

from retainment_bot.engine.engine import Engine
from retainment_bot.settings import Settings
from retainment_bot.store import PostgresStore, Store
from retainment_bot.telegram.runtime import Runtime
from tests.fakebotapi import FakeBotApi

DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def settings_for(api: FakeBotApi, **changes: Any) -> Settings:
    """Settings for a bot talking to ``api``; no send pacing, so that tests stay short."""
    base = Settings(token=api.token, api_url=api.base_url, listen="127.0.0.1", send_rate=0, chat_send_interval=0)
    return replace(base, **changes)


@asynccontextmanager
async def running(engine: Engine, store: Store, settings: Settings, polling: bool = True) -> AsyncIterator[Runtime]:
    """The bot's runtime (receiver, workers, sender) started as ``python -m retainment_bot`` starts it, then
    stopped: long polling against the fake Bot API, or the webhook when ``polling`` is false."""
    runtime = Runtime(engine, store, settings, "polling" if polling else "webhook")
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


def new_schema() -> str:
    return f"test_{uuid.uuid4().hex[:12]}"


def drop_schema(schema: str) -> None:
    with psycopg.connect(DATABASE_URL, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def postgres_store(schema: str) -> PostgresStore:
    return PostgresStore(DATABASE_URL, schema=schema)
