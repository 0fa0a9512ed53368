"""The Telegram front end: the only package that imports ``telegram``.

Updates become engine events, engine replies become messages; state lives in ``retainment_bot.store``.
Library types stop here: the engine sees only plain values.
"""
