"""The Babel extractor: `pybabel extract -F babel.cfg` collects every string of the dialogues."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from retainment_bot.engine.engine import Engine
from tests.conftest import ROOT, run_bot


def documented(command: str) -> str:
    """The line of docs/translating.md that starts with ``command``."""
    text = (ROOT / "docs" / "translating.md").read_text(encoding="utf-8")
    (line,) = [line for line in text.splitlines() if line.startswith(command)]
    return line


def shell(line: str, cwd: Path) -> None:
    """Run a documented command line as a person would, with this environment's tools first on PATH."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{line}\n{result.stderr}"


def pybabel_extract(root: Path, output: Path) -> None:
    """The documented `pybabel extract` line, writing to ``output``."""
    shell(documented("pybabel extract").replace("-o locales/messages.pot", f"-o {output}"), root)


def test_pybabel_extract_collects_every_string_with_node_context_and_notes(tmp_path: Path, engine: Engine) -> None:
    output = tmp_path / "messages.pot"
    pybabel_extract(ROOT, output)
    with output.open("rb") as fileobj:
        catalog = read_po(fileobj)
    found = {(m.context, m.id): m for m in catalog if m.id}
    content = engine.content
    for node in content.nodes.values():
        if node.text:
            message = found[(node.id, node.text)]
            if node.note:  # Babel wraps long comments: compare the joined lines
                assert node.note in " ".join(message.auto_comments)
        for button in node.buttons:
            assert (node.id, button.label) in found
    for topic in content.topics.values():
        assert (topic.entry, topic.title) in found
    for notice in content.notices.values():
        assert (f"notice.{notice.name}", notice.text) in found
    assert ("button", "⬅️ Back") in found  # interface strings from the Python code
    synonyms = found[("synonyms", "yes|y|yeah|yep|ok|sure")]
    assert any("TRANSLATORS" in comment for comment in synonyms.auto_comments)


def test_an_editor_note_becomes_a_translator_comment(tmp_path: Path) -> None:
    output = tmp_path / "messages.pot"
    pybabel_extract(ROOT, output)
    with output.open("rb") as fileobj:
        catalog = read_po(fileobj)
    message = next(m for m in catalog if m.context == "consent_form.other" and str(m.id).startswith("<b>"))
    assert "which is never translated" in " ".join(message.auto_comments)


def test_the_committed_template_is_current(scratch: Path) -> None:
    """`check` fails when a dialogue changed and nobody ran `i18n extract`."""
    assert "stale" not in run_bot("check", root=scratch).stderr
    path = scratch / "dialogues" / "titp.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("The longest period is 5 years.", "Changed."), "utf-8")
    result = run_bot("check", root=scratch)
    assert result.returncode == 1
    assert "locales/messages.pot:1: stale" in result.stderr


def test_a_new_source_string_makes_the_catalogs_fuzzy_after_update(scratch: Path) -> None:
    """`i18n extract` then `i18n update` marks a changed source string fuzzy in every catalog."""
    path = scratch / "dialogues" / "titp.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("The longest period is 5 years.", "Five years."), "utf-8")
    shutil.copy(ROOT / "pyproject.toml", scratch / "pyproject.toml")
    assert run_bot("i18n", "extract", root=scratch).returncode == 0
    assert run_bot("i18n", "update", root=scratch).returncode == 0
    stats = run_bot("i18n", "stats", root=scratch).stdout
    assert "fuzzy" in stats
    rows = {line.split()[0]: line.split() for line in stats.splitlines()[1:]}
    assert rows["vi"][2] == "1" and rows["ja"][2] == "1"
    check = run_bot("check", root=scratch)
    assert check.returncode == 1
    assert "fuzzy translation" in check.stderr


def catalog_bytes(root: Path) -> dict[str, bytes]:
    """The template and catalogs, without the line that records when they were extracted."""
    files = [root / "locales/messages.pot", *sorted(root.glob("locales/*/LC_MESSAGES/messages.po"))]
    return {
        str(path.relative_to(root)): b"\n".join(
            line for line in path.read_bytes().split(b"\n") if not line.startswith(b'"POT-Creation-Date:')
        )
        for path in files
    }


def test_the_documented_pybabel_commands_write_what_the_i18n_commands_write(scratch: Path) -> None:
    """Plain `pybabel extract`/`update` as docs/translating.md gives them, then its msgcat line,
    write byte for byte what `python -m retainment_bot i18n extract`/`update` write; GNU msgcat keeps those
    files unchanged (so Poedit, Weblate or msgcat saves change no other line), and `check`
    accepts them."""
    path = scratch / "dialogues" / "titp.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("The longest period is 5 years.", "Five years."), "utf-8")
    assert run_bot("i18n", "extract", root=scratch).returncode == 0
    update = run_bot("i18n", "update", root=scratch)
    assert update.returncode == 0
    assert documented("pybabel update") in update.stderr  # the wrapper shows the command it runs
    wrapper = catalog_bytes(scratch)
    for name in wrapper:
        shell(f"msgcat --no-wrap -o {scratch / 'gnu'} {name}", scratch)
        assert (scratch / "gnu").read_bytes() == (scratch / name).read_bytes(), f"msgcat changes {name}"
    shell(documented("pybabel extract"), scratch)
    shell(documented("pybabel update"), scratch)
    shell(documented("for f in locales/messages.pot"), scratch)
    assert catalog_bytes(scratch) == wrapper
    check = run_bot("check", root=scratch)
    assert "stale" not in check.stderr and "missing msgctxt" not in check.stderr, check.stderr
    assert "fuzzy translation" in check.stderr  # the changed source string, as expected
