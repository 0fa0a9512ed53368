"""A multilingual guide to Japan's COVID-19 employment retainment measure for foreign workers.

The package is a functional core (``bot.engine``: content, validation and the pure dialogue
step) with thin shells around it: ``bot.i18n`` (gettext catalogs and the Babel extractor),
``bot.chat`` (the terminal chat) and ``bot.cli`` (the ``python -m bot`` commands).
"""

__version__ = "0.1.0"
