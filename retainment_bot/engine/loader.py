"""Build :class:`~retainment_bot.engine.model.Content` from the YAML files in ``dialogues/``.

The loader reports what it cannot make sense of as problems (with file and line) and skips the
broken part, so ``python -m retainment_bot check`` can list every mistake in one run. Checks that need the
whole graph live in ``validate``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from retainment_bot.engine.model import NODE_ID, TOPIC_SLUG, Button, Content, Node, Notice, Route, Topic
from retainment_bot.engine.yamlread import LineDict, LineList, read_yaml
from retainment_bot.errors import Location, Problem, display_path

TOPIC_KEYS = {"topic", "title", "source", "as_of", "notice", "nodes", "notices", "snippets"}
NODE_KEYS = {"id", "text", "buttons", "ask", "route", "source", "as_of", "notice", "note", "search", "outcome"}
OUTCOMES = {"eligible", "not_eligible"}
BUTTON_KEYS = {"label", "goto", "url", "value", "note"}
NOTICE_KEYS = {"text", "note", "more", "button"}


def dialogue_files(directory: Path) -> list[Path]:
    """The topic files of a dialogues directory, in a stable order."""
    return sorted(directory.glob("*.yaml"))


def load_content(files: Iterable[Path], root: Path | None = None) -> tuple[Content, list[Problem]]:
    """Read every file; return the content that could be built and the problems found.

    Paths in problems are shown relative to ``root`` when given.
    """
    topics: dict[str, Topic] = {}
    nodes: dict[str, Node] = {}
    notices: dict[str, Notice] = {}
    snippets: dict[str, str] = {}
    problems: list[Problem] = []
    for path in files:
        name = display_path(path, root)
        data, found = read_yaml(path.read_text(encoding="utf-8"), name)
        problems += found
        if data is None:
            if not found:
                problems.append(Problem(Location(name, 1), "file is empty"))
            continue
        if not isinstance(data, LineDict):
            problems.append(Problem(Location(name, 1), "a dialogue file must be a mapping"))
            continue
        _read_topic(data, name, path.stem, topics, nodes, notices, snippets, problems)
    return Content(topics, nodes, notices, snippets), problems


def _at(file: str, data: LineDict | LineList, key: str | int | None = None) -> Location:
    if key is None:
        return Location(file, data.line)
    if isinstance(data, LineDict) and isinstance(key, str):
        return Location(file, data.lines.get(key, data.line))
    if isinstance(data, LineList) and isinstance(key, int):
        return Location(file, data.lines[key])
    return Location(file, data.line)


def _text(data: LineDict, key: str, file: str, problems: list[Problem], required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            problems.append(Problem(_at(file, data), f"missing '{key}'"))
        return None
    if not isinstance(value, str):
        problems.append(Problem(_at(file, data, key), f"'{key}' must be text"))
        return None
    if required and not value.strip():
        problems.append(Problem(_at(file, data, key), f"'{key}' is empty"))
        return None
    return value


def _unknown_keys(data: LineDict, allowed: set[str], file: str, problems: list[Problem]) -> None:
    for key in data:
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            problems.append(Problem(_at(file, data, key), f"unknown key '{key}' (known: {known})"))


def _read_topic(
    data: LineDict,
    file: str,
    stem: str,
    topics: dict[str, Topic],
    nodes: dict[str, Node],
    notices: dict[str, Notice],
    snippets: dict[str, str],
    problems: list[Problem],
) -> None:
    _unknown_keys(data, TOPIC_KEYS, file, problems)
    slug = _text(data, "topic", file, problems, required=True)
    if slug is None:
        return
    if not TOPIC_SLUG.match(slug):
        problems.append(Problem(_at(file, data, "topic"), f"topic '{slug}' must be a-z, 0-9, _"))
        return
    if slug != stem:
        problems.append(Problem(_at(file, data, "topic"), f"topic '{slug}' must match its file name '{stem}.yaml'"))
    if slug in topics:
        problems.append(Problem(_at(file, data, "topic"), f"duplicate topic '{slug}' (first in {topics[slug].where})"))
        return
    title = _text(data, "title", file, problems, required=True) or slug
    defaults = {key: _text(data, key, file, problems) for key in ("source", "as_of", "notice")}
    _read_notices(data, file, notices, problems)
    _read_snippets(data, file, snippets, problems)

    items = data.get("nodes")
    if not isinstance(items, LineList) or not items:
        problems.append(
            Problem(_at(file, data, "nodes" if "nodes" in data else None), "a topic needs a list of 'nodes'")
        )
        return
    entry: str | None = None
    for index, item in enumerate(items):
        if not isinstance(item, LineDict):
            problems.append(Problem(_at(file, items, index), "a node must be a mapping"))
            continue
        node = _read_node(item, file, slug, defaults, problems)
        if node is None:
            continue
        if node.id in nodes:
            problems.append(Problem(node.where, f"duplicate node id '{node.id}' (first at {nodes[node.id].where})"))
            continue
        nodes[node.id] = node
        entry = entry or node.id
    if entry is not None:
        where = _at(file, data, "topic")
        topics[slug] = Topic(slug, title, entry, where, _at(file, data, "title"))


def _read_notices(data: LineDict, file: str, notices: dict[str, Notice], problems: list[Problem]) -> None:
    section = data.get("notices")
    if section is None:
        return
    if not isinstance(section, LineDict):
        problems.append(Problem(_at(file, data, "notices"), "'notices' must be a mapping"))
        return
    for name, body in section.items():
        where = _at(file, section, name)
        if not isinstance(body, LineDict):
            problems.append(Problem(where, f"notice '{name}' must be a mapping with 'text'"))
            continue
        _unknown_keys(body, NOTICE_KEYS, file, problems)
        text = _text(body, "text", file, problems, required=True)
        more, button = _text(body, "more", file, problems), _text(body, "button", file, problems)
        if (more is None) != (button is None):
            problems.append(Problem(where, f"notice '{name}' needs both 'more' (a node id) and 'button' (its label)"))
            more = button = None
        if name in notices:
            problems.append(Problem(where, f"duplicate notice '{name}'"))
        elif text is not None:
            note = _text(body, "note", file, problems)
            notices[name] = Notice(name, text, _at(file, body, "text"), note, more, button)


def _read_snippets(data: LineDict, file: str, snippets: dict[str, str], problems: list[Problem]) -> None:
    section = data.get("snippets")
    if section is None:
        return
    if not isinstance(section, LineDict):
        problems.append(Problem(_at(file, data, "snippets"), "'snippets' must be a mapping"))
        return
    for name, value in section.items():
        if not isinstance(value, str):
            problems.append(Problem(_at(file, section, name), f"snippet '{name}' must be text"))
        elif name in snippets:
            problems.append(Problem(_at(file, section, name), f"duplicate snippet '{name}'"))
        else:
            snippets[name] = value


def _read_node(
    data: LineDict, file: str, topic: str, defaults: dict[str, str | None], problems: list[Problem]
) -> Node | None:
    _unknown_keys(data, NODE_KEYS, file, problems)
    node_id = _text(data, "id", file, problems, required=True)
    if node_id is None:
        return None
    where = _at(file, data, "id")
    match = NODE_ID.match(node_id)
    if not match:
        problems.append(Problem(where, f"node id '{node_id}' must look like '<topic>.<name>' (a-z, 0-9, _)"))
        return None
    if match.group(1) != topic:
        problems.append(Problem(where, f"node id '{node_id}' must start with its topic '{topic}.'"))
        return None
    route = _read_route(data, file, problems)
    text = _text(data, "text", file, problems, required=not route)
    if route and text is not None:
        problems.append(Problem(_at(file, data, "text"), "a node with 'route' is never shown: remove its 'text'"))
    ask = _text(data, "ask", file, problems)
    buttons = _read_buttons(data, file, ask, problems)
    own = {key: _text(data, key, file, problems) for key in ("source", "as_of", "notice")}
    return Node(
        id=node_id,
        topic=topic,
        where=where,
        text=text,
        text_where=_at(file, data, "text") if text is not None else None,
        buttons=buttons,
        ask=ask,
        route=route,
        source=own["source"] or defaults["source"],
        as_of=own["as_of"] or defaults["as_of"],
        notice=own["notice"] or defaults["notice"],
        note=_text(data, "note", file, problems),
        search=_text(data, "search", file, problems),
        outcome=_outcome(data, file, problems),
    )


def _outcome(data: LineDict, file: str, problems: list[Problem]) -> str | None:
    outcome = _text(data, "outcome", file, problems)
    if outcome is not None and outcome not in OUTCOMES:
        problems.append(Problem(_at(file, data, "outcome"), f"outcome must be one of: {', '.join(sorted(OUTCOMES))}"))
        return None
    return outcome


def _read_buttons(data: LineDict, file: str, ask: str | None, problems: list[Problem]) -> tuple[Button, ...]:
    items = data.get("buttons")
    if items is None:
        return ()
    if not isinstance(items, LineList):
        problems.append(Problem(_at(file, data, "buttons"), "'buttons' must be a list"))
        return ()
    buttons: list[Button] = []
    for index, item in enumerate(items):
        where = _at(file, items, index)
        if not isinstance(item, LineDict):
            problems.append(Problem(where, "a button must be a mapping with 'label' and 'goto' or 'url'"))
            continue
        _unknown_keys(item, BUTTON_KEYS, file, problems)
        label = _text(item, "label", file, problems, required=True)
        goto, url = _text(item, "goto", file, problems), _text(item, "url", file, problems)
        value = _text(item, "value", file, problems)
        if (goto is None) == (url is None):
            problems.append(Problem(where, "a button needs exactly one of 'goto' or 'url'"))
            continue
        if value is not None and ask is None:
            problems.append(Problem(_at(file, item, "value"), "a button 'value' needs an 'ask' on its node"))
        if url is not None and not url.startswith(("https://", "http://", "tg://")):
            problems.append(Problem(_at(file, item, "url"), f"url '{url}' must start with https://"))
        if label is not None:
            buttons.append(Button(label, where, goto, url, value, _text(item, "note", file, problems)))
    return tuple(buttons)


def _read_route(data: LineDict, file: str, problems: list[Problem]) -> tuple[Route, ...]:
    items = data.get("route")
    if items is None:
        return ()
    if not isinstance(items, LineList) or not items:
        problems.append(Problem(_at(file, data, "route"), "'route' must be a non-empty list"))
        return ()
    routes: list[Route] = []
    for index, item in enumerate(items):
        where = _at(file, items, index)
        if not isinstance(item, LineDict) or not isinstance(item.get("goto"), str):
            problems.append(Problem(where, "a route needs 'goto' (and 'if' unless it is the last)"))
            continue
        when = item.get("if", {})
        if not isinstance(when, dict) or not all(isinstance(v, str) for v in when.values()):
            problems.append(Problem(where, "'if' must map answer names to values"))
            continue
        pairs = tuple((str(k), str(v)) for k, v in when.items())
        routes.append(Route(pairs, item["goto"], where))
    return tuple(routes)
