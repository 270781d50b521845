"""Privacy: personal-data detection (pure, in ``detection``), the policy per channel,
masking at rest and the agent's warning; retention and data-subject rights live in
``retention`` (its own app)."""
