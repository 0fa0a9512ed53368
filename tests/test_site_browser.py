"""The review site in a real browser: Debian's headless Chromium, driven by Playwright, opens the
generated files from disk (no server), follows the eligibility check by clicking button labels,
crawls every link, takes a screenshot and prints the Vietnamese handbook to PDF.

Chromium comes from Debian (``.ci/run`` installs it); Playwright only drives it and never
downloads a browser. The tests fail, never skip, when Chromium is missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from retainment_bot.engine.engine import Engine
from retainment_bot.engine.html import strip_html
from retainment_bot.engine.render import node_text
from retainment_bot.project import Project
from retainment_bot.site import build_site
from retainment_bot.site.decisions import Decision, answer_label, decision_table
from retainment_bot.site.screens import page as page_of
from tests.conftest import LANGUAGES

CHROMIUM = "/usr/bin/chromium"
_CJK_RUN = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]+")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
TODAY = date(2026, 3, 9)
TAG = re.compile(r"<[^>]+>")
# Every element id and every link of a page (SVG links included), resolved against the page.
CRAWL = """() => ({
  ids: Array.from(document.querySelectorAll("[id]"), (e) => e.id),
  hrefs: Array.from(document.querySelectorAll("a[href], link[href]"),
    (e) => new URL(e.getAttribute("href"), document.baseURI).href),
})"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, engine: Engine, project: Project) -> Path:
    out = tmp_path_factory.mktemp("site")
    build_site(engine, out, TODAY, project.root)
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A tab that records every request that is not for a file on disk."""
    tab = browser.new_page(viewport={"width": 1280, "height": 900})
    outside: list[str] = []
    tab.on("request", lambda request: outside.append(request.url) if not request.url.startswith("file:") else None)
    yield tab
    tab.close()
    assert outside == [], f"the site loaded from the network: {outside}"


def visible(text: str) -> str:
    """Telegram HTML as a reader sees it, whitespace folded."""
    from html import unescape

    return " ".join(unescape(TAG.sub("", text)).split())


def paths_for(engine: Engine, lang: str) -> list[Decision]:
    """Two paths of the decision table for ``lang``: one that a routing rule decides and one
    that an answer decides, a different pair per language (the full table is checked against
    the engine without a browser, in test_site.py)."""
    table = decision_table(engine, lang)
    offset = LANGUAGES.index(lang)
    routed = [d for d in table if d.rule.by_route]
    direct = [d for d in table if not d.rule.by_route]
    return [routed[offset % len(routed)], direct[offset % len(direct)]]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_following_the_check_by_clicking_labels_reaches_its_result(
    engine: Engine, site: Path, page: Page, lang: str
) -> None:
    """From the index, open the check by its title in ``lang``, then click the answers' labels in
    that language's column; the result screen shows the engine's text."""
    topic = engine.content.topics["eligibility"]
    title = engine.translator.translate(lang, topic.entry, topic.title)
    for decision in paths_for(engine, lang):
        page.goto((site / "index.html").as_uri())
        page.locator(f'table.topics td[lang="{lang}"] a').get_by_text(title, exact=True).click()
        assert page.url.endswith("/" + page_of(topic.entry))
        answers: set[str] = set()
        for answer in decision.answers:
            label = answer_label(engine, answer, lang)
            page.locator(f"#lang-{lang} .keyboard a").get_by_text(label, exact=True).click()
            node = engine.content.nodes[answer.node]
            if node.ask and node.buttons[answer.index].value:
                answers.add(f"{node.ask}={node.buttons[answer.index].value}")
        if page.locator("tr.route").count():
            # A static page cannot remember answers: the routing page lists the conditions, and
            # the reader follows the first row that their answers meet.
            rows = page.locator("tr.route")
            conditions = [set((rows.nth(i).get_attribute("data-when") or "").split()) for i in range(rows.count())]
            chosen = next(i for i, when in enumerate(conditions) if when <= answers)
            rows.nth(chosen).locator("a").click()
        assert page.url.endswith("/" + page_of(decision.result))
        result = engine.content.nodes[decision.result]
        shown = " ".join(page.locator(f"#lang-{lang} .bubble").inner_text().split())
        assert shown == visible(node_text(engine.content, engine.translator, result, lang))


def test_no_page_has_a_broken_link_and_every_page_is_reachable(site: Path, page: Page, tmp_path: Path) -> None:
    """Crawl from the index: every link's file exists and every #fragment names an element there."""
    ids: dict[Path, set[str]] = {}
    links: list[tuple[Path, str]] = []
    queue = [site / "index.html"]
    while queue:
        path = queue.pop()
        if path in ids:
            continue
        page.goto(path.as_uri(), wait_until="domcontentloaded")
        found = page.evaluate(CRAWL)
        ids[path] = set(found["ids"])
        for href in found["hrefs"]:
            url = urlparse(href)
            if url.scheme in ("http", "https"):
                continue  # a page on the web that the reader may open; nothing is loaded from it
            assert url.scheme == "file", f"{path.name}: {href}"
            target = Path(unquote(url.path))
            assert target.exists(), f"{path.name} links to missing {target.name}"
            links.append((target, url.fragment))
            if target.suffix == ".html":
                queue.append(target)
    for target, fragment in links:
        if fragment:
            assert fragment in ids[target], f"no #{fragment} in {target.name}"
    assert set(ids) == set(site.glob("*.html")), "pages that no link reaches"
    assert len(links) > 1000
    page.goto((site / "eligibility.start.html").as_uri())
    shot = tmp_path / "eligibility.start.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_the_vietnamese_handbook_prints_to_a_pdf_with_its_text(
    engine: Engine, site: Path, page: Page, tmp_path: Path
) -> None:
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext is missing: apt-get install poppler-utils (.ci/run does)"
    page.goto((site / "handbook-vi.html").as_uri())
    pdf = tmp_path / "handbook-vi.pdf"
    page.pdf(path=str(pdf), format="A4")
    text = subprocess.run([pdftotext, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True)
    flat = "".join(text.stdout.split())
    assert "9tháng3,2026" in flat  # the date it was printed for
    # The notice that the measure has ended, as the Vietnamese catalog words it (up to its date).
    notice = engine.content.notices["measure"]
    words = strip_html(engine.translator.translate("vi", "notice.measure", notice.text)).split("{as_of}")[0]
    assert len(words) > 20 and "".join(words.split()) in flat
    assert "2022" in flat
    for topic in engine.content.topics.values():
        if topic.slug != "start":
            assert "".join(engine.translator.translate("vi", topic.entry, topic.title).split()) in flat
    for node_id in ("eligibility.result_returnee", "consent_form.start", "extension.start"):
        node = engine.content.nodes[node_id]
        first = "".join(visible(node_text(engine.content, engine.translator, node, "vi")).split(".")[0].split())
        # A Japanese run (drawn with the bundled CJK font) may be extracted apart from the line
        # around it, depending on Chromium's PDF layout: each run must be there, the rest in order.
        for run in _CJK_RUN.findall(first):
            assert run in flat, node_id
        assert _CJK_RUN.sub("", first) in _CJK_RUN.sub("", flat), node_id
    assert "Topics" not in text.stdout and "Generated" not in text.stdout  # the site's chrome is not printed
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", pages).group(1)) > 5  # type: ignore[union-attr]
