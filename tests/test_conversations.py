"""Whole conversations through the terminal chat's jsonl protocol, in all three languages:
every eligibility path, every consent-form case, and the facts each answer must carry."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import KASUMIGASEKI, LANGUAGES, run_bot

TERMS = {
    "designated": {"en": "Designated Activities", "vi": "Hoạt động đặc định", "ja": "特定活動"},
    "regional": {
        "en": "Regional Immigration Services Bureau",
        "vi": "Cục Quản lý Xuất nhập cảnh và Lưu trú khu vực",
        "ja": "地方出入国在留管理局",
    },
    "september_7": {"en": "7 September 2020", "vi": "7 tháng 9 năm 2020", "ja": "2020年9月7日"},
    "six_months": {"en": "six months", "vi": "sáu tháng", "ja": "6か月"},
    "eligible": {"en": "fits the published rules", "vi": "phù hợp với quy định", "ja": "該当します"},
    "not_covered": {"en": "did not cover your case", "vi": "không áp dụng", "ja": "対象外"},
}
CITIES = {
    "en": ["Sapporo", "Sendai", "Tokyo", "Nagoya", "Osaka", "Hiroshima", "Takamatsu", "Fukuoka"],
    "vi": ["Sapporo", "Sendai", "Tokyo", "Nagoya", "Osaka", "Hiroshima", "Takamatsu", "Fukuoka"],
    "ja": ["札幌", "仙台", "東京", "名古屋", "大阪", "広島", "高松", "福岡"],
}

# Button positions on each question: eligibility.start, reason, status, returnee, wish.
JOB, RETURNEE, NEITHER = 0, 1, 2
REASONS = {"bankruptcy": 0, "downsizing": 1, "fixed_term": 2, "offer_withdrawn": 3}
STATUSES = {"titp": 0, "ssw": 1, "engineer": 2, "skilled_labor": 3, "student": 4}
YES, NO = 0, 1

# name -> (presses after /start eligibility, final node)
PATHS: dict[str, tuple[list[int], str]] = {
    **{
        f"job_{reason}_titp": ([JOB, index, STATUSES["titp"], YES], "eligibility.result_other")
        for reason, index in REASONS.items()
    },
    **{
        f"job_bankruptcy_{status}": (
            [JOB, REASONS["bankruptcy"], index, YES],
            "eligibility.result_ssw" if status == "ssw" else "eligibility.result_other",
        )
        for status, index in STATUSES.items()
    },
    "job_other_covid_goes_on_with_a_caution": ([JOB, 4, 0, STATUSES["student"], YES], "eligibility.result_other"),
    "job_not_covid": ([JOB, 5], "eligibility.not_covid"),
    "job_other_status": ([JOB, REASONS["downsizing"], 5], "eligibility.not_status"),
    "job_no_wish": ([JOB, REASONS["downsizing"], STATUSES["ssw"], NO], "eligibility.not_wish"),
    "returnee": ([RETURNEE, YES, YES], "eligibility.result_returnee"),
    "returnee_can_return": ([RETURNEE, NO], "eligibility.not_group"),
    "returnee_no_wish": ([RETURNEE, YES, NO], "eligibility.not_wish"),
    "neither": ([NEITHER], "eligibility.not_group"),
}


def walk_path(chat: Any, lang: str, presses: list[int]) -> Any:
    session = chat(lang)
    session.text("/start eligibility")
    assert session.node == "eligibility.start"
    for index in presses:
        session.press_option(index)
    return session


def assert_measure_notice(text: str, lang: str) -> None:
    assert "0570-013904" in text and "03-5796-7112" in text
    assert "2021" in text


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", sorted(PATHS))
def test_every_eligibility_path_ends_with_its_result_and_facts(chat: Any, lang: str, path: str) -> None:
    presses, final = PATHS[path]
    session = walk_path(chat, lang, presses)
    assert session.node == final
    text = session.last["text"]
    assert_measure_notice(text, lang)
    if final.startswith("eligibility.result_"):
        assert TERMS["eligible"][lang] in text
        assert TERMS["designated"][lang] in text
        assert TERMS["regional"][lang] in text
        assert "14" in text
    else:
        assert TERMS["not_covered"][lang] in text
        again = [b for b in session.buttons if b["label"].startswith("🔁")]
        assert again, "a not-covered result offers to check again"
        session.press(again[0]["data"])
        assert session.node == "eligibility.start"
    if final == "eligibility.result_ssw":
        assert KASUMIGASEKI[0] not in text  # a specified skilled worker sends the form to their bureau
    if final in ("eligibility.result_other", "eligibility.result_returnee"):
        for line in KASUMIGASEKI:
            assert f"<code>{line}</code>" in text
    if final == "eligibility.result_returnee":
        assert TERMS["september_7"][lang] in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_other_covid_reason_warns_that_the_agency_decided(chat: Any, lang: str) -> None:
    session = walk_path(chat, lang, [JOB, 4])
    assert session.node == "eligibility.reason_other"
    assert_measure_notice(session.last["text"], lang)


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
    assert_measure_notice(text, lang)
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
