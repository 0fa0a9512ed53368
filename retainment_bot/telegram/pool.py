"""The HTTP transport the Bot API calls go through: httpx's own, with a cheaper idle-connection check.

Before every request, and again after it, httpcore's pool asks each of its idle connections
whether the server has closed it (``get_extra_info("is_readable")``: a ``poll`` of the socket).
Through anyio, finding that socket builds the stream's whole table of attributes each time,
``getpeername`` system call included: with a connection for each send lane, this was a tenth of
the sending's CPU. Here each connection's socket is looked up once, when it is opened, and the
check itself (the ``poll``) is made exactly as httpcore makes it; everything else is httpx's
and httpcore's, unchanged.
"""

from __future__ import annotations

import select
import ssl
import typing

import httpcore
import httpx


def readable(sock: typing.Any) -> bool:
    """httpcore's ``is_socket_readable``: a socket with data waiting (or none at all, or closed)
    would return at once; on an idle connection, that means the server closed it."""
    fd = None if sock is None else sock.fileno()
    if fd is None or fd < 0:
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class _Stream(httpcore.AsyncNetworkStream):
    """A network stream that remembers its socket."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "is_readable":
            return readable(self._socket)
        return self._inner.get_extra_info(info)


class _Backend(httpcore.AsyncNetworkBackend):
    """httpcore's backend, its streams wrapped."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def transport(verify: ssl.SSLContext, max_connections: int) -> httpx.AsyncHTTPTransport:
    """httpx's transport as ``HTTPXRequest`` would make it (HTTP/1.1, ``max_connections``), its
    pool's streams wrapped; if a later httpcore keeps its pool elsewhere, the plain transport."""
    made = httpx.AsyncHTTPTransport(verify=verify, limits=httpx.Limits(max_connections=max_connections))
    pool = getattr(made, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(pool, httpcore.AsyncConnectionPool) and isinstance(backend, httpcore.AsyncNetworkBackend):
        pool._network_backend = _Backend(backend)
    return made
