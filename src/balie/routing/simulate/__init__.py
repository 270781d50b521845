"""Simulating the router against baselines and the Erlang C bound (pure; no database)."""
