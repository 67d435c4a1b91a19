"""`riskwarn features build|describe`: the indicator matrix and its bilingual reference page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from riskwarn.cli.common import HomeOption, settings_for

__all__ = ["register"]


def _open_store(settings):  # type: ignore[no-untyped-def]
    """The store, read-only: building features never writes to it."""
    from riskwarn.store import connect

    return connect(settings, read_only=True)


def score_pending_texts(settings) -> int:  # type: ignore[no-untyped-def]
    """Score the complaint/sentiment versions not yet in text_scores (sentiment indicators read
    them); the store is opened for writing only when there is something to score."""
    from riskwarn.features.text import update_text_scores
    from riskwarn.features.text.scores import has_pending_texts
    from riskwarn.store import connect

    con = connect(settings, read_only=True)
    try:
        if not has_pending_texts(con):
            return 0
    finally:
        con.close()
    con = connect(settings)
    try:
        return update_text_scores(con, progress=True)
    finally:
        con.close()


def _parse_dates(values: list[str]) -> list[dt.date]:
    out = []
    for v in values:
        try:
            out.append(dt.date.fromisoformat(v))
        except ValueError:
            raise typer.BadParameter(
                f"{v!r} is not a YYYY-MM-DD date", param_hint="--as-of"
            ) from None
    return out


def register(app: typer.Typer) -> None:
    """Add the `features` command group to the main app."""
    group = typer.Typer(
        help="指标体系 / indicators: build the point-in-time feature matrix, describe the catalog.",
        no_args_is_help=True,
    )

    @group.command("build")
    def build(
        as_of: Annotated[
            list[str], typer.Option("--as-of", help="截至日 / as-of date YYYY-MM-DD (repeatable)")
        ],
        out: Annotated[
            Path | None, typer.Option("--out", help="write the Parquet here instead of features/")
        ] = None,
        home: HomeOption = None,
        score_texts: Annotated[
            bool,
            typer.Option(help="score not-yet-scored complaint/sentiment texts first"),
        ] = True,
    ) -> None:
        """生成特征矩阵 / Build the subject × as-of feature matrix from the store."""
        import json

        from riskwarn.features.build import build_feature_file
        from riskwarn.features.catalog import load_catalog

        dates = _parse_dates(as_of)
        settings = settings_for(home)
        catalog = load_catalog()
        if score_texts:
            score_pending_texts(settings)
        con = _open_store(settings)
        try:
            path = build_feature_file(con, dates, settings, catalog, out, progress=True)
        finally:
            con.close()
        report = json.loads(Path(f"{path.with_suffix('')}.summary.json").read_text())["build"]
        typer.echo(
            f"特征矩阵 / feature matrix: {path} — {report['rows']:,} 行 / rows × "
            f"{len(catalog.indicators)} 指标 / indicators, catalog {catalog.version}, "
            f"{report['seconds']:.1f}s"
        )
        for day, counts in report.get("unlinked", {}).items():
            typer.echo(
                f"  {day}: 未关联主体 / unlinked — 投诉 complaints {counts.get('complaints', 0):,}, "
                f"舆情 sentiment {counts.get('sentiment', 0):,}"
            )

    @group.command("text-scores")
    def text_scores(home: HomeOption = None) -> None:
        """文本评分 / Score new complaint and sentiment texts: negativity, spam flag, risk topics."""
        scored = score_pending_texts(settings_for(home))
        typer.echo(f"文本评分 / text versions scored: {scored:,}")

    @group.command("describe")
    def describe(
        out: Annotated[
            Path | None, typer.Option("--out", help="write the markdown page to this file")
        ] = None,
    ) -> None:
        """指标说明 / Write the bilingual reference page of the indicator catalog."""
        from riskwarn.features.catalog import load_catalog
        from riskwarn.features.describe import describe_catalog

        text = describe_catalog(load_catalog())
        if out is None:
            typer.echo(text)
            return
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        typer.echo(f"指标说明 / reference page: {out}")

    app.add_typer(group, name="features")
