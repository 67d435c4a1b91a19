"""CLI commands of the features stage (placeholder until the stage lands)."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main app."""
