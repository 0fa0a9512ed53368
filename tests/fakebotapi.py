"""A fake Telegram Bot API server for the tests: the real Application talks to it over HTTP.

It answers the methods the bot calls, records every message sent, and hands out updates that a
test queues (through ``getUpdates``), so conversations run through python-telegram-bot's real
request, polling and handler machinery. Only Telegram's servers are replaced.

Fault injection: ``fail_next`` fails the next calls of a method once each; ``faults`` is a
per-call plan for ``sendMessage`` (``"500"``, ``"429"`` with ``retry_after``, ``"timeout"``: the
message *is* delivered but the answer comes after ``delay`` seconds, as when Telegram is slow);
``held`` keeps every call of a method unanswered until the test sets its event.
:class:`WebhookPoster` plays Telegram's side of a webhook: it posts updates, and posts again
whatever was not answered 200.

Run it alone to try the bot without Telegram (the README's recipe), then talk to the bot::

    python -m tests.fakebotapi --port 8081 &
    TELEGRAM_BOT_TOKEN=123:abc TELEGRAM_API_URL=http://127.0.0.1:8081/bot python -m retainment_bot &
    python -m tests.fakebotapi say "/start consent_form-vi"
    python -m tests.fakebotapi press "consent_form.start:0:..."   # a button's data, as printed

``say`` and ``press`` post to the server's local ``/local/say`` route, which queues the update as
Telegram would and answers with the messages the bot sent back.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import random
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import tornado.web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

TOKEN = "123:abc"
# A name no log line may contain (see tests/test_pipeline.py).
FIRST_NAME, LAST_NAME = "Bình", "Nguyễn-Testname"
BOT_USER = {
    "id": 4242,
    "is_bot": True,
    "first_name": "Retainment",
    "username": "retainment_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}
JSON_FIELDS = {"reply_markup", "commands", "allowed_updates", "link_preview_options", "results", "scope"}


@dataclass
class Sent:
    """One call the bot made, with its decoded parameters."""

    method: str
    params: dict[str, Any]
    failed: bool = False

    @property
    def chat_id(self) -> int:
        return int(self.params["chat_id"])

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def buttons(self) -> list[dict[str, Any]]:
        markup = self.params.get("reply_markup") or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]


@dataclass
class FakeBotApi:
    """The server's state; ``start()`` binds it to a free port on 127.0.0.1."""

    token: str = TOKEN
    calls: list[Sent] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[tuple[str, int, str]] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    delay: float = 2.0
    retry_after: int = 1
    injected: dict[str, int] = field(default_factory=dict)
    held: dict[str, asyncio.Event] = field(default_factory=dict)
    port: int = 0
    _update_ids: itertools.count = field(default_factory=lambda: itertools.count(1000))  # type: ignore[type-arg]
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)
    _new_call: asyncio.Event = field(default_factory=asyncio.Event)
    _server: HTTPServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self, port: int = 0) -> None:
        # No access log: its lines carry the token in the path, and this is Telegram's side.
        app = tornado.web.Application(
            [(r"/bot([^/]+)/(\w+)", _MethodHandler, {"api": self}), (r"/local/say", _SayHandler, {"api": self})],
            log_function=lambda _handler: None,
        )
        sockets = bind_sockets(port, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        self._server = HTTPServer(app)
        self._server.add_sockets(sockets)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()

    # -- what a test does -----------------------------------------------------------------------

    def next_update_id(self) -> int:
        return int(next(self._update_ids))

    def queue(self, update: dict[str, Any]) -> dict[str, Any]:
        """Make ``update`` (with an ``update_id``) available to ``getUpdates``."""
        update.setdefault("update_id", self.next_update_id())
        self.updates.append(update)
        self._new_update.set()
        return update

    def messages_to(self, chat_id: int) -> list[Sent]:
        return [c for c in self.calls if c.method == "sendMessage" and c.chat_id == chat_id and not c.failed]

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> list[Sent]:
        """Wait until ``predicate(calls)`` is true; returns the calls."""
        deadline = time.monotonic() + timeout
        while not predicate(self.calls):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"condition not met; calls so far: {[c.method for c in self.calls]}")
            self._new_call.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_call.wait(), remaining)
        return self.calls

    async def wait_messages(self, chat_id: int, count: int, timeout: float = 10.0) -> list[Sent]:
        await self.wait_for(lambda calls: len(self.messages_to(chat_id)) >= count, timeout)
        return self.messages_to(chat_id)

    async def converse(self, update: dict[str, Any], chat_id: int, quiet: float = 0.7) -> list[Sent]:
        """Queue ``update`` and return the messages the bot sends to ``chat_id`` in answer (all of
        them: until it has been quiet for ``quiet`` seconds)."""
        before = len(self.messages_to(chat_id))
        self.queue(update)
        await self.wait_messages(chat_id, before + 1, timeout=60)
        count = -1
        while count != len(self.calls):
            count = len(self.calls)
            await asyncio.sleep(quiet)
        return self.messages_to(chat_id)[before:]

    # -- the API -------------------------------------------------------------------------------

    async def call(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method in self.held:
            await self.held[method].wait()
        if method == "sendMessage" and self.faults:
            fault = self.faults.pop(0)
            self.injected[fault] = self.injected.get(fault, 0) + 1
            if fault == "timeout":
                answer = await self._answer(method, params)
                await asyncio.sleep(self.delay)
                return answer
            if fault in ("500", "429"):
                self.calls.append(Sent(method, params, failed=True))
                self._new_call.set()
                if fault == "429":
                    body = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry later"}
                    return 429, {**body, "parameters": {"retry_after": self.retry_after}}
                return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        return await self._answer(method, params)

    async def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.fail_next and self.fail_next[0][0] == method:
            _, code, description = self.fail_next.pop(0)
            self.calls.append(Sent(method, params, failed=True))
            self._new_call.set()
            body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
            if code == 429:
                body["parameters"] = {"retry_after": 1}
            return code, body
        if method == "getUpdates":
            return 200, {"ok": True, "result": await self._get_updates(params)}
        self.calls.append(Sent(method, params))
        self._new_call.set()
        if method == "getMe":
            return 200, {"ok": True, "result": BOT_USER}
        if method == "sendMessage":
            return 200, {"ok": True, "result": self._message(params)}
        if method in {"answerCallbackQuery", "setMyCommands", "deleteWebhook", "setWebhook", "answerInlineQuery"}:
            return 200, {"ok": True, "result": True}
        if method == "getWebhookInfo":
            return 200, {"ok": True, "result": {"url": "", "has_custom_certificate": False, "pending_update_count": 0}}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates:
            self._new_update.clear()
            timeout = min(float(params.get("timeout") or 0), 1.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout)
        return [u for u in self.updates if u["update_id"] >= offset][:100]

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": BOT_USER,
            "text": params.get("text", ""),
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message


class _MethodHandler(tornado.web.RequestHandler):
    def initialize(self, api: FakeBotApi) -> None:
        self.api = api

    async def post(self, token: str, method: str) -> None:
        await self._answer(token, method)

    async def get(self, token: str, method: str) -> None:
        await self._answer(token, method)

    async def _answer(self, token: str, method: str) -> None:
        if token != self.api.token:
            self.set_status(401)
            self.finish({"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        status, body = await self.api.call(method, self._params())
        self.set_status(status)
        self.finish(body)

    def _params(self) -> dict[str, Any]:
        content_type = self.request.headers.get("Content-Type", "")
        if "application/json" in content_type and self.request.body:
            return dict(json.loads(self.request.body))
        raw = dict(parse_qsl(self.request.body.decode())) if self.request.body else {}
        raw.update({k: self.get_argument(k) for k in self.request.query_arguments})
        return {k: json.loads(v) if k in JSON_FIELDS else v for k, v in raw.items()}


class _SayHandler(tornado.web.RequestHandler):
    """``POST /local/say`` ``{"text"|"press": ..., "user": 1, "lang": "en"}``: the bot's answers."""

    def initialize(self, api: FakeBotApi) -> None:
        self.api = api

    async def post(self) -> None:
        body = json.loads(self.request.body)
        user_id, lang = int(body.get("user", 1)), body.get("lang") or None
        update = press(user_id, body["press"], lang) if "press" in body else message(user_id, body["text"], lang)
        try:
            sent = await self.api.converse(update, user_id)
        except TimeoutError:
            self.set_status(504)
            self.finish({"error": "no answer: is the bot running against this server?"})
            return
        self.finish({"replies": [{"text": s.text, "buttons": s.buttons} for s in sent]})


# -- updates as Telegram sends them ---------------------------------------------------------------


def user(user_id: int, lang: str | None = "en") -> dict[str, Any]:
    data: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": FIRST_NAME, "last_name": LAST_NAME}
    if lang:
        data["language_code"] = lang
    return data


def message(
    user_id: int, text: str | None = None, lang: str | None = "en", chat_id: int | None = None, **extra: Any
) -> dict[str, Any]:
    """A ``message`` update; a text starting with / carries a bot_command entity, as Telegram's does."""
    chat_id = user_id if chat_id is None else chat_id
    body: dict[str, Any] = {
        "message_id": int(time.time() * 1000) % 1_000_000,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
        "from": user(user_id, lang),
        **extra,
    }
    if text is not None:
        body["text"] = text
        if text.startswith("/"):
            body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split(" ")[0])}]
    return {"message": body}


def press(user_id: int, data: str, lang: str | None = "en") -> dict[str, Any]:
    """A ``callback_query`` update for a button with ``data`` on an earlier message."""
    return {
        "callback_query": {
            "id": str(time.time_ns()),
            "from": user(user_id, lang),
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private"},
                "from": BOT_USER,
                "text": "earlier",
            },
        }
    }


class WebhookPoster:
    """Telegram's side of a webhook: posts each update (with the secret token) until it is
    answered 200, retrying refused, failed or unanswered posts after a short pause. A user's
    updates are posted one after another (one refused is posted again before that user's next
    one), several users at a time over at most ``connections`` connections. Several ``url``
    play a load balancer in front of replicas: each post goes to one of them at random.
    Records which updates were acknowledged, and the answers by status."""

    def __init__(self, url: str | list[str], secret: str | None = None, connections: int = 8) -> None:
        self.urls = [url] if isinstance(url, str) else url
        self.secret = secret
        self._random = random.Random(5)
        self.acknowledged: set[int] = set()
        self.posts: dict[int, int] = {}
        self.statuses: dict[int, int] = {}
        self._connections = asyncio.Semaphore(connections)
        self._lanes: dict[int, list[dict[str, Any]]] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._pending = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def post(self, update: dict[str, Any]) -> None:
        """Deliver ``update`` (with its ``update_id``); may be called again to redeliver it."""
        lane = _sender_of(update)
        self._lanes.setdefault(lane, []).append(update)
        self._pending += 1
        self._idle.clear()
        if lane not in self._tasks or self._tasks[lane].done():
            self._tasks[lane] = asyncio.create_task(self._lane(lane))

    async def start(self) -> None:
        import httpx

        self._client = httpx.AsyncClient(timeout=10)

    async def _lane(self, lane: int) -> None:
        queue = self._lanes[lane]
        while queue:
            await self._deliver(queue[0])
            queue.pop(0)
            self._pending -= 1
            if self._pending == 0:
                self._idle.set()

    async def _deliver(self, update: dict[str, Any]) -> None:
        import httpx

        headers = {"X-Telegram-Bot-Api-Secret-Token": self.secret} if self.secret else {}
        update_id = int(update["update_id"])
        while True:
            self.posts[update_id] = self.posts.get(update_id, 0) + 1
            async with self._connections:
                try:
                    url = self._random.choice(self.urls)
                    status = (await self._client.post(url, json=update, headers=headers)).status_code
                except httpx.HTTPError:
                    status = 0
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status == 200:
                self.acknowledged.add(update_id)
                return
            await asyncio.sleep(0.2)

    async def drain(self, timeout: float = 60) -> None:
        """Wait until every update posted so far has been acknowledged."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        await self._client.aclose()


def _sender_of(update: dict[str, Any]) -> int:
    """The user an update comes from (0 if none), as Telegram orders them."""
    for value in update.values():
        if isinstance(value, dict) and isinstance(value.get("from"), dict):
            return int(value["from"]["id"])
    return 0


async def _serve(port: int) -> None:
    api = FakeBotApi()
    await api.start(port)
    print(f"fake Bot API at {api.base_url} (token {api.token}); Ctrl-C stops it")
    await asyncio.Event().wait()


def say(port: int, payload: dict[str, Any]) -> str:
    """Send a message or a button press through the running server; the bot's replies as text."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/local/say", json.dumps(payload).encode(), {"Content-Type": "application/json"}
    )
    for attempt in range(20):  # the server may still be starting
        try:
            with urllib.request.urlopen(request, timeout=90) as response:
                replies = json.loads(response.read())["replies"]
            break
        except urllib.error.URLError as exc:
            if attempt == 19 or not isinstance(exc.reason, ConnectionRefusedError):
                raise
            time.sleep(0.5)
    return "\n\n".join(_reply_text(reply) for reply in replies)


def _reply_text(reply: dict[str, Any]) -> str:
    lines = [f"bot: {reply['text']}"]
    for button in reply.get("buttons") or []:
        target = button.get("callback_data") or button.get("url") or button.get("switch_inline_query") or ""
        lines.append(f"  [{button.get('text', '')}]  {target}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake Telegram Bot API server for trying the bot")
    parser.add_argument("--port", type=int, default=8081)
    commands = parser.add_subparsers(dest="command")
    text = commands.add_parser("say", help="send a text message as a user and print the bot's answers")
    text.add_argument("text")
    button = commands.add_parser("press", help="press a button (its data, as printed) and print the answers")
    button.add_argument("data")
    for command in (text, button):
        command.add_argument("--lang", default="en", help="the user's Telegram language (vi, en, ja)")
        command.add_argument("--user", type=int, default=1, help="the user's id")
    args = parser.parse_args(argv)
    if args.command == "say":
        print(say(args.port, {"text": args.text, "lang": args.lang, "user": args.user}))
    elif args.command == "press":
        print(say(args.port, {"press": args.data, "lang": args.lang, "user": args.user}))
    else:
        asyncio.run(_serve(args.port))


if __name__ == "__main__":
    main(sys.argv[1:])
