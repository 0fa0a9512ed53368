"""Read YAML into plain values that remember their line numbers.

PyYAML's own loaders forget where a value came from and silently keep the last of two
duplicate keys; content editors need ``file:line`` for every mistake, so we compose the node
graph ourselves and convert it, keeping each key's and item's line. Every scalar stays text
(YAML's "core" resolution would turn an unquoted ``yes`` into ``True`` and ``2021`` into an int,
and all our values are text).
"""

from __future__ import annotations

from typing import Any

import yaml

from retainment_bot.errors import Location, Problem


class LineDict(dict[str, Any]):
    """A mapping that knows its own line and the line of each key."""

    line: int
    lines: dict[str, int]


# libyaml's parser when PyYAML was built with it: the same nodes and marks, about ten times faster
# (reading the content is most of the bot's start-up in pure Python).
_LOADER: type[yaml.BaseLoader] | type[yaml.CBaseLoader] = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


class LineList(list[Any]):
    """A sequence that knows its own line and the line of each item."""

    line: int
    lines: list[int]


def read_yaml(text: str, file: str) -> tuple[Any, list[Problem]]:
    """Parse ``text``; return the value (``None`` if unreadable) and the problems found."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        reason = exc.problem or exc.context or "cannot be read"
        return None, [Problem(Location(file, line), f"YAML syntax error: {reason}")]
    except yaml.YAMLError as exc:
        return None, [Problem(Location(file, 0), f"YAML error: {exc}")]
    if root is None:
        return None, []
    problems: list[Problem] = []
    return _convert(root, file, problems), problems


def _convert(node: yaml.Node, file: str, problems: list[Problem]) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result = LineDict()
        result.line, result.lines = line, {}
        for key_node, value_node in node.value:
            key = _convert(key_node, file, problems)
            key_line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                problems.append(Problem(Location(file, key_line), "a key must be plain text"))
                key = str(key)
            if key in result:
                problems.append(Problem(Location(file, key_line), f"duplicate key '{key}'"))
            result[key] = _convert(value_node, file, problems)
            result.lines[key] = key_line
        return result
    if isinstance(node, yaml.SequenceNode):
        items = LineList(_convert(item, file, problems) for item in node.value)
        items.line, items.lines = line, [item.start_mark.line + 1 for item in node.value]
        return items
    return str(node.value)
