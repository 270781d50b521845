"""The one gate of every workflow (balie.core.workflow.Table): moves as data, checked once."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pytest

from balie.backoffice import workflow as task_workflow
from balie.conduct import workflow as conduct_workflow
from balie.conversations import workflow as conversation_workflow
from balie.core.workflow import Table
from balie.routing import actions as routing_actions


class Light(StrEnum):
    RED = "red"
    GREEN = "green"


@dataclass(frozen=True)
class Move:
    source: Light
    target: Light
    reason_required: bool = False


class Refused(Exception):
    pass


TABLE = Table(
    (Move(Light.RED, Light.GREEN), Move(Light.GREEN, Light.RED, reason_required=True)),
    key="target",
    coerce=(Light, Light),
    error=Refused,
    refused="no {source} to {key}",
    needs_reason="{source} to {key} needs a reason",
)


def test_a_move_in_the_table_is_returned_for_members_and_plain_strings():
    """Plain strings find the move too (enum members hash by name, so they are coerced)."""
    assert TABLE.check(Light.RED, Light.GREEN) == Move(Light.RED, Light.GREEN)
    assert TABLE.check("red", "green") is TABLE.check(Light.RED, Light.GREEN)


def test_a_move_outside_the_table_or_without_its_reason_is_refused():
    """The table's own error, with the table's own words."""
    with pytest.raises(Refused, match="no red to red"):
        TABLE.check("red", "red")
    with pytest.raises(Refused, match="green to red needs a reason"):
        TABLE.check("green", "red", "   ")
    assert TABLE.check("green", "red", "the sensor said so").target == Light.RED


def test_a_value_that_is_no_state_at_all_is_a_value_error():
    """A typo is not silently 'not allowed': the coercion refuses it."""
    with pytest.raises(ValueError, match="purple"):
        TABLE.check("purple", "red")


def test_the_same_move_twice_is_a_mistake_in_the_table():
    """Two rows for one (source, key) would make the gate ambiguous."""
    with pytest.raises(ValueError, match="twice"):
        Table(
            (Move(Light.RED, Light.GREEN), Move(Light.RED, Light.GREEN, True)),
            key="target", coerce=(Light, Light), error=Refused, refused="",
        )  # fmt: skip


def test_following_lists_the_keys_in_the_tables_order():
    """What the screens offer next comes from the same table."""
    assert TABLE.following("red") == [Light.GREEN]
    assert conversation_workflow.allowed_targets("pending") == [
        t.target for t in conversation_workflow.TRANSITIONS if t.source == "pending"
    ]


@pytest.mark.parametrize(
    ("check", "moves", "key"),
    [
        (conversation_workflow.check_transition, conversation_workflow.TRANSITIONS, "target"),
        (task_workflow.check_transition, task_workflow.TRANSITIONS, "target"),
        (conduct_workflow.check_step, conduct_workflow.TRANSITIONS, "step"),
        (routing_actions.check_entry_transition, routing_actions.ENTRY_TRANSITIONS, "target"),
    ],
)
def test_every_workflow_goes_through_one_table(check, moves, key):
    """Each of Balie's four workflows accepts exactly its table's moves (with a reason)."""
    for move in moves:
        args = (move.source, getattr(move, key))
        found = (
            check(*args)
            if check is routing_actions.check_entry_transition
            else check(*args, "een reden")
        )
        assert found == move
