"""Entry point: `riskwarn --help` lists the stages in the order data flows through them."""

from __future__ import annotations

import typer

from riskwarn.cli import features as features_cli
from riskwarn.cli import info as info_cli
from riskwarn.cli import ingest as ingest_cli
from riskwarn.cli import models as models_cli
from riskwarn.cli import simulate as simulate_cli
from riskwarn.config import disable_telemetry

__all__ = ["app"]

app = typer.Typer(
    name="riskwarn",
    help=(
        "riskwarn — 跨部门综合监管风险预警 / cross-department supervision risk early warning.\n\n"
        "Stages, in the order data flows: simulate → ingest → status/quarantine → features."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _main() -> None:
    disable_telemetry()


simulate_cli.register(app)
ingest_cli.register(app)
features_cli.register(app)
models_cli.register(app)
info_cli.register(app)

if __name__ == "__main__":
    app()
