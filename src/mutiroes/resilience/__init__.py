"""Breakers, retries and fallbacks for calls to dependencies. Imports nothing from the project."""
