"""The terminal chat: the same engine as the Telegram bot, with buttons as numbered lines.

``--jsonl`` turns it into a scripting protocol for tests and tools. Each input line is a JSON
object, ``{"text": "..."}`` (what the user types, commands included) or ``{"press": "<data>"}``;
for each input line exactly one JSON line is printed::

    {"replies": [{"node": "eligibility.start" | null, "text": "...",
                  "buttons": [{"label": "...", "data": "..."} | {"label": "...", "url": "..."}]}]}

A line that is not exactly one such object (an empty line, invalid JSON, both ``text`` and
``press``) gets ``{"replies": [], "error": "..."}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from retainment_bot.engine.engine import Engine, Event, Press, parse_command
from retainment_bot.engine.html import strip_html
from retainment_bot.engine.render import Reply, ReplyButton


def reply_json(reply: Reply) -> dict[str, Any]:
    """A reply as the jsonl protocol prints it."""
    buttons: list[dict[str, str]] = []
    for button in reply.flat_buttons:
        if button.url is not None:
            buttons.append({"label": button.label, "url": button.url})
        else:
            buttons.append({"label": button.label, "data": button.data or ""})
    return {"node": reply.node, "text": reply.text, "buttons": buttons}


def event_from_json(line: str) -> Event:
    """Parse one protocol line; raises ``ValueError`` with a short reason."""
    try:
        message = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg}") from exc
    if isinstance(message, dict) and "text" in message and "press" in message:
        raise ValueError('give either "text" or "press", not both')
    if isinstance(message, dict) and isinstance(message.get("text"), str):
        return parse_command(message["text"])
    if isinstance(message, dict) and isinstance(message.get("press"), str):
        return Press(message["press"])
    raise ValueError('expected {"text": "..."} or {"press": "..."}')


def run_jsonl(engine: Engine, language_code: str | None, lines: Iterable[str], out: TextIO) -> None:
    """Answer each input line with exactly one JSON line."""
    state = engine.new_state(language_code)
    for line in lines:
        try:
            if not line.strip():
                raise ValueError("empty line")
            event = event_from_json(line)
        except ValueError as exc:
            out.write(json.dumps({"replies": [], "error": str(exc)}, ensure_ascii=False) + "\n")
            out.flush()
            continue
        outcome = engine.step(state, event)
        state = outcome.state
        payload = {"replies": [reply_json(reply) for reply in outcome.replies]}
        out.write(json.dumps(payload, ensure_ascii=False) + "\n")
        out.flush()


def format_reply(reply: Reply, first_number: int = 1) -> str:
    """A reply for a human in a terminal: plain text, then numbered buttons."""
    lines = [strip_html(reply.text)]
    for number, button in enumerate(reply.flat_buttons, start=first_number):
        target = f" → {button.url}" if button.url else ""
        lines.append(f"  [{number}] {button.label}{target}")
    return "\n".join(lines)


def run_interactive(engine: Engine, language_code: str | None, stdin: TextIO, out: TextIO) -> None:
    """A chat for a person: type a button's number, any text, or a command; /quit or EOF ends it."""
    state = engine.new_state(language_code)
    out.write("Terminal chat — type a number to press a button, /menu, /back, /language, /quit.\n\n")
    event: Event = parse_command("/start")
    while True:
        outcome = engine.step(state, event)
        state = outcome.state
        buttons = [button for reply in outcome.replies for button in reply.flat_buttons]
        number = 1
        for reply in outcome.replies:
            out.write(format_reply(reply, number) + "\n\n")
            number += len(reply.flat_buttons)
        out.write("> ")
        out.flush()
        line = stdin.readline()
        if not line or line.strip() in ("/quit", "/exit"):
            out.write("\n")
            return
        event = _event_for(line.strip(), buttons)


def _event_for(text: str, buttons: list[ReplyButton]) -> Event:
    if text.isdigit() and 1 <= int(text) <= len(buttons):
        button = buttons[int(text) - 1]
        if button.data:
            return Press(button.data)
    return parse_command(text)
