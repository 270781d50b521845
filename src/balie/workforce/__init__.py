"""Workforce planning: volume forecasts and Erlang C staffing (pure)."""
