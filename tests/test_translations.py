"""The translators' workflow: each way of breaking a catalog is reported at its .po line, a
language in progress gets warnings only, and a new language needs data, not code."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from tests.conftest import run_bot

VI = "locales/vi/LC_MESSAGES/messages.po"


def edit(root: Path, context: str, msgid_start: str, change: object, lang: str = "vi") -> int:
    """Change one message of a catalog with Babel; return the line of its msgid after writing."""
    path = root / f"locales/{lang}/LC_MESSAGES/messages.po"
    with path.open("rb") as fileobj:
        catalog = read_po(fileobj)
    message = next(m for m in catalog if m.context == context and str(m.id).startswith(msgid_start))
    change(message)  # type: ignore[operator]
    with path.open("wb") as fileobj:
        write_po(fileobj, catalog, width=76)
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if line.startswith("msgid ") and number > 1 and lines[number - 2] == f'msgctxt "{context}"':
            with path.open("rb") as fileobj:
                found = next(m for m in read_po(fileobj) if m.lineno == number)
            if str(found.id).startswith(msgid_start):
                return number
    raise AssertionError("message not found after writing")


def setter(string: str) -> object:
    def change(message: object) -> None:
        message.string = string  # type: ignore[attr-defined]

    return change


def fuzzy(message: object) -> None:
    message.flags.add("fuzzy")  # type: ignore[attr-defined]


BREAKS = {
    "lost_placeholder": ("reply", "Language: {language}", setter("Ngôn ngữ"), "placeholder {language} is missing"),
    "extra_placeholder": ("reply", "Language: {language}", setter("{language} {lang}"), "placeholder {lang} is not"),
    "unclosed_tag": ("titp.start", "<b>Technical", setter("<b>Hệ thống"), "tag <b> is never closed"),
    "unsupported_tag": ("titp.start", "<b>Technical", setter("<b>x</b><br>"), "unsupported HTML tag <br>"),
    "tag_in_a_button": ("titp.start", "🛠 Specified", setter("<b>🛠</b>"), "neither may the translation"),
    "too_long": ("titp.start", "<b>Technical", setter("<b>x</b>" + "y" * 4100), "over Telegram's limit"),
    "fuzzy": ("titp.start", "<b>Technical", fuzzy, "fuzzy translation"),
    "untranslated": ("titp.start", "<b>Technical", setter(""), "not translated"),
}


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_each_broken_translation_is_an_error_at_its_po_line(scratch: Path, case: str) -> None:
    context, msgid, change, message = BREAKS[case]
    line = edit(scratch, context, msgid, change)
    result = run_bot("check", root=scratch)
    assert result.returncode == 1, result.stderr
    assert re.search(rf"^{re.escape(VI)}:{line}: .*{re.escape(message)}", result.stderr, re.M), result.stderr


def test_a_po_syntax_error_is_reported_at_its_line(scratch: Path) -> None:
    path = scratch / VI
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(30, "a stray line that is not gettext")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_bot("check", root=scratch)
    assert result.returncode == 1
    assert re.search(rf"^{re.escape(VI)}:31: cannot read catalog", result.stderr, re.M), result.stderr


def test_a_broken_translation_falls_back_to_english_at_run_time(scratch: Path) -> None:
    edit(scratch, "titp.start", "<b>Technical", setter("<b>Hệ thống"))
    result = run_bot("chat", "--jsonl", "--lang", "vi", root=scratch, stdin='{"text": "/start titp"}\n')
    reply = json.loads(result.stdout)["replies"][-1]
    assert reply["text"].startswith("<b>Technical Intern Training System</b>")


def test_a_language_in_progress_gets_warnings_only(scratch: Path) -> None:
    languages = scratch / "languages.yaml"
    languages.write_text(languages.read_text(encoding="utf-8").replace("shipped: [vi, ja]", "shipped: [ja]"))
    line = edit(scratch, "titp.start", "<b>Technical", fuzzy)
    result = run_bot("check", root=scratch)
    assert result.returncode == 0, result.stderr
    assert f"{VI}:{line}: warning: msgctxt 'titp.start': fuzzy translation" in result.stderr


def fill_catalog(root: Path, lang: str, share: float) -> None:
    """Translate ``share`` of a new catalog (the test's "translation" keeps the source text)."""
    path = root / f"locales/{lang}/LC_MESSAGES/messages.po"
    with path.open("rb") as fileobj:
        catalog = read_po(fileobj)
    messages = [m for m in catalog if m.id]
    for message in messages[: int(len(messages) * share)]:
        message.string = message.id
    with path.open("wb") as fileobj:
        write_po(fileobj, catalog, width=76)


def offered(root: Path) -> list[str]:
    result = run_bot("chat", "--jsonl", root=root, stdin='{"text": "/language"}\n')
    return [button["data"] for button in json.loads(result.stdout)["replies"][-1]["buttons"]]


def test_a_new_language_is_added_with_data_alone(scratch: Path) -> None:
    """`i18n init id`, then translating, makes the bot offer Indonesian; no code changes."""
    assert run_bot("i18n", "init", "id", root=scratch).returncode == 0
    fill_catalog(scratch, "id", share=0.5)
    assert "lang:id" not in offered(scratch)  # below min_completeness: not offered yet
    fill_catalog(scratch, "id", share=1.0)
    assert "lang:id" in offered(scratch)
    chat = run_bot("chat", "--jsonl", "--lang", "id", root=scratch, stdin='{"text": "/language"}\n')
    labels = [b["label"] for b in json.loads(chat.stdout)["replies"][-1]["buttons"]]
    assert "Indonesia" in labels  # the language's own name, from Babel's CLDR data
    check = run_bot("check", root=scratch)
    assert check.returncode == 0, check.stderr  # not shipped: problems would only warn
    stats = run_bot("i18n", "stats", root=scratch).stdout
    with (scratch / "locales/messages.pot").open("rb") as fileobj:
        total = sum(1 for message in read_po(fileobj) if message.id)
    assert re.search(rf"^id\s+{total}\s+0\s+0\s+100\.0%\s+yes", stats, re.M), stats


def pybabel_compile(po: Path, output: Path) -> subprocess.CompletedProcess[str]:
    pybabel = Path(sys.executable).with_name("pybabel")
    command = [str(pybabel), "compile", "-i", str(po), "-o", str(output), "-l", "vi"]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_pybabel_compile_reports_the_projects_checks(scratch: Path, tmp_path: Path) -> None:
    """The checks are a registered Babel checker: plain `pybabel compile` fails on a broken
    translation of this project, at its line, and leaves other projects' catalogs alone."""
    assert pybabel_compile(scratch / VI, tmp_path / "ok.mo").returncode == 0
    line = edit(scratch, "reply", "Language: {language}", setter("Ngôn ngữ <b>"))
    result = pybabel_compile(scratch / VI, tmp_path / "broken.mo")
    assert result.returncode == 1, result.stderr
    found = re.search(rf"error: .*{re.escape(VI)}:{line}: (.*)", result.stderr)
    assert found, result.stderr
    assert "placeholder {language} is missing" in found[1] and "tag <b> is never closed" in found[1]
    other = scratch / "other.po"
    text = (scratch / VI).read_text(encoding="utf-8")
    other.write_text(text.replace("Project-Id-Version: retainment-bot", "Project-Id-Version: other"), "utf-8")
    assert pybabel_compile(other, tmp_path / "other.mo").returncode == 0
