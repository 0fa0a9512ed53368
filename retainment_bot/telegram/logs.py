"""Logs that stay clean: no message text, names or token at any level, third-party loggers too.

python-telegram-bot logs every Bot API call with its parameters (message texts) at DEBUG, and
the updates it fetches; httpx (PTB's default client) logs each request URL, which contains the
token, at INFO, and aiohttp's client loggers could name one in an error; tornado
logs request paths. Those loggers are held at WARNING whatever ``LOG_LEVEL`` says, and every
record that still reaches a handler has the token masked, in case a library puts it in an error.
"""

from __future__ import annotations

import logging

QUIET = ("telegram", "aiohttp", "httpx", "httpcore", "tornado.access", "hpack", "asyncio")


class _MaskToken(logging.Filter):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<token>"), None
        return True


def quiet() -> None:
    """Hold the third-party loggers that print bodies, texts or URLs at WARNING (the runtime
    calls this on start, so it holds however the bot is embedded)."""
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def configure(level: str, token: str | None) -> None:
    """Log to stderr at ``level``; third-party loggers quiet; the token masked."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet()
    if token:
        for handler in logging.getLogger().handlers:
            handler.addFilter(_MaskToken(token))
