"""The review site (``python -m retainment_bot site``): its pages show what the engine sends, the decision
table lists exactly the engine's paths, the map draws every link, and untranslated strings are
marked with their .po file, line and msgctxt. The browser tests are in test_site_browser.py."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from retainment_bot.engine.engine import Engine, Outcome, Press, Start, State
from retainment_bot.engine.model import Node
from retainment_bot.engine.render import format_as_of, node_notice, node_text
from retainment_bot.errors import Location
from retainment_bot.project import Project
from retainment_bot.site import build_site
from retainment_bot.site.decisions import decision_table
from retainment_bot.site.screens import page, rendered, sources
from tests.conftest import LANGUAGES, ROOT, run_bot
from tests.test_translations import edit, fuzzy, setter

TODAY = date(2026, 3, 9)


class Elements(HTMLParser):
    """Every element's tag, attributes and text (its own and its descendants'), in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str], list[str]]] = []
        self.open: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}, []))
        if tag not in ("br", "meta", "link", "rect", "path", "img", "input"):
            self.open.append(len(self.found) - 1)

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            index = self.open.pop()
            if self.found[index][0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for index in self.open:
            self.found[index][2].append(data)

    def select(self, tag: str, **attrs: str) -> list[tuple[dict[str, str], str]]:
        """Elements with ``tag`` whose attributes contain the given values (class: one of the classes)."""
        chosen = []
        for name, found, text in self.found:
            if name != tag:
                continue
            if all((v in found.get(k, "").split()) if k == "class_" else found.get(k) == v for k, v in attrs.items()):
                chosen.append((found, "".join(text)))
        return chosen


def parse(path: Path) -> Elements:
    parser = Elements()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, engine: Engine, project: Project) -> Path:
    out = tmp_path_factory.mktemp("site")
    build_site(engine, out, TODAY, project.root)
    return out


def column(html_text: str, lang: str) -> str:
    """The HTML of one language's column on a screen page."""
    start = html_text.index(f'id="lang-{lang}"')
    end = html_text.find('<section class="column"', start)
    return html_text[start : end if end != -1 else len(html_text)]


def engine_paths(engine: Engine, lang: str) -> set[tuple[tuple[str, ...], str]]:
    """Independently of the site: press every content button from the check's first screen until
    a result; each path as the labels pressed and the result's node."""
    found: set[tuple[tuple[str, ...], str]] = set()

    def press_on(outcome: Outcome, labels: tuple[str, ...], seen: frozenset[str]) -> None:
        reply = outcome.replies[-1]
        node = engine.content.nodes[reply.node or ""]
        if node.topic != "eligibility":
            return
        if node.outcome:
            found.add((labels, node.id))
            return
        for button in reply.flat_buttons:
            if button.data and button.data.startswith(f"{node.id}:") and node.id not in seen:
                press_on(engine.step(outcome.state, Press(button.data)), (*labels, button.label), seen | {node.id})

    press_on(engine.step(State(lang, True), Start("eligibility")), (), frozenset())
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_decision_table_lists_exactly_the_paths_the_engine_takes(engine: Engine, site: Path, lang: str) -> None:
    doc = parse(site / "decisions.html")
    start = [i for i, (tag, attrs, _) in enumerate(doc.found) if tag == "table" and attrs.get("data-lang") == lang]
    assert len(start) == 1
    rows: list[tuple[str, list[str]]] = []
    for tag, attrs, text in doc.found[start[0] + 1 :]:
        if tag == "table":
            break
        if tag == "tr" and "decision" in attrs.get("class", ""):
            rows.append((attrs["data-result"], []))
        if tag == "li" and "answer" in attrs.get("class", ""):
            rows[-1][1].append("".join(text))
    expected = engine_paths(engine, lang)
    assert len(expected) >= 10
    assert len(rows) == len(expected)
    assert {(tuple(answers), result) for result, answers in rows} == expected


def test_each_decision_names_the_rule_that_chose_its_result(engine: Engine) -> None:
    """A route's target is the result; an answer's button leads straight to it."""
    content = engine.content
    decisions = decision_table(engine)
    by_route = [d for d in decisions if d.rule.by_route]
    assert by_route and len(by_route) < len(decisions)
    for decision in decisions:
        if decision.rule.by_route:
            junction = content.nodes[decision.rule.node]
            (route,) = [r for r in junction.route if r.where == decision.rule.where]
            assert route.goto == decision.result and route.when == decision.rule.when
        else:
            last = decision.answers[-1]
            assert content.nodes[last.node].buttons[last.index].goto == decision.result
            assert decision.rule.where == content.nodes[last.node].buttons[last.index].where
    ssw = [d for d in decisions if d.result == "eligibility.result_ssw"]
    assert ssw and all(d.rule.describe() == "route of eligibility.decide: status = ssw" for d in ssw)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_screen_page_shows_the_engine_reply_and_links_each_button_to_its_target(
    engine: Engine, site: Path, lang: str
) -> None:
    for node in engine.content.nodes.values():
        if node.is_junction:
            continue
        text = column((site / page(node.id)).read_text(encoding="utf-8"), lang)
        reply = rendered(engine, node.id, lang)
        assert reply.text in text, node.id
        buttons = re.findall(r'<a class="button[^"]*" href="([^"]*)"[^>]*>([^<]*)</a>', text)
        assert [html.unescape(label) for _, label in buttons] == [b.label for b in reply.flat_buttons], node.id
        targets = [html.unescape(href) for href, _ in buttons][: len(node.buttons)]
        assert targets == [b.url or page(b.goto or "") for b in node.buttons], node.id


def test_a_screen_page_links_back_to_every_screen_that_leads_to_it(engine: Engine, site: Path) -> None:
    back = sources(engine.content)
    for node in engine.content.nodes.values():
        doc = parse(site / page(node.id))
        section = next(i for i, (tag, attrs, _) in enumerate(doc.found) if attrs.get("id") == "reached-from")
        links = [attrs["href"] for tag, attrs, _ in doc.found[section:] if tag == "a" and "href" in attrs]
        assert links == [page(origin) for origin in back.get(node.id, [])], node.id
    assert back["eligibility.result_ssw"] == ["eligibility.decide"]
    assert "start.menu" in back["eligibility.start"]


def test_untranslated_strings_are_marked_with_their_po_file_line_and_msgctxt(scratch: Path, tmp_path: Path) -> None:
    """A fuzzy text, an empty button label and a translation with a lost placeholder: English is
    shown in the Vietnamese column, and each is listed with where to fix it."""
    fuzzy_line = edit(scratch, "eligibility.wish", "Did you wish", fuzzy)
    empty_line = edit(scratch, "eligibility.start", "None of these", setter(""))
    broken_line = edit(scratch, "eligibility.result_other", "<b>Result", setter("<b>Kết quả</b> không có địa chỉ"))
    project = Project(scratch)
    engine = project.load().engine
    out = tmp_path / "site"
    build_site(engine, out, TODAY, project.root)
    po = "locales/vi/LC_MESSAGES/messages.po"

    wish = column((out / "eligibility.wish.html").read_text(encoding="utf-8"), "vi")
    assert "Did you wish to stay in Japan" in wish  # the English source, as the bot shows it
    assert "fuzzy: English shown" in wish and f"{po}:{fuzzy_line}" in wish
    assert "msgctxt “eligibility.wish”" in wish

    start = column((out / "eligibility.start.html").read_text(encoding="utf-8"), "vi")
    assert "missing: English shown" in start and f"{po}:{empty_line}" in start
    assert re.search(r'class="button fallback" href="eligibility.not_group.html"[^>]*>None of these<', start)

    other = column((out / "eligibility.result_other.html").read_text(encoding="utf-8"), "vi")
    assert "broken: English shown" in other and f"{po}:{broken_line}" in other
    assert "placeholder {center_ja} is missing" in other

    todo = parse(out / "translations.html")
    rows = [text for attrs, text in todo.select("tr")]
    assert sum("English shown" in row for row in rows) == 3
    assert (out / "index.html").read_text(encoding="utf-8").count('translations.html#todo-vi">3<') == 1
    japanese = column((out / "eligibility.wish.html").read_text(encoding="utf-8"), "ja")
    assert "English shown" not in japanese


def test_the_map_draws_every_screen_and_every_link_once(engine: Engine, site: Path) -> None:
    text = (site / "map.html").read_text(encoding="utf-8")
    content = engine.content
    for slug in content.topics:
        section = text[text.index(f'id="map-{slug}"') :]
        section = section[: section.index("</svg>")]
        boxes = re.findall(r'<a href="([^"]+)\.html" class="box ([a-z_]+)', section)
        inside = [n.id for n in content.nodes.values() if n.topic == slug]
        drawn = {node_id for node_id, _ in boxes}
        assert set(inside) <= drawn, slug
        links = {(n, t) for n in inside for t in [b.goto for b in content.nodes[n].buttons if b.goto]}
        links |= {(n, r.goto) for n in inside for r in content.nodes[n].route}
        # The footer's button to the notice's full text (not on that screen itself).
        notices = {n: node_notice(content, content.nodes[n]) for n in inside}
        links |= {(n, x.more) for n, x in notices.items() if x and x.more and x.button and x.more != n}
        targets = {t for _, t in links}
        assert drawn - set(inside) == targets - set(inside), slug
        assert section.count('<path class="arrow') == len({(a, b) for a, b in links if a != b}), slug
    assert 'class="box junction"><title>eligibility.decide' in text.replace("\n    ", "")
    assert "stranded" not in re.sub(r'<p class="legend">.*?</p>', "", text, flags=re.S)


def test_the_map_marks_a_screen_that_nothing_leads_to(engine: Engine, tmp_path: Path) -> None:
    lost = Node("about.lost", "about", Location("dialogues/about.yaml", 99), text="Nobody comes here.")
    content = replace(engine.content, nodes={**engine.content.nodes, lost.id: lost})
    build_site(replace(engine, content=content), tmp_path, TODAY)
    text = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert 'href="about.lost.html" class="box screen stranded"' in text
    assert "nothing: this screen is stranded" in (tmp_path / "about.lost.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_handbook_is_dated_carries_the_notice_and_every_answer(engine: Engine, site: Path, lang: str) -> None:
    text = (site / f"handbook-{lang}.html").read_text(encoding="utf-8")
    dated = {"en": "March 9, 2026", "vi": "9 tháng 3, 2026", "ja": "2026年3月9日"}[lang]
    assert f"<time>{dated}</time>" in text
    notice = engine.translator.translate(lang, "notice.measure", engine.content.notices["measure"].text)
    cover = notice.replace("{as_of}", format_as_of("2021", lang))
    assert text.count(cover) == 1  # on the cover, not repeated under every answer of 2021
    kept = 0
    for node in engine.content.nodes.values():
        if not node.is_junction and node.id != engine.content.menu:
            shown = node_text(engine.content, engine.translator, node, lang)
            assert shown.removesuffix("\n\n" + cover) in text, node.id
            if node.notice == "dated":
                assert shown in text, node.id  # a notice other than the cover's stays with its answer
                kept += 1
    assert kept > 0
    assert f'<html lang="{lang}">' in text


def test_the_site_command_writes_a_site_that_needs_no_server(tmp_path: Path) -> None:
    result = run_bot("site", str(tmp_path / "out"), "--username", "@MyHelpBot")
    assert result.returncode == 0, result.stderr
    pages = sorted(p.name for p in (tmp_path / "out").glob("*.html"))
    assert {"index.html", "map.html", "decisions.html", "translations.html", "handbook-vi.html"} <= set(pages)
    for name in pages:
        text = (tmp_path / "out" / name).read_text(encoding="utf-8")
        assert "<script" not in text and " src=" not in text, name  # nothing loaded, from anywhere
        assert re.findall(r"<link [^>]*>", text) == ['<link rel="stylesheet" href="site.css">'], name
    css = (tmp_path / "out" / "site.css").read_text(encoding="utf-8")
    assert re.findall(r"url\(([^)]*)\)", css) == ['"NotoSansCJKjp-subset.otf"']
    assert (tmp_path / "out" / "NotoSansCJKjp-subset.otf").exists()
    screen = (tmp_path / "out" / "consent_form.start.html").read_text(encoding="utf-8")
    assert "https://t.me/share/url?url=https%3A%2F%2Ft.me%2FMyHelpBot%3Fstart%3Dconsent_form-vi" in screen
    bad = run_bot("site", str(tmp_path / "bad"), "--username", "not a bot!")
    assert bad.returncode == 2 and "not a Telegram bot username" in bad.stderr


def test_the_templates_ship_with_the_package() -> None:
    from importlib import resources

    files = {p.name for p in resources.files("retainment_bot.site").joinpath("templates").iterdir()}
    assert {"screen.html", "handbook.html", "map.html"} <= files
    assert (ROOT / "pyproject.toml").read_text(encoding="utf-8").count(
        '"retainment_bot.site" = ["templates/*.html"'
    ) == 1
