"""The Bot API's HTTP client (retainment_bot.telegram.http): aiohttp behind PTB's BaseRequest.

A local HTTP server of the test's own records what arrives; PTB's default client (httpx) is the
reference for what a request must carry. Timeouts and transport failures must surface as PTB's
own errors, which the sender retries.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest
from tornado.httputil import HTTPFile, HTTPHeaders, parse_body_arguments

from retainment_bot.engine.engine import Engine
from retainment_bot.settings import Settings
from retainment_bot.store import SqliteStore
from retainment_bot.telegram.app import build_application
from retainment_bot.telegram.http import AiohttpRequest

TOKEN = "123:abc"
MESSAGE = {"message_id": 1, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "x"}


@dataclass
class Seen:
    """One request as the server read it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    """An HTTP/1.1 server with keep-alive that records requests and answers ``answer(request)``
    (status, JSON) after ``delay`` seconds."""

    answer: Callable[[Seen], tuple[int, object]] = lambda seen: (200, {"ok": True, "result": MESSAGE})
    delay: float = 0.0
    seen: list[Seen] = field(default_factory=list)
    connections: list[asyncio.StreamWriter] = field(default_factory=list)
    port: int = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections.append(writer)
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                line, *rest = head.decode("latin-1").split("\r\n")
                method, path, _ = line.split(" ")
                headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in rest if h)}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                seen = Seen(method, path, headers, body)
                self.seen.append(seen)
                await asyncio.sleep(self.delay)
                status, payload = self.answer(seen)
                data = json.dumps(payload).encode()
                answer = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
                writer.write(answer.encode() + data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    listening = await asyncio.start_server(state.serve, "127.0.0.1", 0)
    state.port = listening.sockets[0].getsockname()[1]
    yield state
    for writer in state.connections:
        writer.close()
    listening.close()


async def _bot(request: BaseRequest, server: Server) -> Bot:
    bot = Bot(TOKEN, base_url=server.url(), request=request, get_updates_request=request)
    await request.initialize()
    return bot


def _form(seen: Seen) -> tuple[dict[str, list[bytes]], dict[str, list[HTTPFile]]]:
    arguments: dict[str, list[bytes]] = {}
    files: dict[str, list[HTTPFile]] = {}
    parse_body_arguments(seen.headers["content-type"], seen.body, arguments, files, HTTPHeaders(seen.headers))
    return arguments, files


async def test_a_message_goes_out_as_ptbs_default_client_sends_it(server: Server) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Tiếp", callback_data="n:1:ab")]])
    for request in (HTTPXRequest(), AiohttpRequest(connections=2, timeout=5)):
        bot = await _bot(request, server)
        sent = await bot.send_message(42, "Xin chào <b>&amp;</b> 日本語", parse_mode="HTML", reply_markup=markup)
        assert sent.message_id == 1 and sent.chat.id == 42
        await request.shutdown()
    reference, ours = server.seen
    assert (ours.method, ours.path) == (reference.method, reference.path) == ("POST", f"/bot{TOKEN}/sendMessage")
    assert ours.headers["content-type"] == reference.headers["content-type"]
    assert ours.headers["user-agent"] == reference.headers["user-agent"]
    assert parse_qsl(ours.body.decode()) == parse_qsl(reference.body.decode())
    assert dict(parse_qsl(ours.body.decode()))["text"] == "Xin chào <b>&amp;</b> 日本語"


async def test_a_file_goes_out_as_multipart_with_the_other_parameters(server: Server) -> None:
    content = bytes(range(256)) * 10
    for request in (HTTPXRequest(), AiohttpRequest(connections=2, timeout=5)):
        bot = await _bot(request, server)
        await bot.send_document(42, content, filename="figures.csv", caption="Số liệu")
        await request.shutdown()
    reference, ours = (_form(seen) for seen in server.seen)
    assert ours[0] == reference[0] and ours[0]["caption"] == ["Số liệu".encode()]
    (file,) = ours[1]["document"]
    (expected,) = reference[1]["document"]
    assert (file.filename, file.body, file.content_type) == (expected.filename, content, expected.content_type)


async def test_a_slow_answer_times_out_and_the_next_request_goes_through(server: Server) -> None:
    request = AiohttpRequest(connections=2, timeout=0.3)
    bot = await _bot(request, server)
    server.delay = 1.0
    with pytest.raises(TimedOut):
        await bot.send_message(42, "slow")
    server.delay = 0.0
    assert (await bot.send_message(42, "fast")).message_id == 1
    await request.shutdown()


async def test_a_refused_connection_is_a_network_error(server: Server) -> None:
    request = AiohttpRequest(connections=2, timeout=2)
    bot = Bot(TOKEN, base_url="http://127.0.0.1:9/bot", request=request)  # nothing listens on port 9
    await request.initialize()
    with pytest.raises(NetworkError) as raised:
        await bot.send_message(42, "x")
    assert not isinstance(raised.value, TimedOut) and "aiohttp." in str(raised.value)
    await request.shutdown()


async def test_the_bot_apis_errors_are_ptbs(server: Server) -> None:
    request = AiohttpRequest(connections=2, timeout=2)
    bot = await _bot(request, server)
    server.answer = lambda seen: (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(42, "x")
    server.answer = lambda seen: (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
    with pytest.raises(NetworkError):
        await bot.send_message(42, "x")
    await request.shutdown()


async def test_connections_are_kept_alive_and_bounded(server: Server) -> None:
    request = AiohttpRequest(connections=3, timeout=5)
    bot = await _bot(request, server)
    server.delay = 0.02
    sent = await asyncio.gather(*(bot.send_message(42, str(n)) for n in range(30)))
    assert len(sent) == 30 and len(server.seen) == 30
    assert len(server.connections) == 3
    await request.shutdown()


async def test_a_connection_the_server_closed_is_replaced(server: Server) -> None:
    """Keep-alive, then the server hangs up on the idle connection: the next request must not
    fail on it."""
    request = AiohttpRequest(connections=4, timeout=5)
    bot = await _bot(request, server)
    await bot.send_message(42, "a")
    await bot.send_message(42, "b")
    assert len(server.connections) == 1  # kept alive
    server.connections[0].close()
    await asyncio.sleep(0.05)
    await bot.send_message(42, "c")
    assert len(server.connections) == 2
    await request.shutdown()


async def test_a_request_before_initialize_or_after_shutdown_is_refused(server: Server) -> None:
    request = AiohttpRequest(connections=1, timeout=1)
    bot = Bot(TOKEN, base_url=server.url(), request=request)
    with pytest.raises(NetworkError, match="not initialized"):  # PTB wraps the RuntimeError
        await bot.send_message(42, "x")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(NetworkError, match="not initialized"):  # PTB wraps the RuntimeError
        await bot.send_message(42, "x")
    assert server.seen == []


def test_the_bot_sends_and_polls_through_aiohttp(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(token=TOKEN, api_url="http://127.0.0.1:9/bot", send_lanes=8)
    application, _ = build_application(engine, SqliteStore(tmp_path / "s.db"), settings)
    polling, sending = application.bot._request
    assert isinstance(sending, AiohttpRequest) and isinstance(polling, AiohttpRequest)
    assert sending._connections == 12 and polling._connections == 1
    assert polling.read_timeout > sending.read_timeout
