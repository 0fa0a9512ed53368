"""A Babel extractor for the dialogue YAML files.

Registered as the ``dialogues`` entry in ``babel.extractors`` so that ``pybabel extract -F
babel.cfg`` collects every translatable string: topic titles, node texts, button labels and
notices, each with its node id as ``msgctxt`` and the editor's ``note`` as a translator comment.
It follows Babel's extractor contract (see ``babel.messages.extract.extract_python``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from retainment_bot.engine.yamlread import LineDict, LineList, read_yaml
from retainment_bot.errors import ContentError

Extracted = tuple[int, str, tuple[str, str], list[str]]
SEARCH_COMMENT = (
    "Search phrases: what users type to find this screen, separated by |. Not shown to users. "
    "Translate them and add the words, abbreviations and colloquial forms people use in your "
    "language. Forms without Vietnamese diacritics, half-width forms and katakana vs hiragana are matched anyway."
)


def extract_dialogues(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Yield ``(lineno, "pgettext", (context, message), comments)`` for each string of a topic file."""
    name = getattr(fileobj, "name", "<dialogue>")
    data, problems = read_yaml(fileobj.read().decode("utf-8"), str(name))
    if problems:
        raise ContentError(problems)
    if not isinstance(data, LineDict):
        return
    yield from extract_topic(data)


def extract_topic(data: LineDict) -> Iterator[Extracted]:
    """The strings of one parsed topic file, in file order."""
    nodes = data.get("nodes")
    entries = [n for n in nodes if isinstance(n, LineDict)] if isinstance(nodes, LineList) else []
    entry_id = entries[0].get("id") if entries else None
    if isinstance(data.get("title"), str) and isinstance(entry_id, str):
        yield (
            data.lines["title"],
            "pgettext",
            (entry_id, data["title"]),
            ["Topic title: menus, search results, shared links."],
        )
    notices = data.get("notices")
    if isinstance(notices, LineDict):
        for name, body in notices.items():
            if isinstance(body, LineDict) and isinstance(body.get("text"), str):
                yield body.lines["text"], "pgettext", (f"notice.{name}", body["text"]), _comments(body)
            if isinstance(body, LineDict) and isinstance(body.get("button"), str):
                comments = ["Button label under the footer: keep it short."]
                yield body.lines["button"], "pgettext", (f"notice.{name}", body["button"]), comments
    for node in entries:
        node_id = node.get("id")
        if not isinstance(node_id, str):
            continue
        if isinstance(node.get("text"), str):
            yield node.lines["text"], "pgettext", (node_id, node["text"]), _comments(node)
        if isinstance(node.get("search"), str):
            yield node.lines["search"], "pgettext", (node_id, node["search"]), [SEARCH_COMMENT]
        buttons = node.get("buttons")
        for button in buttons if isinstance(buttons, LineList) else []:
            if isinstance(button, LineDict) and isinstance(button.get("label"), str):
                comments = ["Button label: keep it short.", *_comments(button)]
                yield button.lines["label"], "pgettext", (node_id, button["label"]), comments


def _comments(data: LineDict) -> list[str]:
    note = data.get("note")
    return [note] if isinstance(note, str) else []
