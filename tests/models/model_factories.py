"""Factories for model tests (imported by conftest and tests as `model_factories`): a small synthetic province written into a real DuckDB store,
a toy indicator catalog shaped like features/, and a point-in-time feature function shaped
like build_features' output (entity_id, as_of, one column per indicator)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from riskwarn.contract.uscc import check_char
from riskwarn.store.pit import as_of_cutoff, known_versions_sql
from riskwarn.store.schema import create_schema

START = dt.date(2023, 1, 1)


@dataclass(frozen=True)
class ToyIndicator:
    id: str
    kind: str
    direction: int
    weight: float
    threshold: float | None
    label_zh: str = "测试指标"
    label_en: str = "test indicator"
    family: str = "test"
    feed: str = "inspections"
    description: str = ""


@dataclass(frozen=True)
class ToyCatalog:
    version: str = "toy-v1"
    indicators: list[ToyIndicator] = field(
        default_factory=lambda: [
            ToyIndicator("prior_violations", "numeric", 1, 2.0, 1.0),
            ToyIndicator("prior_inspections", "numeric", 0, 0.0, None),
            ToyIndicator("complaints_180d", "numeric", 1, 1.0, None),
            ToyIndicator("capital", "numeric", -1, 0.5, None),
            ToyIndicator("entity_type", "categorical", 0, 0.0, None),
        ]
    )


def _uscc(i: int, kind: str) -> str:
    body = f"9{kind}610100{i:09d}"
    return body + check_char(body)


def _month_start(i: int) -> dt.date:
    return dt.date(START.year + (START.month - 1 + i) // 12, (START.month - 1 + i) % 12 + 1, 1)


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: pd.DataFrame) -> None:
    con.register("_rows", rows)
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    con.unregister("_rows")


def _prov(n: int, delivery: str, delivered_at: dt.datetime, seq: int) -> dict[str, object]:
    return {
        "delivery_id": [delivery] * n,
        "delivered_at": [delivered_at] * n,
        "known_at": [delivered_at] * n,
        "delivery_seq": [seq] * n,
        "source_file": ["synthetic.csv"] * n,
        "source_line": list(range(1, n + 1)),
    }


def build_province(path: Path, entities: int = 3000, months: int = 16, seed: int = 0) -> Path:
    """A store with a latent risk per subject that drives violations and complaints.

    Each month's events are delivered on the 1st of the next month at 02:00; random draws
    carry a draw probability that is higher for food businesses (a weighted draw). The true
    violation probability is written like the simulator's truth/entity_month.parquet.
    """
    rng = np.random.default_rng(seed)
    con = duckdb.connect(str(path))
    create_schema(con)
    kinds = rng.choice(["1", "2"], entities, p=[0.6, 0.4])
    ids = [_uscc(i, k) for i, k in enumerate(kinds)]
    risk = 1 / (1 + np.exp(-(rng.normal(-1.6, 1.1, entities))))
    capital = np.round(rng.lognormal(4 - 2 * risk, 1.0), 2)
    food = rng.random(entities) < 0.3
    first = dt.datetime(2023, 1, 1, 2)
    ent = pd.DataFrame(
        {
            "entity_id": ids,
            "name": [f"测试主体{i}" for i in range(entities)],
            "entity_type": np.where(kinds == "1", "enterprise", "individual_business"),
            "region_code": rng.choice(["610102", "610302", "610402"], entities),
            "industry_code": np.where(food, "H6210", "F5265"),
            "established_on": [dt.date(2020, 1, 1)] * entities,
            "registered_capital_wan": capital,
            "status": ["active"] * entities,
            "updated_at": [first] * entities,
        }
        | _prov(entities, "backfill", first, 0)
    )
    _insert(con, "v_entities", ent)
    n_rec = 0
    for m in range(months):
        start = _month_start(m)
        delivered = dt.datetime.combine(_month_start(m + 1), dt.time(2))
        days = (_month_start(m + 1) - start).days
        p_draw = np.where(food, 0.08, 0.03)
        drawn = rng.random(entities) < p_draw
        complaints = rng.poisson(0.15 * risk / risk.mean() * 0.5)
        targeted = (complaints > 0) & (rng.random(entities) < 0.3)
        rows = []
        for kind, mask in (("random_draw", drawn), ("targeted", targeted & ~drawn)):
            idx = np.flatnonzero(mask)
            p_viol = np.clip(risk[idx] * (1.3 if kind == "targeted" else 1.0), 0, 1)
            viol = rng.random(len(idx)) < p_viol
            rows.append(
                pd.DataFrame(
                    {
                        "entity_id": [ids[i] for i in idx],
                        "inspected_on": [
                            start + dt.timedelta(int(d)) for d in rng.integers(0, days, len(idx))
                        ],
                        "department": "SAMR",
                        "matter_code": "M001",
                        "inspection_type": kind,
                        "draw_probability": p_draw[idx] if kind == "random_draw" else np.nan,
                        "result": np.where(viol, "violation", "compliant"),
                    }
                )
            )
        insp = pd.concat(rows, ignore_index=True)
        insp["record_id"] = [f"I{n_rec + i}" for i in range(len(insp))]
        n_rec += len(insp)
        for k, v in _prov(len(insp), f"d{m}", delivered, m + 1).items():
            insp[k] = v
        _insert(con, "v_inspections", insp)
        cidx = np.repeat(np.arange(entities), complaints)
        comp = pd.DataFrame(
            {
                "record_id": [f"C{m}_{i}" for i in range(len(cidx))],
                "entity_id": [ids[i] for i in cidx],
                "linked_entity_id": [ids[i] for i in cidx],
                "received_at": [
                    dt.datetime.combine(start + dt.timedelta(int(d)), dt.time(10))
                    for d in rng.integers(0, days, len(cidx))
                ],
                "channel": "hotline_12345",
                "category": "食品安全",
                "department": "SAMR",
            }
            | _prov(len(cidx), f"d{m}", delivered, m + 1)
        )
        _insert(con, "v_complaints", comp)
    truth = path.parent / "truth"
    truth.mkdir(exist_ok=True)
    pd.DataFrame(
        {
            "entity_id": np.repeat(ids, months + 6),
            "month": np.tile([_month_start(m) for m in range(months + 6)], entities),
            "p_violation": np.repeat(risk, months + 6),
        }
    ).to_parquet(truth / "entity_month.parquet")
    deliveries = pd.DataFrame(
        {
            "delivery_id": [f"d{m}" for m in range(months)],
            "folder": [f"d{m}" for m in range(months)],
            "delivered_at": [
                dt.datetime.combine(_month_start(m + 1), dt.time(2)) for m in range(months)
            ],
            "backfill": False,
            "content_hash": "x",
            "delivery_seq": list(range(1, months + 1)),
            "ingested_at": first,
            "rows_read": 0,
            "rows_accepted": 0,
            "rows_rejected": 0,
            "rows_replaced": 0,
            "rows_flagged": 0,
        }
    )
    _insert(con, "deliveries", deliveries)
    con.close()
    return path


def toy_features(
    con: duckdb.DuckDBPyConnection, as_of: Sequence[dt.date], catalog: object
) -> pd.DataFrame:
    """Point-in-time toy indicators for every registered subject at each as-of date."""
    parts = []
    for d in as_of:
        c = f"TIMESTAMP '{as_of_cutoff(d).isoformat(sep=' ')}'"
        parts.append(
            con.execute(
                f"""
                WITH e AS ({known_versions_sql("entities", c)}),
                i AS ({known_versions_sql("inspections", c)}),
                k AS ({known_versions_sql("complaints", c)})
                SELECT e.entity_id, DATE '{d}' AS as_of,
                  (SELECT count(*) FROM i WHERE i.entity_id = e.entity_id
                     AND i.result = 'violation' AND i.inspected_on < {c})::DOUBLE AS prior_violations,
                  (SELECT count(*) FROM i WHERE i.entity_id = e.entity_id
                     AND i.inspected_on < {c})::DOUBLE AS prior_inspections,
                  (SELECT count(*) FROM k WHERE k.linked_entity_id = e.entity_id
                     AND k.received_at < {c}
                     AND k.received_at >= {c} - INTERVAL 180 DAY)::DOUBLE AS complaints_180d,
                  e.registered_capital_wan::DOUBLE AS capital,
                  e.entity_type
                FROM e WHERE e.established_on <= DATE '{d}' ORDER BY e.entity_id
                """
            ).df()
        )
    out = pd.concat(parts, ignore_index=True)
    out["as_of"] = pd.to_datetime(out["as_of"]).dt.date
    return out


def fast_config(**sections: dict[str, object]):  # type: ignore[no-untyped-def]
    """Model config for the toy province: 60-day labels, quick LightGBM, no bootstrap;
    `sections` override further keys (e.g. gate={...})."""
    from riskwarn.models.config import load_model_config

    base = load_model_config()
    lgb = dict(base.get("training", "lightgbm")) | {
        "learning_rate": 0.1,
        "num_leaves": 15,
        "n_estimators": 300,
        "early_stopping_rounds": 20,
    }
    cfg = base.with_overrides(
        labels={"horizon_days": 60, "min_random_draw_rows": 100},
        evaluation={"bootstrap": 0, "shap_rows": 300},
        training={"lightgbm": lgb},
    )
    return cfg.with_overrides(**sections) if sections else cfg
