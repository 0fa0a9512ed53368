"""The review site: every screen in every language, the dialogue map, the eligibility check's
decision table, the translation to-do list and printable handbooks (``python -m retainment_bot site OUT``)."""

from retainment_bot.site.build import build_site

__all__ = ["build_site"]
