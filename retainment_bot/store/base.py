"""What every store offers, and how a :class:`~retainment_bot.engine.engine.State` becomes a row."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any, Generic, Protocol, TypeVar

from retainment_bot.engine.engine import State
from retainment_bot.errors import BotError

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

# How long an update id is remembered to drop Telegram's redeliveries.
DEDUPLICATION_SECONDS = 2 * 24 * 3600

UNANSWERED_SECONDS = 30 * 24 * 3600
# A held question the user did not answer about is deleted after a day.
HELD_SECONDS = 24 * 3600


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
class Outgoing:
    """One Bot API call to make after the transaction: ``method`` with JSON ``params``, queued
    in the outbox of ``chat_id`` (the lane that keeps a chat's replies in order)."""

    chat_id: int
    method: str
    params: str


@dataclass(frozen=True)
class Effect:
    """What handling one update writes, all in one transaction: the new state (``None``: leave it
    as it is), or ``erase`` to delete everything about the user first; the replies to send; the
    anonymous usage figures."""

    state: State | None = None
    replies: tuple[Outgoing, ...] = ()
    usage: Usage | None = None
    erase: bool = False
    # A question the bot could not answer, held (with the user id) until the user says whether
    # it may be kept; ``consent`` True moves the held question, anonymous, to the usage
    # figures, False deletes it.
    hold: Usage | None = None
    consent: bool | None = None


# A plan turns the saved state (None for a new user) into what to write; it runs under the lock.
Plan = Callable[[State | None], Effect]


@dataclass(frozen=True)
class Applied(Generic[T_co]):
    """The result of :meth:`Store.apply`: ``duplicate`` when the update was seen before;
    ``deferred`` when it was not applied because an earlier update of its user is still in the
    inbox (the update stays there, to be claimed in order); ``lanes``: the send lanes the
    transaction took for its replies (asked with ``lanes``), each with the chat's first rows."""

    duplicate: bool
    result: T_co | None = None
    lanes: tuple[tuple[int, Lane], ...] = ()
    deferred: bool = False


@dataclass(frozen=True)
class LaneRequest:
    """Asks :meth:`Store.apply` to take the send lanes of the chats its replies go to, for
    ``owner`` until ``until``, where no sender holds them at ``now``."""

    owner: str
    now: float
    until: float


class Receipt(IntEnum):
    """What :meth:`Store.receive` did with an update."""

    DUPLICATE = 0  # already in the inbox or already processed: nothing recorded
    QUEUED = 1  # recorded, for a claim to hand out
    LEASED = 2  # recorded and already leased to the receiving process


@dataclass(frozen=True)
class Queued:
    """An update claimed from the inbox: its id, the user it belongs to (the ordering key), the
    raw JSON Telegram sent, and how many times it has been claimed."""

    update_id: int
    user_id: int
    payload: str
    attempts: int


@dataclass(frozen=True)
class Pending:
    """An unsent row of a chat's outbox."""

    id: int
    chat_id: int
    method: str
    params: str
    attempts: int
    next_at: float


@dataclass(frozen=True)
class Lane:
    """A chat's send lane as a sender takes it: the rate-limit time and the chat's first rows."""

    tat: float
    rows: tuple[Pending, ...]


LANE_ROWS = 8  # rows read with a lease: a step's replies are rarely more


class Store(Protocol):
    """Per-user state that survives restarts and is shared by replicas."""

    async def open(self) -> None:
        """Connect, and create or migrate the schema."""

    async def close(self) -> None:
        """Release connections."""

    async def apply(
        self, user_id: int, update_id: int | None, now: int, plan: Plan, lanes: LaneRequest | None = None
    ) -> Applied[Effect]:
        """In one transaction, under the user's lock: claim the update id (a duplicate changes
        nothing), run ``plan`` on the saved state, write the state, the usage figures and the
        outbox rows, and delete the update from the inbox. With ``lanes``, a store may also take
        the free send lanes of the replies' chats and read their first rows (``Applied.lanes``);
        one that does not returns none, and the sender's ``take_lanes`` finds them."""

    async def enqueue(self, update_id: int, user_id: int, payload: str, now: int) -> bool:
        """Record a received update durably in the inbox; ``False`` if it was already there or
        already processed (a redelivery)."""

    async def receive(self, update_id: int, user_id: int, payload: str, now: int, lease_until: float) -> Receipt:
        """:meth:`enqueue`, and when ``lease_until`` is not 0 and the inbox holds nothing else of
        the user, the row is recorded already leased until then (counted as a claim): the
        receiving process hands it to its workers itself, with no claim. Updates of one user
        recorded together: only the first is leased."""

    async def claim(self, now: float, lease_seconds: float, limit: int) -> list[Queued]:
        """Lease up to ``limit`` inbox updates, each the oldest of its user with nothing of that
        user in progress, so a user's updates are handled one at a time and in order."""

    async def release(self, update_id: int, retry_at: float) -> None:
        """Give a claimed update back, to be claimed again from ``retry_at``."""

    async def backlog(self) -> int:
        """How many updates wait in the inbox."""

    async def pending_replies(self) -> int:
        """How many replies wait in the outbox."""

    async def reset_leases(self) -> None:
        """Forget every lease (a single-process store after a crash: no one else holds them)."""

    async def take_lanes(
        self, owner: str, now: float, lease_seconds: float, limit: int, rows: int = LANE_ROWS
    ) -> list[tuple[int, Lane]]:
        """Take the lanes of up to ``limit`` chats with outbox rows due and no sender on them
        (oldest row first) for ``lease_seconds``, and read each one's oldest ``rows`` rows, in one
        transaction: what a sender starts its lanes with."""

    async def lease_chat(
        self, chat_id: int, owner: str, now: float, lease_seconds: float, rows: int = LANE_ROWS
    ) -> Lane | None:
        """Take (or renew) the chat's send lane for ``lease_seconds`` and read its oldest ``rows``
        outbox rows, in one transaction; ``None`` if another sender holds the lane."""

    async def settle_chat(
        self, chat_id: int, owner: str, tat: float, done: int | Sequence[int] | None
    ) -> tuple[Pending, ...]:
        """Delete the delivered row(s) ``done`` and read the chat's next rows, in one transaction;
        when there are none, give the lane back (remembering its rate-limit time ``tat``)."""

    async def release_chat(self, chat_id: int, owner: str, tat: float) -> None:
        """Give the lane back, remembering its rate-limit time."""

    async def sent(self, reply_id: int) -> None:
        """Delete a row that was delivered (or can never be)."""

    async def retry(self, reply_id: int, at: float) -> None:
        """Keep a row that failed, to be sent again from ``at``."""

    async def take_slot(self, key: str, now: float, interval: float, burst: int) -> float:
        """A shared rate limit (GCRA): book the next slot of ``key`` and return how many seconds
        to wait for it (0: now). Booking, rather than asking again later, keeps many waiting
        senders from polling the row."""

    async def load(self, user_id: int) -> State | None:
        """The saved state, or ``None`` for an unknown user."""

    async def forget(self, user_id: int) -> bool:
        """Erase everything stored about the user; ``True`` if there was something."""

    async def purge(self, now: int, retention_seconds: int, unanswered_seconds: int = UNANSWERED_SECONDS) -> int:
        """Delete users inactive for longer than the retention, old update ids and old unanswered
        questions; return how many users were deleted."""

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


def gcra_wait(tat: float, now: float, interval: float, burst: int) -> float:
    """The generic cell rate algorithm: with ``tat`` the theoretical arrival time of the next
    slot, a slot is free now (0) when at most ``burst`` slots are booked ahead; otherwise the
    seconds until one is."""
    earliest = max(tat, now) + interval - burst * interval
    return 0.0 if earliest <= now else earliest - now
