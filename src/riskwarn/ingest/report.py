"""What ingesting a delivery did: counts per delivery and file, rejections by reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rich.table import Table

from riskwarn.contract.reasons import REJECT_REASONS

__all__ = ["DeliveryReport", "FileReport", "reports_table"]


@dataclass(frozen=True)
class FileReport:
    """Counts and hash of one file of a delivery."""

    file: str
    feed: str
    format: str
    sha256: str
    bytes: int
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0


@dataclass
class DeliveryReport:
    """Outcome of one delivery: ingested now, or already in the store (nothing changed)."""

    delivery_id: str
    folder: Path
    delivered_at: dt.datetime
    backfill: bool
    status: Literal["ingested", "already_ingested"]
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_replaced: int = 0
    rows_flagged: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    files: list[FileReport] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def __str__(self) -> str:
        state = "已入库 / ingested" if self.status == "ingested" else "已存在 / already ingested"
        return (
            f"{self.delivery_id} ({self.delivered_at:%Y-%m-%d %H:%M}"
            f"{', backfill' if self.backfill else ''}): {state}; 读取 read {self.rows_read:,}, "
            f"接收 accepted {self.rows_accepted:,}, 隔离 rejected {self.rows_rejected:,}, "
            f"替换 replaced {self.rows_replaced:,}, 标记 flagged {self.rows_flagged:,}"
        )


def reports_table(reports: Sequence[DeliveryReport]) -> Table:
    """A rich table of delivery reports, Chinese labels first with English beside them."""
    table = Table(title="入库结果 / ingest results")
    for label in (
        "交付 / delivery",
        "交付时间 / delivered at",
        "状态 / status",
        "读取 / read",
        "接收 / accepted",
        "隔离 / rejected",
        "替换 / replaced",
        "标记 / flagged",
        "隔离原因 / rejected by reason",
    ):
        table.add_column(label)
    status_label = {
        "ingested": "已入库 / ingested",
        "already_ingested": "已存在 / already ingested",
    }
    for r in reports:
        reasons = ", ".join(
            f"{REJECT_REASONS.get(code, (code,))[0]} {code}: {n:,}"
            for code, n in sorted(r.rejected_by_reason.items(), key=lambda kv: -kv[1])
        )
        table.add_row(
            r.delivery_id,
            f"{r.delivered_at:%Y-%m-%d %H:%M}" + (" (backfill)" if r.backfill else ""),
            status_label[r.status],
            f"{r.rows_read:,}",
            f"{r.rows_accepted:,}",
            f"{r.rows_rejected:,}",
            f"{r.rows_replaced:,}",
            f"{r.rows_flagged:,}",
            reasons or "—",
        )
    return table
