"""The committed catalogs are in the layout GNU gettext writes with `--no-wrap` (the layout Poedit
and Weblate keep, see docs/translating.md), so a translator's save changes only what they edited."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

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
