"""The dialogue step: ``Engine.step(state, event) -> Outcome(state, replies)``.

Pure: no I/O, no clock, no Telegram. The shells (terminal chat, Telegram) turn their input into
an :data:`Event`, call :meth:`Engine.step`, send the replies and save the new state. Every input,
however stale or forged, leads somewhere sensible with a short explanation, never an exception.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from retainment_bot.engine import ui
from retainment_bot.engine.later import Later
from retainment_bot.engine.links import deep_link, share_link
from retainment_bot.engine.model import MENU_TOPIC, Content, Node
from retainment_bot.engine.normalize import clip, compact, fold
from retainment_bot.engine.render import (
    JAPANESE,
    Reply,
    ReplyButton,
    Translator,
    button_data,
    content_rows,
    first_line,
    interface_text,
    language_name,
    node_text,
    notice_row,
    shortened,
)
from retainment_bot.engine.ui import UiText

# What only typed text needs (the matcher, rapidfuzz, the language and redaction patterns) is
# imported where it is used: /start and button presses, a restored bot's first replies, load none of it.
if TYPE_CHECKING:
    from retainment_bot.engine.matcher import Matcher

HISTORY_LIMIT = 20
JUNCTION_LIMIT = 16
TYPO_THRESHOLD = 85.0
# A typed word found inside only one answer's label ("neither" in "Neither of these").
PART_THRESHOLD = 90.0
# Longer messages are cut (their start and end kept) before anything reads them.
TYPED_LIMIT = 600
# A screen named by its text's first line (:meth:`Engine.title`) is cut to this many columns: about
# what the content's longest button labels take.
TITLE_COLUMNS = 64
# The content's notice shown when the bot is unsure of a question about something it does not cover.
ELSEWHERE = "elsewhere"
PAYLOAD = re.compile(r"^([a-z][a-z0-9_]*)(?:-([a-z]{2,3}))?$")
CONTENT_BUTTON = re.compile(r"^([a-z0-9_]+\.[a-z0-9_]+):([0-9]{1,3}):([0-9a-f]{4})$")
# A button's number typed (after NFKC): "2", "#2", "2.", "(2)".
_NUMBER = re.compile(r"\s*[#(]?\s*([0-9]+)\s*[.)]?\s*")

BACK_DATA, MENU_DATA, LANGUAGES_DATA = "nav:back", "nav:menu", "nav:lang"
LANGUAGE_PREFIX, JAPANESE_PREFIX, GO_PREFIX = "lang:", "ja:", "go:"


@dataclass(frozen=True)
class State:
    """Everything the bot remembers about one user."""

    lang: str
    lang_chosen: bool = False
    node: str | None = None
    answers: tuple[tuple[str, str], ...] = ()
    history: tuple[str, ...] = ()

    def answer(self, key: str) -> str | None:
        return dict(self.answers).get(key)

    def with_answer(self, key: str, value: str) -> State:
        answers = dict(self.answers)
        answers[key] = value
        return replace(self, answers=tuple(sorted(answers.items())))


@dataclass(frozen=True)
class Start:
    """``/start``, with the deep-link payload if any (``consent_form`` or ``consent_form-vi``)."""

    payload: str | None = None


@dataclass(frozen=True)
class Press:
    """A button press, carrying the button's callback data."""

    data: str


@dataclass(frozen=True)
class Typed:
    """Text the user typed."""

    text: str


@dataclass(frozen=True)
class Back:
    """Go back one screen."""


@dataclass(frozen=True)
class Menu:
    """Go to the main menu."""


@dataclass(frozen=True)
class ShowLanguages:
    """Offer the language choice."""


@dataclass(frozen=True)
class SetLanguage:
    """Switch to a language (a code such as ``vi``)."""

    lang: str


@dataclass(frozen=True)
class Unreadable:
    """A message the bot cannot read: a sticker, photo, voice message, location and so on."""


Event = Start | Press | Typed | Back | Menu | ShowLanguages | SetLanguage | Unreadable


@dataclass(frozen=True)
class Outcome:
    """What a step produced: the state to save and the replies to send, in order, and (for the
    usage figures) a typed question that found no confident answer, already redacted."""

    state: State
    replies: tuple[Reply, ...]
    unanswered: str | None = None


def _unanswered(text: str) -> str | None:
    """A typed question kept (redacted) for the content editors; commands are not questions."""
    from retainment_bot.engine.redact import redact

    kept = redact(text)
    return kept if kept and not kept.startswith("/") else None


# Words that say nothing about which answer is meant ("because", "the"); with every word of one
# or two letters ("i", "my", "do", "bi"), they are left out of an answer in other words.
_FILLER = frozenset({"the", "and", "was", "were", "because", "that", "this", "with", "for", "has", "had", "have"})
_KANJI_OR_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc\u3400-\u9fff]{2,}")


def _answer_words(text: str) -> set[str]:
    """The words of ``text`` that may name an answer: Latin words of three letters or more
    (folded, no filler) and runs of two kanji or katakana or more."""
    written = fold(text, kana=False)
    latin = {word for word in written.split() if word.isascii() and len(word) >= 3 and word not in _FILLER}
    return latin | set(_KANJI_OR_KATAKANA.findall(written.replace(" ", "")))


def _inside(word: str, names: set[str], runs: list[str]) -> bool:
    """Whether ``word`` is one of a button's words, or a Japanese run inside one of its runs."""
    return word in names or (not word.isascii() and any(word in run for run in runs))


def _named_most(words: set[str], shared: list[tuple[str, int]]) -> str | None:
    """The button (data, words it shares) that shares more than any other, at least half of
    ``words``, and two (or the only one); ``None`` when none does."""
    ranked = sorted(shared, key=lambda item: item[1], reverse=True)
    (data, best), second = ranked[0], ranked[1][1] if len(ranked) > 1 else 0
    enough = best >= 2 or (best == 1 and len(words) == 1)
    return data if enough and best > second and 2 * best >= len(words) else None


def _in_runs(word: str, runs: list[str]) -> bool:
    """Whether a run of kanji or katakana shares two characters in a row with one of ``runs``: a
    run as typed often joins a name's run to the next kanji (内定取り消し: 内定取, in 採用内定)."""
    return any(word[i : i + 2] in run for run in runs for i in range(len(word) - 1))


def parse_command(text: str) -> Event:
    """Turn a typed line into an event: the bot's commands, or plain text."""
    command, _, argument = text.strip().partition(" ")
    command = command.split("@", 1)[0].lower()
    argument = argument.strip()
    if command == "/start":
        return Start(argument or None)
    if command == "/menu":
        return Menu()
    if command == "/back":
        return Back()
    if command == "/language":
        return SetLanguage(argument.lower()) if argument else ShowLanguages()
    return Typed(text)


def resolve_language(language_code: str | None, languages: tuple[str, ...], default: str = "en") -> str:
    """The offered language for a client's ``language_code`` (``vi-VN`` -> ``vi``), else ``default``."""
    if language_code:
        code = language_code.lower().replace("_", "-")
        for candidate in (code, code.split("-")[0]):
            if candidate in languages:
                return candidate
    return default


@dataclass(frozen=True)
class Engine:
    """The content and its translations; :meth:`step` is the whole dialogue logic."""

    content: Content
    translator: Translator
    # The free-text index, or how to make it at the first question that needs it (the bot's
    # engine cache keeps it pickled apart: see ``later.py``).
    index: Matcher | Later[Matcher] | None = None
    bot_username: str | None = None
    # The folded names of a screen's buttons, by the screen's button data: a screen's buttons are
    # named the same in every state, and folding ~45 names costs more than the rest of a step.
    _button_names: dict[tuple[str, ...], dict[str, str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    # Each node's name (:meth:`title`) by language, node and width.
    _titles: dict[tuple[str, str, int | None], str] = field(default_factory=dict, init=False, repr=False, compare=False)
    # The words of each button's names (:func:`_answer_words`), by its data: the same in every state.
    _button_words: dict[str, set[str]] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def languages(self) -> tuple[str, ...]:
        return self.translator.languages

    @property
    def matcher(self) -> Matcher | None:
        """The free-text index (made now, if it was kept for later)."""
        return self.index.value if isinstance(self.index, Later) else self.index

    def new_state(self, language_code: str | None) -> State:
        """The state of a user seen for the first time."""
        return State(lang=resolve_language(language_code, self.languages, self.languages[0]))

    def step(self, state: State, event: Event) -> Outcome:
        """Apply one event to one user's state."""
        state, notes = self._repair(state)
        if isinstance(event, Start):
            outcome = self._start(state, event.payload)
        elif isinstance(event, Press):
            outcome = self._press(state, event.data)
        elif isinstance(event, Typed):
            outcome = self._typed(state, event.text)
        elif isinstance(event, Back):
            outcome = self._back(state)
        elif isinstance(event, Menu):
            outcome = self._go(state, self.content.menu)
        elif isinstance(event, ShowLanguages):
            outcome = Outcome(state, (self._language_picker(state),))
        elif isinstance(event, Unreadable):
            outcome = self._note_then_menu(state, ui.UNREADABLE)
        else:
            outcome = self._set_language(state, event.lang)
        return replace(outcome, replies=(*notes, *outcome.replies)) if notes else outcome

    # -- events ---------------------------------------------------------------------------

    def _start(self, state: State, payload: str | None) -> Outcome:
        first_contact = state.node is None and not state.history
        if not payload:
            outcome = self._go(replace(state, history=()), self.content.menu, push=False)
            if first_contact:
                return self._with_language_row(outcome)
            return outcome
        match = PAYLOAD.match(payload)
        topic = self.content.topics.get(match.group(1)) if match else None
        if match is None or topic is None:
            return self._note_then_menu(state, ui.UNKNOWN_LINK)
        lang = match.group(2)
        if lang in self.languages:
            state = replace(state, lang=lang, lang_chosen=True)
        return self._go(state, topic.entry)

    def _press(self, state: State, data: str) -> Outcome:
        if data == BACK_DATA:
            return self._back(state)
        if data == MENU_DATA:
            return self._go(state, self.content.menu)
        if data == LANGUAGES_DATA:
            return Outcome(state, (self._language_picker(state),))
        if data.startswith(LANGUAGE_PREFIX):
            return self._set_language(state, data.removeprefix(LANGUAGE_PREFIX))
        if data.startswith(JAPANESE_PREFIX):
            return self._bilingual(state, data.removeprefix(JAPANESE_PREFIX))
        if data.startswith(GO_PREFIX):
            target = self.content.nodes.get(data.removeprefix(GO_PREFIX))
            if target is None or target.is_junction:
                return self._note_then_current(state, ui.STALE_BUTTON)
            return self._go(state, target.id)
        match = CONTENT_BUTTON.match(data)
        if match is None:
            return self._note_then_menu(state, ui.FORGED_BUTTON)
        node = self.content.nodes.get(match.group(1))
        index = int(match.group(2))
        if node is None or index >= len(node.buttons) or button_data(node, index) != data:
            return self._note_then_current(state, ui.STALE_BUTTON)
        button = node.buttons[index]
        if button.goto is None:
            return self._note_then_menu(state, ui.FORGED_BUTTON)
        if button.value is not None and node.ask is not None:
            state = state.with_answer(node.ask, button.value)
        state = replace(state, node=node.id)
        return self._go(state, button.goto)

    def _typed(self, state: State, text: str) -> Outcome:
        """A language's name (or a request for the choice of language), then a typed answer to the
        current screen, then a search of every topic, answered in the language the question is
        written in when that is clear. On a question screen, text that answers none of its
        buttons keeps the user on the question."""
        from retainment_bot.engine.language import detect, language_request

        text = clip(text, TYPED_LIMIT)
        if text.lstrip().startswith("/"):
            return self._note_then_menu(state, ui.NOT_UNDERSTOOD)  # an unknown command
        asks, named = language_request(text)
        if named in self.languages:
            return self._set_language(state, named)
        if asks and named is None:
            return Outcome(state, (self._language_picker(state),))
        screen = self._render_current(state)
        asking = self._resolve(state, state.node or self.content.menu).ask is not None
        chosen = self._match_button(state, screen, text, loosely=asking)
        if chosen is not None:
            return self._press(state, chosen)
        if asking:
            return self._keep_asking(state, text, screen)
        previous = state.lang
        lang, clear = detect(text)
        if clear and lang in self.languages and lang != state.lang:
            state = replace(state, lang=lang, lang_chosen=True)
        outcome = self._search_typed(state, text)
        if state.lang == previous:
            return outcome
        back = ReplyButton(f"↩️ {language_name(previous)}", data=f"{LANGUAGE_PREFIX}{previous}")
        note = Reply(None, self._ui(state, ui.LANGUAGE_FOLLOWED, language=language_name(state.lang)), ((back,),))
        return replace(outcome, replies=(note, *outcome.replies))

    def _keep_asking(self, state: State, text: str, screen: Reply) -> Outcome:
        """Text that answers none of the question's buttons: the question again, with a hint. When
        the text reads as a question about another topic, the hint offers those screens too (Back
        from them returns to the question), so a worker need not leave the check to ask; thanks or
        a greeting gets its own short reply."""
        here = self._resolve(state, state.node or self.content.menu).topic
        verdict = self.matcher.match(text) if self.matcher else None
        if verdict is not None and verdict.kind in ("greeting", "thanks"):
            note = ui.THANKS_ON_QUESTION if verdict.kind == "thanks" else ui.GREETING_ON_QUESTION
            return Outcome(state, (Reply(None, self._ui(state, note)), screen))
        found: tuple[str, ...] = ()
        if verdict is not None and verdict.kind in ("answer", "suggest"):
            chosen = verdict.candidates[:1] if verdict.kind == "answer" else verdict.candidates
            found = tuple(c.node for c in chosen if self.content.nodes[c.node].topic not in (here, MENU_TOPIC))
        if not found:
            return Outcome(state, (Reply(None, self._ui(state, ui.ANSWER_HINT)), screen))
        rows = tuple((ReplyButton(self.title(state.lang, node), data=f"{GO_PREFIX}{node}"),) for node in found)
        return Outcome(state, (Reply(None, self._ui(state, ui.ANSWER_HINT_OR), rows), screen))

    def _search_typed(self, state: State, text: str) -> Outcome:
        """Search every topic for a typed question: answer, suggest, or show the menu. Unsure of
        a question with a word no screen covers, the bot also says (the content's ``elsewhere``
        notice) that it cannot answer that, with a button to a person to ask (the matcher says
        whether the question names something off topic in the same pass)."""
        if self.matcher is None:
            return replace(self._note_then_menu(state, ui.NOT_UNDERSTOOD), unanswered=_unanswered(text))
        verdict, off_topic = self.matcher.judge(text)
        elsewhere = self._elsewhere(state) if off_topic and verdict.kind in ("none", "suggest") else None
        if verdict.kind == "none":
            if elsewhere is None:
                return replace(self._note_then_menu(state, ui.NOT_UNDERSTOOD), unanswered=_unanswered(text))
            outcome = self._go(state, self.content.menu)
            return Outcome(outcome.state, (elsewhere, *outcome.replies), unanswered=_unanswered(text))
        if verdict.kind == "greeting":
            return self._note_then_menu(state, ui.GREETING_REPLY)
        if verdict.kind == "thanks":
            return self._note_then_menu(state, ui.THANKS_REPLY)
        if verdict.kind == "answer":
            return self._go(state, verdict.candidates[0].node)
        rows: tuple[tuple[ReplyButton, ...], ...] = tuple(
            (ReplyButton(self.title(state.lang, candidate.node), data=f"{GO_PREFIX}{candidate.node}"),)
            for candidate in verdict.candidates
        )
        menu = (ReplyButton(self._ui(state, ui.MENU), data=MENU_DATA),)
        note = self._ui(state, ui.SUGGEST)
        if elsewhere is not None:
            note, rows = f"{elsewhere.text}\n\n{note}", (*rows, *elsewhere.buttons)
        suggestion = Reply(None, note, (*rows, menu))
        return Outcome(state, (suggestion,), unanswered=_unanswered(text))

    def _elsewhere(self, state: State) -> Reply | None:
        """The content's ``elsewhere`` notice with its button (``None`` without the notice), for a
        question the bot is unsure of that names something no screen covers."""
        notice = self.content.notices.get(ELSEWHERE)
        if notice is None:
            return None
        context = f"notice.{notice.name}"
        rows: tuple[tuple[ReplyButton, ...], ...] = ()
        if notice.more is not None and notice.button is not None:
            label = self.translator.translate(state.lang, context, notice.button)
            rows = ((ReplyButton(label, data=f"{GO_PREFIX}{notice.more}"),),)
        return Reply(None, self.translator.translate(state.lang, context, notice.text), rows)

    def search(self, lang: str, query: str, limit: int = 20) -> tuple[Reply, ...]:
        """Answers for ``query`` without a conversation (Telegram's inline mode): the matched
        screens, or every topic when the query is empty. Each reply's only button opens the bot."""
        if not query.strip():
            nodes = [t.entry for t in self.content.topics.values() if t.entry != self.content.menu]
        elif self.matcher is not None:
            verdict = self.matcher.match(query)
            nodes = [c.node for c in verdict.candidates] if verdict.kind in ("answer", "suggest") else []
        else:
            nodes = []
        replies = []
        for node_id in nodes[:limit]:
            node = self.content.nodes[node_id]
            text = node_text(self.content, self.translator, node, lang)
            rows: tuple[tuple[ReplyButton, ...], ...] = ()
            if self.bot_username:
                url = deep_link(self.bot_username, node.topic, lang)
                rows = ((ReplyButton(self._ui_in(lang, ui.OPEN_IN_BOT), url=url),),)
            replies.append(Reply(node_id, text, rows))
        return tuple(replies)

    def title(self, lang: str, node_id: str, columns: int | None = TITLE_COLUMNS) -> str:
        """A short name for a node: its topic's title, or the label of the menu button leading to
        it, or else the first line of its text cut to ``columns`` (``None``: whole). A screen no
        menu button leads to (the measure's full notice, the eligibility check's questions) is
        still offered by typed questions and the classifier; its id is no name to show. Worked
        out once per language and node (every content screen's share button names it)."""
        key = (lang, node_id, columns)
        found = self._titles.get(key)
        if found is None:
            found = self._titles[key] = self._title(lang, node_id, columns)
        return found

    def _title(self, lang: str, node_id: str, columns: int | None) -> str:
        for topic in self.content.topics.values():
            if topic.entry == node_id:
                return self.translator.translate(lang, node_id, topic.title)
        for node in self.content.nodes.values():
            for button in node.buttons:
                if button.goto == node_id and button.value is None:
                    return self.translator.translate(lang, node.id, button.label)
        found = self.content.nodes.get(node_id)
        line = first_line(self.content, self.translator, found, lang) if found is not None else ""
        if not line:
            return node_id
        return line if columns is None else shortened(line, columns)

    def _back(self, state: State) -> Outcome:
        if not state.history:
            return self._go(state, self.content.menu, push=False)
        *rest, previous = state.history
        return self._go(replace(state, history=tuple(rest)), previous, push=False)

    def _set_language(self, state: State, lang: str) -> Outcome:
        if lang not in self.languages:  # "/language vietnamese", "/language Tiếng Việt"
            from retainment_bot.engine.language import language_named

            lang = language_named(lang) or lang
        if lang not in self.languages:
            return Outcome(state, (self._language_picker(state),))
        state = replace(state, lang=lang, lang_chosen=True)
        note = Reply(None, self._ui(state, ui.LANGUAGE_SET, language=language_name(lang)))
        return Outcome(state, (note, self._render_current(state)))

    def _bilingual(self, state: State, node_id: str) -> Outcome:
        node = self.content.nodes.get(node_id)
        if node is None or node.is_junction:
            return self._note_then_current(state, ui.STALE_BUTTON)
        own = self._render(state, node)
        japanese = node_text(self.content, self.translator, node, JAPANESE)
        if state.lang == JAPANESE:
            return Outcome(state, (Reply(node.id, japanese, own.buttons),))
        text = f"{own.text}\n\n{self._ui(state, ui.JAPANESE_FOLLOWS)}\n\n{japanese}"
        rows = tuple(row for row in own.buttons if not any(b.data == f"{JAPANESE_PREFIX}{node.id}" for b in row))
        return Outcome(state, (Reply(node.id, text, rows),))

    # -- moving and rendering ---------------------------------------------------------------

    def _go(self, state: State, node_id: str, push: bool = True) -> Outcome:
        node = self._resolve(state, node_id)
        history = state.history
        if push and state.node is not None and state.node != node.id:
            history = (*history, state.node)[-HISTORY_LIMIT:]
        state = replace(state, node=node.id, history=history)
        return Outcome(state, (self._render(state, node),))

    def _resolve(self, state: State, node_id: str) -> Node:
        """Follow junctions (nodes that only route on answers) to the node to show."""
        node = self.content.nodes.get(node_id)
        answers = dict(state.answers)
        for _ in range(JUNCTION_LIMIT):
            if node is None or not node.is_junction:
                break
            target = next((route.goto for route in node.route if route.matches(answers)), None)
            node = self.content.nodes.get(target) if target else None
        if node is None or node.is_junction:
            return self.content.nodes[self.content.menu]
        return node

    def _render(self, state: State, node: Node) -> Reply:
        text = node_text(self.content, self.translator, node, state.lang)
        rows = content_rows(self.translator, state.lang, node)
        notice = notice_row(self.content, self.translator, state.lang, node, GO_PREFIX)
        if notice:
            rows.append(notice)
        extras: list[ReplyButton] = []
        if state.lang != JAPANESE and JAPANESE in self.languages:
            extras.append(ReplyButton(self._ui(state, ui.SHOW_JAPANESE), data=f"{JAPANESE_PREFIX}{node.id}"))
        if self.bot_username:
            link = deep_link(self.bot_username, node.topic, state.lang)
            extras.append(ReplyButton(self._ui(state, ui.SHARE), url=share_link(link, self.title(state.lang, node.id))))
        if extras:
            rows.append(tuple(extras))
        navigation: list[ReplyButton] = []
        if state.history:
            navigation.append(ReplyButton(self._ui(state, ui.BACK), data=BACK_DATA))
        if node.id == self.content.menu:
            navigation.append(ReplyButton(self._ui(state, ui.LANGUAGE), data=LANGUAGES_DATA))
        else:
            navigation.append(ReplyButton(self._ui(state, ui.MENU), data=MENU_DATA))
        rows.append(tuple(navigation))
        return Reply(node.id, text, tuple(rows))

    def _render_current(self, state: State) -> Reply:
        node_id = state.node or self.content.menu
        return self._render(state, self._resolve(state, node_id))

    def _language_picker(self, state: State) -> Reply:
        rows = tuple((ReplyButton(language_name(lang), data=f"{LANGUAGE_PREFIX}{lang}"),) for lang in self.languages)
        back = ((ReplyButton(self._ui(state, ui.BACK), data=BACK_DATA),),) if state.node else ()
        return Reply(None, self._ui(state, ui.CHOOSE_LANGUAGE), rows + back)

    def _with_language_row(self, outcome: Outcome) -> Outcome:
        *before, last = outcome.replies
        others = [lang for lang in self.languages if lang != outcome.state.lang]
        row = tuple(ReplyButton(language_name(lang), data=f"{LANGUAGE_PREFIX}{lang}") for lang in others)
        return Outcome(outcome.state, (*before, replace(last, buttons=(*last.buttons, row))))

    def _note_then_menu(self, state: State, note: UiText) -> Outcome:
        outcome = self._go(state, self.content.menu)
        return Outcome(outcome.state, (Reply(None, self._ui(state, note)), *outcome.replies))

    def _note_then_current(self, state: State, note: UiText) -> Outcome:
        return Outcome(state, (Reply(None, self._ui(state, note)), self._render_current(state)))

    def _repair(self, state: State) -> tuple[State, tuple[Reply, ...]]:
        """Make a saved state fit the current content and languages."""
        if state.lang not in self.languages:
            state = replace(state, lang=self.languages[0], lang_chosen=False)
        history = tuple(node for node in state.history if node in self.content.nodes)
        if state.node is not None and state.node not in self.content.nodes:
            state = replace(state, node=self.content.menu, history=history)
            return state, (Reply(None, self._ui(state, ui.CONTENT_CHANGED)),)
        return replace(state, history=history), ()

    # -- typed answers ----------------------------------------------------------------------

    def _match_button(self, state: State, screen: Reply, text: str, loosely: bool = False) -> str | None:
        """The data of the button on ``screen`` that ``text`` names, if exactly one fits;
        ``loosely``, also a word found inside only one button's names."""
        from rapidfuzz import fuzz, process

        buttons = [button for button in screen.flat_buttons if button.data]
        typed = compact(text)
        if not typed:
            return None
        if typed.isdigit():
            # Only a number as such ("2", "２", "#2", "2."): "-1", "1 2" or "1.5" compact to digits
            # too, and pressing a button for them would answer what nobody chose.
            typed_number = _NUMBER.fullmatch(unicodedata.normalize("NFKC", text))
            number = int(typed_number.group(1)) if typed_number else 0
            return buttons[number - 1].data if 1 <= number <= len(buttons) else None
        choices = self._choices(state, tuple(button.data for button in buttons if button.data))
        if typed in choices:
            return choices[typed]
        best = process.extract(typed, list(choices), scorer=fuzz.ratio, limit=None, score_cutoff=TYPO_THRESHOLD)
        found = {choices[name] for name, _, _ in best}
        if not found and loosely and len(typed) >= 4:
            found = {
                data
                for name, data in choices.items()
                if len(name) >= len(typed) and fuzz.partial_ratio(typed, name) >= PART_THRESHOLD
            }
        if not found and loosely:
            return self._answer_in_words(state, buttons, text)
        return found.pop() if len(found) == 1 else None

    def _answer_in_words(self, state: State, buttons: list[ReplyButton], text: str) -> str | None:
        """The button an answer in other words names ("mat viec vi covid", "cty pha san",
        "コロナで仕事がなくなった"): the one whose names, in every language, share the most of
        the text's words (Japanese: its runs of kanji or katakana, found inside a name's), when
        it shares more than any other button, at least half of them, and two (or the only one).
        Failing that, a Japanese run sharing two characters in a row with a name's counts (a run
        as typed often joins a name's run to the next kanji: 内定取り消し, 採用内定)."""
        words = _answer_words(text)
        if not words:
            return None
        named: list[tuple[str, set[str], list[str]]] = []
        for button in buttons:
            assert button.data is not None
            names = self._button_words.get(button.data)
            if names is None:
                names = self._button_words[button.data] = _answer_words(" ".join(self._names(state, button.data)))
            named.append((button.data, names, [name for name in names if not name.isascii()]))
        inside = _named_most(
            words, [(data, sum(_inside(w, names, runs) for w in words)) for data, names, runs in named]
        )
        if inside is not None or all(word.isascii() for word in words):
            return inside
        shared = [
            (data, sum(w in names or (not w.isascii() and _in_runs(w, runs)) for w in words))
            for data, names, runs in named
        ]
        return _named_most(words, shared)

    def _choices(self, state: State, datas: tuple[str, ...]) -> dict[str, str]:
        """Each folded name a user may type for one of these buttons -> the button's data
        (the first button wins a shared name); computed once per set of buttons."""
        choices = self._button_names.get(datas)
        if choices is None:
            choices = {}
            for data in datas:
                for name in self._names(state, data):
                    choices.setdefault(compact(name), data)
            choices.pop("", None)
            self._button_names[datas] = choices
        return choices

    def _names(self, state: State, data: str) -> list[str]:
        """What a user may type for the button with ``data``, in every language."""
        fixed = {BACK_DATA: ui.BACK, MENU_DATA: ui.MENU, LANGUAGES_DATA: ui.LANGUAGE}
        if data in fixed:
            return [self._ui_in(lang, fixed[data]) for lang in self.languages]
        if data.startswith(JAPANESE_PREFIX):
            return [self._ui_in(lang, ui.SHOW_JAPANESE) for lang in self.languages]
        if data.startswith(LANGUAGE_PREFIX):
            code = data.removeprefix(LANGUAGE_PREFIX)
            return [code, language_name(code)]
        match = CONTENT_BUTTON.match(data)
        node = self.content.nodes.get(match.group(1)) if match else None
        if node is None or match is None:
            return []
        button = node.buttons[int(match.group(2))]
        names = [self.translator.translate(lang, node.id, button.label) for lang in self.languages]
        if button.value is not None:
            names.append(button.value.replace("_", " "))
        if button.value in ("yes", "no"):
            words = ui.YES_WORDS if button.value == "yes" else ui.NO_WORDS
            for lang in self.languages:
                names += self._ui_in(lang, words).split("|")
        return names

    def _ui(self, state: State, text: UiText, **values: str) -> str:
        return self._ui_in(state.lang, text, **values)

    def _ui_in(self, lang: str, text: UiText, **values: str) -> str:
        return interface_text(self.translator, lang, text, **values)
