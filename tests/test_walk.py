"""Every node, reached through the engine in every language: it renders within Telegram's limits,
nothing is left untranslated, and there is always a way on or back."""

from __future__ import annotations

import re
from collections import deque

import pytest
from babel.messages.pofile import read_po

from retainment_bot.engine.engine import Engine, Outcome, Press, Start
from retainment_bot.engine.html import TELEGRAM_MESSAGE_LIMIT, html_problems, telegram_length
from retainment_bot.engine.render import Reply
from retainment_bot.project import Project
from tests.conftest import LANGUAGES


def walk(engine: Engine, lang: str) -> dict[str, Reply]:
    """Press every button from the menu and every deep link, breadth first; return each node's reply.

    A node is visited once per set of recorded answers, so every route of a junction is taken.
    """
    seen: dict[str, Reply] = {}
    visited: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    queue: deque[Outcome] = deque()
    for topic in [None, *engine.content.topics]:
        queue.append(engine.step(engine.new_state(lang), Start(topic)))
    while queue:
        outcome = queue.popleft()
        reply = outcome.replies[-1]
        if reply.node is None or (reply.node, outcome.state.answers) in visited:
            continue
        visited.add((reply.node, outcome.state.answers))
        seen.setdefault(reply.node, reply)
        for button in reply.flat_buttons:
            if button.data and ":" in button.data and not button.data.startswith(("nav:", "lang:", "ja:")):
                queue.append(engine.step(outcome.state, Press(button.data)))
    return seen


def shown_nodes(engine: Engine) -> set[str]:
    return {node.id for node in engine.content.nodes.values() if not node.is_junction}


def test_all_three_languages_are_offered(engine: Engine) -> None:
    assert set(LANGUAGES) <= set(engine.languages)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_node_is_reached_and_renders_within_telegram_limits(engine: Engine, lang: str) -> None:
    replies = walk(engine, lang)
    assert set(replies) == shown_nodes(engine)
    for node_id, reply in replies.items():
        assert reply.text.strip(), node_id
        assert html_problems(reply.text) == [], node_id
        assert telegram_length(reply.text) <= TELEGRAM_MESSAGE_LIMIT, node_id
        assert any(b.data for b in reply.flat_buttons), f"{node_id} has no way on or back"
        for button in reply.flat_buttons:
            assert button.label.strip(), node_id
            assert button.data is None or len(button.data.encode()) <= 64, node_id


@pytest.mark.parametrize("lang", ["vi", "ja"])
def test_every_node_reads_differently_from_english(engine: Engine, lang: str) -> None:
    english, translated = walk(engine, "en"), walk(engine, lang)
    for node_id, reply in translated.items():
        assert reply.text != english[node_id].text, f"{node_id} is not translated into {lang}"


@pytest.mark.parametrize("lang", ["vi", "ja"])
def test_every_message_of_the_template_is_translated(project: Project, lang: str) -> None:
    """No empty or fuzzy entry, and no message of the template missing from the catalog."""
    with project.template.open("rb") as fileobj:
        template = {(m.context, m.id) for m in read_po(fileobj) if m.id}
    path = project.locales / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fileobj:
        catalog = read_po(fileobj)
    done = {(m.context, m.id) for m in catalog if m.id and m.string and not m.fuzzy}
    assert template - done == set()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_measure_answer_is_dated_and_one_tap_from_where_to_ask(engine: Engine, lang: str) -> None:
    """Answers about the measure carry the short notice (the source's date; the measure ended in
    2022) and a button to the full text, which has the phone numbers."""
    replies = walk(engine, lang)
    targets = {"measure": "contact.measure", "dated": "contact.start"}
    for node_id, reply in replies.items():
        node = engine.content.nodes[node_id]
        if node.notice in targets:
            assert node.as_of and node.as_of[:4] in reply.text, node_id
            assert "0570-013904" not in reply.text, f"{node_id}: the footer should stay short"
            target = targets[node.notice]
            assert f"go:{target}" in {b.data for b in reply.flat_buttons}, node_id
            assert "0570-013904" in replies[target].text
        if node.notice == "measure":
            assert "2022" in reply.text, node_id


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_screen_fits_one_phone_screen(project: Project, engine: Engine, lang: str) -> None:
    """Every shipped screen, text and footer, is within the language's limit of
    languages.yaml (docs/dialogues.md says why the numbers)."""
    limits, problems = project.screen_limits()
    assert problems == []
    limit, severity = limits.of(lang)
    assert severity == "error", f"{lang} must have its own screen limit"
    lengths = {node_id: telegram_length(reply.text) for node_id, reply in walk(engine, lang).items()}
    too_long = {node_id: length for node_id, length in lengths.items() if length > limit}
    assert too_long == {}, f"over {limit} in {lang}"
    assert max(lengths.values()) > limit // 2, "the limit should be near what the longest screen needs"


ORDERS = {
    "en": [r"\bsend it\b", r"\bsend the\b", r"^\s*(send|submit|copy)\b", r"\bsubmit (a|the)\b"],
    "vi": [r"hãy gửi", r"hãy nộp", r"hãy chép", r"hãy ký"],
    "ja": [r"郵送してください", r"提出してください", r"送付してください", r"該当します"],
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_screen_about_the_measure_gives_a_present_tense_order(engine: Engine, lang: str) -> None:
    """The measure has ended: its screens say what was required then, never "send" or "submit"
    today; the only thing asked at the point of action is to ask the Immigration Information Center."""
    for node_id, reply in walk(engine, lang).items():
        if engine.content.nodes[node_id].notice != "measure":
            continue
        for pattern in ORDERS[lang]:
            assert not re.search(pattern, reply.text, re.I | re.M), f"{node_id}: {pattern!r}"
