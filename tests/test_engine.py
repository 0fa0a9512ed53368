"""The pure engine: events in, state and replies out, with no way to make it raise."""

from __future__ import annotations

from dataclasses import replace

import pytest

from retainment_bot.engine.engine import (
    Back,
    Engine,
    Menu,
    Press,
    SetLanguage,
    ShowLanguages,
    Start,
    State,
    Typed,
    parse_command,
    resolve_language,
)
from retainment_bot.engine.render import Reply


def data_of(reply: Reply, prefix: str) -> str:
    found = [b.data for b in reply.flat_buttons if b.data and b.data.startswith(prefix)]
    assert found, f"no button {prefix!r} in {[b.data for b in reply.flat_buttons]}"
    return found[0]


def test_first_start_shows_the_menu_in_the_client_language_with_a_language_choice(engine: Engine) -> None:
    """A new user gets the menu in their Telegram language and can switch language at once."""
    outcome = engine.step(engine.new_state("vi-VN"), Start())
    (menu,) = outcome.replies
    assert menu.node == "start.menu"
    assert outcome.state.lang == "vi"
    assert {b.data for b in menu.buttons[-1]} == {"lang:en", "lang:ja"}


def test_an_unknown_client_language_falls_back_to_english(engine: Engine) -> None:
    assert engine.new_state("pt-BR").lang == "en"
    assert engine.new_state(None).lang == "en"
    assert resolve_language("ja", engine.languages) == "ja"


@pytest.mark.parametrize("payload", ["consent_form", "consent_form-vi", "eligibility-ja", "ssw-en"])
def test_a_deep_link_opens_its_topic_in_its_language(engine: Engine, payload: str) -> None:
    topic, _, lang = payload.partition("-")
    outcome = engine.step(engine.new_state("en"), Start(payload))
    assert outcome.replies[-1].node == engine.content.topics[topic].entry
    assert outcome.state.lang == (lang or "en")


@pytest.mark.parametrize("payload", ["nonsense", "consent-form", "x" * 70, "eligibility-xx", "../etc", "START"])
def test_an_unknown_deep_link_explains_and_shows_the_menu(engine: Engine, payload: str) -> None:
    outcome = engine.step(engine.new_state("en"), Start(payload))
    if payload == "eligibility-xx":
        # A known topic with an unknown language still opens the topic, in the user's language.
        assert outcome.replies[-1].node == "eligibility.start"
        return
    note, menu = outcome.replies
    assert note.node is None and "link is not known" in note.text
    assert menu.node == "start.menu"


@pytest.mark.parametrize(
    "data", ["", "garbage", "eligibility.start:0:0000", "nav:nowhere", "x" * 64, "ssw.start:99:abcd"]
)
def test_forged_or_stale_button_data_leads_somewhere_sensible(engine: Engine, data: str) -> None:
    state = engine.step(engine.new_state("en"), Start("ssw")).state
    outcome = engine.step(state, Press(data))
    note, screen = outcome.replies
    assert note.node is None
    assert screen.node in {"start.menu", "ssw.start"}


def test_a_button_whose_node_was_removed_is_stale(engine: Engine) -> None:
    outcome = engine.step(engine.new_state("en"), Press("about.removed_node:0:abcd"))
    assert "older message" in outcome.replies[0].text


def test_saved_state_pointing_to_a_removed_node_goes_to_the_menu_with_an_explanation(engine: Engine) -> None:
    saved = State(lang="en", node="eligibility.gone", history=("eligibility.gone", "ssw.start"))
    outcome = engine.step(saved, Typed("hello"))
    assert "content has changed" in outcome.replies[0].text
    assert outcome.state.node == "start.menu"
    assert "eligibility.gone" not in outcome.state.history


def test_saved_state_in_a_language_no_longer_offered_falls_back_to_english(engine: Engine) -> None:
    outcome = engine.step(State(lang="xx", lang_chosen=True, node="ssw.start"), Menu())
    assert outcome.state.lang == "en"


def test_pressing_a_question_button_records_the_answer_and_moves_on(engine: Engine) -> None:
    state = engine.step(engine.new_state("en"), Start("eligibility")).state
    screen = engine.step(state, Start("eligibility")).replies[-1]
    outcome = engine.step(state, Press(data_of(screen, "eligibility.start:2:")))
    assert outcome.state.answer("situation") == "returnee"
    assert outcome.replies[-1].node == "eligibility.returnee"


def test_back_returns_to_the_previous_screen_and_then_to_the_menu(engine: Engine) -> None:
    outcome = engine.step(engine.new_state("en"), Start())
    outcome = engine.step(outcome.state, Press(data_of(outcome.replies[-1], "start.menu:8:")))
    assert outcome.state.node == "ssw.start"
    outcome = engine.step(outcome.state, Press(data_of(outcome.replies[-1], "ssw.start:0:")))
    assert outcome.state.node == "ssw.type1"
    outcome = engine.step(outcome.state, Back())
    assert outcome.state.node == "ssw.start"
    assert engine.step(outcome.state, Back()).state.node == "start.menu"


@pytest.mark.parametrize("typed", ["4", "４", "#4", "4.", "(4)", " 4 "])
def test_typed_number_presses_that_button(engine: Engine, typed: str) -> None:
    state = engine.step(engine.new_state("en"), Start("eligibility")).state
    assert engine.step(state, Typed(typed)).state.node == "eligibility.not_group"


@pytest.mark.parametrize("typed", ["-1", "1 2", "1.2", "0", "99"])
def test_typed_digits_that_are_no_button_number_press_nothing(engine: Engine, typed: str) -> None:
    state = engine.step(engine.new_state("en"), Start("eligibility")).state
    outcome = engine.step(state, Typed(typed))
    assert outcome.state.node == "eligibility.start"
    assert outcome.state.answers == ()


@pytest.mark.parametrize(
    ("typed", "lang"),
    [
        ("yes", "en"),
        ("Yes!", "en"),
        ("có", "vi"),
        ("co", "vi"),
        ("はい", "ja"),
        ("hai", "ja"),
        ("YES", "vi"),
    ],
)
def test_typed_yes_in_any_language_presses_yes(engine: Engine, typed: str, lang: str) -> None:
    state = replace(engine.new_state(lang), node="eligibility.wish", answers=(("situation", "returnee"),))
    assert engine.step(state, Typed(typed)).state.node == "eligibility.result_returnee"


@pytest.mark.parametrize(("typed", "lang"), [("no", "en"), ("không", "vi"), ("khong", "vi"), ("いいえ", "ja")])
def test_typed_no_in_any_language_presses_no(engine: Engine, typed: str, lang: str) -> None:
    state = replace(engine.new_state(lang), node="eligibility.wish")
    assert engine.step(state, Typed(typed)).state.node == "eligibility.not_wish"


def test_a_label_with_a_typo_in_another_language_presses_its_button(engine: Engine) -> None:
    """A worker with an English interface may type the Vietnamese label, with a typo."""
    vi_label = engine.translator.translate("vi", "eligibility.start", "None of these")
    assert vi_label != "None of these"
    typo = vi_label[:-1]
    state = engine.step(engine.new_state("en"), Start("eligibility")).state
    assert engine.step(state, Typed(typo)).state.node == "eligibility.not_group"
    assert engine.step(state, Typed("nnone of these")).state.node == "eligibility.not_group"


@pytest.mark.parametrize("typed", ["", "   ", "😀😀", "asdfgh", "x" * 5000, "/unknown"])
def test_anything_else_gets_the_menu_with_i_did_not_understand(engine: Engine, typed: str) -> None:
    state = engine.step(engine.new_state("en"), Start("titp")).state
    note, menu = engine.step(state, Typed(typed)).replies
    assert "did not understand" in note.text
    assert menu.node == "start.menu"


def test_changing_language_rerenders_the_current_screen_and_is_remembered(engine: Engine) -> None:
    state = engine.step(engine.new_state("en"), Start("ssw")).state
    picker = engine.step(state, ShowLanguages()).replies[-1]
    assert [b.data for b in picker.flat_buttons][:3] == ["lang:en", "lang:ja", "lang:vi"]
    outcome = engine.step(state, Press("lang:ja"))
    assert outcome.state.lang == "ja" and outcome.state.lang_chosen
    assert outcome.replies[-1].node == "ssw.start"
    assert "特定技能" in outcome.replies[-1].text
    assert engine.step(outcome.state, SetLanguage("klingon")).replies[-1].node is None


@pytest.mark.parametrize(
    ("command", "lang"), [("/language vietnamese", "vi"), ("/language Tiếng Việt", "vi"), ("/language 日本語", "ja")]
)
def test_the_language_command_takes_a_language_name(engine: Engine, command: str, lang: str) -> None:
    state = engine.step(engine.new_state("en"), Start("ssw")).state
    outcome = engine.step(state, parse_command(command))
    assert outcome.state.lang == lang and outcome.replies[-1].node == "ssw.start"


def test_show_in_japanese_gives_the_answer_in_the_user_language_then_japanese(engine: Engine) -> None:
    state = engine.step(engine.new_state("vi"), Start("extension")).state
    screen = engine.step(state, Start("extension")).replies[-1]
    (reply,) = engine.step(state, Press(data_of(screen, "ja:"))).replies
    vi_text = screen.text
    ja_text = engine.step(replace(state, lang="ja"), Start("extension")).replies[-1].text
    assert reply.text.startswith(vi_text)
    assert reply.text.endswith(ja_text)
    assert not any((b.data or "").startswith("ja:") for b in reply.flat_buttons)


def test_japanese_users_get_no_show_in_japanese_button(engine: Engine) -> None:
    screen = engine.step(engine.new_state("ja"), Start("extension")).replies[-1]
    assert not any((b.data or "").startswith("ja:") for b in screen.flat_buttons)


def test_commands_are_parsed_into_events() -> None:
    assert parse_command("/start consent_form-vi") == Start("consent_form-vi")
    assert parse_command("/start@SomeBot") == Start(None)
    assert parse_command("/menu") == Menu()
    assert parse_command("/back") == Back()
    assert parse_command("/language") == ShowLanguages()
    assert parse_command("/language ja") == SetLanguage("ja")
    assert parse_command("hello") == Typed("hello")


def test_history_is_bounded(engine: Engine) -> None:
    state = engine.step(engine.new_state("en"), Start()).state
    for _ in range(30):
        state = engine.step(state, Start("ssw")).state
        state = engine.step(state, Start("titp")).state
    assert len(state.history) <= 20


def test_a_measure_screen_has_a_footer_button_to_the_full_notice(engine: Engine) -> None:
    """The footer is short; its button opens the full text (with the phone numbers), from which
    Back returns to the screen the user was reading."""
    outcome = engine.step(engine.new_state("en"), Start("consent_form"))
    screen = outcome.replies[-1]
    notice = data_of(screen, "go:")
    assert notice == "go:contact.measure"
    labels = [b.label for b in screen.flat_buttons]
    assert labels.index("☎️ The measure today · who to ask") == len(engine.content.nodes["consent_form.start"].buttons)
    full = engine.step(outcome.state, Press(notice))
    assert full.replies[-1].node == "contact.measure"
    assert "0570-013904" in full.replies[-1].text
    assert not any((b.data or "").startswith("go:") for b in full.replies[-1].flat_buttons)
    assert engine.step(full.state, Back()).state.node == "consent_form.start"


def test_the_footer_button_is_translated_and_absent_without_a_notice(engine: Engine) -> None:
    """A dated screen's button goes to "Ask a person"; a screen without notice has none."""
    ssw = engine.step(engine.new_state("vi"), Start("ssw")).replies[-1]
    (button,) = [b for b in ssw.flat_buttons if (b.data or "").startswith("go:")]
    assert button.data == "go:contact.start"
    assert button.label == engine.translator.translate("vi", "notice.dated", "☎️ Today's rules · who to ask")
    assert button.label != "☎️ Today's rules · who to ask"
    menu = engine.step(engine.new_state("en"), Start()).replies[-1]
    assert not any((b.data or "").startswith("go:") for b in menu.flat_buttons)


def test_a_screen_no_menu_button_leads_to_is_named_by_its_first_line(engine: Engine) -> None:
    """The measure's full notice is reached by typing ("is this still available now?") or offered by
    the classifier; a suggestion button once showed its id, "contact.measure"."""
    assert engine.title("en", "contact.measure") == "The measure today"
    assert engine.title("vi", "contact.measure") == "Biện pháp này hiện nay"
    assert engine.title("ja", "contact.measure") == "この措置の現在の状況"
    # Too long for a button: the aside in brackets goes first.
    assert engine.title("en", "eligibility.reason") == "What happened at your accepting organization?"
    assert engine.title("ja", "eligibility.reason") == "受入れ機関で何がありましたか。"
    # The review site links with the whole line.
    assert engine.title("en", "eligibility.reason", columns=None).startswith(
        "What happened at your accepting organization ("
    )


def test_every_screen_typed_text_can_offer_has_a_name_that_fits_a_button(engine: Engine) -> None:
    """Whatever the matcher's phrases or the classifier's labels can put on a suggestion button is
    named in every language, never by its node id; a name made from a long first line fits."""
    from retainment_bot.engine.classifier import NOT_SCREENS
    from retainment_bot.engine.engine import TITLE_COLUMNS
    from retainment_bot.engine.matcher import content_phrases
    from retainment_bot.engine.render import shortened

    assert engine.matcher is not None and engine.matcher.second_opinion is not None
    reachable = {phrase.node for phrase in content_phrases(engine.content, engine.translator)}
    reachable |= set(engine.matcher.second_opinion.model.classes) - NOT_SCREENS
    assert "contact.measure" in reachable  # the classifier's label: the case that showed its id
    for node in sorted(reachable):
        for lang in engine.languages:
            name, whole = engine.title(lang, node), engine.title(lang, node, columns=None)
            assert name and name != node, (node, lang)
            if name != whole:  # named by its first line, which was too long
                assert name == shortened(whole, TITLE_COLUMNS), (node, lang, name)
                assert shortened(name, TITLE_COLUMNS) == name, (node, lang, name)  # it fits


def test_suggestion_buttons_never_show_a_node_id(engine: Engine) -> None:
    """Typed questions the bot is unsure of get suggestion buttons named as a reader would."""
    import re

    node_id = re.compile(r"^[a-z_]+\.[a-z0-9_]+$")
    asked = [
        "is this still available now? can i apply today",
        "bay gio con xin duoc khong",
        "今も申請できますか",
        "what happened at the company matters?",
        "the measure today",
    ]
    for lang in engine.languages:
        for text in asked:
            state = replace(engine.new_state(lang), lang_chosen=True)
            for reply in engine.step(state, Typed(text)).replies:
                labels = [button.label for button in reply.flat_buttons]
                assert not [label for label in labels if node_id.match(label)], (lang, text, labels)


def test_a_shortened_name_drops_its_asides_then_cuts_at_a_space() -> None:
    from retainment_bot.engine.render import shortened

    assert shortened("Short enough", 20) == "Short enough"
    assert shortened("Where to send it (by post, to Tokyo) and when", 30) == "Where to send it and when"
    assert shortened("one two three four five six seven", 16) == "one two three…"
    # A wide character counts two columns: ten of them fill twenty.
    assert shortened("受入れ機関で何がありましたか。", 20) == "受入れ機関で何があ…"


def test_a_question_about_something_not_covered_is_told_to_ask_a_person(engine: Engine) -> None:
    """Unsure of a question with a word no screen covers, the bot says it cannot answer that and
    offers the person to ask, in the user's language (the content's ``elsewhere`` notice); before,
    "how to renew driver license in japan" only got "not sure" and an unrelated screen."""
    for lang, words in (("en", "ask a person"), ("vi", "nhân viên tư vấn"), ("ja", "問い合わせ先")):
        state = replace(engine.new_state(lang), lang_chosen=True)
        (suggestion,) = engine.step(state, Typed("how to renew driver license in japan")).replies
        assert words in suggestion.text
        datas = [b.data for b in suggestion.flat_buttons]
        assert "go:contact.start" in datas and datas[-1] == "nav:menu"  # the suggestions, the person, the menu
        assert len(datas) >= 3
        # Nothing to suggest at all: the same note, then the menu.
        note, menu = engine.step(state, Typed("how to open a bank account")).replies
        assert words in note.text and [b.data for b in note.flat_buttons] == ["go:contact.start"]
        assert menu.node == "start.menu"


def test_an_unsure_question_about_the_measure_gets_no_such_note(engine: Engine) -> None:
    state = replace(engine.new_state("en"), lang_chosen=True)
    (suggestion,) = engine.step(state, Typed("apply at tokyo nyukan or my local office?")).replies
    assert suggestion.node is None and suggestion.text == "I am not sure what you mean. Is it one of these?"
