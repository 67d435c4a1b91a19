"""CLI of the ingest stage: `ingest DIR…`, `status`, `quarantine list|export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from riskwarn.cli.common import HomeOption, settings_for
from riskwarn.config import Settings
from riskwarn.contract.reasons import FLAGS, REJECT_REASONS
from riskwarn.errors import RiskwarnError

__all__ = ["print_status", "register"]

_LINK_LABELS = {
    "id": "按代码 / by id",
    "name": "按名称匹配 / matched by name",
    "ambiguous_name": "名称不唯一 / ambiguous name",
    "unknown_name": "名称未找到 / unknown name",
    "no_name": "无名称 / no name",
}

FeedOpt = Annotated[str | None, typer.Option("--feed", help="only this feed, e.g. complaints")]
ReasonOpt = Annotated[
    str | None,
    typer.Option("--reason", help=f"only rows with this reason code ({', '.join(REJECT_REASONS)})"),
]
DeliveryOpt = Annotated[str | None, typer.Option("--delivery", help="only this delivery_id")]


def _fail(exc: Exception) -> None:
    typer.echo(f"错误 / error: {exc}", err=True)
    raise typer.Exit(code=1)


def _reason_label(code: str) -> str:
    zh, _ = REJECT_REASONS.get(code) or FLAGS.get(code) or (code, code)
    return f"{zh} {code}"


def print_status(settings: Settings, deliveries: int = 10) -> None:
    """Print the store's status tables (per feed, then the latest deliveries) to the console."""
    from rich.console import Console
    from rich.table import Table

    from riskwarn.store import connect
    from riskwarn.store.status import feed_status, last_deliveries

    con = connect(settings, read_only=True)
    try:
        feeds = feed_status(con)
        recent = last_deliveries(con, deliveries)
    finally:
        con.close()
    console = Console()
    if not console.is_terminal and console.width < 160:  # logs and pipes: keep the tables readable
        console = Console(width=160)
    table = Table(title="数据状态 / store status")
    for label in (
        "数据源 / feed",
        "当前记录 / records",
        "版本 / versions",
        "隔离 / quarantined",
        "隔离原因 / quarantined by reason",
        "名称关联 / name links",
    ):
        table.add_column(label)
    for f in feeds:
        reasons = "\n".join(
            f"{_reason_label(c)}: {n:,}" for c, n in f.quarantined_by_reason.items()
        )
        links = "\n".join(f"{_LINK_LABELS.get(m, m)}: {n:,}" for m, n in f.links.items())
        table.add_row(
            f"{f.label_zh} / {f.feed}",
            f"{f.records:,}",
            f"{f.versions:,}",
            f"{f.quarantined:,}",
            reasons or "—",
            links or "—",
        )
    console.print(table)
    dtable = Table(title="最近交付 / last deliveries")
    for label in (
        "交付 / delivery",
        "交付时间 / delivered at",
        "入库时间 / ingested at",
        "读取 / read",
        "接收 / accepted",
        "隔离 / rejected",
        "替换 / replaced",
        "标记 / flagged",
    ):
        dtable.add_column(label)
    for d in recent:
        dtable.add_row(
            d.delivery_id + (" (backfill)" if d.backfill else ""),
            f"{d.delivered_at:%Y-%m-%d %H:%M}",
            f"{d.ingested_at:%Y-%m-%d %H:%M}",
            f"{d.rows_read:,}",
            f"{d.rows_accepted:,}",
            f"{d.rows_rejected:,}",
            f"{d.rows_replaced:,}",
            f"{d.rows_flagged:,}",
        )
    console.print(dtable)


def register(app: typer.Typer) -> None:
    """Add `ingest`, `status` and `quarantine` to the main app."""

    @app.command("ingest")
    def ingest_cmd(
        paths: Annotated[
            list[Path],
            typer.Argument(
                help="delivery folders, or folders holding delivery folders", show_default=False
            ),
        ],
        home: HomeOption = None,
        progress: Annotated[
            bool, typer.Option("--progress/--no-progress", help="show rows, rate, ETA")
        ] = True,
    ) -> None:
        """数据入库 / Ingest deliveries: validate every row, keep every version, quarantine bad rows.

        Deliveries are taken in delivered_at order (manifest.json), each in one transaction;
        a delivery already in the store with the same content changes nothing.
        """
        from rich.console import Console

        from riskwarn.ingest import ingest
        from riskwarn.ingest.report import reports_table

        settings = settings_for(home)
        try:
            reports = ingest(paths, settings, progress=progress)
        except RiskwarnError as exc:
            _fail(exc)
            return
        Console().print(reports_table(reports))

    @app.command("status")
    def status_cmd(
        home: HomeOption = None,
        deliveries: Annotated[
            int, typer.Option("--deliveries", help="how many recent deliveries")
        ] = 10,
    ) -> None:
        """库状态 / Store status: records, versions, quarantine by reason, name links, last deliveries."""
        try:
            print_status(settings_for(home), deliveries)
        except RiskwarnError as exc:
            _fail(exc)

    quarantine = typer.Typer(
        help="隔离区 / Quarantine: rejected rows with file, line, raw content and every reason.",
        no_args_is_help=True,
    )
    app.add_typer(quarantine, name="quarantine")

    @quarantine.command("list")
    def quarantine_list(
        home: HomeOption = None,
        feed: FeedOpt = None,
        reason: ReasonOpt = None,
        delivery: DeliveryOpt = None,
        limit: Annotated[int, typer.Option("--limit", help="at most this many rows")] = 50,
    ) -> None:
        """列出隔离行 / List quarantined rows with their reasons."""
        from rich.console import Console
        from rich.table import Table

        from riskwarn.store import connect
        from riskwarn.store.status import quarantine_rows

        try:
            con = connect(settings_for(home), read_only=True)
        except RiskwarnError as exc:
            _fail(exc)
            return
        try:
            rows = quarantine_rows(con, feed=feed, reason=reason, delivery=delivery, limit=limit)
        finally:
            con.close()
        table = Table(title=f"隔离行 / quarantined rows (≤ {limit})")
        for label in (
            "交付 / delivery",
            "数据源 / feed",
            "文件 / file",
            "行 / line",
            "原因代码 / reason codes",
            "原因 / reasons",
            "原始内容 / raw",
        ):
            table.add_column(label, overflow="fold")
        for d, f, file, line, codes, reasons, raw, _ in rows:
            table.add_row(
                d, f, file, str(line), ", ".join(_reason_label(c) for c in codes), reasons, raw
            )
        Console().print(table)

    @quarantine.command("export")
    def quarantine_export(
        out: Annotated[Path, typer.Option("--out", help="file to write (.csv or .parquet)")],
        home: HomeOption = None,
        feed: FeedOpt = None,
        reason: ReasonOpt = None,
        delivery: DeliveryOpt = None,
        fmt: Annotated[
            str | None,
            typer.Option("--format", help="csv or parquet (default: from --out's suffix)"),
        ] = None,
    ) -> None:
        """导出隔离行 / Export quarantined rows with their reasons to CSV or Parquet."""
        from riskwarn.store import connect
        from riskwarn.store.status import export_quarantine

        chosen = fmt or ("parquet" if out.suffix.lower() == ".parquet" else "csv")
        try:
            con = connect(settings_for(home), read_only=True)
            try:
                n = export_quarantine(con, out, chosen, feed=feed, reason=reason, delivery=delivery)  # type: ignore[arg-type]
            finally:
                con.close()
        except RiskwarnError as exc:
            _fail(exc)
            return
        typer.echo(f"已导出 / exported {n:,} rows → {out}")
