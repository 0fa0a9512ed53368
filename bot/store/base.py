"""What every store offers, and how a :class:`~bot.engine.engine.State` becomes a row."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

from bot.engine.engine import State
from bot.errors import BotError

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

# How long an update id is remembered to drop Telegram's redeliveries.
DEDUPLICATION_SECONDS = 2 * 24 * 3600

Step = Callable[[State | None], tuple[State, T]]
UNANSWERED_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True)
class Usage:
    """Anonymous figures of one step: no user id, the question already redacted."""

    day: str
    lang: str
    topics: tuple[str, ...] = ()
    outcomes: tuple[tuple[str, str], ...] = ()
    unanswered: str | None = None


@dataclass(frozen=True)
class UsageReport:
    """Figures since a day: views (day, topic, language, count), eligibility outcomes
    (day, node, outcome, language, count), and unanswered questions (day, language, text)."""

    views: tuple[tuple[str, str, str, int], ...] = ()
    outcomes: tuple[tuple[str, str, str, str, int], ...] = ()
    unanswered: tuple[tuple[str, str, str], ...] = ()


class StoreError(BotError):
    """The database cannot be reached or refused the operation."""


@dataclass(frozen=True)
class Applied(Generic[T_co]):
    """The result of :meth:`Store.apply`: ``duplicate`` when the update was seen before."""

    duplicate: bool
    result: T_co | None = None


class Store(Protocol):
    """Per-user state that survives restarts and is shared by replicas."""

    async def open(self) -> None:
        """Connect, and create or migrate the schema."""

    async def close(self) -> None:
        """Release connections."""

    async def apply(self, user_id: int, update_id: int | None, now: int, step: Step[T]) -> Applied[T]:
        """Run ``step`` on the user's state under a lock and save what it returns, once per update id."""

    async def load(self, user_id: int) -> State | None:
        """The saved state, or ``None`` for an unknown user."""

    async def forget(self, user_id: int) -> bool:
        """Erase everything stored about the user; ``True`` if there was something."""

    async def purge(self, now: int, retention_seconds: int, unanswered_seconds: int = UNANSWERED_SECONDS) -> int:
        """Delete users inactive for longer than the retention, old update ids and old unanswered
        questions; return how many users were deleted."""

    async def count_users(self) -> int:
        """How many users have a saved state."""

    async def record(self, usage: Usage) -> None:
        """Add one step's anonymous figures."""

    async def report(self, since: str) -> UsageReport:
        """The figures from ``since`` (YYYY-MM-DD) on."""


def epoch(day: str) -> int:
    """Midnight UTC of ``day`` (YYYY-MM-DD) in seconds: unanswered questions keep only their day."""
    return int(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp())


def encode(state: State) -> dict[str, Any]:
    """A state as column values."""
    return {
        "lang": state.lang,
        "lang_chosen": state.lang_chosen,
        "node": state.node,
        "answers": json.dumps(dict(state.answers), ensure_ascii=False, sort_keys=True),
        "history": json.dumps(list(state.history)),
    }


def decode(lang: str, lang_chosen: Any, node: str | None, answers: str, history: str) -> State:
    """A state from column values; unreadable JSON becomes empty rather than an error."""
    try:
        loaded_answers = {str(k): str(v) for k, v in json.loads(answers).items()}
    except (ValueError, AttributeError):
        loaded_answers = {}
    try:
        loaded_history = tuple(str(item) for item in json.loads(history))
    except (ValueError, TypeError):
        loaded_history = ()
    return State(
        lang=lang,
        lang_chosen=bool(lang_chosen),
        node=node,
        answers=tuple(sorted(loaded_answers.items())),
        history=loaded_history,
    )
