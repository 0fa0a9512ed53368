"""A multilingual guide to Japan's COVID-19 employment retainment measure for foreign workers.

The package is a functional core (``retainment_bot.engine``: content, validation and the pure dialogue
step) with thin shells around it: ``retainment_bot.i18n`` (gettext catalogs and the Babel extractor),
``retainment_bot.chat`` (the terminal chat) and ``retainment_bot.cli`` (the ``python -m retainment_bot`` commands).
"""

__version__ = "0.1.0"
