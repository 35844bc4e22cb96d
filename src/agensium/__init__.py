"""Agensium: a self-hostable data-quality service (profile, clean, master)."""

__version__ = "0.1.0"
