"""Write the review site: plain HTML files that work from disk, rendered with Jinja2 templates.

Pages: ``index.html`` (topics, languages), one page per node, ``map.html`` (the dialogue map),
``decisions.html`` (the eligibility check's decision table), ``translations.html`` (every string
that falls back to English), ``handbook-<lang>.html`` (a printable booklet per language) and
``site.css``. All links are relative, and nothing is loaded from the network.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from retainment_bot.engine.engine import Engine
from retainment_bot.engine.render import language_name
from retainment_bot.fonts import NOTO_SANS_CJK_JP as FONT
from retainment_bot.site.decisions import CHECK_TOPIC, Decision, answer_label, decision_table
from retainment_bot.site.graph import HEIGHT, WIDTH, dialogue_map
from retainment_bot.site.handbook import handbook, topic_order
from retainment_bot.site.screens import Labelled, Link, Screen, page, screens, short_title, sources

STYLESHEET = "site.css"


@dataclass(frozen=True)
class TableRow:
    """A decision in one language, ready for the template."""

    number: int
    answers: tuple[Link, ...]
    result: Link
    outcome: str
    rule: str
    where: str


@dataclass(frozen=True)
class Todo:
    """A string that readers of a language do not see translated, and the screen it is on."""

    screen: Link
    item: Labelled


def environment() -> Environment:
    """The Jinja2 environment over the package's templates; HTML is escaped unless marked safe."""
    env = Environment(
        loader=PackageLoader("retainment_bot.site", "templates"),
        autoescape=select_autoescape(["html", "svg"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["page"] = page
    return env


def conditions(engine: Engine, when: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """A route's condition in words, per language: “question” → “the answer's label”."""
    found: dict[str, list[str]] = {lang: [] for lang in engine.languages}
    for key, value in when:
        for node in engine.content.nodes.values():
            for button in node.buttons if node.ask == key else ():
                if button.value == value:
                    for lang in engine.languages:
                        label = engine.translator.translate(lang, node.id, button.label)
                        found[lang].append(f"“{short_title(engine, node.id, lang)}” → “{label}”")
    return found


def table_rows(engine: Engine, decisions: Iterable[Decision], lang: str) -> list[TableRow]:
    """The decision table in ``lang``: each answer links to its question's page."""
    rows = []
    for number, decision in enumerate(decisions, 1):
        answers = tuple(Link(answer_label(engine, a, lang), page(a.node)) for a in decision.answers)
        result = Link(short_title(engine, decision.result, lang), page(decision.result))
        rule = decision.rule
        rows.append(TableRow(number, answers, result, decision.outcome, rule.describe(), str(rule.where)))
    return rows


def todos(pages: Iterable[Screen]) -> dict[str, list[Todo]]:
    """Per language, every string that falls back to English, once each, with a screen it is on."""
    found: dict[str, list[Todo]] = {}
    seen: set[tuple[str, str | None, str]] = set()
    for screen in pages:
        for column in screen.columns:
            found.setdefault(column.lang, [])
            states = [*column.strings, *(Labelled("button", b.state) for row in column.rows for b in row if b.state)]
            for item in states:
                key = (column.lang, item.state.context, item.state.msgid)
                if item.state.falls_back and key not in seen:
                    seen.add(key)
                    found[column.lang].append(Todo(Link(screen.node.id, page(screen.node.id)), item))
    return found


def build_site(engine: Engine, out: Path, today: date, root: Path | None = None) -> list[Path]:
    """Write every page into ``out``; return the files written."""
    env = environment()
    out.mkdir(parents=True, exist_ok=True)
    content = engine.content
    languages = engine.languages
    pages = screens(engine, root)
    decisions = decision_table(engine) if CHECK_TOPIC in content.topics else []
    common = {
        "languages": [(lang, language_name(lang)) for lang in languages],
        "generated": today.isoformat(),
        "lang": "en",
    }
    written: list[Path] = []

    def write(name: str, template: str, **values: object) -> None:
        path = out / name
        path.write_text(env.get_template(template).render({**common, **values}), encoding="utf-8")
        written.append(path)

    css = resources.files("retainment_bot.site").joinpath("static", STYLESHEET).read_text(encoding="utf-8")
    (out / STYLESHEET).write_text(css, encoding="utf-8")
    # The flyers' font, so Vietnamese and Japanese show (and print) where no system font has them.
    shutil.copyfile(FONT, out / FONT.name)
    written += [out / STYLESHEET, out / FONT.name]

    missing = todos(pages)
    topics = [
        (
            content.topics[slug],
            [
                engine.translator.translate(lang, content.topics[slug].entry, content.topics[slug].title)
                for lang in languages
            ],
        )
        for slug in [content.nodes[content.menu].topic, *topic_order(engine)]
    ]
    members = {slug: [s for s in pages if s.node.topic == slug] for slug in content.topics}
    junctions = [node for node in content.nodes.values() if node.is_junction]
    write(
        "index.html",
        "index.html",
        title="Review site",
        topics=topics,
        members=members,
        junctions=junctions,
        todo_counts={lang: len(missing.get(lang, [])) for lang in languages},
    )
    for screen in pages:
        write(
            page(screen.node.id),
            "screen.html",
            title=screen.node.id,
            screen=screen,
            entry=content.topics[screen.node.topic].entry == screen.node.id,
        )
    back = sources(content)
    for node in junctions:
        routes = [
            (route, Link(short_title(engine, route.goto), page(route.goto)), conditions(engine, route.when))
            for route in node.route
        ]
        reached = [Link(short_title(engine, origin), page(origin)) for origin in back.get(node.id, [])]
        write(page(node.id), "junction.html", title=node.id, node=node, routes=routes, reached_from=reached)
    write("map.html", "map.html", title="Dialogue map", maps=dialogue_map(engine), box_width=WIDTH, box_height=HEIGHT)
    tables = {lang: table_rows(engine, decisions, lang) for lang in languages}
    write("decisions.html", "decisions.html", title="Eligibility check: decision table", tables=tables)
    write("translations.html", "translations.html", title="Translation to-do", todos=missing)
    for lang in languages:
        book = handbook(engine, lang, today, decisions)
        write(f"handbook-{lang}.html", "handbook.html", title=book.name, book=book, lang=lang)
    return written
