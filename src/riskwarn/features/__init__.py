"""Indicator system: catalog, point-in-time feature builders and text signals."""
