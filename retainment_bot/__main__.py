"""``python -m retainment_bot``: see ``retainment_bot.cli``."""

from retainment_bot.cli import main

raise SystemExit(main())
