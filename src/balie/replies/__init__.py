"""Canned replies, greetings, signatures, tone and language: how Balie speaks."""
