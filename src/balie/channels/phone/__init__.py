"""Phone: a TaskRouter-shaped API for a PBX. Balie routes calls it does not carry."""
