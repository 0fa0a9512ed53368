"""The dialogue content as frozen values, built by ``loader`` and walked by ``engine``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from retainment_bot.errors import Location

NODE_ID = re.compile(r"^([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)$")
TOPIC_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
MENU_TOPIC = "start"


@dataclass(frozen=True)
class Button:
    """A button under a node: to another node (``goto``), optionally recording ``value``
    as the answer to the node's question, or to a web page (``url``)."""

    label: str
    where: Location
    goto: str | None = None
    url: str | None = None
    value: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Route:
    """A condition on recorded answers; an empty ``when`` always matches (the fallback)."""

    when: tuple[tuple[str, str], ...]
    goto: str
    where: Location

    def matches(self, answers: Mapping[str, str]) -> bool:
        return all(answers.get(key) == value for key, value in self.when)


@dataclass(frozen=True)
class Node:
    """One screen of a dialogue, or (with ``route`` and no text) an invisible junction."""

    id: str
    topic: str
    where: Location
    text: str | None = None
    text_where: Location | None = None
    buttons: tuple[Button, ...] = ()
    ask: str | None = None
    route: tuple[Route, ...] = ()
    source: str | None = None
    as_of: str | None = None
    notice: str | None = None
    note: str | None = None
    search: str | None = None
    outcome: str | None = None

    @property
    def is_junction(self) -> bool:
        return bool(self.route)


@dataclass(frozen=True)
class Topic:
    """One dialogue file; its first node is the entry that deep links open."""

    slug: str
    title: str
    entry: str
    where: Location
    title_where: Location


@dataclass(frozen=True)
class Notice:
    """A footer that answers share, e.g. the reminder that the measure has ended.

    ``more`` is the node with the full text (and the phone numbers) that the footer's button,
    labelled ``button``, opens: the footer itself stays one or two lines on a phone.
    """

    name: str
    text: str
    where: Location
    note: str | None = None
    more: str | None = None
    button: str | None = None


@dataclass(frozen=True)
class Content:
    """Every topic, node, notice and snippet, keyed for lookup."""

    topics: Mapping[str, Topic] = field(default_factory=dict)
    nodes: Mapping[str, Node] = field(default_factory=dict)
    notices: Mapping[str, Notice] = field(default_factory=dict)
    snippets: Mapping[str, str] = field(default_factory=dict)

    @property
    def menu(self) -> str:
        """The main menu's node id."""
        topic = self.topics.get(MENU_TOPIC)
        return topic.entry if topic else f"{MENU_TOPIC}.menu"
