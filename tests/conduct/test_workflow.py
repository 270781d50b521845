"""The conduct table: every allowed step leads where it says, every other step is refused."""

from __future__ import annotations

import pytest

from balie.conduct import workflow
from balie.conduct.workflow import State, Step, StepNotAllowed, allowed_steps, check_step

ALLOWED = {
    (State.CLEAR, Step.NAME): State.NAMED,
    (State.CLEAR, Step.WARN): State.WARNED,
    (State.NAMED, Step.WARN): State.WARNED,
    (State.WARNED, Step.REMIND): State.REMINDED,
    (State.WARNED, Step.ANNOUNCE): State.ANNOUNCED,
    (State.REMINDED, Step.ANNOUNCE): State.ANNOUNCED,
    (State.ANNOUNCED, Step.REQUEST_BLOCK): State.BLOCK_REQUESTED,
    (State.BLOCK_REQUESTED, Step.CONFIRM_BLOCK): State.BLOCKED,
    (State.BLOCK_REQUESTED, Step.REJECT_BLOCK): State.ANNOUNCED,
    (State.BLOCKED, Step.LIFT): State.WARNED,
    (State.BLOCKED, Step.EXPIRE): State.WARNED,
    **{(state, Step.CONSULT): state for state in State},
}
PAIRS = [(source, step) for source in State for step in Step]


@pytest.mark.parametrize(("source", "step"), [p for p in PAIRS if p in ALLOWED])
def test_every_allowed_step_leads_to_its_state(source, step):
    """Each listed step from its state is allowed and leads to the state the procedure names."""
    assert check_step(source, step, "een reden").target == ALLOWED[(source, step)]


@pytest.mark.parametrize(("source", "step"), [p for p in PAIRS if p not in ALLOWED])
def test_every_other_step_is_refused(source, step):
    """Every step not in the table is refused, even with a reason."""
    with pytest.raises(StepNotAllowed):
        check_step(source, step, "een reden")


def test_the_table_holds_exactly_the_procedure():
    """The table lists the procedure's steps and nothing more (no step slipped in unnoticed)."""
    assert {(t.source, t.step): t.target for t in workflow.TRANSITIONS} == ALLOWED


@pytest.mark.parametrize(
    ("source", "step"),
    [
        (State.ANNOUNCED, Step.REQUEST_BLOCK),
        (State.BLOCK_REQUESTED, Step.REJECT_BLOCK),
        (State.BLOCKED, Step.LIFT),
        (State.WARNED, Step.CONSULT),
    ],
)
def test_asking_declining_lifting_and_consulting_need_a_reason(source, step):
    """A block asked, declined or lifted, and a question to colleagues, carry their reason."""
    with pytest.raises(StepNotAllowed, match="needs a reason"):
        check_step(source, step, "  ")


def test_no_block_without_an_announcement():
    """A block cannot be asked before it was announced: the procedure is walked in order."""
    for state in (State.CLEAR, State.NAMED, State.WARNED, State.REMINDED):
        assert Step.REQUEST_BLOCK not in allowed_steps(state)


def test_consulting_is_possible_at_every_step():
    """In doubt colleagues can be consulted from every state, and it changes nothing."""
    for state in State:
        assert check_step(state, Step.CONSULT, "twijfel").target == state
