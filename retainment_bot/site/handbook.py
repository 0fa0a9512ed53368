"""A language's handbook: every answer in that language, topic by topic, for printing.

Print it from a browser (the stylesheet has a print layout) to get a booklet for a workshop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date

from retainment_bot.engine.engine import Engine
from retainment_bot.engine.model import Node
from retainment_bot.engine.render import fill, format_as_of, label, language_name, node_text
from retainment_bot.site.decisions import CHECK_TOPIC, Decision, answer_label
from retainment_bot.site.graph import layers
from retainment_bot.site.screens import Link, short_title

MEASURE_NOTICE = "measure"


@dataclass(frozen=True)
class Section:
    """One screen: its title, text and where its buttons lead inside the handbook."""

    anchor: str
    title: str | None
    text: str
    links: tuple[Link, ...]


@dataclass(frozen=True)
class Chapter:
    """One topic."""

    slug: str
    title: str
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class Row:
    """A decision-table row in the handbook's language."""

    answers: tuple[str, ...]
    result: Link


@dataclass(frozen=True)
class Handbook:
    """Everything one language's booklet prints."""

    lang: str
    name: str
    dated: str
    notice: str
    intro: str
    chapters: tuple[Chapter, ...]
    decisions: tuple[Row, ...]


def anchor(node_id: str) -> str:
    return "n-" + node_id.replace(".", "-")


def topic_order(engine: Engine) -> list[str]:
    """Topics in the main menu's order, then any others."""
    content = engine.content
    menu = content.nodes.get(content.menu)
    targets = [b.goto for b in (menu.buttons if menu else ()) if b.goto is not None and b.goto in content.nodes]
    listed = [content.nodes[target].topic for target in targets]
    rest = [slug for slug in content.topics if menu is None or slug != menu.topic]
    return list(dict.fromkeys([*listed, *rest]))


def _links(engine: Engine, node: Node, lang: str, shown: set[str]) -> tuple[Link, ...]:
    found = []
    for button in node.buttons:
        text = label(engine.translator, lang, node, button)
        if button.url is not None:
            found.append(Link(text, button.url, external=True))
        elif button.goto in shown:
            found.append(Link(text, "#" + anchor(button.goto)))
        elif button.goto is not None:
            found.append(Link(text, "#decisions"))  # a junction: the answers decide
    return tuple(found)


def _heading(engine: Engine, lang: str, node_id: str) -> str | None:
    """A screen's short name, or None for a question that has none (its text says it)."""
    title = engine.title(lang, node_id)
    return None if title == node_id else title


def _body(engine: Engine, node: Node, lang: str, cover_notice: str) -> str:
    """The screen's text as the bot sends it, less the notice when the cover already prints the
    same one (a booklet need not repeat it on every page); a differently dated notice stays."""
    text = node_text(engine.content, engine.translator, node, lang)
    ending = "\n\n" + cover_notice
    return text.removesuffix(ending) if cover_notice else text


def handbook(engine: Engine, lang: str, today: date, decisions: Sequence[Decision]) -> Handbook:
    """The booklet of ``lang``, dated ``today``, with the measure's notice at the top."""
    content = engine.content
    shown = {node.id for node in content.nodes.values() if not node.is_junction}
    menu = content.nodes[content.menu]
    notice = content.notices.get(MEASURE_NOTICE)
    notice_text = ""
    if notice is not None:
        dated = {"as_of": format_as_of(menu.as_of, lang) if menu.as_of else ""}
        translated = engine.translator.translate(lang, f"notice.{notice.name}", notice.text)
        notice_text = fill(translated, dated, fallback=fill(notice.text, dated))
    chapters = []
    for slug in topic_order(engine):
        depth = layers(engine, slug)
        ordered = sorted((n for n in depth if n in shown), key=lambda n: depth[n])
        sections = tuple(
            Section(
                anchor(node_id),
                _heading(engine, lang, node_id),
                _body(engine, content.nodes[node_id], lang, notice_text),
                _links(engine, content.nodes[node_id], lang, shown),
            )
            for node_id in ordered
        )
        title = engine.translator.translate(lang, content.topics[slug].entry, content.topics[slug].title)
        chapters.append(Chapter(slug, title, sections))
    rows = tuple(
        Row(
            tuple(answer_label(engine, answer, lang) for answer in decision.answers),
            Link(short_title(engine, decision.result, lang), "#" + anchor(decision.result)),
        )
        for decision in decisions
    )
    intro = engine.translator.translate(lang, menu.id, menu.text or "")
    return Handbook(
        lang,
        language_name(lang),
        format_date(today, "long", locale=lang),
        notice_text,
        fill(intro, dict(content.snippets)),
        tuple(chapters),
        rows if CHECK_TOPIC in content.topics else (),
    )
