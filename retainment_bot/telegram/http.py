"""The Bot API's HTTP client: aiohttp behind python-telegram-bot's ``BaseRequest``.

PTB builds every request (URL, parameters as JSON-encoded form fields, files) and reads every
answer (status, JSON, its errors: ``RetryAfter``, ``BadRequest``...); this class only carries the
bytes. It replaces PTB's default, httpx, because under load the bot is CPU-bound and a Bot API
call through httpx and httpcore cost about 0.9 ms of CPU against 0.14 ms through aiohttp, whose
HTTP parser is in C (a client-only probe, ``benchmarks/notes-s9-http.md``). Timeouts and
transport errors become PTB's ``TimedOut`` and ``NetworkError``, as with httpx, so the sender's
retries are unchanged. TLS is verified against the system's certificate store (aiohttp's
default; httpx used certifi's bundle).
"""

from __future__ import annotations

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """A pool of ``connections`` keep-alive connections to the Bot API; ``timeout`` seconds for
    each of: waiting for a free connection, connecting, and reading the answer."""

    def __init__(self, connections: int, timeout: float) -> None:
        self._connections = connections
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        return self._timeout

    async def initialize(self) -> None:
        """Open the session (on the running loop, as aiohttp wants)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                # No cookies: the Bot API sets none, and a jar is work on every answer.
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def shutdown(self) -> None:
        """Close every connection."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See :meth:`telegram.request.BaseRequest.do_request`."""
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = self._timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        # aiohttp has no write timeout: a request's body is sent before its answer is read, so
        # the read timeout bounds a stalled write too.
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(
                method, url, data=_body(request_data), timeout=timeout, allow_redirects=False
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc


def _body(request_data: RequestData | None) -> dict[str, str] | aiohttp.FormData | None:
    """The parameters as a form (urlencoded), or multipart when files go with them."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not request_data.contains_files:
        return fields
    form = aiohttp.FormData(fields)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
