"""Mutirões: community environmental volunteering platform."""

__version__ = "0.1.0"
