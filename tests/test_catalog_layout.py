"""The committed catalogs are in the layout GNU gettext writes with `--no-wrap` (the layout Poedit
and Weblate keep, see docs/translating.md), so a translator's save changes only what they edited;
and `locales/` holds only gettext files, so translate-toolkit's tools read it whole."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from retainment_bot.engine.engine import Engine
from retainment_bot.i18n.checks import template_keys
from tests.conftest import ROOT

CATALOGS = sorted(str(p.relative_to(ROOT)) for p in [*ROOT.glob("locales/*.pot"), *ROOT.glob("locales/*/*/*.po")])
REWRAP = 'for f in locales/messages.pot locales/*/LC_MESSAGES/messages.po; do msgcat --no-wrap -o "$f" "$f"; done'


def test_the_template_and_every_shipped_catalog_are_checked() -> None:
    assert {"locales/messages.pot", "locales/vi/LC_MESSAGES/messages.po", "locales/ja/LC_MESSAGES/messages.po"} <= set(
        CATALOGS
    )


@pytest.mark.parametrize("name", CATALOGS)
def test_a_msgcat_round_trip_changes_no_byte(name: str, tmp_path: Path) -> None:
    saved = tmp_path / "saved.po"
    subprocess.run(["msgcat", "--no-wrap", "-o", str(saved), str(ROOT / name)], check=True, timeout=60)
    assert saved.read_bytes() == (ROOT / name).read_bytes(), f"{name} is not in GNU layout: run\n{REWRAP}"


def test_the_rewrap_command_is_the_one_the_translators_guide_gives() -> None:
    assert REWRAP in (ROOT / "docs" / "translating.md").read_text(encoding="utf-8")


def tool(name: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name(name)), *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_pocount_counts_every_catalog_in_the_locales_directory(engine: Engine) -> None:
    """translate-toolkit reads `locales/` whole: only gettext files live there."""
    result = tool("pocount", "--csv", "locales/")
    assert result.returncode == 0, result.stderr
    rows = {row["Filename"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert set(rows) == set(CATALOGS)
    total = len(template_keys(ROOT / "locales" / "messages.pot"))
    for lang in ("vi", "ja"):
        row = rows[f"locales/{lang}/LC_MESSAGES/messages.po"]
        assert int(row["Total Message"]) == total == int(row["Translated Messages"])


def test_pofilter_reads_the_locales_directory_and_flags_a_lost_placeholder(scratch: Path, tmp_path: Path) -> None:
    check = ("pofilter", "--progress=none", "-t", "pythonbraceformat", "-i", "locales", "-o")
    clean = tool(*check, str(tmp_path / "clean"))
    assert clean.returncode == 0, clean.stderr
    assert not list((tmp_path / "clean").rglob("*.po"))  # nothing flagged in the committed catalogs
    po = scratch / "locales" / "vi" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    msgstr = re.search(r'^msgctxt "reply"\nmsgid "Language: \{language\}"\nmsgstr "(.*)"$', text, re.M)
    assert msgstr, "the reply 'Language: {language}' is gone: pick another message with a placeholder"
    po.write_text(text.replace(msgstr[0], msgstr[0].replace(msgstr[1], "Ngôn ngữ")), encoding="utf-8")
    broken = tool(*check, str(tmp_path / "out"), cwd=scratch)
    assert broken.returncode == 0, broken.stderr
    flagged = (tmp_path / "out" / "vi" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    assert "(pofilter) pythonbraceformat" in flagged and 'msgid "Language: {language}"' in flagged
