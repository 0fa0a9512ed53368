"""Benchmarks of the bot against a bare python-telegram-bot echo bot (``python -m benchmarks``)."""
