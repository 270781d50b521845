"""`make bench`: run every benchmark in this folder, one after another, and print their figures.

Each benchmark is a standalone script that sets up its own database and prints its own figures
with the machine's context; this runner only adds a header and fails if one of them fails.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    """Run each ``benchmarks/*.py`` except this file; return non-zero if any failed."""
    scripts = sorted(
        p for p in HERE.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_")
    )
    print(
        f"# Balie benchmarks — {platform.node()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.platform()}",
        flush=True,
    )
    failed = []
    for script in scripts:
        print(f"\n## {script.name}", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(script)], check=False)
        print(
            f"({script.name}: {time.monotonic() - started:.1f} s, exit {result.returncode})",
            flush=True,
        )
        if result.returncode:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
