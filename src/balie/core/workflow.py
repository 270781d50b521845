"""Workflows as data: a table of allowed moves and the one gate that checks a move against it.

Each workflow (a conversation's status, a queue entry, a back-office task, a party's conduct
procedure) states its moves as a tuple of frozen dataclasses with a ``source``, the key of the
move (a ``target`` state, or a ``step`` taken) and optionally ``reason_required``. A
:class:`Table` indexes them once; actions call :meth:`Table.check` and nothing else decides
whether a move is allowed. Pure: no Django.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

M = TypeVar("M")


class Table(Generic[M]):
    """The allowed moves of one workflow, indexed by ``(source, key)``.

    ``key``: the move's attribute that names it besides its source (``"target"`` or
    ``"step"``); ``coerce``: the types a caller's plain strings are turned into (enum members
    hash by name, so "new" would not find ``Status.NEW``); ``error``: the exception raised,
    with ``refused`` and ``needs_reason`` formatted with ``source`` and ``key``.
    """

    def __init__(
        self,
        moves: Iterable[M],
        *,
        key: str,
        coerce: tuple[Callable[[Any], Hashable], Callable[[Any], Hashable]],
        error: Callable[[str], Exception],
        refused: str,
        needs_reason: str = "",
    ) -> None:
        self.moves: tuple[M, ...] = tuple(moves)
        self._key = key
        self._coerce = coerce
        self._error = error
        self._refused = refused
        self._needs_reason = needs_reason
        self._index: dict[tuple[Hashable, Hashable], M] = {}
        for move in self.moves:
            index = (getattr(move, "source"), getattr(move, key))  # noqa: B009 -- any dataclass
            if index in self._index:
                raise ValueError(f"the move {index} is in the table twice")
            self._index[index] = move

    def check(self, source: Any, key: Any, reason: str = "") -> M:
        """The move from ``source`` by ``key``; raises the table's error when it is not in the
        table, or when it needs a reason and ``reason`` is blank."""
        move = self._index.get((self._coerce[0](source), self._coerce[1](key)))
        if move is None:
            raise self._error(self._refused.format(source=source, key=key))
        if getattr(move, "reason_required", False) and not reason.strip():
            raise self._error(self._needs_reason.format(source=source, key=key))
        return move

    def following(self, source: Any) -> list[Any]:
        """The keys (targets or steps) of the moves from ``source``, in the table's order."""
        source = self._coerce[0](source)
        return [getattr(m, self._key) for m in self.moves if getattr(m, "source") == source]  # noqa: B009
