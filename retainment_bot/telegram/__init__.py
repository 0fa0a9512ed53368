"""The Telegram front end: the only package that imports ``telegram``.

Updates become engine events, engine replies become messages; state lives in ``retainment_bot.store``.
Library types stop here: the engine sees only plain values.
"""

import os

# Opt in to PTB's coming time periods as ``timedelta`` (``RetryAfter.retry_after``): without it,
# PTB 22 warns about the change each time it builds the exception, before we can read it.
os.environ.setdefault("PTB_TIMEDELTA", "true")
