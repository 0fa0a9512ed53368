"""Interface text: the few strings the Python code itself shows, marked for extraction.

``pgettext`` here does not translate; it names a message that a :class:`~retainment_bot.engine.render.Translator`
translates later, in the user's language. ``pybabel extract`` finds the calls by their name.
"""

from __future__ import annotations

from typing import NamedTuple


class UiText(NamedTuple):
    """A message id with its context, translated when a reply is rendered."""

    context: str
    message: str


def pgettext(context: str, message: str) -> UiText:
    """Mark ``message`` for the catalogs; translate it later with a Translator."""
    return UiText(context, message)


BACK = pgettext("button", "⬅️ Back")
MENU = pgettext("button", "🏠 Main menu")
SHOW_JAPANESE = pgettext("button", "🇯🇵 Show in Japanese")
LANGUAGE = pgettext("button", "🌐 Language")
SHARE = pgettext("button", "📤 Share")
OPEN_IN_BOT = pgettext("button", "Open in the bot")

NOT_UNDERSTOOD = pgettext("reply", "Sorry, I did not understand. Tap a button, or choose a topic:")
UNKNOWN_LINK = pgettext("reply", "That link is not known. Here is the main menu.")
STALE_BUTTON = pgettext(
    "reply", "That button is from an older message and no longer works. Here is the current screen."
)
FORGED_BUTTON = pgettext("reply", "That button is not valid. Here is the main menu.")
CONTENT_CHANGED = pgettext("reply", "The bot's content has changed since your last visit. Here is the main menu.")
UNREADABLE = pgettext("reply", "I can only read text and buttons. Here is the main menu.")
CHOOSE_LANGUAGE = pgettext("reply", "Choose your language:")
# TRANSLATORS: {language} is the language's own name, e.g. "Tiếng Việt" or "日本語".
LANGUAGE_SET = pgettext("reply", "Language: {language}")
JAPANESE_FOLLOWS = pgettext(
    "reply",
    "⬇️ The same in Japanese, to show to an employer or an immigration officer:",
)

# TRANSLATORS: words a user may type to press a "Yes" button, separated by |. Add the
# forms people type in your language, with and without diacritics (e.g. có|co|vâng|vang).
YES_WORDS = pgettext("synonyms", "yes|y|yeah|yep|ok|sure")
# TRANSLATORS: words a user may type to press a "No" button, separated by |.
NO_WORDS = pgettext("synonyms", "no|n|nope|not")

# Free-text search. Each list is |-separated; add the forms people type in your language.
# TRANSLATORS: whole messages that are only a greeting.
GREETINGS = pgettext("search", "hello|hi|hey|hello there|good morning|good afternoon|good evening|yo|hi bot")
# TRANSLATORS: whole messages that only say thank you.
THANKS = pgettext("search", "thanks|thank you|thank you very much|thanks a lot|thx|ty|many thanks|ok thanks")
# TRANSLATORS: filler words ignored when matching a question (question words, pronouns, particles).
STOPWORDS = pgettext(
    "search",
    "i|me|my|mine|you|u|we|our|a|an|the|to|of|in|on|at|for|is|are|was|were|be|do|does|did|can|could|"
    "will|would|should|how|what|when|where|which|who|why|please|pls|plz|about|tell|want|need|know|"
    "if|it|this|that|and|or|so|with|get|have|has|any|there|still|now|just|very|much",
)
# TRANSLATORS: words that show a question may be about something this bot does not cover: when the
# bot is unsure of such a question, it also says whom to ask. (They do not keep it from answering:
# "spouse visa, lost my job, was I covered?" asks about the measure. Phrases that must keep it from
# answering go in search/<lang>.yaml, _off_topic.) Every language's words are looked for in every
# question, and a question typed without diacritics meets them without theirs: English "song" was
# also Vietnamese "song" (sống, to live: "e song o Saitama"), so it is not listed.
OFF_TOPIC = pgettext(
    "search",
    "wife|husband|spouse|girlfriend|boyfriend|marriage|married|child|children|baby|tax|taxes|"
    "driving licence|driving license|driver license|bank account|weather|football|"
    "music|joke|movie|game|bitcoin|rent|apartment|tourist|travel|holiday|permanent residence",
)
GREETING_REPLY = pgettext(
    "reply",
    "Hello! I explain Japan's COVID-19 employment retainment measure (it has ended) and the residence "
    "statuses around it. Type a question, or choose a topic:",
)
THANKS_REPLY = pgettext("reply", "You're welcome! Type another question, or choose a topic:")
SUGGEST = pgettext("reply", "I am not sure what you mean. Is it one of these?")
# TRANSLATORS: shown when a typed question is in another language than the bot's; {language} is
# the language's own name. A button below switches back.
LANGUAGE_FOLLOWED = pgettext("reply", "You wrote in {language}, so I answer in {language}.")
ANSWER_HINT = pgettext("reply", "Please answer the question: tap one of its buttons, or type its number.")
# TRANSLATORS: "thank you" or "hello" typed while a question waits for its answer; the question follows.
THANKS_ON_QUESTION = pgettext(
    "reply", "You're welcome! When you are ready, answer the question: tap one of its buttons, or type its number."
)
GREETING_ON_QUESTION = pgettext(
    "reply", "Hello! When you are ready, answer the question: tap one of its buttons, or type its number."
)
# TRANSLATORS: shown above a question when the typed text answers none of its buttons but reads as
# a question about another topic; this message's own buttons open those topics, the question follows.
ANSWER_HINT_OR = pgettext(
    "reply",
    "Did you mean one of these? If not, please answer the question below: tap one of its buttons, or type its number.",
)
