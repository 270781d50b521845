"""Retention (Archiefwet, AVG art. 5(1)(e)): terms, legal holds, the daily job, erasure and
access requests, and the register of processing activities."""
