"""The README's "without Telegram" recipe works as written: its lines start the fake Bot API and
the real bot, and the `say`/`press` lines get the bot's answers through them.

The lines are read from README.md and run one by one with bash, in the checkout; the only change
is the port (a free one instead of 8081, since tests may run side by side), and the bot keeps its
SQLite file in a temporary directory instead of ./data.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT


def recipe_lines() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("Without Telegram, in a source checkout") :]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the recipe's code block is missing"
    return [line for line in block[1].splitlines() if line.strip()]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def background() -> Iterator[list[subprocess.Popen[str]]]:
    """The processes the recipe starts with `&`, stopped (by their own id) after the test."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in reversed(started):
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_the_readme_recipe_talks_to_the_bot_without_telegram(
    tmp_path: Path, background: list[subprocess.Popen[str]]
) -> None:
    port = str(free_port())
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env |= {"DATA_DIR": str(tmp_path), "LOG_LEVEL": "WARNING"}
    env.pop("BOT_CONTENT_DIR", None)
    outputs: list[str] = []
    for line in recipe_lines():
        command = line.replace("8081", port)
        if command.endswith("&"):
            background.append(
                subprocess.Popen(
                    ["bash", "-c", command.removesuffix("&")],
                    cwd=ROOT,
                    env=env,
                    text=True,
                    start_new_session=True,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            continue
        if command.startswith("python -m tests.fakebotapi") and " --port " not in command:
            command = command.replace("python -m tests.fakebotapi", f"python -m tests.fakebotapi --port {port}", 1)
        result = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, f"{line}\n{result.stderr}"
        outputs.append(result.stdout)
    start, question, menu = outputs
    assert start.startswith("bot: <b>Giấy đồng ý")
    assert re.search(r"^  \[.+\]  consent_form\.start:0:", start, re.M)  # the buttons, with their data
    assert "Giấy đồng ý" in question
    assert "bot: " in menu and "start.menu:0:" in menu
