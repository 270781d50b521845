"""``balie apply FILE.toml``: declarative, idempotent organisation configuration.

The file is parsed and validated completely before anything is written; then one transaction
writes it. Errors name the file and line. Entities missing from the file are left alone; the
child lists of every entity in the file (an agent's languages, skills, trainings, channels,
teams) are made to match the file exactly.
"""

from balie.organisations.apply.errors import ApplyError
from balie.organisations.apply.writer import apply_config, apply_file

__all__ = ["ApplyError", "apply_config", "apply_file"]
