"""The embedded store: the only package that knows its tables (see docs/store.md)."""

from riskwarn.store.connection import connect

__all__ = ["connect"]
