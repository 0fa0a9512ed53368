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


class _Plain(httpcore.AsyncNetworkStream):
    """A stream on a plain socket, as the backend's: its socket, and aclose closing it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def get_extra_info(self, info: str) -> object:
        return self.sock if info == "socket" else None

    async def aclose(self) -> None:
        self.sock.close()


async def test_one_poll_per_step_answers_as_httpcore() -> None:
    """The pool's sockets are polled together once per step of the loop: each check answers what
    httpcore's own check answers (taken at the step's first check), and the next step polls anew;
    a closed stream leaves the poll, and its descriptor reused by a new stream is the new one's."""
    sockets = pool._Sockets()
    pairs = [socket.socketpair() for _ in range(3)]
    streams = [pool._Stream(_Plain(left), sockets) for left, _ in pairs]
    try:
        pairs[1][1].sendall(b"x")
        pairs[2][1].close()  # the server hung up
        expected = [httpcore._utils.is_socket_readable(left) for left, _ in pairs]
        assert expected == [False, True, True]
        assert [s.get_extra_info("is_readable") for s in streams] == expected
        pairs[0][1].sendall(b"y")  # in the same step: the step's answer stands
        assert streams[0].get_extra_info("is_readable") is False
        await asyncio.sleep(0)
        assert streams[0].get_extra_info("is_readable") is True  # polled anew
        pairs[0][0].recv(1)
        pairs[1][0].recv(1)
        await asyncio.sleep(0)
        assert [s.get_extra_info("is_readable") for s in streams] == [False, False, True]

        fd = streams[0].fd
        await streams[0].aclose()
        assert streams[0].get_extra_info("is_readable") is True  # closed: fileno() is -1
        assert fd not in sockets._owners
        left, right = socket.socketpair()
        pairs.append((left, right))
        fresh = pool._Stream(_Plain(left), sockets)
        assert sockets._owners[fresh.fd] is fresh  # the descriptor usually reused: fd == fresh.fd
        await asyncio.sleep(0)
        assert fresh.get_extra_info("is_readable") is False
        right.sendall(b"z")
        await asyncio.sleep(0)
        assert fresh.get_extra_info("is_readable") is True
        await streams[0].aclose()  # closing the old stream again leaves the new one registered
        assert sockets._owners[left.fileno()] is fresh
    finally:
        for left, right in pairs:
            left.close()
            right.close()


def test_outside_a_loop_each_check_polls_alone() -> None:
    sockets = pool._Sockets()
    left, right = socket.socketpair()
    try:
        stream = pool._Stream(_Plain(left), sockets)
        assert stream.get_extra_info("is_readable") is False
        right.sendall(b"x")
        assert stream.get_extra_info("is_readable") is True
    finally:
        left.close()
        right.close()


class _Recording(httpcore.AsyncNetworkStream):
    """A stream that records what is sent and what is asked for, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes]] = []

    def get_extra_info(self, info: str) -> object:
        return None

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.calls.append(("send", buffer))

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.calls.append(("read", b""))
        return b""

    async def aclose(self) -> None:
        self.calls.append(("close", b""))


async def test_a_requests_head_goes_out_with_its_body() -> None:
    """Head, body and httpcore's empty end: one send, the same bytes in the same order; a held
    write goes out before any read; a request abandoned half sent is never sent."""
    inner = _Recording()
    stream = pool._Stream(inner, pool._Sockets())
    await stream.write(b"POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\n")
    await stream.write(b"{}")
    await stream.write(b"")
    await stream.read(100)
    await stream.write(b"GET /b HTTP/1.1\r\n\r\n")  # no body: sent before the answer is read
    await stream.read(100)
    await stream.write(b"POST /c HTTP/1.1\r\n\r\n")
    await stream.aclose()
    assert inner.calls == [
        ("send", b"POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"),
        ("read", b""),
        ("send", b"GET /b HTTP/1.1\r\n\r\n"),
        ("read", b""),
        ("close", b""),
    ]
