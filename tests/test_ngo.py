"""For NGO staff: deep-link tables and printable QR codes, Share buttons, inline mode, and
anonymous usage figures (CLI and admin /stats), on the real stores."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import zxingcpp
from PIL import Image

from retainment_bot.engine.engine import Engine, Start
from retainment_bot.engine.redact import redact
from retainment_bot.store import SqliteStore, Store
from retainment_bot.store.base import Usage
from tests.conftest import ROOT, run_bot
from tests.fakebotapi import BOT_USER, FakeBotApi, message, press, user
from tests.telegram_harness import running, settings_for

BOT = "retainment_test_bot"
USER, ADMIN = 321, 999


def test_links_lists_every_topic_in_every_language(engine: Engine) -> None:
    result = run_bot("links", "--username", f"@{BOT}")
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    assert len(rows) == len(engine.content.topics) * len(engine.languages)
    assert ["consent_form", "vi", f"https://t.me/{BOT}?start=consent_form-vi"] in rows


def test_links_for_one_language_and_a_bad_username() -> None:
    only = run_bot("links", "--username", BOT, "--lang", "ja").stdout.splitlines()
    assert only and all(line.split()[1] == "ja" for line in only)
    bad = run_bot("links", "--username", "not a bot!")
    assert bad.returncode == 2 and "not a Telegram bot username" in bad.stderr
    unknown = run_bot("links", "--username", BOT, "--lang", "xx")
    assert unknown.returncode == 2 and "unknown language xx" in unknown.stderr


def test_a_printed_qr_code_opens_the_right_topic_in_the_right_language(engine: Engine, tmp_path: Path) -> None:
    """Decode each PNG as a phone camera would, then open its link's payload in the engine."""
    result = run_bot("links", "--username", BOT, "--lang", "vi", "--lang", "ja", "--qr", str(tmp_path))
    assert result.returncode == 0, result.stderr
    images = sorted(tmp_path.glob("*.png"))
    assert len(images) == 2 * len(engine.content.topics)
    for image in images:
        (decoded,) = zxingcpp.read_barcodes(Image.open(image))
        url = urlparse(decoded.text)
        assert url.netloc == "t.me" and url.path == f"/{BOT}"
        payload = parse_qs(url.query)["start"][0]
        assert image.name == f"{payload}.png"
        topic, lang = payload.rsplit("-", 1)
        outcome = engine.step(engine.new_state("en"), Start(payload))
        assert outcome.replies[-1].node == engine.content.topics[topic].entry
        assert outcome.state.lang == lang


def test_answers_carry_a_share_button_with_the_deep_link(engine: Engine) -> None:
    from dataclasses import replace

    named = replace(engine, bot_username=BOT)
    reply = named.step(named.new_state("vi"), Start("extension")).replies[-1]
    (share,) = [b for b in reply.flat_buttons if b.url and b.url.startswith("https://t.me/share/url")]
    shared = parse_qs(urlparse(share.url or "").query)
    assert shared["url"] == [f"https://t.me/{BOT}?start=extension-vi"]
    assert share.label.startswith("📤")
    assert not any(b.url for b in engine.step(engine.new_state("vi"), Start("extension")).replies[-1].flat_buttons)


def inline_query(user_id: int, query: str, lang: str = "en") -> dict[str, Any]:
    return {"inline_query": {"id": str(abs(hash(query))), "from": user(user_id, lang), "query": query, "offset": ""}}


async def test_inline_mode_lists_matching_topics_in_the_user_language(
    api: FakeBotApi, engine: Engine, tmp_path: Path
) -> None:
    async with running(engine, SqliteStore(tmp_path / "bot.sqlite3"), settings_for(api)):
        api.queue(inline_query(USER, "giấy đồng ý gửi đâu", lang="vi"))
        await api.wait_for(lambda calls: any(c.method == "answerInlineQuery" for c in calls))
        api.queue(inline_query(USER, "", lang="ja"))
        await api.wait_for(lambda calls: sum(c.method == "answerInlineQuery" for c in calls) == 2)
    first, every = (c.params for c in api.calls if c.method == "answerInlineQuery")
    results = first["results"]
    assert results and results[0]["id"].startswith("consent_form.")
    assert "Giấy đồng ý" in results[0]["input_message_content"]["message_text"]
    (button,) = results[0]["reply_markup"]["inline_keyboard"][0]
    assert button["url"] == f"https://t.me/{BOT_USER['username']}?start=consent_form-vi"
    assert len(every["results"]) == len(engine.content.topics) - 1  # every topic but the menu
    assert any("技能実習" in r["title"] for r in every["results"])


async def test_usage_figures_are_counted_without_personal_data(api: FakeBotApi, engine: Engine, store: Store) -> None:
    """A conversation on the real store: views per day x topic x language, eligibility results,
    and an unanswered question, kept only after the user agreed, with its digits, e-mail address
    and @name removed."""
    async with running(engine, store, settings_for(api)):
        api.queue(message(USER, "/start eligibility", lang="vi"))
        (question,) = await api.wait_messages(USER, 1)
        neither = next(
            b["callback_data"] for b in question.buttons if b["callback_data"].startswith("eligibility.start:3:")
        )
        api.queue(press(USER, neither, lang="vi"))
        await api.wait_messages(USER, 2)
        api.queue(message(USER, "my phone 090-1234-5678 mail me a@b.jp or @friend xyzzy", lang="vi"))
        await api.wait_for(lambda calls: any("keep:yes" in json.dumps(m.buttons) for m in api.messages_to(USER)))
        assert (await store.report("2000-01-01")).unanswered == ()  # not before the user says yes
        before = len(api.messages_to(USER))
        api.queue(press(USER, "keep:yes", lang="vi"))
        (thanks,) = (await api.wait_messages(USER, before + 1))[before:]
        report = await store.report("2000-01-01")
    # The question was written in English, so the chat follows it (with a way back): the
    # thanks comes in English too.
    assert "Thank you" in thanks.text
    views = {(topic, lang): count for _, topic, lang, count in report.views}
    assert views[("eligibility", "vi")] == 2
    # The typed question is English: it is answered in English, with suggestions (not a screen
    # view); only the check's two screens were viewed, in Vietnamese.
    assert set(views) == {("eligibility", "vi")}
    assert [(node, outcome, lang, count) for _, node, outcome, lang, count in report.outcomes] == [
        ("eligibility.not_group", "not_eligible", "vi", 1)
    ]
    (unanswered,) = report.unanswered
    assert unanswered[2] == "my phone ###-####-#### mail me [email] or [name] xyzzy"
    assert not any(char.isdigit() for char in unanswered[2])


async def test_a_question_is_not_kept_when_the_user_says_no_or_erases_their_data(
    api: FakeBotApi, engine: Engine, store: Store
) -> None:
    """ "No" deletes the held question; so does /forget before any answer."""
    async with running(engine, store, settings_for(api)):
        for user_id, answer in ((USER, "keep:no"), (USER + 1, "forget:yes")):
            api.queue(message(user_id, "my name is Nguyen Van Binh, where do I live now", lang="en"))
            await api.wait_for(
                lambda calls, u=user_id: any("keep:no" in json.dumps(m.buttons) for m in api.messages_to(u))
            )
            before = len(api.messages_to(user_id))
            api.queue(press(user_id, answer))
            await api.wait_messages(user_id, before + 1)
            api.queue(press(user_id, "keep:yes"))  # too late: nothing is held any more
            await api.wait_messages(user_id, before + 2)
        report = await store.report("2000-01-01")
    assert report.unanswered == ()


async def test_unanswered_questions_are_kept_thirty_days_by_default(store: Store) -> None:
    await store.open()
    try:
        await store.record(Usage(day="2026-01-01", lang="en", unanswered="old question"))
        await store.record(Usage(day="2026-01-30", lang="en", unanswered="new question"))
        now = 1_769_904_000 + 3600  # 2026-02-01 01:00 UTC: "old" is 31 days old, "new" 2
        await store.purge(now, retention_seconds=180 * 86400)
        report = await store.report("2026-01-01")
        assert [text for _, _, text in report.unanswered] == ["new question"]
    finally:
        await store.close()


def test_redaction_removes_what_identifies_people() -> None:
    assert redact("call 03-1234 or mail x.y@mail.com, @nguyen, see https://x.org/a") == (
        "call ##-#### or mail [email], [name], see [link]"
    )
    assert len(redact("a" * 1000)) == 300


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("my name is Nguyen Van Binh, I live in Nagoya Minato-ku", ("Nguyen", "Binh", "Nagoya", "Minato")),
        ("tên tôi là Nguyễn Văn Bình, tôi sống ở Nagoya. Tôi có đủ điều kiện không?", ("Nguyễn", "Bình", "Nagoya")),
        ("私の名前はグエンです。愛知県名古屋市港区に住んでいます。", ("グエン", "愛知県", "名古屋", "港区")),
        ("Hello, greetings from Ho Chi Minh City, can I extend?", ("Ho Chi", "Minh")),
    ],
)
def test_redaction_removes_names_and_addresses(text: str, gone: tuple[str, ...]) -> None:
    kept = redact(text)
    assert not any(part in kept for part in gone), kept
    assert "[name]" in kept or "[place]" in kept


def test_redaction_keeps_the_question_and_cuts_long_text_first() -> None:
    assert redact("Where do I send the consent form for TITP?") == "Where do I send the consent form for TITP?"
    long = "word " * 200 + "hidden@example.com " + "x" * 8000  # the address is past the cut
    kept = redact(long)
    assert len(kept) <= 300 and "hidden" not in kept and "[email]" not in kept


async def test_the_stats_command_prints_and_writes_csv_and_png(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SqliteStore(tmp_path / "data" / "bot.sqlite3")
    await store.open()
    today = datetime.now(UTC).date().isoformat()
    for lang, topics in (("vi", ("eligibility", "consent_form")), ("ja", ("eligibility",))):
        await store.record(Usage(day=today, lang=lang, topics=topics))
    await store.record(Usage(day=today, lang="vi", outcomes=(("eligibility.result_ssw", "eligible"),)))
    await store.record(Usage(day=today, lang="en", unanswered="where is [link]"))
    await store.close()
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    result = run_bot("stats", "--csv", str(tmp_path / "u.csv"), "--png", str(tmp_path / "u.png"))
    assert result.returncode == 0, result.stderr
    assert "eligibility" in result.stdout and "eligible" in result.stdout
    assert "Questions without a confident answer: 1" in result.stdout
    rows = list(csv.DictReader((tmp_path / "u.csv").open(encoding="utf-8")))
    assert {"views", "eligibility", "unanswered"} == {row["kind"] for row in rows}
    assert sum(int(row["count"]) for row in rows if row["kind"] == "views") == 3
    png = (tmp_path / "u.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 5000


async def test_stats_in_telegram_is_for_admins_only(api: FakeBotApi, engine: Engine, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "bot.sqlite3")
    async with running(engine, store, settings_for(api, admin_ids=frozenset({ADMIN}))):
        api.queue(message(USER, "/start ssw"))
        await api.wait_messages(USER, 1)
        api.queue(message(ADMIN, "/stats"))
        (figures,) = await api.wait_messages(ADMIN, 1)
        api.queue(message(USER, "/stats"))
        ordinary = await api.wait_messages(USER, 3)
    assert figures.text.startswith("<pre>Usage since") and "ssw" in figures.text
    assert "did not understand" in ordinary[1].text
    assert json.dumps(ordinary[2].buttons).count("start.menu:") >= 1


def test_the_readme_flyer_command_does_what_the_readme_says(tmp_path: Path) -> None:
    """The README's `links ... --qr flyers/` line, run as written in an empty directory, prints the
    link the README shows and writes the file it names, a code that opens that link."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## For NGO staff") :]
    command = re.search(r"`python -m retainment_bot (links [^`]+)`", section)
    link = re.search(r"prints\s+`(https://t\.me/\S+)`", section)
    written = re.search(r"writes\s+`(flyers/\S+\.png)`", section)
    assert command and link and written, "the README's flyer example changed: update this test"
    result = run_bot(*command[1].split(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert link[1] in result.stdout.split()
    (decoded,) = zxingcpp.read_barcodes(Image.open(tmp_path / written[1]))
    assert decoded.text == link[1]
