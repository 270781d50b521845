"""Service levels: business time on the calendar (pure), policies, due times, sweeps."""
