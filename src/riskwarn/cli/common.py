"""Options and helpers shared by every sub-command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from riskwarn.config import Settings, get_settings

__all__ = ["HomeOption", "settings_for"]

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar="RISKWARN_HOME",
        help="the data directory that holds all state (default ./var)",
        show_default=False,
    ),
]


def settings_for(home: Path | None) -> Settings:
    """Settings for a command, with its data directory created."""
    settings = get_settings(home)
    settings.ensure_dirs()
    return settings
