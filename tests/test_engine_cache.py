"""The engine cache (``retainment_bot/cache.py``): a restart serves exactly what the files say.

An edited catalog or dialogue is a rebuild, never the old content; a damaged file is ignored and
rewritten; an unwritable directory only costs the cache. The restored bot starts without the
libraries that read the files, and the running bot imports no tool's library.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from retainment_bot import cache
from retainment_bot.engine.engine import Engine, ShowLanguages, Start, Typed
from retainment_bot.project import Project
from tests.conftest import ROOT

VI_CATALOG = "locales/vi/LC_MESSAGES/messages.po"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(where))
    return where


def labels(engine: Engine, lang: str) -> list[str]:
    """The button labels of the first screen in ``lang``."""
    outcome = engine.step(engine.new_state(lang), Start(""))
    return [button.label for reply in outcome.replies for row in reply.buttons for button in row]


def replies(engine: Engine) -> list[object]:
    """What the first screens and the language screen show in every language."""
    shown: list[object] = []
    for lang in engine.languages:
        for event in (Start(""), ShowLanguages()):
            outcome = engine.step(engine.new_state(lang), event)
            shown += [(r.text, [[b.label for b in row] for row in r.buttons]) for r in outcome.replies]
    return shown


def not_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make reading the files fail, so an engine can only come from the cache."""

    def refuse(self: Project) -> object:
        raise AssertionError("the files were read again")

    monkeypatch.setattr(Project, "load", refuse)


def test_the_second_start_is_served_from_the_cache_and_shows_the_same(
    scratch: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = Project(scratch)
    uncached = replies(Project(ROOT).engine())
    built = project.engine(cached=True)
    assert list(cache_dir.glob("engine-*.pickle")), "the first start writes the cache"
    not_loaded(monkeypatch)
    restored = project.engine(cached=True)
    assert replies(restored) == replies(built) == uncached
    assert restored.matcher is not None and built.matcher is not None
    assert restored.matcher.match("extension six months") == built.matcher.match("extension six months")


def test_editing_a_translation_rebuilds_the_engine(scratch: Path, cache_dir: Path) -> None:
    project = Project(scratch)
    assert "ℹ️ Về bot này và WAASA" in labels(project.engine(cached=True), "vi")
    catalog = scratch / VI_CATALOG
    text = catalog.read_text(encoding="utf-8")
    assert 'msgstr "ℹ️ Về bot này và WAASA"' in text
    catalog.write_text(text.replace('msgstr "ℹ️ Về bot này và WAASA"', 'msgstr "ℹ️ Giới thiệu"'), encoding="utf-8")
    shown = labels(project.engine(cached=True), "vi")
    assert "ℹ️ Giới thiệu" in shown
    assert "ℹ️ Về bot này và WAASA" not in shown


def test_editing_a_dialogue_rebuilds_the_engine(scratch: Path, cache_dir: Path) -> None:
    project = Project(scratch)
    assert "✅ Was I eligible? (check)" in labels(project.engine(cached=True), "en")
    changed = 0
    for path in (scratch / "dialogues").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if "Was I eligible? (check)" in text:
            path.write_text(text.replace("Was I eligible? (check)", "Was I eligible then?"), encoding="utf-8")
            changed += 1
    assert changed
    assert "✅ Was I eligible then?" in labels(project.engine(cached=True), "en")


def test_the_analyser_setting_has_its_own_cache(scratch: Path, cache_dir: Path) -> None:
    with_analyser = Project(scratch, japanese_analyser=True).engine(cached=True)
    without = Project(scratch).engine(cached=True)
    assert with_analyser.matcher is not None and with_analyser.matcher.analyser is not None
    assert without.matcher is not None and without.matcher.analyser is None


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped byte", "empty"])
def test_a_damaged_cache_is_ignored_and_rewritten(
    scratch: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    project = Project(scratch)
    expected = replies(project.engine(cached=True))
    [path] = cache_dir.glob("engine-*.pickle")
    data = path.read_bytes()
    broken = {
        "garbage": b"\x80\x05not a pickle at all",
        "truncated": data[: len(data) // 2],
        "flipped byte": data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:],
        "empty": b"",
    }[damage]
    path.write_bytes(broken)
    assert cache.read(path, project.cache_key()) is None
    assert replies(project.engine(cached=True)) == expected
    assert cache.read(path, project.cache_key()) is not None, "the rebuilt engine is cached again"


def test_a_cache_that_cannot_be_written_only_costs_the_cache(
    scratch: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv(cache.CACHE_ENV, str(blocked / "cache"))
    assert "✅ Was I eligible? (check)" in labels(Project(scratch).engine(cached=True), "en")


def test_the_cache_can_be_turned_off(scratch: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    Project(scratch).engine(cached=True)
    assert not (tmp_path / "xdg").exists() and not (tmp_path / "home").exists()


def test_only_the_bot_uses_the_cache_the_tools_read_the_files(scratch: Path, cache_dir: Path) -> None:
    """``check`` and the review site need Babel's catalogs (lines, flags): the cache drops them."""
    project = Project(scratch)
    assert not cache_dir.exists()
    fresh = project.engine()
    assert not cache_dir.exists()
    assert all(catalog.babel is not None for catalog in fresh.translator.catalogs.values())  # type: ignore[attr-defined]
    served = project.engine(cached=True)
    assert all(catalog.babel is None for catalog in served.translator.catalogs.values())  # type: ignore[attr-defined]


def python(code: str, env: dict[str, str]) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env}, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


RESTORE = (
    "import json, sys; from retainment_bot.project import Project; "
    "from retainment_bot.engine.engine import Start, ShowLanguages; "
    "engine = Project.from_env().engine(cached=True); "
    "events = (Start(''), ShowLanguages()); "
    "[engine.step(engine.new_state(lang), event) for lang in engine.languages for event in events]; "
    "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
)


def test_a_restored_bot_loads_no_yaml_babel_or_stemmer_to_answer_start(scratch: Path, tmp_path: Path) -> None:
    env = {cache.CACHE_ENV: str(tmp_path / "cache"), "BOT_CONTENT_DIR": str(scratch)}
    first = set(python(RESTORE, env))
    assert {"yaml", "babel"} <= first, "the first start reads the files"
    second = set(python(RESTORE, env))
    assert not second & {"yaml", "babel", "snowballstemmer", "sudachipy", "pykakasi", "numpy"}


TYPED_LATER = (
    "import json, sys; from retainment_bot.project import Project; "
    "from retainment_bot.engine.engine import Press, Start, Typed; "
    "engine = Project.from_env().engine(cached=True); state = engine.new_state('en'); "
    "outcome = engine.step(state, Start('')); "
    "engine.step(outcome.state, Press(outcome.replies[-1].buttons[0][0].data)); "
    "before = sorted(sys.modules); "
    "answer = engine.step(state, Typed('my company closed, can I change jobs')).replies[-1].text; "
    "print(json.dumps([before, sorted(sys.modules), answer]))"
)
# What only typed text needs: a restored bot answers /start and buttons without any of it.
TYPED_ONLY = {"rapidfuzz", *(f"retainment_bot.engine.{name}" for name in ("matcher", "language", "redact"))}


def test_a_restored_bot_makes_its_matcher_at_the_first_typed_question(scratch: Path, tmp_path: Path) -> None:
    env = {cache.CACHE_ENV: str(tmp_path / "cache"), "BOT_CONTENT_DIR": str(scratch)}
    built_before, _, built_answer = python(TYPED_LATER, env)
    restored_before, restored_after, restored_answer = python(TYPED_LATER, env)
    matcher = {"rapidfuzz", "retainment_bot.engine.matcher"}
    assert set(built_before) >= matcher, "a build makes the matcher"
    assert not TYPED_ONLY & set(restored_before)
    assert set(restored_after) >= matcher
    assert restored_answer == built_answer


@pytest.mark.parametrize("used", [False, True], ids=["before", "after"])
def test_a_restored_engine_pickles_again_before_or_after_its_first_question(
    scratch: Path, cache_dir: Path, used: bool
) -> None:
    project = Project(scratch)
    built = project.engine(cached=True)
    restored = project.engine(cached=True)
    state = restored.new_state("en")
    if used:
        restored.step(state, Typed("how long can I stay"))
    again = pickle.loads(pickle.dumps(restored))
    for question in ("extension six months", "thanks", "tôi bị sa thải"):
        assert again.step(state, Typed(question)) == built.step(state, Typed(question))


def test_the_running_bot_imports_no_library_only_a_tool_uses() -> None:
    """Charts, QR codes, the review site, pykakasi, and for SQLite the PostgreSQL driver; nor
    what only typed text needs (the matcher and rapidfuzz)."""
    code = (
        "import json, sys; import retainment_bot.cli; from retainment_bot.store import open_store; "
        "import retainment_bot.telegram.runtime; print(json.dumps(sorted(sys.modules)))"
    )
    modules = set(python(code, {}))
    loaded = {name.split(".")[0] for name in modules}
    assert "telegram" in loaded and "retainment_bot" in loaded
    tools = {"matplotlib", "segno", "PIL", "jinja2", "pykakasi", "sudachipy", "psycopg", "psycopg_pool", "numpy"}
    assert not loaded & tools
    assert not modules & TYPED_ONLY


def test_a_payload_that_does_not_match_its_checksum_is_never_served(scratch: Path, cache_dir: Path) -> None:
    """The old engine's payload spliced under the new key and checksum: rebuilt, not served."""
    project = Project(scratch)
    project.engine(cached=True)
    [path] = cache_dir.glob("engine-*.pickle")
    old_payload = path.read_bytes()[len(cache.FORMAT) + 130 :]
    catalog = scratch / VI_CATALOG
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(text.replace('msgstr "ℹ️ Về bot này và WAASA"', 'msgstr "ℹ️ Giới thiệu"'), encoding="utf-8")
    project.engine(cached=True)
    new = path.read_bytes()
    path.write_bytes(new[: len(cache.FORMAT) + 130] + old_payload)
    assert cache.read(path, project.cache_key()) is None
    assert "ℹ️ Giới thiệu" in labels(project.engine(cached=True), "vi")


def test_a_value_that_cannot_be_pickled_is_not_cached_and_nothing_breaks(tmp_path: Path) -> None:
    path = tmp_path / "engine-x.pickle"
    assert not cache.write(path, "0" * 64, lambda: None)
    assert not path.exists()
    assert cache.read(path, "0" * 64) is None
