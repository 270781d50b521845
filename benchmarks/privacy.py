"""Privacy detection: precision, recall and F1 per kind on the labelled chat corpus, and
messages per second on one core; the same for the ``deduce`` package where it is installed.

Run standalone: ``.venv/bin/python benchmarks/privacy.py [--no-deduce]``.

The corpus (``tests/data/privacy/``) holds ``dev.jsonl`` (the detector was tuned on it),
``holdout.jsonl`` (its own templates, never tuned on) and ``freeform.jsonl`` (50 messages
written one by one after the tuning, never tuned on); all three are reported. A predicted span
counts as *exact* when start, end and kind equal a labelled span's, as *overlap* when it
shares a character with a labelled span of its kind. The macro F1 is the mean over the five
redirect kinds (bsn, iban, document_number, date_of_birth, address). Throughput: the whole
corpus scanned repeatedly for at least two seconds, pinned to one core.

deduce's tags are mapped to our kinds where they correspond (bsn, persoon/patient → name,
locatie → address, datum → date_of_birth, telefoonnummer → phone, emailadres → email,
id → document_number); it has no IBAN, medical or criminal tag.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
from balie.privacy.detection import KINDS, REDIRECT_KINDS, detect  # noqa: E402 (after the path)

CORPUS = ROOT / "tests" / "data" / "privacy"
Spans = list[tuple[int, int, str]]
DEDUCE_TAGS = {
    "bsn": "bsn",
    "persoon": "name",
    "patient": "name",
    "locatie": "address",
    "datum": "date_of_birth",
    "telefoonnummer": "phone",
    "emailadres": "email",
    "email": "email",
    "id": "document_number",
}


def load(name: str) -> list[dict[str, Any]]:
    """The messages of one corpus file."""
    with (CORPUS / f"{name}.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def ours(text: str) -> Spans:
    """Balie's detector."""
    return [(s.start, s.end, s.kind) for s in detect(text)]


def deduce_detector() -> Callable[[str], Spans] | None:
    """deduce's annotations mapped to our kinds, or None when it is not installed."""
    try:
        import logging

        logging.disable(logging.INFO)
        from deduce import Deduce
    except ImportError:
        return None
    model = Deduce()

    def run(text: str) -> Spans:
        doc = model.deidentify(text)
        return [
            (a.start_char, a.end_char, DEDUCE_TAGS[a.tag])
            for a in doc.annotations
            if a.tag in DEDUCE_TAGS
        ]

    return run


def score(rows: list[dict[str, Any]], predicted: list[Spans]) -> dict[str, dict[str, float]]:
    """Precision, recall and F1 per kind, exact and overlap."""
    out: dict[str, dict[str, float]] = {}
    for kind in KINDS:
        counts = {"exact": [0, 0, 0], "overlap": [0, 0, 0]}  # tp_pred, n_pred, tp_gold/n_gold
        n_gold = 0
        hit_gold_exact = hit_gold_overlap = 0
        for row, pred in zip(rows, predicted, strict=True):
            gold = [(s["start"], s["end"]) for s in row["spans"] if s["kind"] == kind]
            mine = [(s, e) for s, e, k in pred if k == kind]
            n_gold += len(gold)
            counts["exact"][1] += len(mine)
            counts["overlap"][1] += len(mine)
            counts["exact"][0] += sum(1 for p in mine if p in gold)
            counts["overlap"][0] += sum(
                1 for p in mine if any(p[0] < g[1] and g[0] < p[1] for g in gold)
            )
            hit_gold_exact += sum(1 for g in gold if g in mine)
            hit_gold_overlap += sum(
                1 for g in gold if any(p[0] < g[1] and g[0] < p[1] for p in mine)
            )
        for mode, hit_gold in (("exact", hit_gold_exact), ("overlap", hit_gold_overlap)):
            tp, n_pred = counts[mode][0], counts[mode][1]
            p = tp / n_pred if n_pred else (1.0 if n_gold == 0 else 0.0)
            r = hit_gold / n_gold if n_gold else 1.0
            f = 2 * p * r / (p + r) if p + r else 0.0
            out.setdefault(kind, {}).update(
                {f"{mode}_p": p, f"{mode}_r": r, f"{mode}_f1": f, "support": n_gold}
            )
    return out


def macro(scores: dict[str, dict[str, float]], mode: str) -> float:
    """Mean F1 over the redirect kinds."""
    return sum(scores[k][f"{mode}_f1"] for k in REDIRECT_KINDS) / len(REDIRECT_KINDS)


def throughput(fn: Callable[[str], Spans], texts: list[str], seconds: float) -> tuple[float, float]:
    """Messages per second of CPU time and of wall-clock time (on a shared machine the
    first is the detector's own speed), repeating the texts for at least ``seconds``."""
    n = 0
    started, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        for text in texts:
            fn(text)
        n += len(texts)
    return n / (time.process_time() - cpu), n / (time.perf_counter() - started)


def report(
    label: str, fn: Callable[[str], Spans], corpora: dict[str, list[dict[str, Any]]], seconds: float
) -> None:
    """Print one detector's table per corpus and its speed."""
    for name, rows in corpora.items():
        scores = score(rows, [fn(r["text"]) for r in rows])
        print(f"\n{label} on {name} ({len(rows)} messages)")
        print(
            f"  {'kind':16} {'n':>4}  {'exact P':>7} {'R':>5} {'F1':>5}   "
            f"{'overlap P':>9} {'R':>5} {'F1':>5}"
        )
        for kind in KINDS:
            s = scores[kind]
            mark = "*" if kind in REDIRECT_KINDS else " "
            print(
                f" {mark}{kind:16} {int(s['support']):4}  {s['exact_p']:7.3f} {s['exact_r']:5.3f}"
                f" {s['exact_f1']:5.3f}   {s['overlap_p']:9.3f} {s['overlap_r']:5.3f}"
                f" {s['overlap_f1']:5.3f}"
            )
        print(
            f"  macro F1 over the five redirect kinds (*): exact {macro(scores, 'exact'):.3f}, "
            f"overlap {macro(scores, 'overlap'):.3f}"
        )
    texts = [r["text"] for rows in corpora.values() for r in rows]
    cpu, wall = throughput(fn, texts, seconds)
    print(
        f"  {label}: {cpu:,.0f} messages per CPU second on one core "
        f"({wall:,.0f}/s wall clock, load average {os.getloadavg()[0]:.1f})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-deduce", action="store_true", help="skip the deduce comparison")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    corpora = {
        "dev (tuned on)": load("dev"),
        "hold-out (never tuned on)": load("holdout"),
        "free-form (written after tuning, never tuned on)": load("freeform"),
    }
    print(
        f"# privacy detection — {platform.node()}, pinned to 1 of {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.machine()}"
    )
    report("balie", ours, corpora, seconds=2.0)
    if not args.no_deduce:
        started = time.perf_counter()
        fn = deduce_detector()
        if fn is None:
            print("\ndeduce: not installed (pip install -e '.[dev]')")
        else:
            print(f"\ndeduce loaded in {time.perf_counter() - started:.1f} s")
            report("deduce", fn, corpora, seconds=2.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
