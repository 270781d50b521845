"""Checking the hash chain: the first entry that was changed, removed or inserted."""

from __future__ import annotations

from dataclasses import dataclass

from balie.audit.models import HASHED_FIELDS, AuditChain, AuditEntry, chain_hash


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: how many entries were read and the first broken link, if any."""

    checked: int
    first_seq: int
    last_seq: int
    broken_at: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        """True when every link holds."""
        return self.broken_at is None


def verify(*, chunk: int = 5000) -> Verdict:
    """Walk the chain from the pruning anchor to the head; stop at the first broken link.

    Reads the entries in sequence order in chunks (one query per ``chunk`` entries) and holds
    no lock: entries appended meanwhile are beyond the head read first and are not checked.
    """
    head = AuditChain.objects.filter(pk=1).first()
    anchor_seq = head.anchor_seq if head else 0
    prev = head.anchor_hash if head else AuditChain._meta.get_field("anchor_hash").default
    head_seq = head.seq if head else 0
    expected = anchor_seq + 1
    checked = 0
    columns = (*HASHED_FIELDS, "prev_hash", "hash")
    rows = (
        AuditEntry.objects.filter(seq__lte=head_seq)
        .order_by("seq")
        .values(*columns)
        .iterator(chunk_size=chunk)
    )
    for row in rows:
        seq = row["seq"]
        if seq < expected:
            return Verdict(checked, anchor_seq + 1, head_seq, seq, "entry before the anchor")
        if seq != expected:
            return Verdict(
                checked, anchor_seq + 1, head_seq, expected, f"entry {expected} is missing"
            )
        if row["prev_hash"] != prev:
            return Verdict(checked, anchor_seq + 1, head_seq, seq, "link to the previous broken")
        if chain_hash(prev, row) != row["hash"]:
            return Verdict(checked, anchor_seq + 1, head_seq, seq, "content changed")
        prev = row["hash"]
        expected += 1
        checked += 1
    if expected <= head_seq:
        return Verdict(checked, anchor_seq + 1, head_seq, expected, f"entry {expected} is missing")
    if head is not None and head_seq > anchor_seq and prev != head.hash:
        return Verdict(checked, anchor_seq + 1, head_seq, head_seq, "head hash differs")
    return Verdict(checked, anchor_seq + 1, head_seq)
