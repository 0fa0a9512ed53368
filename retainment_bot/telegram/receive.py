"""Receiving: take updates from Telegram and record them in the inbox before acknowledging.

python-telegram-bot's ``Updater`` acknowledges an update (HTTP 200 on the webhook, the next
``getUpdates`` offset in polling) *before* the update is processed, so a crash loses it. Here
the acknowledgement follows the durable record:

- webhook (a tornado server, as PTB's own): 200 only once the update is committed to the inbox;
  503 if the database cannot take it, so that Telegram delivers it again; 403 without the secret
  token; 400, logged without the body, for a body that is not an update;
- polling: the offset that confirms a batch is asked for only after the whole batch is recorded.

The receiver knows nothing of handlers: it stores the raw JSON and the user it belongs to (the
ordering key) and gives the update to the local workers: leased to this process as it is
recorded, when they have room and nothing else of the user waits (no claim needed), else to be
claimed.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import tornado.web
from telegram import Bot, Update
from telegram.error import TelegramError
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from retainment_bot.store import Queued, Receipt, Store, StoreError

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def lane_of(update: Update) -> int:
    """The key that orders updates: the user, else the chat (channel posts), else 0."""
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return 0


def parse(bot: Bot, body: bytes) -> tuple[Update, str] | None:
    """The update in a webhook body and its JSON text, or ``None`` if it is not one."""
    try:
        data = json.loads(body)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return None
        update = Update.de_json(data, bot)
    except (ValueError, TypeError, KeyError, AttributeError, TelegramError):
        return None
    return update, body.decode()  # json.loads accepted it: UTF-8 JSON, stored as it came


class Inbox:
    """Where the receivers put updates: the store's inbox, and the local workers.

    When the workers have room (``lease_seconds`` from ``room``), an update is recorded already
    leased to this process (no other update of its user waiting) and handed to them at once
    (``on_leased``): no claim query, no wake-up of the claiming loop. Otherwise it is left for a
    claim (``on_enqueued``)."""

    def __init__(
        self,
        store: Store,
        on_enqueued: Callable[[Update], None],
        clock: Callable[[], float] = time.time,
        on_leased: Callable[[Queued, Update], None] | None = None,
        room: Callable[[], float] = lambda: 0.0,
    ):
        self.store = store
        self.on_enqueued = on_enqueued
        self.on_leased = on_leased
        self.room = room
        self.clock = clock

    async def put(self, update: Update, payload: str) -> None:
        """Record the update durably (raises :class:`StoreError` if the database cannot)."""
        now = self.clock()
        lease = self.room() if self.on_leased is not None else 0.0
        user_id = lane_of(update)
        receipt = await self.store.receive(update.update_id, user_id, payload, int(now), now + lease if lease else 0.0)
        if receipt == Receipt.LEASED and self.on_leased is not None:
            self.on_leased(Queued(update.update_id, user_id, payload, 1), update)
        elif receipt != Receipt.DUPLICATE:
            self.on_enqueued(update)


class _WebhookHandler(tornado.web.RequestHandler):
    def initialize(self, bot: Bot, inbox: Inbox, secret: str | None) -> None:
        self.bot = bot
        self.inbox = inbox
        self.secret = secret

    async def post(self) -> None:
        if self.secret is not None:
            given = self.request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), self.secret.encode()):
                self._answer(403)
                return
        parsed = parse(self.bot, self.request.body)
        if parsed is None:
            log.warning("refused a webhook body that is not an update (%d bytes)", len(self.request.body))
            self._answer(400)
            return
        try:
            await self.inbox.put(*parsed)
        except StoreError as exc:
            log.warning("could not record an update (%s); Telegram will deliver it again", type(exc).__name__)
            self._answer(503)
            return
        self._answer(200)

    def _answer(self, status: int) -> None:
        self.set_status(status)
        self.finish()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.finish()  # never a traceback, nor the body, in the answer


def _quiet_access_log(handler: tornado.web.RequestHandler) -> None:
    """tornado's access log would print the webhook path (some put the token there): only
    server errors are logged, without the path."""
    if handler.get_status() >= 500 and handler.get_status() != 503:
        log.warning("webhook answered %d", handler.get_status())


class WebhookReceiver:
    """The webhook server: POST ``/<path>`` with an update."""

    def __init__(self, bot: Bot, inbox: Inbox, secret: str | None) -> None:
        self.bot = bot
        self.inbox = inbox
        self.secret = secret
        self._server: HTTPServer | None = None

    async def start(self, listen: str, port: int, path: str) -> None:
        route = "/" + path.strip("/")
        app = tornado.web.Application(
            [(route, _WebhookHandler, {"bot": self.bot, "inbox": self.inbox, "secret": self.secret})],
            log_function=_quiet_access_log,
        )
        # No ``xheaders``: nothing here reads the client's address or scheme (the access log is
        # quiet), and checking a proxy's X-Real-Ip / X-Forwarded-For on every request cost a
        # ``getaddrinfo`` call each (about 1% of the process's CPU under load).
        self._server = HTTPServer(app)
        self._server.add_sockets(bind_sockets(port, listen))

    async def stop(self) -> None:
        """Stop accepting connections; requests being recorded finish (tornado lets them)."""
        if self._server is not None:
            self._server.stop()
            await asyncio.sleep(0)
            self._server = None


class Poller:
    """Long polling with ``getUpdates``: the offset moves on only after the batch is recorded."""

    def __init__(self, bot: Bot, inbox: Inbox, timeout: int = 10) -> None:
        self.bot = bot
        self.inbox = inbox
        self.timeout = timeout
        self._running = True
        self.offset = 0

    async def run(self) -> None:
        failures = 0
        while self._running:
            try:
                updates = await self.bot.get_updates(
                    offset=self.offset, timeout=self.timeout, allowed_updates=Update.ALL_TYPES
                )
                for update in updates:
                    await self.inbox.put(update, update.to_json())
                if updates:
                    self.offset = updates[-1].update_id + 1
                failures = 0
            except (TelegramError, StoreError) as exc:
                failures += 1
                log.warning("polling failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(min(10.0, 0.5 * failures))

    def stop(self) -> None:
        self._running = False
