"""Point-in-time labels: what inspections and adverse events found after each as-of date.

An outcome counts only if the platform knew it by the label cutoff (store/pit.py
convention: known_at < cutoff + 1 day), so retraining later can never rewrite a past
evaluation with news that arrived afterwards.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from riskwarn.errors import ModelError
from riskwarn.store.pit import as_of_cutoff, known_versions_sql

__all__ = [
    "DETERMINATE_RESULTS",
    "INSPECTION_TYPES",
    "LABEL_COLUMNS",
    "LABELS",
    "build_labels",
    "describe_labels",
]

# results that say whether the subject complied; not_found_at_address / closed do not
DETERMINATE_RESULTS: tuple[str, ...] = ("compliant", "minor_issue", "violation")
INSPECTION_TYPES: tuple[str, ...] = (
    "random_draw",
    "routine",
    "targeted",
    "complaint_followup",
    "joint",
)

# column → (中文, English, definition)
LABELS: dict[str, tuple[str, str, str]] = {
    "label": (
        "检查发现违法 (主标签)",
        "violation found (primary)",
        "1 if an inspection with inspected_on in (as_of, as_of+H] found `violation`, 0 if every "
        "such inspection with a determinate result (compliant, minor_issue, violation) found none, "
        "empty when the subject had no determinate inspection in the window (unlabelled).",
    ),
    "any_inspection": (
        "窗口内有检查",
        "inspected in window",
        "any inspection (any result, including not_found_at_address and closed) in the window.",
    ),
    "any_random_draw": (
        "窗口内有双随机抽查",
        "random draw in window",
        "a `random_draw` inspection with a determinate result in the window; these rows are the "
        "unbiased evaluation sample, because the draw did not follow suspected risk.",
    ),
    "random_draw_label": (
        "双随机抽查发现违法",
        "violation found by a random draw",
        "1/0 over the window's random-draw inspections only; empty without one.",
    ),
    "draw_probability": (
        "抽中概率",
        "draw probability",
        "the inclusion probability of the window's first random draw, when the feed gave it; "
        "1/p is the inverse-probability weight used for evaluation and (optionally) training.",
    ),
    "serious_event": (
        "严重不良事件 (辅标签)",
        "serious adverse event (secondary)",
        "penalty above a warning (fine, confiscation, suspension, licence revocation, detention "
        "referral) not revoked by the cutoff, or a `serious_dishonesty` listing, dated in the "
        "window; observed for every subject (0 when nothing was recorded).",
    ),
    "window_closed": (
        "标签窗口已结束",
        "label window closed",
        "as_of + H is on or before the label cutoff, so the label can no longer change; only "
        "closed rows train or evaluate a model.",
    ),
}

LABEL_COLUMNS: tuple[str, ...] = (
    "entity_id",
    "as_of",
    "n_inspections",
    "any_inspection",
    "label",
    "any_random_draw",
    "random_draw_label",
    "draw_probability",
    *(f"n_{t}" for t in INSPECTION_TYPES),
    "first_inspected_on",
    "serious_event",
    "window_closed",
)


def _ts(value: dt.datetime) -> str:
    return f"TIMESTAMP '{value.isoformat(sep=' ')}'"


def _labels_sql(horizon_days: int, cutoff: dt.datetime) -> str:
    det = ", ".join(f"'{r}'" for r in DETERMINATE_RESULTS)
    c = _ts(cutoff)
    win = (
        "x.entity_id = s.entity_id AND {d} > s.as_of "
        f"AND {{d}} <= s.as_of + INTERVAL {int(horizon_days)} DAY AND {{d}} < {c}"
    )
    types = ",\n  ".join(
        f"count(*) FILTER (WHERE x.inspection_type = '{t}')::BIGINT AS n_{t}"
        for t in INSPECTION_TYPES
    )
    rd = f"x.inspection_type = 'random_draw' AND x.result IN ({det})"
    return f"""
WITH s AS (SELECT entity_id, as_of::DATE AS as_of, _row FROM _label_subjects),
insp AS (
  SELECT s._row,
  count(*)::BIGINT AS n_inspections,
  count(*) FILTER (WHERE x.result IN ({det}))::BIGINT AS n_labelled,
  bool_or(x.result = 'violation') FILTER (WHERE x.result IN ({det})) AS violation,
  count(*) FILTER (WHERE {rd})::BIGINT AS n_rd,
  bool_or(x.result = 'violation') FILTER (WHERE {rd}) AS rd_violation,
  arg_min(x.draw_probability, x.inspected_on) FILTER (WHERE {rd}) AS draw_probability,
  {types},
  min(x.inspected_on) FILTER (WHERE x.result IN ({det})) AS first_inspected_on
  FROM s JOIN ({known_versions_sql("inspections", c)}) x ON {win.format(d="x.inspected_on")}
  GROUP BY s._row
),
pen AS (
  SELECT DISTINCT s._row FROM s JOIN ({known_versions_sql("penalties", c)}) x
  ON {win.format(d="x.decided_on")}
  WHERE x.severity <> 'warning' AND (x.revoked_on IS NULL OR x.revoked_on >= {c})
),
bl AS (
  SELECT DISTINCT s._row FROM s JOIN ({known_versions_sql("blacklist", c)}) x
  ON {win.format(d="x.listed_on")}
  WHERE x.list_type = 'serious_dishonesty'
)
SELECT s._row, s.entity_id, s.as_of,
  coalesce(insp.n_inspections, 0) AS n_inspections,
  coalesce(insp.n_inspections, 0) > 0 AS any_inspection,
  CASE WHEN coalesce(insp.n_labelled, 0) > 0 THEN insp.violation::INTEGER END AS label,
  coalesce(insp.n_rd, 0) > 0 AS any_random_draw,
  CASE WHEN coalesce(insp.n_rd, 0) > 0 THEN insp.rd_violation::INTEGER END AS random_draw_label,
  insp.draw_probability::DOUBLE AS draw_probability,
  {", ".join(f"coalesce(insp.n_{t}, 0) AS n_{t}" for t in INSPECTION_TYPES)},
  insp.first_inspected_on,
  (pen._row IS NOT NULL OR bl._row IS NOT NULL) AS serious_event,
  s.as_of + INTERVAL {int(horizon_days)} DAY < {c} AS window_closed
FROM s LEFT JOIN insp USING (_row) LEFT JOIN pen USING (_row) LEFT JOIN bl USING (_row)
ORDER BY s._row
"""


def build_labels(
    con: duckdb.DuckDBPyConnection,
    subjects: pd.DataFrame,
    horizon_days: int,
    label_cutoff: dt.date,
) -> pd.DataFrame:
    """Labels for each (entity_id, as_of) row of `subjects`, in the same order.

    Only versions known by the end of `label_cutoff` count, and only events dated on or
    before it. Columns: LABEL_COLUMNS (see LABELS for each definition).
    """
    for col in ("entity_id", "as_of"):
        if col not in subjects.columns:
            raise ModelError(f"build_labels: subjects frame has no {col!r} column")
    if horizon_days <= 0:
        raise ModelError(f"build_labels: horizon_days must be positive, got {horizon_days}")
    frame = pd.DataFrame(
        {
            "entity_id": subjects["entity_id"].astype(str).to_numpy(),
            "as_of": pd.to_datetime(subjects["as_of"]).to_numpy(),
            "_row": range(len(subjects)),
        }
    )
    con.register("_label_subjects", frame)
    try:
        out = con.execute(_labels_sql(horizon_days, as_of_cutoff(label_cutoff))).df()
    finally:
        con.unregister("_label_subjects")
    out = out.drop(columns="_row")
    out["as_of"] = pd.to_datetime(out["as_of"]).dt.date
    for col in ("label", "random_draw_label"):
        out[col] = out[col].astype("Int8")
    out["first_inspected_on"] = pd.to_datetime(out["first_inspected_on"])
    return out[list(LABEL_COLUMNS)]


def describe_labels(horizon_days: int) -> str:
    """A one-page markdown description of every label column (riskwarn labels describe)."""
    lines = [
        "# 标签说明 / Label definitions",
        "",
        f"Window H = {horizon_days} days after each monthly as-of date. Outcomes count only "
        "once known: a record version counts if its known_at is before the end of the label "
        "cutoff day (the same point-in-time rule the features use), and the latest version "
        "known by then wins (e.g. a penalty revoked before the cutoff is no longer an event).",
        "",
        "Selection bias: only inspected subjects get a primary label, and targeted, "
        "complaint-follow-up and joint inspections go where risk was already suspected. "
        "Metrics are therefore reported separately on random-draw inspections (weighted by "
        "1/draw_probability), which estimate what a uniform inspection of the population "
        "would find.",
        "",
        "| 列 column | 中文 | English | definition |",
        "|---|---|---|---|",
    ]
    for col, (zh, en, text) in LABELS.items():
        lines.append(f"| `{col}` | {zh} | {en} | {text} |")
    lines += [
        "",
        "Also per row: `n_inspections` and `n_<type>` for each inspection type "
        f"({', '.join(INSPECTION_TYPES)}) — the inspection mix of the window — and "
        "`first_inspected_on`, used by the schedule metric.",
    ]
    return "\n".join(lines) + "\n"
