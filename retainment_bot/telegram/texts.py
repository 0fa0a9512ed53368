"""Interface text that only the Telegram front end shows, marked for the catalogs."""

from __future__ import annotations

from retainment_bot.engine.ui import pgettext

HELP = pgettext(
    "telegram",
    "I explain Japan's temporary COVID-19 employment retainment measure for foreign workers (it has ended), "
    "and the residence statuses around it. Tap the buttons, or type a button's words.\n\n"
    "/menu — main menu\n/language — change language\n/privacy — what I store about you\n"
    "/forget — erase what I store about you",
)
# TRANSLATORS: {days} and {question_days} are numbers of days, e.g. 180 and 30.
PRIVACY = pgettext(
    "telegram",
    "<b>What I store about you</b>\n"
    "Your Telegram user id, your language, the screen you are on, your answers to the eligibility "
    "questions, the screens you came through (for Back) and when you last wrote.\n\n"
    "<b>Why</b>: so that you can continue where you left off.\n"
    "<b>How long</b>: it is deleted after {days} days without use.\n\n"
    "I do not store the text of your messages, your name or your phone number. "
    "/forget erases everything now.\n\n"
    "<b>Anonymous figures</b>: I count how often each topic is shown, per day and language, and "
    "the results of the eligibility check, without any user id. When I cannot answer a typed "
    "question, I ask whether I may keep it; only if you say yes is it kept, for {question_days} days, "
    "without your id and with names, addresses, numbers, e-mail addresses and @names removed, so "
    "that the answers can be improved.",
)
FORGET_CONFIRM = pgettext("telegram", "Erase everything I store about you? This cannot be undone.")
ERASE = pgettext("button", "🗑 Erase my data")
FORGET_YES = pgettext("button", "🗑 Yes, erase")
FORGET_NO = pgettext("button", "Cancel")
FORGOTTEN = pgettext("telegram", "Done: everything I stored about you has been erased. Send /start to begin again.")
NOT_FORGOTTEN = pgettext("telegram", "Nothing was erased.")
EDITED = pgettext("telegram", "I do not read edited messages. Please send it again as a new message.")
# TRANSLATORS: {link} is a link to a private chat with the bot.
GROUP = pgettext(
    "telegram",
    "My answers are about your own situation, so please talk to me in a private chat: {link}",
)
KEEP_QUESTION = pgettext(
    "telegram",
    "May I keep your question, without your name or anything else that identifies you, to improve my answers?",
)
KEEP_YES = pgettext("button", "✅ Yes, keep it")
KEEP_NO = pgettext("button", "No")
KEPT = pgettext("telegram", "Thank you: your question was kept, without your name.")
NOT_KEPT = pgettext("telegram", "All right: your question was not kept.")
APOLOGY = pgettext("telegram", "Sorry, something went wrong on my side. Please try again in a moment.")

COMMANDS = (
    ("start", pgettext("command", "Start again")),
    ("menu", pgettext("command", "Main menu")),
    ("language", pgettext("command", "Change language")),
    ("help", pgettext("command", "How to use this bot")),
    ("privacy", pgettext("command", "What is stored about you")),
    ("forget", pgettext("command", "Erase your data")),
)
