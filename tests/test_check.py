"""`python -m retainment_bot check` reports each kind of mistake as `file:line: message`, never a traceback."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_bot

BROKEN = "dialogues/about.yaml"


def add_nodes(root: Path, yaml_text: str) -> str:
    """Append nodes to about.yaml's node list; return the file's new text."""
    path = root / BROKEN
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n" + yaml_text
    path.write_text(text, encoding="utf-8")
    return text


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line containing ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in file")


def check(root: Path) -> tuple[int, str]:
    result = run_bot("check", root=root)
    assert "Traceback" not in result.stderr
    return result.returncode, result.stderr


def test_shipped_content_and_catalogs_pass_the_check() -> None:
    """The content as committed has no error and no warning."""
    result = run_bot("check")
    assert result.returncode == 0, result.stderr
    assert "0 error(s), 0 warning(s)" in result.stderr


CASES = {
    "unknown_target": (
        "  - id: about.bad\n    text: Hello\n    buttons:\n      - label: Go\n        goto: about.nowhere  # HERE\n",
        "button goes to unknown node 'about.nowhere'",
        "- label: Go",
    ),
    "duplicate_id": (
        "  - id: about.waasa  # HERE\n    text: Again\n",
        "duplicate node id 'about.waasa'",
        "id: about.waasa  # HERE",
    ),
    "unreachable": (
        "  - id: about.orphan  # HERE\n    text: Nobody links here\n",
        "unreachable node 'about.orphan'",
        "id: about.orphan",
    ),
    "no_way_on_route": (
        "  - id: about.junction  # HERE\n    route:\n      - if: {situation: job}\n        goto: start.menu\n",
        "no way on: the last route needs no 'if'",
        "- if: {situation: job}",
    ),
    "no_way_on_question": (
        "  - id: about.question  # HERE\n    text: Yes or no?\n    ask: something\n"
        "    buttons:\n      - label: Menu\n        goto: start.menu\n",
        "no way on: the node asks 'something' but no button has a 'value'",
        "id: about.question",
    ),
    "missing_text": (
        "  - id: about.empty  # HERE\n    buttons:\n      - label: Menu\n        goto: start.menu\n",
        "missing 'text'",
        "id: about.empty",
    ),
    "invalid_html": (
        "  - id: about.html\n    text: <b>never closed  # HERE\n",
        "tag <b> is never closed",
        "text: <b>never closed",
    ),
    "unsupported_html": (
        "  - id: about.div\n    text: <div>blocks</div>  # HERE\n",
        "unsupported HTML tag <div>",
        "text: <div>",
    ),
    "callback_data_too_long": (
        "  - id: about.a_very_long_node_name_that_no_editor_should_ever_write_here\n    text: Long\n"
        "    buttons:\n      - label: Menu  # HERE\n        goto: start.menu\n",
        "over Telegram's 64",
        "- label: Menu  # HERE",
    ),
    "message_too_long": (
        "  - id: about.essay\n    text: " + "word " * 1000 + "\n",
        "over Telegram's 4096",
        "text: word",
    ),
    "screen_too_long": (
        "  - id: about.lecture\n    text: " + "word " * 170 + "\n",
        "849 characters in en (text and footer), over the 750 that fit one phone screen",
        "text: word",
    ),
    "unknown_placeholder": (
        "  - id: about.hole\n    text: Send it to {nowhere}  # HERE\n",
        "unknown placeholder {nowhere}",
        "text: Send it to",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_kind_of_mistake_is_reported_with_file_and_line(scratch: Path, case: str) -> None:
    """Every mistake points at the line a content editor must fix, and the check fails."""
    snippet, message, anchor = CASES[case]
    text = add_nodes(scratch, snippet)
    status, output = check(scratch)
    # The node ids below are linked from nowhere, so most cases also report "unreachable";
    # what matters is that the specific mistake is reported at its own line.
    expected_line = line_of(text, anchor)
    assert status == 1
    assert re.search(rf"^{re.escape(BROKEN)}:{expected_line}: .*{re.escape(message)}", output, re.M), output


def test_a_yaml_syntax_error_is_reported_at_its_line(scratch: Path) -> None:
    """Broken YAML gets file:line and a reason instead of a traceback."""
    path = scratch / BROKEN
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(lines.index("nodes:"), "  bad: [unclosed")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    status, output = check(scratch)
    assert status == 1
    assert re.search(rf"^{re.escape(BROKEN)}:\d+: YAML syntax error", output, re.M), output


def test_a_duplicate_yaml_key_is_reported(scratch: Path) -> None:
    """PyYAML would silently keep the second 'text'; the check does not."""
    text = add_nodes(scratch, "  - id: about.twice\n    text: One\n    text: Two\n")
    status, output = check(scratch)
    assert status == 1
    assert f"{BROKEN}:{line_of(text, 'text: Two')}: duplicate key 'text'" in output


def test_a_broken_translation_is_reported_at_its_po_line(scratch: Path) -> None:
    """A translation that loses a placeholder points at the .po file and line."""
    po = scratch / "locales/vi/LC_MESSAGES/messages.po"
    text = po.read_text(encoding="utf-8")
    broken = text.replace('msgid "Language: {language}"\nmsgstr "', 'msgid "Language: {language}"\nmsgstr "X ', 1)
    broken = re.sub(r'(msgid "Language: \{language\}"\nmsgstr ")[^"\n]*\{language\}[^"\n]*"', r'\1Ngôn ngữ"', broken)
    assert broken != text
    po.write_text(broken, encoding="utf-8")
    status, output = check(scratch)
    lineno = line_of(broken, 'msgid "Language: {language}"')
    assert status == 1
    expected = "locales/vi/LC_MESSAGES/messages.po:"
    assert re.search(rf"^{re.escape(expected)}{lineno - 1}: .*placeholder \{{language\}} is missing", output, re.M) or (
        re.search(rf"^{re.escape(expected)}{lineno}: .*placeholder \{{language\}} is missing", output, re.M)
    ), output


def test_a_language_without_its_own_screen_limit_gets_warnings_only(scratch: Path) -> None:
    """A language still being translated is held to the default limit with warnings, so it never
    fails the check; a language with its own limit fails it."""
    path = scratch / "languages.yaml"
    text = path.read_text(encoding="utf-8")
    assert "screen_limits: {en: 750, vi: 750, ja: 380, default: 750}" in text
    path.write_text(text.replace("vi: 750, ja: 380, default: 750", "ja: 380, default: 100"), encoding="utf-8")
    status, output = check(scratch)
    assert status == 0, output
    warning = r"^dialogues/\w+\.yaml:\d+: warning: screen '[a-z_.]+' is \d+ characters in vi"
    assert re.search(warning, output, re.M), output
    assert " in en " not in output and " in ja " not in output
    path.write_text(text.replace("ja: 380", "ja: 100"), encoding="utf-8")
    status, output = check(scratch)
    assert status == 1
    assert re.search(r"^dialogues/\w+\.yaml:\d+: screen '[a-z_.]+' is \d+ characters in ja", output, re.M), output


@pytest.mark.parametrize(
    ("old", "new", "message", "anchor"),
    [
        (
            "more: contact.measure",
            "more: contact.nowhere",
            "notice 'measure' opens unknown node 'contact.nowhere'",
            "    text: |-",
        ),
        (
            "    button: ☎️ The measure today · who to ask\n",
            "",
            "notice 'measure' needs both 'more' (a node id) and 'button' (its label)",
            "  measure:",
        ),
        (
            "button: ☎️ The measure today",
            "button: <b>☎️</b> The measure today",
            "notice 'measure': a button label is plain text",
            "    text: |-",
        ),
    ],
)
def test_a_broken_footer_button_is_reported_at_its_notice(
    scratch: Path, old: str, new: str, message: str, anchor: str
) -> None:
    """A footer's button must name an existing screen and have a plain-text label."""
    path = scratch / "dialogues/start.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    broken = text.replace(old, new, 1)
    path.write_text(broken, encoding="utf-8")
    status, output = check(scratch)
    assert status == 1
    assert re.search(rf"^dialogues/start\.yaml:{line_of(broken, anchor)}: .*{re.escape(message)}", output, re.M), output


def test_a_japanese_phrase_without_readings_is_reported_and_the_command_fixes_it(scratch: Path) -> None:
    """search/readings.json is generated from the phrases; a new phrase makes it stale until
    `python -m retainment_bot i18n readings` runs, and the regenerated file gives the phrase its forms."""
    path = scratch / "search/ja.yaml"
    text = path.read_text(encoding="utf-8").replace("extension.start: ", "extension.start: 在留期間の再延長 | ", 1)
    path.write_text(text, encoding="utf-8")
    status, output = check(scratch)
    assert status == 1
    assert re.search(
        r"^search/readings\.json:0: out of date: no readings for '在留期間の再延長'.*"
        r"python -m retainment_bot i18n readings",
        output,
        re.M,
    ), output
    written = run_bot("i18n", "readings", root=scratch)
    assert written.returncode == 0, written.stderr
    assert check(scratch) == (0, "0 error(s), 0 warning(s)\n")
    entry = json.loads((scratch / "search/readings.json").read_text(encoding="utf-8"))["在留期間の再延長"]
    assert "zairyuu kikan no sai enchou" in entry["readings"] or any("enchou" in r for r in entry["readings"])
    assert entry["base"].startswith("在留期間")


def test_the_committed_readings_are_what_the_command_writes(scratch: Path) -> None:
    """Nobody edits the generated file by hand: regenerating it changes nothing."""
    written = run_bot("i18n", "readings", root=scratch)
    assert written.returncode == 0, written.stderr
    assert (scratch / "search/readings.json").read_bytes() == (ROOT / "search/readings.json").read_bytes()


def test_a_kana_reading_is_indexed_as_itself_not_cut_into_nonsense_words() -> None:
    from retainment_bot.i18n.readings import compute

    forms = compute(["試験", "会社"])
    assert "しけん" in forms["試験"].readings and forms["しけん"].base == "しけん"  # not 為る
    assert forms["かいしゃ"].base == "かいしゃ"  # not 医者
    assert forms["会社"].base == "会社"
