"""A fast fake Telegram Bot API for the benchmarks: answers every method a bot calls and records
each ``sendMessage`` (chat, arrival time, callback buttons), with a configurable latency per call.

It is a bare ``asyncio.Protocol`` HTTP/1.1 server with keep-alive (no framework), so that it
costs a few tens of microseconds a call and never becomes the bottleneck it measures. The
latency is applied to the response, as a distant server would: the bot waits for it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

BOT_USER = {
    "id": 4242,
    "is_bot": True,
    "first_name": "Bench",
    "username": "bench_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}
WEBHOOK_INFO = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}


@dataclass
class Reply:
    """One ``sendMessage`` the fake API received."""

    chat_id: int
    at: float  # time.monotonic() on arrival
    buttons: tuple[str, ...]  # callback_data of its inline keyboard


@dataclass
class FakeApi:
    """The server's state. ``on_reply`` is called for every ``sendMessage``, on arrival."""

    latency: float = 0.0
    on_reply: Callable[[Reply], None] | None = None
    calls: dict[str, int] = field(default_factory=dict)
    replies: int = 0
    port: int = 0
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]
    _server: asyncio.AbstractServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Protocol(self), "127.0.0.1", 0, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    def answer(self, method: str, body: bytes, content_type: str) -> bytes:
        """The JSON response to one call."""
        self.calls[method] = self.calls.get(method, 0) + 1
        if method == "sendMessage":
            params = _params(body, content_type)
            chat_id = int(params["chat_id"])
            markup = params.get("reply_markup")
            buttons: tuple[str, ...] = ()
            if markup:
                keyboard = (json.loads(markup) if isinstance(markup, str) else markup).get("inline_keyboard", [])
                buttons = tuple(b["callback_data"] for row in keyboard for b in row if "callback_data" in b)
            self.replies += 1
            if self.on_reply is not None:
                self.on_reply(Reply(chat_id, time.monotonic(), buttons))
            message = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": "",
            }
            return _ok(message)
        if method == "getMe":
            return _ok(BOT_USER)
        if method == "getWebhookInfo":
            return _ok(WEBHOOK_INFO)
        if method == "getUpdates":
            return _ok([])
        return _ok(True)


def _ok(result: Any) -> bytes:
    return json.dumps({"ok": True, "result": result}).encode()


def _params(body: bytes, content_type: str) -> dict[str, Any]:
    if content_type.startswith("application/json"):
        loaded: dict[str, Any] = json.loads(body or b"{}")
        return loaded
    return dict(parse_qsl(body.decode()))


class _Protocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive; one request at a time per connection, as httpx sends them."""

    def __init__(self, api: FakeApi) -> None:
        self.api = api
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            if len(self.buffer) < end + 4 + length:
                return
            body = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            path = head[0].split(" ")[1]
            method = path.rsplit("/", 1)[-1].split("?")[0]
            payload = self.api.answer(method, body, headers.get("content-type", ""))
            response = (
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(payload)).encode()
                + b"\r\n\r\n"
                + payload
            )
            if self.api.latency > 0:
                asyncio.get_running_loop().call_later(self.api.latency, self._write, response)
            else:
                self._write(response)

    def _write(self, response: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(response)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
