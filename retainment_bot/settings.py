"""Settings from the environment, read once at start-up and validated with clear messages."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from retainment_bot.errors import UsageError

DAY = 24 * 3600


@dataclass(frozen=True)
class Settings:
    """Everything ``python -m retainment_bot`` can be told through the environment (see README)."""

    token: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    port: int = 8080
    api_url: str | None = None
    database_url: str | None = None
    data_dir: Path = Path("data")
    retention_days: int = 180
    unanswered_days: int = 30
    admin_ids: frozenset[int] = frozenset()
    listen: str = "0.0.0.0"
    workers: int = 16
    send_lanes: int = 8
    lease_seconds: float = 30.0
    send_rate: float = 30.0
    chat_send_interval: float = 1.0
    send_timeout: float = 10.0
    shutdown_seconds: float = 5.0
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"

    @property
    def retention_seconds(self) -> int:
        return self.retention_days * DAY

    @property
    def unanswered_seconds(self) -> int:
        return self.unanswered_days * DAY

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings; raises :class:`UsageError` naming the variable that is wrong."""
        env = os.environ if env is None else env
        return cls(
            token=env.get("TELEGRAM_BOT_TOKEN") or None,
            webhook_url=env.get("WEBHOOK_URL") or None,
            webhook_secret=env.get("WEBHOOK_SECRET") or None,
            port=_integer(env, "PORT", 8080),
            api_url=env.get("TELEGRAM_API_URL") or None,
            database_url=env.get("DATABASE_URL") or None,
            data_dir=Path(env.get("DATA_DIR") or "data"),
            retention_days=_integer(env, "RETENTION_DAYS", 180),
            unanswered_days=_integer(env, "UNANSWERED_DAYS", 30),
            admin_ids=frozenset(_integer_list(env, "ADMIN_IDS")),
            listen=env.get("WEBHOOK_LISTEN") or "0.0.0.0",
            workers=max(1, _integer(env, "WORKERS", 16)),
            send_lanes=max(1, _integer(env, "SEND_LANES", 8)),
            lease_seconds=_number(env, "LEASE_SECONDS", 30.0),
            send_rate=_number(env, "SEND_RATE", 30.0),
            chat_send_interval=_number(env, "CHAT_SEND_INTERVAL", 1.0),
            send_timeout=_number(env, "SEND_TIMEOUT", 10.0),
            shutdown_seconds=_number(env, "SHUTDOWN_SECONDS", 5.0),
            event_loop=_loop(env),
        )


def _integer(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise UsageError(f"{name} must be a whole number, not {value!r}") from None
    if number < 0:
        raise UsageError(f"{name} must not be negative")
    return number


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise UsageError(f"{name} must be a number, not {value!r}") from None
    if number < 0 or number != number:
        raise UsageError(f"{name} must not be negative")
    return number


def _loop(env: Mapping[str, str]) -> Literal["uvloop", "asyncio"]:
    value = (env.get("EVENT_LOOP") or "uvloop").strip().lower()
    if value not in ("uvloop", "asyncio"):
        raise UsageError(f"EVENT_LOOP must be uvloop or asyncio, not {value!r}")
    return "uvloop" if value == "uvloop" else "asyncio"


def _integer_list(env: Mapping[str, str], name: str) -> list[int]:
    value = env.get(name, "")
    try:
        return [int(part) for part in value.replace(",", " ").split()]
    except ValueError:
        raise UsageError(f"{name} must be Telegram user ids separated by commas, not {value!r}") from None
