"""Balie: an omnichannel contact centre for Dutch public bodies."""

__version__ = "0.1.0"
