"""Scoring: the champion model applied to subjects, point-in-time."""
