"""The dialogue map: each topic's screens in layers from its first screen, laid out here and drawn
as SVG by the template, so no graph-drawing program is needed.

Layer n holds the screens n presses away from the topic's first screen (breadth first, inside the
topic). Links to other topics end in a grey box for that topic's screen on the right.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from retainment_bot.engine.engine import Engine
from retainment_bot.site.screens import edges, page, short_title

WIDTH, HEIGHT, GAP_X, GAP_Y, MARGIN = 240, 46, 60, 16, 12
TITLE_CHARS = 30


@dataclass(frozen=True)
class Box:
    """A node (or another topic's node) drawn as a box that links to its page."""

    id: str
    name: str
    title: str
    x: int
    y: int
    kind: str
    href: str
    stranded: bool = False


@dataclass(frozen=True)
class Arrow:
    """A link between two boxes, as an SVG path."""

    d: str
    kind: str


@dataclass(frozen=True)
class TopicMap:
    """One topic's picture."""

    slug: str
    title: str
    width: int
    height: int
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]


def _short(text: str) -> str:
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"


def layers(engine: Engine, slug: str) -> dict[str, int]:
    """Each node of the topic with its distance from the topic's first screen (unreached: 0)."""
    content = engine.content
    inside = [node.id for node in content.nodes.values() if node.topic == slug]
    links = [(a, b) for a, b in edges(content) if a in inside and b in inside]
    entry = content.topics[slug].entry
    depth = {entry: 0}
    queue = deque([entry])
    while queue:
        current = queue.popleft()
        for origin, target in links:
            if origin == current and target not in depth:
                depth[target] = depth[current] + 1
                queue.append(target)
    for node_id in inside:
        depth.setdefault(node_id, 0)
    return depth


def _kind(engine: Engine, node_id: str) -> str:
    node = engine.content.nodes[node_id]
    if node.is_junction:
        return "junction"
    return node.outcome or "screen"


def topic_map(engine: Engine, slug: str) -> TopicMap:
    """Boxes in layers and the arrows between them for one topic."""
    content = engine.content
    depth = layers(engine, slug)
    entries = {topic.entry for topic in content.topics.values()}
    reached = {target for origin, target in edges(content) if origin != target}
    columns: dict[int, list[str]] = {}
    for node_id in depth:
        columns.setdefault(depth[node_id], []).append(node_id)
    outside = list(dict.fromkeys(b for a, b in edges(content) if a in depth and b not in depth))
    if outside:
        columns[max(columns) + 1] = outside
    boxes: dict[str, Box] = {}
    for layer, members in sorted(columns.items()):
        for row, node_id in enumerate(members):
            node = content.nodes[node_id]
            x = MARGIN + layer * (WIDTH + GAP_X)
            y = MARGIN + row * (HEIGHT + GAP_Y)
            if node_id in depth:
                kind = _kind(engine, node_id)
                title = "routing on answers" if node.is_junction else short_title(engine, node_id)
                stranded = node_id not in reached and node_id not in entries
                boxes[node_id] = Box(node_id, node_id, _short(title), x, y, kind, page(node_id), stranded)
            else:
                title = _short(short_title(engine, node_id))
                boxes[node_id] = Box(node_id, node_id, title, x, y, "elsewhere", page(node_id))
    arrows = [_arrow(boxes[a], boxes[b]) for a, b in dict.fromkeys(edges(content)) if a in depth and a != b]
    width = MARGIN * 2 + (max(columns) + 1) * (WIDTH + GAP_X) - GAP_X
    height = MARGIN * 2 + max(len(m) for m in columns.values()) * (HEIGHT + GAP_Y) + 40
    title = content.topics[slug].title
    return TopicMap(slug, title, width, height, tuple(boxes.values()), tuple(arrows))


def _arrow(source: Box, target: Box) -> Arrow:
    if target.x > source.x:
        x1, y1 = source.x + WIDTH, source.y + HEIGHT // 2
        x2, y2 = target.x - 4, target.y + HEIGHT // 2
        bend = (x2 - x1) // 2
        kind = "out" if target.kind == "elsewhere" else "forward"
        return Arrow(f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}", kind)
    # Back to an earlier layer (or along the same one): a loop under the boxes.
    x1, y1 = source.x + WIDTH // 2 + 20, source.y + HEIGHT
    x2, y2 = target.x + WIDTH // 2 - 20, target.y + HEIGHT + 4
    low = max(y1, y2) + GAP_Y + 14
    return Arrow(f"M{x1},{y1} C{x1},{low} {x2},{low} {x2},{y2}", "back")


def dialogue_map(engine: Engine) -> list[TopicMap]:
    """Every topic's picture, the main menu first."""
    order = [engine.content.menu.split(".")[0], *engine.content.topics]
    return [topic_map(engine, slug) for slug in dict.fromkeys(order) if slug in engine.content.topics]
