"""``balie routing simulate FILE.json``: print the simulation results as JSON."""

from __future__ import annotations

import json
import sys

from balie.routing.simulate.metrics import simulate
from balie.routing.simulate.scenario import ScenarioError, load


def main(path: str) -> int:
    """Simulate the scenario at ``path``; exit status 2 on an invalid scenario."""
    try:
        scenario = load(path)
    except ScenarioError as exc:
        print(f"balie routing simulate: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(simulate(scenario), indent=2, sort_keys=True))
    return 0
