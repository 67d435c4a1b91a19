"""Feed schemas as data: each feed's columns, types, required flags and enums.

The single source for the simulator (what it writes), ingest (what it validates) and
the store (what it keeps). Mirrors ../shared/contract/README.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ColumnSpec",
    "FEEDS",
    "FEED_NAMES",
    "EVENT_FEEDS",
    "FeedSpec",
    "feed",
]

ColumnType = Literal[
    "uscc", "text", "enum", "date", "time", "decimal", "integer", "bool", "region", "industry"
]


@dataclass(frozen=True)
class ColumnSpec:
    """One contract column."""

    name: str
    type: ColumnType
    required: bool = False
    values: tuple[str, ...] = ()  # allowed values for enums
    label_zh: str = ""
    label_en: str = ""


@dataclass(frozen=True)
class FeedSpec:
    """One feed: its key, its event-time column and its columns."""

    name: str
    label_zh: str
    label_en: str
    key: str  # record key; entities are keyed by entity_id
    event_column: str  # the row's own date/time (used for backfill known-from)
    columns: tuple[ColumnSpec, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"feed {self.name!r} has no column {name!r}")


C = ColumnSpec

FEEDS: dict[str, FeedSpec] = {
    f.name: f
    for f in (
        FeedSpec(
            "entities",
            "监管对象名录库",
            "supervised-subject registry",
            "entity_id",
            "established_on",
            (
                C("entity_id", "uscc", True, label_zh="统一社会信用代码", label_en="USCC"),
                C("name", "text", True, label_zh="名称", label_en="name"),
                C(
                    "entity_type",
                    "enum",
                    True,
                    ("enterprise", "individual_business", "farmer_coop", "non_market"),
                    "主体类型",
                    "subject type",
                ),
                C("region_code", "region", True, label_zh="行政区划", label_en="region"),
                C("industry_code", "industry", True, label_zh="行业", label_en="industry"),
                C("established_on", "date", True, label_zh="成立日期", label_en="established on"),
                C(
                    "registered_capital_wan",
                    "decimal",
                    label_zh="注册资本(万元)",
                    label_en="registered capital (10k yuan)",
                ),
                C(
                    "status",
                    "enum",
                    True,
                    ("active", "suspended", "revoked", "deregistered"),
                    "登记状态",
                    "status",
                ),
                C("tags", "text", label_zh="分类标注", label_en="tags"),
                C("legal_rep_name", "text", label_zh="法定代表人", label_en="legal representative"),
                C("address", "text", label_zh="地址", label_en="address"),
                C("updated_at", "time", True, label_zh="更新时间", label_en="updated at"),
            ),
        ),
        FeedSpec(
            "complaints",
            "投诉举报",
            "complaints and reports",
            "record_id",
            "received_at",
            (
                C("record_id", "text", True),
                C("entity_id", "uscc"),
                C("entity_name", "text"),
                C("received_at", "time", True),
                C("channel", "enum", True, ("hotline_12345", "web", "letter", "media", "transfer")),
                C("category", "text", True),
                C("text", "text"),
                C("substantiated", "bool"),
                C("department", "text", True),
            ),
        ),
        FeedSpec(
            "inspections",
            "抽查检查",
            "inspections",
            "record_id",
            "inspected_on",
            (
                C("record_id", "text", True),
                C("entity_id", "uscc", True),
                C("inspected_on", "date", True),
                C("department", "text", True),
                C("matter_code", "text", True),
                C(
                    "inspection_type",
                    "enum",
                    True,
                    ("random_draw", "routine", "targeted", "complaint_followup", "joint"),
                ),
                C("draw_probability", "decimal"),
                C(
                    "result",
                    "enum",
                    True,
                    ("compliant", "minor_issue", "violation", "not_found_at_address", "closed"),
                ),
                C("findings_text", "text"),
            ),
        ),
        FeedSpec(
            "penalties",
            "行政处罚",
            "administrative penalties",
            "record_id",
            "decided_on",
            (
                C("record_id", "text", True),
                C("entity_id", "uscc", True),
                C("decided_on", "date", True),
                C("department", "text", True),
                C(
                    "severity",
                    "enum",
                    True,
                    (
                        "warning",
                        "fine",
                        "confiscation",
                        "suspension",
                        "license_revocation",
                        "detention_referral",
                    ),
                ),
                C("amount_yuan", "decimal"),
                C("legal_basis", "text"),
                C("revoked_on", "date"),
            ),
        ),
        FeedSpec(
            "blacklist",
            "失信惩戒",
            "dishonesty lists",
            "record_id",
            "listed_on",
            (
                C("record_id", "text", True),
                C("entity_id", "uscc", True),
                C(
                    "list_type",
                    "enum",
                    True,
                    ("abnormal_operation", "serious_dishonesty", "dishonest_debtor", "other"),
                ),
                C("listed_on", "date", True),
                C("reason", "text"),
                C("removed_on", "date"),
            ),
        ),
        FeedSpec(
            "sentiment",
            "舆情监测",
            "public sentiment",
            "record_id",
            "published_at",
            (
                C("record_id", "text", True),
                C("entity_id", "uscc"),
                C("entity_name", "text"),
                C("published_at", "time", True),
                C("source", "enum", True, ("news", "weibo", "wechat", "forum", "video", "other")),
                C("title", "text"),
                C("text", "text", True),
                C("reach", "integer"),
            ),
        ),
        FeedSpec(
            "judgments",
            "司法判决",
            "court judgments",
            "record_id",
            "judged_on",
            (
                C("record_id", "text", True),
                C("entity_id", "uscc", True),
                C("judged_on", "date", True),
                C(
                    "case_type",
                    "enum",
                    True,
                    ("civil", "administrative", "criminal", "enforcement"),
                ),
                C(
                    "role",
                    "enum",
                    True,
                    ("plaintiff", "defendant", "third_party", "enforced_party"),
                ),
                C("amount_yuan", "decimal"),
                C("cause", "text"),
            ),
        ),
    )
}

FEED_NAMES: tuple[str, ...] = tuple(FEEDS)
EVENT_FEEDS: tuple[str, ...] = tuple(n for n in FEEDS if n != "entities")


def feed(name: str) -> FeedSpec:
    """The spec of feed `name`; a clear error for an unknown name."""
    try:
        return FEEDS[name]
    except KeyError:
        raise KeyError(f"unknown feed {name!r}; known feeds: {', '.join(FEEDS)}") from None
