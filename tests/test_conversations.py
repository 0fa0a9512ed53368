"""Whole conversations through the terminal chat's jsonl protocol, in all three languages:
every eligibility path, every consent-form case, and the facts each answer must carry."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.conftest import KASUMIGASEKI, LANGUAGES, run_bot

TERMS = {
    "designated": {
        "en": "Designated Activities (maximum one year, work permitted)",
        "vi": "Hoạt động đặc định (tối đa một năm, được phép làm việc)",
        "ja": "特定活動（最大1年・就労可）",
    },
    "regional": {
        "en": "Regional Immigration Services Bureau",
        "vi": "Cục Quản lý Xuất nhập cảnh và Lưu trú khu vực",
        "ja": "地方出入国在留管理局",
    },
    "september_7": {"en": "7 September 2020", "vi": "7 tháng 9 năm 2020", "ja": "2020年9月7日"},
    "six_months": {"en": "six months", "vi": "sáu tháng", "ja": "6か月"},
    "eligible": {
        "en": "would have fitted the published rules",
        "vi": "phù hợp với quy định đã công bố",
        "ja": "該当していたと考えられます",
    },
    "not_covered": {"en": "did not cover your case", "vi": "không áp dụng", "ja": "対象外"},
    "consent_by_form": {
        "en": "requested with the consent form",
        "vi": "được đề nghị bằng Giấy đồng ý",
        "ja": "同意書により申し込む",
    },
    "ask_today": {"en": "Before sending anything today", "vi": "trước khi gửi bất cứ thứ gì", "ja": "何かを送る前に"},
    "held_then": {"en": "did you hold when it happened", "vi": "Khi sự việc xảy ra", "ja": "そのとき"},
}
CENTER_JA = "外国人在留総合インフォメーションセンター"
CITIES = {
    "en": ["Sapporo", "Sendai", "Tokyo", "Nagoya", "Osaka", "Hiroshima", "Takamatsu", "Fukuoka"],
    "vi": ["Sapporo", "Sendai", "Tokyo", "Nagoya", "Osaka", "Hiroshima", "Takamatsu", "Fukuoka"],
    "ja": ["札幌", "仙台", "東京", "名古屋", "大阪", "広島", "高松", "福岡"],
}
# Present-tense orders that must never appear on a screen about the ended measure.
ORDERS = {
    "en": [r"\bsend it\b", r"\bsend the\b", r"^\s*(send|submit|copy)\b", r"\bsubmit (a|the)\b", r"\bapply at\b"],
    "vi": [r"hãy gửi", r"hãy nộp", r"hãy chép", r"Hãy gửi", r"Hãy nộp"],
    "ja": [r"郵送してください", r"提出してください", r"送付してください", r"該当します"],
}

# Button positions on each question: eligibility.start, reason, status, difficulty, returnee, wish.
JOB, OFFER, RETURNEE, NEITHER = 0, 1, 2, 3
REASONS = {"bankruptcy": 0, "downsizing": 1, "fixed_term": 2, "offer_withdrawn": 3}
STATUSES = {"titp": 0, "ssw": 1, "engineer": 2, "skilled_labor": 3, "student": 4}
YES, NO = 0, 1

# name -> (presses after /start eligibility, final node)
PATHS: dict[str, tuple[list[int], str]] = {
    **{
        f"job_{reason}_titp": ([JOB, index, STATUSES["titp"], YES, YES], "eligibility.result_other")
        for reason, index in REASONS.items()
    },
    **{
        f"job_bankruptcy_{status}": (
            [JOB, REASONS["bankruptcy"], index, YES, YES],
            "eligibility.result_ssw" if status == "ssw" else "eligibility.result_other",
        )
        for status, index in STATUSES.items()
    },
    "offer_withdrawn_graduate": ([OFFER, STATUSES["student"], YES, YES], "eligibility.result_other"),
    "offer_withdrawn_ssw": ([OFFER, STATUSES["ssw"], YES, YES], "eligibility.result_ssw"),
    "offer_withdrawn_no_difficulty": ([OFFER, STATUSES["student"], NO], "eligibility.not_difficulty"),
    "job_other_covid_goes_on_with_a_caution": (
        [JOB, 4, 0, STATUSES["student"], YES, YES],
        "eligibility.result_other",
    ),
    "job_not_covid": ([JOB, 5], "eligibility.not_covid"),
    "job_other_status": ([JOB, REASONS["downsizing"], 5], "eligibility.not_status"),
    "job_no_difficulty": ([JOB, REASONS["bankruptcy"], STATUSES["engineer"], NO], "eligibility.not_difficulty"),
    "job_no_wish": ([JOB, REASONS["downsizing"], STATUSES["ssw"], YES, NO], "eligibility.not_wish"),
    "returnee": ([RETURNEE, YES, YES], "eligibility.result_returnee"),
    "returnee_can_return": ([RETURNEE, NO], "eligibility.not_group"),
    "returnee_no_wish": ([RETURNEE, YES, NO], "eligibility.not_wish"),
    "neither": ([NEITHER], "eligibility.not_group"),
}
# The consent-form case each result's first button opens.
CONSENT_CASE = {
    "eligibility.result_ssw": "consent_form.ssw",
    "eligibility.result_other": "consent_form.other",
    "eligibility.result_returnee": "consent_form.returnee",
}


def walk_path(chat: Any, lang: str, presses: list[int]) -> Any:
    session = chat(lang)
    session.text("/start eligibility")
    assert session.node == "eligibility.start"
    for index in presses:
        session.press_option(index)
    return session


def assert_measure_notice(session: Any, lang: str) -> None:
    """The short footer (dated, ended in 2022) and its button to the full text with the phones."""
    text = session.last["text"]
    assert "2021" in text and "2022" in text
    assert "0570-013904" not in text, "the phone numbers are one tap away, not on every screen"
    assert any(b.get("data") == "go:contact.measure" for b in session.buttons)


def assert_no_orders(text: str, lang: str) -> None:
    """A screen about the ended measure reads as history: no present-tense order to act."""
    for pattern in ORDERS[lang]:
        assert not re.search(pattern, text, re.I | re.M), f"{pattern!r} in {text!r}"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", sorted(PATHS))
def test_every_eligibility_path_ends_with_its_result_and_facts(chat: Any, lang: str, path: str) -> None:
    presses, final = PATHS[path]
    session = walk_path(chat, lang, presses)
    assert session.node == final
    text = session.last["text"]
    assert_measure_notice(session, lang)
    assert_no_orders(text, lang)
    assert CENTER_JA in text, "every result names the Immigration Information Center as it is asked for"
    labels = [b["label"] for b in session.buttons]
    if final.startswith("eligibility.result_"):
        assert TERMS["eligible"][lang] in text
        assert TERMS["designated"][lang] in text
        assert TERMS["regional"][lang] in text
        assert TERMS["consent_by_form"][lang] in text
        assert TERMS["ask_today"][lang] in text
        assert "14" in text
        assert KASUMIGASEKI[0] not in text, "the address is behind the consent-form button"
        assert any(label.startswith("⏳") for label in labels), "the extension is reachable from every result"
        session.press_option(0)
        assert session.node == CONSENT_CASE[final]
    else:
        assert TERMS["not_covered"][lang] in text
        assert any(label.startswith("☎️") for label in labels), "every negative result offers a person to ask"
        again = [b for b in session.buttons if b["label"].startswith("🔁")]
        assert again, "a not-covered result offers to check again"
        session.press(again[0]["data"])
        assert session.node == "eligibility.start"
    if final == "eligibility.result_returnee":
        assert TERMS["september_7"][lang] in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_group_one_asks_whether_staying_under_the_status_had_become_difficult(chat: Any, lang: str) -> None:
    """The published condition of group (1) is asked after the status, in the past tense, on the
    job path and the job-offer path alike; the returnee path (group (2)) does not ask it."""
    session = chat(lang)
    for presses in ([JOB, REASONS["bankruptcy"]], [OFFER]):
        session.text("/start eligibility")
        for index in presses:
            session.press_option(index)
        assert session.node == "eligibility.status"
        assert TERMS["held_then"][lang] in session.last["text"]
        session.press_option(STATUSES["titp"])
        assert session.node == "eligibility.difficulty"
        assert_measure_notice(session, lang)
        session.press_option(YES)
        assert session.node == "eligibility.wish"
    session.text("/start eligibility")
    session.press_option(RETURNEE)
    session.press_option(YES)
    assert session.node == "eligibility.wish"


def test_the_job_offer_and_graduate_paths_name_themselves(chat: Any) -> None:
    """Someone whose job offer was withdrawn, e.g. after graduating, finds their own first button
    and their own status, so they never need to press "None of these"."""
    session = walk_path(chat, "en", [])
    assert "job offer was withdrawn" in session.buttons[OFFER]["label"]
    session.press_option(OFFER)
    assert session.node == "eligibility.status"
    assert "International student who had completed the course" in session.buttons[STATUSES["student"]]["label"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_other_covid_reason_warns_that_the_agency_decided(chat: Any, lang: str) -> None:
    session = walk_path(chat, lang, [JOB, 4])
    assert session.node == "eligibility.reason_other"
    assert_measure_notice(session, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    ("case", "node"),
    [(0, "consent_form.ssw"), (1, "consent_form.other"), (2, "consent_form.returnee")],
)
def test_each_consent_form_case_says_where_to_send_it(chat: Any, lang: str, case: int, node: str) -> None:
    session = chat(lang)
    session.text(f"/start consent_form-{lang}")
    assert session.node == "consent_form.start"
    session.press_option(case)
    assert session.node == node
    text = session.last["text"]
    assert_measure_notice(session, lang)
    assert_no_orders(text, lang)
    assert CENTER_JA in text and TERMS["ask_today"][lang] in text
    if node == "consent_form.ssw":
        assert TERMS["regional"][lang] in text
        assert all(city in text for city in CITIES[lang])
        assert KASUMIGASEKI[0] not in text
    else:
        for line in KASUMIGASEKI:
            assert f"<code>{line}</code>" in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_extension_answer_gives_the_six_month_maximum(chat: Any, lang: str) -> None:
    session = chat("en")
    session.text(f"/start extension-{lang}")
    assert session.node == "extension.start"
    assert TERMS["six_months"][lang] in session.last["text"]
    assert_no_orders(session.last["text"], lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_footer_button_opens_the_full_notice_with_the_phone_numbers(chat: Any, lang: str) -> None:
    """The footer says what, when and that it ended; one tap gives the dates, the Center's
    Japanese name, the phone numbers and links to the official sites."""
    session = chat(lang)
    session.text(f"/start matching-{lang}")
    session.press("go:contact.measure")
    assert session.node == "contact.measure"
    text = session.last["text"]
    assert "0570-013904" in text and "03-5796-7112" in text and CENTER_JA in text
    assert "2022" in text and TERMS["september_7"][lang] in text
    urls = {b.get("url") for b in session.buttons}
    assert {"https://www.moj.go.jp/isa/", "https://www.otit.go.jp/"} <= urls
    session.press("nav:back")
    assert session.node == "matching.start"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_consent_form_screens_name_the_statuses_and_the_summary(chat: Any, lang: str) -> None:
    """The "other statuses" case names them, and the consent screen points at the "Summary"."""
    names = {
        "en": ["technical intern trainee", "Skilled Labor", "international student"],
        "vi": ["thực tập sinh kỹ năng", "Kỹ năng", "du học sinh"],
        "ja": ["技能実習", "「技能」", "留学生"],
    }
    session = chat(lang)
    session.text(f"/start consent_form-{lang}")
    assert "Summary" in session.last["text"]
    session.press_option(1)
    assert all(name in session.last["text"] for name in names[lang])


def test_each_input_line_gets_exactly_one_output_line() -> None:
    lines = ['{"text": "/start"}', "not json", '{"press": "nav:menu"}', '{"other": 1}', '{"text": "/start ssw-vi"}']
    result = run_bot("chat", "--jsonl", "--lang", "en", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    output = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(output) == len(lines)
    assert output[0]["replies"][0]["node"] == "start.menu"
    assert output[1] == {"replies": [], "error": output[1]["error"]}
    assert output[3]["replies"] == []
    assert output[4]["replies"][-1]["node"] == "ssw.start"
    button = output[4]["replies"][-1]["buttons"][0]
    assert set(button) == {"label", "data"}


def test_a_deep_link_in_another_language_switches_language(chat: Any) -> None:
    session = chat("en")
    session.text("/start consent_form-vi")
    assert "Giấy đồng ý" in session.last["text"]
    session.text("/menu")
    assert session.node == "start.menu"
    assert "Hãy chọn một chủ đề" in session.last["text"]


def test_show_in_japanese_through_the_protocol(chat: Any) -> None:
    session = chat("vi")
    session.text("/start consent_form")
    session.press_option(1)
    japanese = next(b["data"] for b in session.buttons if b["data"].startswith("ja:"))
    session.press(japanese)
    text = session.last["text"]
    assert "Giấy đồng ý" in text and "同意書" in text
    assert text.count(KASUMIGASEKI[1]) == 2
