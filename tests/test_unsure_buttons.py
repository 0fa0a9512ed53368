"""Candidates S and V (session 15). S: the buttons of a reply the bot is unsure of. A list of fewer than three topics is
filled with the classifier's next content screens, its two close first choices follow the
matcher's first suggestion, and its first choice is offered whatever G re-ordered; never for a
question with an off-topic word, and never an answer changed. V: an answer the classifier reads
as out of scope is only suggested."""

from __future__ import annotations

import math
from typing import Any

from retainment_bot.engine.matcher import Matcher, Phrase, Thresholds
from tests.test_confidence import PHRASES, Opinion

TIED = "consent form or intern visa"  # two topics tie: the matcher only suggests them
OFF_TOPIC = "intern visa and my wife"  # "wife": an off-topic word
SURE = "consent form"


def matcher(values: dict[str, float], **limits: Any) -> Matcher:
    more = [Phrase("documents.start", "en", "documents to submit"), Phrase("start.menu", "en", "main menu")]
    return Matcher.build(
        [*PHRASES, *more],
        off_topic=["wife"],
        entries=["consent_form.start", "ssw.start", "titp.start", "documents.start"],
        navigation=["start.menu"],
        # F, G, H2 and K off: only the second opinion's own rules and S act here.
        thresholds=Thresholds(confidence=False, rerank=False, demote=False, tie=-math.inf, **limits),
        second_opinion=Opinion(values),  # type: ignore[arg-type]
    )


def nodes(matcher: Matcher, text: str) -> tuple[str, list[str]]:
    verdict = matcher.match(text)
    return verdict.kind, [c.node for c in verdict.candidates]


def test_a_short_list_is_filled_with_the_classifiers_next_content_screens() -> None:
    values = {"out_of_scope": -0.5, "start.menu": -0.55, "documents.start": -0.6, "ssw.start": -0.7}
    assert nodes(matcher(values, unsure_buttons=False), TIED) == ("suggest", ["consent_form.start", "titp.start"])
    # Neither out of scope nor the main menu is a button; the next content screen is.
    assert nodes(matcher(values), TIED) == ("suggest", ["consent_form.start", "titp.start", "documents.start"])


def test_nothing_below_the_offered_value_fills_a_list() -> None:
    values = {"out_of_scope": -0.5, "documents.start": -1.2}
    assert nodes(matcher(values, offered=-1.0), TIED) == ("suggest", ["consent_form.start", "titp.start"])


def test_the_classifiers_two_close_choices_follow_the_matchers_first_suggestion() -> None:
    values = {"documents.start": -0.30, "ssw.start": -0.35, "titp.start": -0.9, "out_of_scope": -1.0}
    kind, found = nodes(matcher(values), TIED)
    assert kind == "suggest"
    assert found == ["consent_form.start", "documents.start", "ssw.start"]
    # Further apart than ``runner_up``: the second is not brought forward (the list is full).
    values = {"documents.start": -0.30, "ssw.start": -0.45, "titp.start": -0.9, "out_of_scope": -1.0}
    assert nodes(matcher(values), TIED) == ("suggest", ["consent_form.start", "titp.start", "documents.start"])
    assert nodes(matcher(values, runner_up=0.2), TIED)[1] == ["consent_form.start", "documents.start", "ssw.start"]


def test_a_question_with_an_off_topic_word_gets_no_more_buttons() -> None:
    values = {"out_of_scope": -0.5, "documents.start": -0.6, "ssw.start": -0.65}
    verdict = matcher(values).judge(OFF_TOPIC)
    assert verdict[1] is True
    assert [c.node for c in verdict[0].candidates] == ["titp.start"]


def test_answers_are_never_changed() -> None:
    # The classifier agrees, and its runner-up is close: S would act on an unsure reply.
    values = {"consent_form.start": 0.3, "documents.start": 0.25, "ssw.start": 0.2, "out_of_scope": -1.0}
    assert nodes(matcher(values), SURE) == nodes(matcher(values, unsure_buttons=False), SURE)
    assert nodes(matcher(values), SURE)[0] == "answer"


def test_an_answer_the_classifier_reads_as_out_of_scope_is_only_suggested() -> None:
    """Candidate V: the same screen first, one tap away, when ``out_of_scope`` beats it."""
    values = {"out_of_scope": 0.2, "consent_form.start": 0.05, "titp.start": -0.9}
    kind, found = nodes(matcher(values), SURE)
    assert kind == "suggest" and found[0] == "consent_form.start"
    assert nodes(matcher(values, out_of_scope_veto=math.inf), SURE) == ("answer", ["consent_form.start"])
    # Within the margin the answer stands.
    values = {"out_of_scope": 0.1, "consent_form.start": 0.05, "titp.start": -0.9}
    assert nodes(matcher(values), SURE)[0] == "answer"
