"""The eligibility check as a decision table, found by pressing every answer in the engine.

Each row is one path of answers from the check's first screen to a result screen (a node with an
``outcome``), and the rule that decided it: the answer button that led straight to the result, or
the junction route whose condition the recorded answers met.
"""

from __future__ import annotations

from dataclasses import dataclass

from retainment_bot.engine.engine import CONTENT_BUTTON, Engine, Outcome, Press, Start, State
from retainment_bot.engine.model import Content, Route
from retainment_bot.errors import Location

CHECK_TOPIC = "eligibility"
DEPTH_LIMIT = 12


@dataclass(frozen=True)
class Answer:
    """One press on the way: the question's node and the button's index."""

    node: str
    index: int


@dataclass(frozen=True)
class Rule:
    """What decided a result: the last answer itself, or a junction's route."""

    node: str
    where: Location
    when: tuple[tuple[str, str], ...] = ()
    by_route: bool = False

    def describe(self) -> str:
        """The rule in words, e.g. ``eligibility.decide: status = ssw`` or ``otherwise``."""
        if not self.by_route:
            return f"the answer on {self.node}"
        condition = " and ".join(f"{key} = {value}" for key, value in self.when) or "otherwise"
        return f"route of {self.node}: {condition}"


@dataclass(frozen=True)
class Decision:
    """A path of answers, the result screen it reaches, and the rule that sent it there."""

    answers: tuple[Answer, ...]
    result: str
    outcome: str
    rule: Rule


def _route_taken(content: Content, target: str, answers: dict[str, str]) -> tuple[str, Route] | None:
    """The junction and route that the engine follows from ``target`` to a shown node, if any."""
    node = content.nodes.get(target)
    taken = None
    for _ in range(DEPTH_LIMIT):
        if node is None or not node.is_junction:
            return taken
        route = next((r for r in node.route if r.matches(answers)), None)
        if route is None:
            return taken
        taken = (node.id, route)
        node = content.nodes.get(route.goto)
    return taken


def decision_table(engine: Engine, lang: str = "en", topic: str = CHECK_TOPIC) -> list[Decision]:
    """Every path of answers through ``topic`` to a result, in the order the buttons come."""
    content = engine.content
    found: list[Decision] = []

    def walk(outcome: Outcome, path: tuple[Answer, ...]) -> None:
        reply = outcome.replies[-1]
        node = content.nodes.get(reply.node or "")
        if node is None or node.topic != topic or len(path) > DEPTH_LIMIT:
            return
        if node.outcome is not None:
            found.append(Decision(path, node.id, node.outcome, _rule(content, path[-1], outcome.state)))
            return
        for button in reply.flat_buttons:
            match = CONTENT_BUTTON.match(button.data or "")
            if match is None or match.group(1) != node.id:
                continue
            answer = Answer(node.id, int(match.group(2)))
            if answer in path:
                continue  # a loop back to an earlier question
            walk(engine.step(outcome.state, Press(button.data or "")), (*path, answer))

    start = engine.step(State(lang=lang, lang_chosen=True), Start(topic))
    walk(start, ())
    return found


def _rule(content: Content, last: Answer, state: State) -> Rule:
    button = content.nodes[last.node].buttons[last.index]
    taken = _route_taken(content, button.goto or "", dict(state.answers))
    if taken is None:
        return Rule(last.node, button.where)
    junction, route = taken
    return Rule(junction, route.where, route.when, by_route=True)


def answer_label(engine: Engine, answer: Answer, lang: str) -> str:
    """The label of the pressed button in ``lang``, as the user saw it."""
    node = engine.content.nodes[answer.node]
    return engine.translator.translate(lang, node.id, node.buttons[answer.index].label)
