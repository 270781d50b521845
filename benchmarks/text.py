"""Text analysis on the labelled sets in tests/data/text: language detection accuracy per
language and kind (sentence, one word, mixed), with and without an earlier language, and its
throughput; tone accuracy; abuse flag precision and recall.

Run: ``.venv/bin/python benchmarks/text.py``. No database: the analysis is pure.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from balie.replies.analysis import abusive, language, tone  # noqa: E402
from balie.replies.analysis.language import supported  # noqa: E402

DATA = ROOT / "tests" / "data" / "text"
LANGUAGES = ("nl", "en", "es", "tr", "ar", "pl")


def rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).open(encoding="utf-8")]


def languages() -> None:
    data = rows("language.jsonl")
    started = time.perf_counter()
    language("warm-up: the detector and its models load here", LANGUAGES)
    load_s = time.perf_counter() - started
    total: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])  # right, unsure, n
    kept: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    started = time.perf_counter()
    for row in data:
        got = language(row["text"], LANGUAGES).language
        cell = total[(row["language"], row["kind"])]
        cell[0] += got == row["language"]
        cell[1] += got is None
        cell[2] += 1
    seconds = time.perf_counter() - started
    for row in data:  # the same messages in a conversation already in that language
        if row["kind"] == "unsupported":
            continue
        got = language(row["text"], LANGUAGES, previous=row["language"]).language
        kept[row["kind"]][0] += got == row["language"]
        kept[row["kind"]][1] += 1
    print(f"language: {len(data)} messages among {', '.join(LANGUAGES)}; lingua models loaded "
          f"in {load_s:.2f} s; {len(data) / seconds:,.0f} messages/s on one core "
          f"({seconds / len(data) * 1000:.2f} ms each); max RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")  # fmt: skip
    print("  accuracy without an earlier language (right / n; unsure counts as wrong):")
    kinds = ("sentence", "one_word", "mixed", "unsupported")
    print("  " + "lang".ljust(6) + "".join(k.rjust(16) for k in kinds))
    for code in (*LANGUAGES, "pap"):
        cells = []
        for kind in kinds:
            right, unsure, n = total.get((code, kind), [0, 0, 0])
            cells.append(f"{right}/{n} ({unsure} unsure)" if n else "-")
        print("  " + code.ljust(6) + "".join(c.rjust(16) for c in cells))
    sentences = [v for (c, k), v in total.items() if k == "sentence"]
    print(f"  sentences overall: {sum(v[0] for v in sentences)}/{sum(v[2] for v in sentences)}")
    print("  with the conversation's earlier language (short messages keep it): "
          + ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in sorted(kept.items())))  # fmt: skip
    print(
        f"  Papiamento: lingua supports it: {bool(supported(['pap']))} (so its messages are "
        "never called Papiamento; the organisation cannot list it for detection)"
    )


def tones() -> None:
    data = rows("tone.jsonl")
    right = sum(tone([r["text"]])[0] == r["tone"] for r in data)
    by = defaultdict(lambda: [0, 0])
    for r in data:
        by[str(r["tone"])][0] += tone([r["text"]])[0] == r["tone"]
        by[str(r["tone"])][1] += 1
    print(f"tone: {right}/{len(data)} right ("
          + ", ".join(f"{k}: {v[0]}/{v[1]}" for k, v in sorted(by.items())) + ")")  # fmt: skip


def abuse() -> None:
    data = rows("abuse.jsonl")
    started = time.perf_counter()
    results = [(r, abusive(r["text"])[0]) for r in data]
    seconds = time.perf_counter() - started
    tp = sum(1 for r, got in results if got and r["abusive"])
    fp = [r["text"] for r, got in results if got and not r["abusive"]]
    fn = [r["text"] for r, got in results if not got and r["abusive"]]
    positives = sum(r["abusive"] for r in data)
    print(f"abuse: {len(data)} messages ({positives} abusive); precision "
          f"{tp / max(tp + len(fp), 1):.3f}, recall {tp / max(positives, 1):.3f}; "
          f"{len(data) / seconds:,.0f} messages/s")  # fmt: skip
    for text in fp:
        print(f"  false positive: {text}")
    for text in fn:
        print(f"  missed: {text}")


def main() -> int:
    print(f"# text analysis — {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {platform.machine()}")  # fmt: skip
    languages()
    tones()
    abuse()
    print("note: the tone and abuse sets were written alongside the rules (not held out)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
