"""Every screen as Telegram shows it, in every language, with where each button leads.

The replies come from :meth:`Engine.step` itself (arriving at the screen from the main menu), so a
page shows exactly the text and buttons a user gets, not a re-implementation of them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from retainment_bot.engine import ui
from retainment_bot.engine.engine import (
    BACK_DATA,
    CONTENT_BUTTON,
    GO_PREFIX,
    JAPANESE_PREFIX,
    LANGUAGE_PREFIX,
    LANGUAGES_DATA,
    MENU_DATA,
    Engine,
    Menu,
    Press,
    State,
)
from retainment_bot.engine.model import Content, Node
from retainment_bot.engine.render import NO_NOTICE, Reply, ReplyButton, language_name, node_notice
from retainment_bot.engine.ui import UiText
from retainment_bot.errors import Location
from retainment_bot.i18n.catalog import Catalogs
from retainment_bot.site.strings import StringState, string_state

UI_SOURCE = Location("retainment_bot/engine/ui.py")
NAVIGATION = {BACK_DATA: ui.BACK, MENU_DATA: ui.MENU, LANGUAGES_DATA: ui.LANGUAGE}


def short_title(engine: Engine, node_id: str, lang: str = "en") -> str:
    """A node's name for links: its title as the bot names it, else the whole first line of its text."""
    return engine.title(lang, node_id, columns=None)


def page(node_id: str) -> str:
    """The file name of a node's page (screens and junctions alike)."""
    return f"{node_id}.html"


@dataclass(frozen=True)
class Link:
    """A button or a cross-reference: its label and where it goes on the site (or the web)."""

    label: str
    href: str
    external: bool = False
    state: StringState | None = None


@dataclass(frozen=True)
class Labelled:
    """A string of a screen with what it is (text, a button, the notice...)."""

    what: str
    state: StringState


@dataclass(frozen=True)
class Column:
    """One language's rendering of a screen."""

    lang: str
    name: str
    title: str
    text: str
    rows: tuple[tuple[Link, ...], ...]
    strings: tuple[Labelled, ...]

    @property
    def fallbacks(self) -> int:
        return sum(item.state.falls_back for item in self.strings)


@dataclass(frozen=True)
class Screen:
    """A node with its renderings and the screens that lead to it."""

    node: Node
    title: str
    columns: tuple[Column, ...]
    reached_from: tuple[Link, ...]


def edges(content: Content) -> list[tuple[str, str]]:
    """Every (from, to) pair of node ids: button targets, junction routes and the footer's button
    to the notice's full text."""
    found: list[tuple[str, str]] = []
    for node in content.nodes.values():
        found += [(node.id, button.goto) for button in node.buttons if button.goto]
        found += [(node.id, route.goto) for route in node.route]
        notice = node_notice(content, node)
        if notice is not None and notice.more is not None and notice.button is not None and notice.more != node.id:
            found.append((node.id, notice.more))
    return found


def sources(content: Content) -> dict[str, list[str]]:
    """For each node, the nodes with a button or route to it, in content order, once each."""
    found: dict[str, list[str]] = defaultdict(list)
    for origin, target in edges(content):
        if origin not in found[target]:
            found[target].append(origin)
    return found


def rendered(engine: Engine, node_id: str, lang: str) -> Reply:
    """The reply a user of ``lang`` gets on arriving at ``node_id`` from the main menu."""
    menu = engine.content.menu
    if node_id == menu:
        outcome = engine.step(State(lang=lang, lang_chosen=True), Menu())
    else:
        outcome = engine.step(State(lang=lang, lang_chosen=True, node=menu), Press(f"{GO_PREFIX}{node_id}"))
    reply = outcome.replies[-1]
    if reply.node != node_id:
        raise ValueError(f"the engine showed {reply.node} instead of {node_id}")
    return reply


def _ui_state(engine: Engine, lang: str, text: UiText, root: Path | None) -> StringState | None:
    catalogs = engine.translator
    if not isinstance(catalogs, Catalogs):
        return None
    return string_state(catalogs, lang, text.context, text.message, UI_SOURCE, root)


def button_link(engine: Engine, button: ReplyButton, lang: str, root: Path | None) -> Link:
    """Where a rendered button leads on the site, with its string's translation state."""
    content = engine.content
    if button.url is not None:
        return Link(button.label, button.url, external=True)
    data = button.data or ""
    if data in NAVIGATION:
        href = {BACK_DATA: "#reached-from", MENU_DATA: page(content.menu), LANGUAGES_DATA: "index.html#languages"}
        return Link(button.label, href[data], state=_ui_state(engine, lang, NAVIGATION[data], root))
    if data.startswith(JAPANESE_PREFIX):
        return Link(button.label, "#lang-ja", state=_ui_state(engine, lang, ui.SHOW_JAPANESE, root))
    if data.startswith(LANGUAGE_PREFIX):
        return Link(button.label, f"#lang-{data.removeprefix(LANGUAGE_PREFIX)}")
    if data.startswith(GO_PREFIX):
        return Link(button.label, page(data.removeprefix(GO_PREFIX)))
    match = CONTENT_BUTTON.match(data)
    node = content.nodes.get(match.group(1)) if match else None
    if match is None or node is None:
        raise ValueError(f"unknown button data {data!r}")
    source = node.buttons[int(match.group(2))]
    assert source.goto is not None, "URL buttons are handled above"
    state = _content_state(engine, lang, node.id, source.label, source.where, root)
    return Link(button.label, page(source.goto), state=state)


def _content_state(
    engine: Engine, lang: str, context: str | None, msgid: str, where: Location, root: Path | None
) -> StringState | None:
    catalogs = engine.translator
    if not isinstance(catalogs, Catalogs):
        return None
    return string_state(catalogs, lang, context, msgid, where, root)


def node_strings(engine: Engine, node: Node, lang: str, root: Path | None) -> list[Labelled]:
    """The content strings a screen shows: its topic title (on a topic's first screen), its text,
    its notice and its button labels."""
    content = engine.content
    wanted: list[tuple[str, str | None, str, Location]] = []
    topic = content.topics.get(node.topic)
    if topic is not None and topic.entry == node.id:
        wanted.append(("topic title", node.id, topic.title, topic.title_where))
    if node.text is not None:
        wanted.append(("text", node.id, node.text, node.text_where or node.where))
    notice = content.notices.get(node.notice or NO_NOTICE)
    if notice is not None:
        wanted.append((f"notice “{notice.name}”", f"notice.{notice.name}", notice.text, notice.where))
    for index, button in enumerate(node.buttons, 1):
        wanted.append((f"button {index}", node.id, button.label, button.where))
    found = []
    for what, context, msgid, where in wanted:
        state = _content_state(engine, lang, context, msgid, where, root)
        if state is not None:
            found.append(Labelled(what, state))
    return found


def screen(engine: Engine, node: Node, root: Path | None = None) -> Screen:
    """A node's page: one column per language, and the nodes that lead to it."""
    columns = []
    for lang in engine.languages:
        reply = rendered(engine, node.id, lang)
        rows = tuple(tuple(button_link(engine, b, lang, root) for b in row) for row in reply.buttons)
        title = short_title(engine, node.id, lang)
        columns.append(
            Column(lang, language_name(lang), title, reply.text, rows, tuple(node_strings(engine, node, lang, root)))
        )
    back = tuple(Link(short_title(engine, origin), page(origin)) for origin in sources(engine.content).get(node.id, []))
    return Screen(node, short_title(engine, node.id), tuple(columns), back)


def screens(engine: Engine, root: Path | None = None) -> list[Screen]:
    """Every shown node's page, in content order."""
    return [screen(engine, node, root) for node in engine.content.nodes.values() if not node.is_junction]
