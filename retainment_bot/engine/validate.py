"""Checks that need the whole content graph, and the limits every language must respect.

``loader`` reports what it cannot read; this module reports what does not fit together: unknown
targets, unreachable nodes, dead ends, invalid HTML, callback data over Telegram's 64 bytes,
messages over 4096 characters in any language, and screens longer than one phone screen
(:class:`ScreenLimits`, reasoning in docs/dialogues.md).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from retainment_bot.engine.engine import JAPANESE_PREFIX
from retainment_bot.engine.html import TELEGRAM_MESSAGE_LIMIT, html_problems, telegram_length
from retainment_bot.engine.model import Content, Node
from retainment_bot.engine.render import JAPANESE, NO_NOTICE, PLACEHOLDER, Translator, button_data, node_text
from retainment_bot.errors import Location, Problem, Severity

CALLBACK_DATA_LIMIT = 64
AS_OF = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
# Visible characters (text plus footer) that fit one phone screen above the buttons: about 20
# lines of about 38 Latin or 19 Japanese characters (docs/dialogues.md explains the numbers).
SCREEN_LIMITS: Mapping[str, int] = {"en": 750, "vi": 750, "ja": 380}
DEFAULT_SCREEN_LIMIT = 750


@dataclass(frozen=True)
class ScreenLimits:
    """The longest visible text one screen may have, per language.

    A language with its own limit gets an error when a screen is longer; any other language
    (one still being translated) is held to ``default`` with a warning.
    """

    by_lang: Mapping[str, int] = field(default_factory=lambda: dict(SCREEN_LIMITS))
    default: int = DEFAULT_SCREEN_LIMIT

    def of(self, lang: str) -> tuple[int, Severity]:
        """The limit for ``lang`` and how a screen over it is reported."""
        if lang in self.by_lang:
            return self.by_lang[lang], "error"
        return self.default, "warning"


def validate(content: Content, translator: Translator, screens: ScreenLimits | None = None) -> list[Problem]:
    """Every problem of the content as a whole and of its rendering in each language."""
    problems = list(_structure(content))
    problems += _reachability(content)
    problems += _limits(content, translator, screens or ScreenLimits())
    return problems


def _structure(content: Content) -> Iterator[Problem]:
    if content.menu not in content.nodes:
        yield Problem(_anywhere(content), f"no main menu: add dialogues/start.yaml with the node '{content.menu}'")
    asked = {node.ask: node for node in content.nodes.values() if node.ask}
    for notice in content.notices.values():
        yield from (Problem(notice.where, f"notice: {p}") for p in html_problems(notice.text))
        if notice.button is not None and "<" in notice.button:
            yield Problem(notice.where, f"notice '{notice.name}': a button label is plain text: remove the HTML tags")
        if notice.more is not None and notice.more not in content.nodes:
            yield Problem(notice.where, f"notice '{notice.name}' opens unknown node '{notice.more}'")
    for node in content.nodes.values():
        yield from _node_structure(content, node, asked)


def _node_structure(content: Content, node: Node, asked: dict[str, Node]) -> Iterator[Problem]:
    for button in node.buttons:
        if button.goto is not None and button.goto not in content.nodes:
            yield Problem(button.where, f"button goes to unknown node '{button.goto}'")
        if "<" in button.label:
            yield Problem(button.where, "a button label is plain text: remove the HTML tags")
    for route in node.route:
        if route.goto not in content.nodes:
            yield Problem(route.where, f"route goes to unknown node '{route.goto}'")
        for key, value in route.when:
            values = {b.value for b in asked[key].buttons} if key in asked else set()
            if key not in asked:
                yield Problem(route.where, f"route tests '{key}', which no node asks")
            elif value not in values:
                yield Problem(route.where, f"route tests {key} = '{value}', which no button of '{asked[key].id}' gives")
    if node.route and node.route[-1].when:
        yield Problem(
            node.route[-1].where, "no way on: the last route needs no 'if', so that every answer leads somewhere"
        )
    if node.ask and not any(button.value for button in node.buttons):
        yield Problem(node.where, f"no way on: the node asks '{node.ask}' but no button has a 'value'")
    if node.id == content.menu and not node.buttons:
        yield Problem(node.where, "no way on: the main menu has no buttons")
    if node.text is not None:
        where = node.text_where or node.where
        yield from (Problem(where, p) for p in html_problems(node.text))
        for name in PLACEHOLDER.findall(node.text):
            if name not in content.snippets:
                yield Problem(
                    where, f"unknown placeholder {{{name}}} (snippets: {', '.join(sorted(content.snippets))})"
                )
    if node.notice and node.notice != NO_NOTICE and node.notice not in content.notices:
        yield Problem(node.where, f"unknown notice '{node.notice}' (known: {', '.join(sorted(content.notices))}, none)")
    if node.notice in content.notices and not node.as_of:
        yield Problem(node.where, "a node with a notice needs 'as_of' (its topic's or its own)")
    if node.as_of and not AS_OF.match(node.as_of):
        yield Problem(node.where, f"as_of '{node.as_of}' must be YYYY, YYYY-MM or YYYY-MM-DD")
    for index in range(len(node.buttons)):
        if node.buttons[index].goto is not None:
            data = button_data(node, index)
            if len(data.encode()) > CALLBACK_DATA_LIMIT:
                yield Problem(node.buttons[index].where, _too_long(data))
    japanese = f"{JAPANESE_PREFIX}{node.id}"
    if len(japanese.encode()) > CALLBACK_DATA_LIMIT:
        yield Problem(node.where, _too_long(japanese))


def _too_long(data: str) -> str:
    return f"callback data '{data}' is {len(data.encode())} bytes, over Telegram's 64: shorten the node id"


def _reachability(content: Content) -> Iterator[Problem]:
    """Nodes that neither the menu nor a deep link (a topic's first node) leads to."""
    roots = [content.menu, *(topic.entry for topic in content.topics.values())]
    roots += [notice.more for notice in content.notices.values() if notice.more]
    seen: set[str] = set()
    queue = deque(root for root in roots if root in content.nodes)
    while queue:
        node_id = queue.popleft()
        if node_id in seen:
            continue
        seen.add(node_id)
        node = content.nodes[node_id]
        targets = [b.goto for b in node.buttons if b.goto] + [r.goto for r in node.route]
        queue.extend(t for t in targets if t in content.nodes and t not in seen)
    for node in content.nodes.values():
        if node.id not in seen:
            yield Problem(node.where, f"unreachable node '{node.id}': no button, route or deep link leads to it")


def _limits(content: Content, translator: Translator, screens: ScreenLimits) -> Iterator[Problem]:
    languages = translator.languages
    for node in content.nodes.values():
        if node.text is None:
            continue
        texts = {lang: node_text(content, translator, node, lang) for lang in languages}
        where = node.text_where or node.where
        for lang, text in texts.items():
            yield from _length(where, text, f"in {lang}")
            yield from _screen(where, node.id, lang, text, screens)
            if lang != JAPANESE and JAPANESE in texts:
                yield from _length(where, f"{text}\n\n{texts[JAPANESE]}", f"in {lang} with Japanese")


def _length(where: Location, text: str, what: str) -> Iterator[Problem]:
    length = telegram_length(text)
    if length > TELEGRAM_MESSAGE_LIMIT:
        yield Problem(where, f"message is {length} characters {what}, over Telegram's {TELEGRAM_MESSAGE_LIMIT}")


def _screen(where: Location, node_id: str, lang: str, text: str, screens: ScreenLimits) -> Iterator[Problem]:
    limit, severity = screens.of(lang)
    length = telegram_length(text)
    if length > limit:
        message = (
            f"screen '{node_id}' is {length} characters in {lang} (text and footer), over the {limit} that fit "
            "one phone screen: shorten the text or its translation"
        )
        yield Problem(where, message, severity)


def _anywhere(content: Content) -> Location:
    topic = next(iter(content.topics.values()), None)
    return topic.where if topic else Location("dialogues", 0)
