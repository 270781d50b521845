"""The procedure for unwanted behaviour: name, warn, remind, announce, block (with four eyes).

A domain app above ``conversations`` because its steps send messages and write notes there;
parties-level code reads a party's conduct state through :mod:`balie.conduct.queries`
(ADR 0015).
"""
