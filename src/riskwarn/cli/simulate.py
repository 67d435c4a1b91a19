"""CLI of the simulate stage: `riskwarn simulate` writes a simulated province to a folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from riskwarn.errors import RiskwarnError

__all__ = ["register"]


def _parse_start(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a YYYY-MM-DD date") from None


def register(app: typer.Typer) -> None:
    """Add `simulate` to the main app."""

    @app.command("simulate")
    def simulate_cmd(
        out: Annotated[
            Path,
            typer.Option(
                "--out",
                help="folder to write deliveries/ and truth/ into (must not hold a simulation yet)",
            ),
        ],
        entities: Annotated[
            int, typer.Option("--entities", min=1, help="number of supervised subjects")
        ] = 3000,
        months: Annotated[
            int,
            typer.Option(
                "--months", min=1, max=120, help="monthly deliveries after the history backfill"
            ),
        ] = 24,
        seed: Annotated[
            int, typer.Option("--seed", help="random seed; the same seed writes the same bytes")
        ] = 0,
        start: Annotated[
            str, typer.Option("--start", help="first simulated month, YYYY-MM-01")
        ] = "2023-01-01",
        dirt_rate: Annotated[
            float,
            typer.Option(
                "--dirt-rate", min=0.0, max=0.2, help="share of rows given one injected fault"
            ),
        ] = 0.01,
        workers: Annotated[
            int, typer.Option("--workers", min=0, help="parallel processes (0 = up to 2)")
        ] = 0,
    ) -> None:
        """模拟省份 / simulate a province: contract-format monthly deliveries plus the ground truth.

        Writes OUT/deliveries/<month>/ (each with manifest.json; the first is a backfill of
        12 months of history) and OUT/truth/ (entities, entity_month with the true monthly
        violation probability, dirt log, corrections, name mentions, summary.json).
        """
        from riskwarn.simulate import simulate

        try:
            summary = simulate(
                out,
                entities=entities,
                months=months,
                seed=seed,
                start=_parse_start(start),
                dirt_rate=dirt_rate,
                workers=workers or None,
            )
        except RiskwarnError as exc:
            typer.echo(f"错误 / error: {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(str(summary))
        for feed, n in summary.rows.items():
            typer.echo(f"  {feed:<12} {n:>12,} rows")
