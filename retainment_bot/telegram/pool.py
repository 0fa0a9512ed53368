"""The HTTP transport the Bot API calls go through: httpx's own, with a cheaper idle-connection check.

Before every request, and again after it, httpcore's pool asks each of its idle connections
whether the server has closed it (``get_extra_info("is_readable")``: a ``poll`` of the socket).
Through anyio, finding that socket builds the stream's whole table of attributes each time,
``getpeername`` system call included; and with a connection for each send lane, a request made
a ``poll`` system call (and a new poll object) for each of some thirty idle connections, twice:
about a third of the sending's CPU. Here each connection's socket is looked up once, when it is
opened, and registered in one poll object of the pool's; the first check of a step of the event
loop polls them all in one system call, and the checks after it in the same step (the rest of
that pass over the pool, made with no await in between) read that answer. What a check answers
is httpcore's (:func:`readable`), taken once per pass rather than once per connection;
everything else is httpx's and httpcore's, unchanged.
"""

from __future__ import annotations

import asyncio
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


class _Sockets:
    """The open sockets of one pool, registered in one poll object; polled once per step of the
    event loop, when a connection's idle check first asks."""

    def __init__(self) -> None:
        self._poller = select.poll()
        self._owners: dict[int, _Stream] = {}  # file descriptor -> the stream registered with it
        self._readable: set[int] | None = None  # this step's answer, until the loop runs on

    def add(self, stream: _Stream) -> None:
        if stream.fd >= 0:
            self._poller.register(stream.fd, select.POLLIN)
            self._owners[stream.fd] = stream

    def remove(self, stream: _Stream) -> None:
        if stream.fd >= 0 and self._owners.get(stream.fd) is stream:
            del self._owners[stream.fd]
            self._poller.unregister(stream.fd)

    def readable(self, stream: _Stream) -> bool:
        """:func:`readable` for the stream's socket, from this step's single poll."""
        fd = _fileno(stream.socket)
        if fd < 0:
            return True
        if self._owners.get(fd) is not stream:  # not registered (or its descriptor reused): alone
            return readable(stream.socket)
        if self._readable is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return readable(stream.socket)
            # POLLNVAL (a descriptor closed underneath) counts as readable, as fileno() -1 does.
            self._readable = {ready for ready, _ in self._poller.poll(0)}
            loop.call_soon(self._forget)
        return fd in self._readable

    def _forget(self) -> None:
        self._readable = None


def _fileno(sock: typing.Any) -> int:
    fd = None if sock is None else sock.fileno()
    return -1 if fd is None else int(fd)


class _Stream(httpcore.AsyncNetworkStream):
    """A network stream that remembers its socket (registered with its pool's while open)."""

    def __init__(self, inner: httpcore.AsyncNetworkStream, sockets: _Sockets) -> None:
        self._inner = inner
        self._sockets = sockets
        self._held = b""  # written, not yet sent (see write)
        self.socket = inner.get_extra_info("socket")
        self.fd = _fileno(self.socket)  # as registered
        sockets.add(self)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._held:  # a request's last bytes, before its answer is awaited
            await self._flush(timeout)
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """httpcore writes a request's head and its body separately (then an empty end): the
        head is held and goes out with the body, one ``send`` where there were two. What is
        held goes out at the next write or before the next read, so the bytes and their order
        on the wire are unchanged."""
        if self._held:
            buffer, self._held = self._held + buffer, b""
            await self._inner.write(buffer, timeout)
        elif buffer:
            self._held = buffer

    async def _flush(self, timeout: float | None) -> None:
        buffer, self._held = self._held, b""
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        self._held = b""  # a request abandoned half sent: the connection is closed under it
        self._sockets.remove(self)  # before the descriptor is closed (and maybe reused)
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        if self._held:
            await self._flush(timeout)
        self._sockets.remove(self)  # the TLS stream, on the same socket, registers it again
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout), self._sockets)

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "is_readable":
            return self._sockets.readable(self)
        return self._inner.get_extra_info(info)


class _Backend(httpcore.AsyncNetworkBackend):
    """httpcore's backend, its streams wrapped."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner
        self._sockets = _Sockets()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.connect_tcp(host, port, timeout, local_address, socket_options), self._sockets)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.connect_unix_socket(path, timeout, socket_options), self._sockets)

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
