"""The built wheel installs like a real package: in a fresh virtual environment, from another
directory, with no source checkout in sight, it finds its content, passes `check` and answers.

This is what a deployment does (`pip install retainment-bot`), so it is tested the same way:
the wheel is built from this checkout, installed with its dependencies (not editable, no extras)
and run as a separate process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

TIMEOUT = 600  # a cold package cache on a slow machine; normally well under a minute


def run(
    *args: str | Path, cwd: Path, stdin: str = "", extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    unset = {"BOT_CONTENT_DIR", "TELEGRAM_BOT_TOKEN", "PYTHONPATH", "BOT_JAPANESE_ANALYSER"}
    env = {k: v for k, v in os.environ.items() if k not in unset} | (extra_env or {})
    return subprocess.run(
        [str(arg) for arg in args], input=stdin, capture_output=True, text=True, cwd=cwd, env=env, timeout=TIMEOUT
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv with the wheel built from this checkout; yields its ``bin`` directory."""
    work = tmp_path_factory.mktemp("wheel")
    # sdist first, then the wheel from the unpacked sdist: what an index serves, and no stale build/
    built = run(sys.executable, "-m", "build", "--outdir", work / "dist", ROOT, cwd=work)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (work / "dist").glob("retainment_bot-*.whl")
    assert run(sys.executable, "-m", "venv", work / "venv", cwd=work).returncode == 0
    bin_dir = work / "venv" / "bin"
    pip = run(bin_dir / "python", "-m", "pip", "install", "--quiet", wheel, cwd=work)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    yield bin_dir


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working directory with no checkout in it or above it."""
    assert not any((parent / "pyproject.toml").exists() for parent in [tmp_path, *tmp_path.parents])
    return tmp_path


def test_the_installed_bot_reads_the_content_inside_the_package(installed: Path, elsewhere: Path) -> None:
    code = "from retainment_bot.project import Project; print(Project.from_env().root)"
    root = Path(run(installed / "python", "-c", code, cwd=elsewhere).stdout.strip())
    assert root.is_relative_to(installed.parent) and (root / "dialogues" / "start.yaml").is_file()
    check = run(installed / "retainment-bot", "check", cwd=elsewhere)
    assert check.returncode == 0, check.stderr
    assert "0 error(s), 0 warning(s)" in check.stderr


def test_the_installed_bot_answers_from_another_directory(installed: Path, elsewhere: Path) -> None:
    lines = ['{"text": "/start consent_form"}', '{"text": "gửi giấy đồng ý ở đâu"}']
    command = (installed / "python", "-m", "retainment_bot", "chat", "--jsonl", "--lang", "vi")
    chat = run(*command, cwd=elsewhere, stdin="\n".join(lines))
    assert chat.returncode == 0, chat.stderr
    first, second = (json.loads(line)["replies"] for line in chat.stdout.splitlines())
    assert first[-1]["node"] == "consent_form.start"
    assert "đồng ý" in first[-1]["text"].lower()  # Vietnamese, from the packaged catalog
    assert str(second[-1]["node"]).startswith("consent_form.")  # a typed question, answered


def test_the_optional_tools_name_the_extra_they_need(installed: Path, elsewhere: Path) -> None:
    links = run(installed / "retainment-bot", "links", "--username", "MyHelpBot", "--qr", "flyers", cwd=elsewhere)
    assert links.returncode == 1
    assert "pip install 'retainment-bot[qr]'" in links.stderr
    assert not (elsewhere / "flyers").exists()
    plain = run(installed / "retainment-bot", "links", "--username", "MyHelpBot", "--lang", "vi", cwd=elsewhere)
    assert plain.returncode == 0 and "https://t.me/MyHelpBot?start=consent_form-vi" in plain.stdout
    env_data = elsewhere / "data"
    stats = run(installed / "retainment-bot", "stats", "--png", "usage.png", cwd=elsewhere)
    assert stats.returncode == 1
    assert "pip install 'retainment-bot[charts]'" in stats.stderr
    assert not env_data.exists()  # refused before opening the store


def test_the_japanese_tools_are_an_extra_that_they_name(installed: Path, elsewhere: Path) -> None:
    """The core install has neither SudachiPy with its dictionary nor pykakasi (about 125 MB
    installed): the bot does not use them by default. Turning the analyser on, or writing the
    Japanese phrases' readings, stops at once with the extra to install."""
    modules = "('sudachipy', 'sudachidict_small', 'pykakasi')"
    code = f"import importlib.util as u; print([m for m in {modules} if u.find_spec(m)])"
    assert run(installed / "python", "-c", code, cwd=elsewhere).stdout.strip() == "[]"
    chat = run(
        installed / "retainment-bot", "chat", "--jsonl", "--lang", "ja", cwd=elsewhere,
        stdin='{"text": "/start"}', extra_env={"BOT_JAPANESE_ANALYSER": "on"},
    )  # fmt: skip
    assert chat.returncode == 1 and chat.stdout == ""
    assert "BOT_JAPANESE_ANALYSER=on needs" in chat.stderr and "pip install 'retainment-bot[japanese]'" in chat.stderr
    content = elsewhere / "content"
    for name in ("dialogues", "locales", "search"):
        shutil.copytree(ROOT / name, content / name)
    for name in ("languages.yaml", "babel.cfg"):
        shutil.copy(ROOT / name, content / name)
    before = (content / "search" / "readings.json").read_bytes()
    readings = run(
        installed / "retainment-bot", "i18n", "readings", cwd=elsewhere, extra_env={"BOT_CONTENT_DIR": str(content)}
    )
    assert readings.returncode == 1
    assert "`i18n readings` needs" in readings.stderr and "pip install 'retainment-bot[japanese]'" in readings.stderr
    assert (content / "search" / "readings.json").read_bytes() == before


def test_the_installed_content_is_not_edited_in_place(installed: Path, elsewhere: Path) -> None:
    """The translators' commands refuse to write into site-packages and say what to do instead."""
    update = run(installed / "retainment-bot", "i18n", "update", cwd=elsewhere)
    assert update.returncode == 2
    assert "set BOT_CONTENT_DIR to a copy" in update.stderr


def test_starting_the_cli_loads_no_library_only_a_subcommand_needs() -> None:
    """Charts, QR codes, the store's drivers and Telegram load when a command needs them."""
    code = "import sys, retainment_bot.cli; print(' '.join(sorted({name.split('.')[0] for name in sys.modules})))"
    loaded = set(run(sys.executable, "-c", code, cwd=ROOT).stdout.split())
    assert "retainment_bot" in loaded
    assert not loaded & {"matplotlib", "segno", "PIL", "telegram", "psycopg", "psycopg_pool", "tornado", "numpy"}


def test_with_the_japanese_analyser_on_it_loads_at_the_first_japanese_question() -> None:
    """The phrases' readings and dictionary forms come from search/readings.json: pykakasi is for
    `python -m retainment_bot i18n readings` only. With BOT_JAPANESE_ANALYSER=on, SudachiPy loads
    on the first Japanese question that needs it (8-80 MiB mapped), not at start."""
    code = (
        "import os, sys; os.environ['BOT_JAPANESE_ANALYSER'] = 'on'; from retainment_bot.project import Project; "
        "from retainment_bot.engine.engine import Typed; "
        "engine = Project.from_env().engine(); before = {m.split('.')[0] for m in sys.modules}; "
        "engine.step(engine.new_state('ja'), Typed('受け入れてくれる会社が見付からなかったです')); "
        "after = {m.split('.')[0] for m in sys.modules}; both = {'pykakasi', 'sudachipy'}; "
        "print(' '.join(sorted(before & both)), '|', ' '.join(sorted(after & both)))"
    )
    result = run(sys.executable, "-c", code, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    at_start, after_question = result.stdout.strip().split("|")
    assert at_start.strip() == ""
    assert after_question.split() == ["sudachipy"]


@pytest.mark.parametrize("setting", [None, "off", "no"])
def test_by_default_or_off_a_japanese_question_loads_no_analyser(setting: str | None) -> None:
    """The default since session 18 (candidate A′), and BOT_JAPANESE_ANALYSER=off: Japanese is
    matched as written, with the classifier: no SudachiPy, no dictionary mapped."""
    unset = {"BOT_CONTENT_DIR", "TELEGRAM_BOT_TOKEN", "PYTHONPATH", "BOT_JAPANESE_ANALYSER"}
    environment = {key: value for key, value in os.environ.items() if key not in unset}
    if setting is not None:
        environment["BOT_JAPANESE_ANALYSER"] = setting
    code = (
        "import sys; from retainment_bot.project import Project; "
        "from retainment_bot.engine.engine import Typed; engine = Project.from_env().engine(); "
        "outcome = engine.step(engine.new_state('ja'), Typed('受け入れてくれる会社が見付からなかったです')); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pykakasi', 'sudachipy'}), len(outcome.replies))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert result.returncode == 0, result.stderr
    loaded, replies = result.stdout.split()
    assert loaded == "[]"
    assert int(replies) >= 1
