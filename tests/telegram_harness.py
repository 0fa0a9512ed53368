"""Run the real Application against the fake Bot API: start, feed updates, read what was sent."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import psycopg

from bot.engine.engine import Engine
from bot.settings import Settings
from bot.store import PostgresStore, Store
from bot.telegram.app import build_application
from tests.fakebotapi import FakeBotApi

DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def settings_for(api: FakeBotApi, **changes: Any) -> Settings:
    return replace(Settings(token=api.token, api_url=api.base_url), **changes)


@asynccontextmanager
async def running(engine: Engine, store: Store, settings: Settings, polling: bool = True) -> AsyncIterator[Any]:
    """The Application started as ``run_polling`` would start it (post_init included), then stopped."""
    application = build_application(engine, store, settings)
    await application.initialize()
    assert application.post_init is not None
    await application.post_init(application)
    if polling:
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
    await application.start()
    try:
        yield application
    finally:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        await application.stop()
        await application.shutdown()
        assert application.post_shutdown is not None
        await application.post_shutdown(application)


def new_schema() -> str:
    return f"test_{uuid.uuid4().hex[:12]}"


def drop_schema(schema: str) -> None:
    with psycopg.connect(DATABASE_URL, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def postgres_store(schema: str) -> PostgresStore:
    return PostgresStore(DATABASE_URL, schema=schema)
