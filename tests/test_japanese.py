"""Japanese dictionary forms (SudachiPy), and the memory the dictionary keeps once loaded."""

from __future__ import annotations

import subprocess
import sys

import pytest

from retainment_bot.i18n import japanese
from tests.conftest import ROOT

# Resident pages of the dictionary file after one question, in MiB (in a fresh process: the
# analyser is loaded once per process). Loading reads all 26 MiB of its word entries.
_MAPPED = (
    "import sys; from retainment_bot.i18n import japanese\n"
    "if sys.argv[1] == 'kept': japanese._release = lambda name: 0\n"
    "print(japanese.base_forms('受入れ機関が見つからない'))\n"
    "kib = 0; here = False\n"
    "for line in open('/proc/self/smaps'):\n"
    "    head = line.split()\n"
    "    if '-' in head[0] and not head[0].endswith(':'):\n"
    "        here = line.rstrip().endswith(japanese.DICTIONARY_FILE)\n"
    "    elif here and head[0] == 'Rss:':\n"
    "        kib += int(head[1])\n"
    "print(kib / 1024)\n"
)


def _mapped(how: str) -> tuple[str, float]:
    result = subprocess.run([sys.executable, "-c", _MAPPED, how], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    forms, mib = result.stdout.split()
    return forms, float(mib)


def test_ways_of_writing_a_word_compare_equal() -> None:
    """受入れ / 受け入れ and 見つからない / 見付からない give the same forms; particles are left out."""
    assert japanese.base_forms("受入れ機関が見つからない") == "受ける入れる機関見付かる"
    assert japanese.base_forms("受け入れ機関が見付からない") == "受ける入れる機関見付かる"


@pytest.mark.skipif(sys.platform != "linux", reason="pages are let go with Linux's madvise only")
def test_the_pages_loading_read_are_let_go_and_the_forms_are_the_same() -> None:
    """Loading reads every word entry (26 MiB); after one question the process keeps only what
    the question read, and the forms are those of an analyser that kept every page."""
    kept_forms, kept = _mapped("kept")
    forms, released = _mapped("released")
    assert forms == kept_forms == "受ける入れる機関見付かる"
    assert kept > 26  # the entries, read whole while loading
    assert released < kept - 15


@pytest.mark.skipif(sys.platform != "linux", reason="/proc/self/maps is Linux's")
def test_a_file_not_mapped_is_left_alone() -> None:
    """Nothing is let go, and nothing fails, for a file this process has not mapped."""
    assert japanese._release("no-such-dictionary.dic") == 0


@pytest.mark.parametrize(
    ("value", "on"), [(None, False), ("on", True), ("1", True), (" YES ", True), ("off", False), ("0", False)]
)
def test_the_analyser_is_off_unless_the_environment_turns_it_on(
    monkeypatch: pytest.MonkeyPatch, value: str | None, on: bool
) -> None:
    """Candidate A′ (session 18): off by default; the classifier's second opinion stays on."""
    from retainment_bot.project import ANALYSER_ENV, SECOND_OPINION_ENV, Project

    monkeypatch.delenv(SECOND_OPINION_ENV, raising=False)
    if value is None:
        monkeypatch.delenv(ANALYSER_ENV, raising=False)
    else:
        monkeypatch.setenv(ANALYSER_ENV, value)
    project = Project.from_env()
    assert project.japanese_analyser is on
    assert project.second_opinion_on
