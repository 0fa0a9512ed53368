"""Typed questions through the engine: answered, suggested, greeted, or not understood, in the
user's language, and never a content answer for small talk or off-topic text."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from retainment_bot.engine import matcher as matcher_module
from retainment_bot.engine import ui
from retainment_bot.engine.engine import Engine, Press, Start, Typed
from retainment_bot.engine.matcher import Matcher, Phrase
from retainment_bot.engine.render import interface_text
from retainment_bot.engine.ui import UiText
from tests.conftest import run_bot


def ask(engine: Engine, text: str, lang: str = "en", node: str | None = None) -> tuple[str | None, list[str], str]:
    """(node shown, button data, text of the first reply) after typing ``text``."""
    state = engine.step(engine.new_state(lang), Start()).state
    if node:
        state = replace(state, node=node)
    outcome = engine.step(state, Typed(text))
    last = outcome.replies[-1]
    return last.node, [b.data or "" for b in last.flat_buttons], outcome.replies[0].text


@pytest.mark.parametrize(
    ("text", "node"),
    [
        ("where do I send the consent form, I am specified skilled worker", "consent_form.ssw"),
        ("gia han them 6 thang duoc khong", "extension.start"),
        ("gia hạn thêm 6 tháng được không", "extension.start"),
        ("ﾄｸﾃｲｷﾞﾉｳ", "ssw.start"),
        ("とくていぎのう", "ssw.start"),
        ("tokutei ginou 2 go", "ssw.type2"),
        ("同意書の送り先", "consent_form.start"),
        ("技能実習とは", "titp.start"),
    ],
)
def test_a_clear_question_is_answered_with_its_topic(engine: Engine, text: str, node: str) -> None:
    shown, _, _ = ask(engine, text)
    assert shown == node


def test_a_few_words_in_no_clear_language_are_answered_in_the_user_language(engine: Engine) -> None:
    """ "tokutei ginou" is what every worker calls it: no reason to leave Vietnamese."""
    state = engine.step(engine.new_state("vi"), Start()).state
    outcome = engine.step(state, Typed("tokutei ginou"))
    assert outcome.state.lang == "vi" and len(outcome.replies) == 1
    assert outcome.replies[-1].node == "ssw.start"


def test_an_unclear_question_gets_suggestions_that_open_topics(engine: Engine) -> None:
    """ "Designated Activities" is how to apply, the extension and the report alike: ask which."""
    shown, data, text = ask(engine, "designated activities")
    assert shown is None and "not sure" in text
    suggestions = [d for d in data if d.startswith("go:")]
    assert 2 <= len(suggestions) <= 3 and "go:documents.start" in suggestions
    state = engine.step(engine.new_state("en"), Start()).state
    assert engine.step(state, Press(suggestions[0])).replies[-1].node == suggestions[0].removeprefix("go:")


def test_a_topic_name_opens_the_topic_even_when_its_screens_match_as_well(engine: Engine) -> None:
    shown, _, _ = ask(engine, "consent form")
    assert shown == "consent_form.start"


@pytest.mark.parametrize(
    ("text", "lang", "reply"),
    [
        ("hello", "en", ui.GREETING_REPLY),
        ("xin chào", "vi", ui.GREETING_REPLY),
        ("こんにちは", "ja", ui.GREETING_REPLY),
        ("hi bot", "en", ui.GREETING_REPLY),
        ("thank you", "en", ui.THANKS_REPLY),
        ("cảm ơn nhiều", "vi", ui.THANKS_REPLY),
        ("ありがとうございます", "ja", ui.THANKS_REPLY),
    ],
)
def test_greetings_and_thanks_get_a_friendly_reply_in_their_language_and_the_menu(
    engine: Engine, text: str, lang: str, reply: UiText
) -> None:
    outcome = engine.step(engine.step(engine.new_state("en"), Start()).state, Typed(text))
    assert outcome.state.lang == lang and outcome.replies[-1].node == "start.menu"
    assert interface_text(engine.translator, lang, reply) in [r.text for r in outcome.replies]


@pytest.mark.parametrize(
    "text",
    ["what is the weather tomorrow", "asdfghjkl", "😀😀😀", "k", "can my wife get a visa", "thuế thu nhập", "運転免許"],
)
def test_small_talk_and_off_topic_text_never_lands_on_a_content_topic(engine: Engine, text: str) -> None:
    shown, _, _ = ask(engine, text)
    assert shown in (None, "start.menu")


@pytest.mark.parametrize(
    ("text", "node"),
    [
        # "vợ" (wife) is off topic; "vô thời hạn" (without limit) is Specified Skilled Worker (ii).
        ("visa tokutei ginou 2 có được ở vô thời hạn không", "ssw.type2"),
        # English "song" is off topic; Vietnamese "sống" (to live) is not.
        ("nơi mình sống thì nộp hồ sơ ở đâu", "documents.start"),
        # "thuế" (tax) is off topic; "thuê người" (to hire people) is not.
        ("tôi muốn thuê người nước ngoài, công ty nhỏ ở Tokyo có hỗ trợ không", "sme.start"),
    ],
)
def test_an_off_topic_word_does_not_stop_a_question_that_only_shares_its_letters(
    engine: Engine, text: str, node: str
) -> None:
    assert ask(engine, text, lang="vi")[0] == node


@pytest.mark.parametrize(
    "text",
    [
        "vợ tôi muốn sang Nhật thì làm visa gì",  # as written, with diacritics
        "bao hiem that nghiep lam the nao",  # a phrase of two words or more, typed without them
        "thue thu nhap nop o dau",  # a form without diacritics that the catalog lists
    ],
)
def test_off_topic_phrases_are_found_with_or_without_diacritics(engine: Engine, text: str) -> None:
    assert engine.matcher is not None
    assert engine.matcher.match(text).kind != "answer"
    assert engine.matcher.is_off_topic(text)


@pytest.mark.parametrize(
    ("text", "off"),
    [
        ("夫がコロナで解雇されました。私も対象ですか", True),  # 夫 (husband) is off topic
        ("私の夫は実習生です", True),
        ("夫婦で日本にいます", True),
        # 大丈夫 ("all right", "is it OK?") and 工夫 end with the same kanji and mean no husband.
        ("会社がつぶれたけど、それでも大丈夫？", False),
        ("書類の書き方を工夫したい", False),
    ],
)
def test_a_one_kanji_off_topic_word_counts_only_where_no_kanji_comes_before_it(
    engine: Engine, text: str, off: bool
) -> None:
    assert engine.matcher is not None
    assert engine.matcher.is_off_topic(text) is off


def test_a_typed_answer_to_the_current_question_wins_over_search(engine: Engine) -> None:
    """On the "wish to stay?" question, "no" presses No instead of searching for "no"."""
    shown, _, _ = ask(engine, "không", lang="vi", node="eligibility.wish")
    assert shown == "eligibility.not_wish"


def test_a_forged_suggestion_button_is_stale_not_an_error(engine: Engine) -> None:
    state = engine.step(engine.new_state("en"), Start()).state
    note, _ = engine.step(state, Press("go:eligibility.decide")).replies  # a junction cannot be shown
    assert "older message" in note.text


def test_the_jsonl_chat_shows_the_routed_node_for_typed_questions() -> None:
    lines = ['{"text": "/start"}', '{"text": "how do I apply for designated activities"}', '{"text": "hello"}']
    result = run_bot("chat", "--jsonl", "--lang", "en", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert answers[1]["replies"][-1]["node"] == "documents.start"
    assert answers[2]["replies"][-1]["node"] == "start.menu"


def test_a_search_file_with_an_unknown_node_is_reported(scratch) -> None:  # type: ignore[no-untyped-def]
    path = scratch / "search" / "vi.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "nowhere.node: something\n", encoding="utf-8")
    result = run_bot("check", root=scratch)
    line = len(path.read_text(encoding="utf-8").splitlines())
    assert f"search/vi.yaml:{line}: unknown node 'nowhere.node'" in result.stderr


def small_matcher() -> Matcher:
    """A matcher over a few topics, for the verdict's rules on ranked nodes."""
    phrases = [
        Phrase("about.waasa", "en", "waasa"),
        Phrase("about.activity", "ja", "活動内容"),
        Phrase("employers.for_companies", "vi", "cong ty tuyen dung"),
        Phrase("employers.for_workers", "ja", "求人リスト"),
    ]
    entries = ["about.start", "documents.start", "extension.start", "report.start", "eligibility.start"]
    return Matcher.build(phrases, entries=entries, navigation=["start.menu"])


def test_when_unsure_weaker_topics_fill_the_suggestions() -> None:
    """A long story names the right topic only in passing: its screen is still worth a button."""
    verdict = small_matcher().decide([("about.waasa", 52.0), ("extension.start", 15.0)], off_topic=False)
    assert verdict.kind == "suggest"
    assert [c.node for c in verdict.candidates] == ["about.waasa", "extension.start"]
    stray = small_matcher().decide([("about.waasa", 52.0), ("extension.start", 8.0)], off_topic=False)
    assert [c.node for c in stray.candidates] == ["about.waasa"]


def test_a_weak_match_is_suggested_and_a_stray_one_is_not_understood() -> None:
    matcher = small_matcher()
    assert matcher.decide([("documents.start", 22.0)], off_topic=False).kind == "suggest"
    assert matcher.decide([("documents.start", 15.0)], off_topic=False).kind == "none"


def test_topics_tied_on_one_shared_phrase_leave_a_place_for_other_evidence() -> None:
    """Three screens that all list "特定活動" tie; the question's other words found eligibility."""
    ranked = [("documents.start", 56.7), ("extension.start", 56.7), ("report.start", 56.7), ("eligibility.start", 41.8)]
    verdict = small_matcher().decide(ranked, off_topic=False)
    assert verdict.kind == "suggest"
    assert [c.node for c in verdict.candidates] == ["documents.start", "extension.start", "eligibility.start"]
    # Two tied topics and a third: nothing is dropped.
    ranked = [("documents.start", 56.7), ("extension.start", 56.7), ("eligibility.start", 41.8)]
    assert [c.node for c in small_matcher().decide(ranked, off_topic=False).candidates] == [n for n, _ in ranked]


def test_screens_tied_on_one_shared_phrase_are_no_rival_of_a_better_screen() -> None:
    """ "特定技能に移りたいって気持ちが必要なの？": every specified skilled worker screen lists 特定技能
    and ties a little below the eligibility check, which has more of the question."""
    matcher = Matcher.build([Phrase("ssw.start", "ja", "特定技能")], entries=["eligibility.start", "ssw.start"])
    shared = [("ssw.start", 66.4), ("consent_form.ssw", 66.4), ("ssw.type1", 66.4), ("ssw.type2", 66.4)]
    verdict = matcher.decide([("eligibility.start", 68.5), ("eligibility.wish", 68.5), *shared], off_topic=False)
    assert verdict.kind == "answer" and verdict.candidates[0].node == "eligibility.start"
    # Two screens of another topic close below: a rival, as before.
    assert (
        matcher.decide([("eligibility.start", 68.5), ("ssw.start", 66.4), ("ssw.type1", 66.4)], False).kind == "suggest"
    )
    # Tied with the best itself: no better screen, no answer.
    assert matcher.decide([("eligibility.wish", 66.4), *shared], off_topic=False).kind == "suggest"


def test_asking_for_the_main_menu_in_other_words_opens_it() -> None:
    """ "back to main menu pls" is not an exact label, and the menu is never suggested."""
    matcher = small_matcher()
    verdict = matcher.decide([("start.menu", 70.0), ("documents.start", 30.0)], off_topic=False)
    assert verdict.kind == "answer" and verdict.candidates[0].node == "start.menu"
    weak = matcher.decide([("start.menu", 55.0)], off_topic=False)
    assert weak.kind == "none"


@pytest.mark.parametrize(
    ("text", "node"),
    [("WAASAの活動内容を教えて", "about.activity"), ("cong ty tuyen dung の求人リストある？", "employers.for_workers")],
)
def test_latin_words_in_a_japanese_question_count_as_part_of_it(text: str, node: str) -> None:
    """A node found only by the Latin words covers part of the question, not all of it."""
    ranked = small_matcher().rank(text)
    assert ranked[0][0] == node
    assert ranked[1][1] < 60


def talk_matcher() -> Matcher:
    phrases = [Phrase("about.waasa", "en", "waasa"), Phrase("employers.for_workers", "vi", "cong ty tuyen dung")]
    return Matcher.build(
        phrases, greetings=["hello", "はじめまして"], thanks=["thank you", "ty", "ありがとう"], off_topic=["weather"]
    )


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ok thank you so much, that is all", "thanks"),
        ("本当にありがとうございました、助かった", "thanks"),
        ("はじめまして。ベトナムから来ました", "greeting"),
        ("ty", "thanks"),  # the whole message: short phrases count there
        ("cong ty abc", "none"),  # the "ty" of "cong ty" is not thanks inside a message
        ("thank you, and the weather tomorrow?", "none"),  # off topic: not small talk
        ("thank you, and who is waasa", "suggest"),  # what the index finds comes first
    ],
)
def test_thanks_or_a_greeting_inside_a_message_counts_when_nothing_else_is_found(text: str, kind: str) -> None:
    assert talk_matcher().match(text).kind == kind


@pytest.mark.parametrize(
    ("text", "lang", "reply"),
    [("salamat po", "en", ui.THANKS_REPLY), ("namaste", "en", ui.GREETING_REPLY), ("おおきに", "ja", ui.THANKS_REPLY)],
)
def test_greetings_and_thanks_from_the_search_files_are_small_talk_too(
    engine: Engine, text: str, lang: str, reply: UiText
) -> None:
    """``_greetings`` and ``_thanks`` in ``search/<lang>.yaml``: other languages, romaji, dialect."""
    outcome = engine.step(engine.step(engine.new_state(lang), Start()).state, Typed(text))
    assert interface_text(engine.translator, lang, reply) in [r.text for r in outcome.replies]


def explained_matcher() -> Matcher:
    phrases = [
        Phrase("eligibility.start", "en", "tourist visa"),
        Phrase("eligibility.start", "en", "am i covered"),
        Phrase("eligibility.status", "en", "which visas are covered"),
        Phrase("about.start", "en", "tourist"),
        Phrase("ssw.start", "ja", "家族滞在で呼べる特定技能"),
        Phrase("ssw.start", "ja", "特定技能"),
    ]
    return Matcher.build(phrases, off_topic=["tourist", "travel", "家族滞在"])


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("i came on a tourist visa, am i covered", "answer"),  # the phrase explains "tourist"
        ("tourist visa travel, am i covered", "none"),  # "travel" is off topic all the same
        ("tourist spots, am i covered", "none"),  # "tourist" alone is off topic
        ("家族滞在で呼べる特定技能", "answer"),
        ("特定技能の家族滞在", "none"),  # the longer phrase is not there: off topic
    ],
)
def test_an_off_topic_word_inside_a_phrase_of_the_answered_topic_is_not_off_topic(text: str, kind: str) -> None:
    """ "tourist" is off topic, but "tourist visa" is a phrase of the eligibility check: a question
    with the whole phrase asks about the check. Another topic's phrase explains nothing."""
    verdict = explained_matcher().match(text)
    assert (verdict.kind if verdict.kind != "suggest" else "none") == kind, verdict


def test_an_off_topic_word_is_explained_only_by_the_topic_answered() -> None:
    matcher = explained_matcher()
    folded = "i came on a tourist visa am i covered"
    assert not matcher._off_topic(folded, folded, "eligibility")
    assert matcher._off_topic(folded, folded, "about")  # "tourist" alone is about's phrase: not longer
    assert matcher._off_topic(folded, folded)


def story_matcher() -> Matcher:
    phrases = [
        Phrase("eligibility.start", "en", "am i covered"),
        Phrase("eligibility.start", "en", "company closed"),
        Phrase("eligibility.start", "en", "lost my job"),
        Phrase("eligibility.start", "ja", "対象になりますか"),
        Phrase("eligibility.start", "vi", "dieu kien"),
        Phrase("contact.start", "en", "who can i ask"),
        Phrase("documents.start", "en", "what documents"),
    ]
    return Matcher.build(
        phrases,
        entries=["eligibility.start", "documents.start", "contact.start"],
        stopwords=["i", "my", "the", "a", "in", "for", "and", "with", "can"],
    )


@pytest.mark.parametrize(
    "story",
    [
        "I worked in a sewing factory in Gifu for three years with my friends. "
        "The company closed last month. Am I covered?",
        "岐阜の縫製工場で三年間働いていました。先月、会社が倒産しました。対象になりますか？",
        "岐阜の縫製工場で三年間働いていました。先月、会社が倒産しました。対象になりますか。",  # か asks
    ],
)
def test_a_story_whose_own_question_agrees_is_answered(story: str) -> None:
    """The story's words dilute the score; the question's sentence alone ranks the same screen
    first, so the two readings agree and the screen is answered."""
    assert story_matcher().match(story).candidates[0].node == "eligibility.start"
    assert story_matcher().match(story).kind == "answer"
    # The same words without sentences: one reading only, and the story outweighs the question.
    run_on = story.replace(". ", " ").replace("?", "").replace("。", "").replace("？", "")
    assert story_matcher().match(run_on).kind == "suggest"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (
            "i worked in a sewing factory in gifu for three years with my two friends from hanoi, "
            "the company closed last month, am i covered",
            "answer",
        ),
        (
            "i worked in a sewing factory in gifu for three years with my two friends from hanoi, "
            "the company closed last month, i am covered",
            "suggest",
        ),
    ],
)
def test_in_latin_text_a_clause_asks_by_its_question_mark_or_english_question_word(text: str, kind: str) -> None:
    """Chat writes a story in clauses and asks without a question mark: a comma ends a clause,
    and one that starts "am", "can", "how"... asks."""
    assert story_matcher().match(text).kind == kind


def test_a_story_whose_own_question_asks_for_another_screen_is_not_lifted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    story = "My company closed in May and I lost my job. Who can I ask?"
    lifted = story_matcher().rank(story)
    monkeypatch.setattr(matcher_module, "QUESTION_LIFT", 0.0)
    assert lifted == story_matcher().rank(story)
    assert lifted[0][0] == "eligibility.start" and story_matcher().match(story).kind == "suggest"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("dieu kien la gi vay", "answer"),  # the conditions, with filler around them
        ("nhap quoc tich nhat ban can nhung dieu kien gi", "suggest"),  # naturalisation's conditions
    ],
)
def test_a_latin_question_the_index_explains_little_of_is_not_answered(text: str, kind: str) -> None:
    """What no phrase explains is taken for filler only up to a share of the question: a
    question with many unexplained words is mostly about something else."""
    assert story_matcher().match(text).kind == kind
