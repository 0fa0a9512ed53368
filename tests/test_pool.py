"""The Bot API transport (retainment_bot.telegram.pool): httpx's, with each connection's socket
looked up once for the idle check; it must notice a connection the server closed, as httpcore does."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpcore
import httpx
from telegram.request import HTTPXRequest

from retainment_bot.engine.engine import Engine
from retainment_bot.settings import Settings
from retainment_bot.store import SqliteStore
from retainment_bot.telegram import pool
from retainment_bot.telegram.app import build_application
from retainment_bot.telegram.pool import _Backend, readable


def test_readable_is_httpcores_check() -> None:
    left, right = socket.socketpair()
    try:
        assert not readable(left)  # idle, nothing waiting
        right.sendall(b"x")
        assert readable(left)
        assert readable(left) == httpcore._utils.is_socket_readable(left)
        left.recv(1)
        assert not readable(left) and not httpcore._utils.is_socket_readable(left)
        right.close()
        assert readable(left)  # the peer closed it: a read would return b"" at once
    finally:
        left.close()
        right.close()
    assert readable(left)  # closed here: fileno() is -1
    assert readable(None)


def test_the_sending_client_uses_the_wrapped_pool(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(token="123:abc", api_url="http://127.0.0.1:9/bot", send_lanes=8)
    application, _ = build_application(engine, SqliteStore(tmp_path / "s.db"), settings)
    request = application.bot._request[1]
    assert isinstance(request, HTTPXRequest)
    transport = request._client._transport
    assert isinstance(transport, httpx.AsyncHTTPTransport)
    assert isinstance(transport._pool, httpcore.AsyncConnectionPool)
    assert isinstance(transport._pool._network_backend, _Backend)
    assert transport._pool._max_connections == 12


async def test_a_connection_the_server_closed_is_replaced() -> None:
    """Keep-alive, then the server hangs up on the idle connection: the next request must not
    fail on it (the idle check finds it readable and the pool opens a new one)."""
    connections: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        while await reader.readuntil(b"\r\n\r\n"):
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}")
            await writer.drain()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with httpx.AsyncClient(transport=pool.transport(httpx.create_ssl_context(), 4)) as client:
        assert (await client.get(f"http://127.0.0.1:{port}/a")).json() == {}
        assert (await client.get(f"http://127.0.0.1:{port}/b")).json() == {}
        assert len(connections) == 1  # kept alive
        connections[0].close()
        await asyncio.sleep(0.05)
        assert (await client.get(f"http://127.0.0.1:{port}/c")).json() == {}
        assert len(connections) == 2
    server.close()
    await server.wait_closed()
