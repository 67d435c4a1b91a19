"""The embedded store: the only package that knows its tables (see docs/store.md)."""
