"""A brute-force, plain-Python reading of the catalog: the oracle for the builders.

Generic over the declarations: it interprets each indicator's feed, filter, window,
aggregation and fill itself, over version rows held in Python lists, so the property
test checks every indicator of the catalog, not a hand-picked few.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from decimal import Decimal
from typing import Any

from riskwarn.contract.schema import FEEDS
from riskwarn.features.catalog import Catalog, Condition, Indicator

__all__ = ["reference_matrix"]

TEXT_FEEDS = ("complaints", "sentiment")
INACTIVE = ("revoked", "deregistered")


def _day(v: Any) -> dt.date | None:
    if v is None:
        return None
    return v.date() if isinstance(v, dt.datetime) else v


def known_versions(rows: list[dict], key: str, cutoff: dt.datetime) -> list[dict]:
    """Per key, the version with the latest (delivered_at, delivery_seq, source_line) known by cutoff."""
    best: dict[Any, dict] = {}
    for r in rows:
        if r["known_at"] >= cutoff:
            continue
        order = (r["delivered_at"], r["delivery_seq"], r["source_line"])
        cur = best.get(r[key])
        if cur is None or order > (cur["delivered_at"], cur["delivery_seq"], cur["source_line"]):
            best[r[key]] = r
    return list(best.values())


def _cond(row: dict, c: Condition, as_of: dt.date) -> bool:
    v = row.get(c.column)
    op, x = c.op, c.value
    if op == "in":
        return v is not None and v in x
    if op == "not_in":
        return v is None or v not in x
    if op == "eq":
        return v is not None and v == x
    if op == "ne":
        return v is None or v != x
    if op == "gt":
        return v is not None and v > x
    if op == "gte":
        return v is not None and v >= x
    if op == "lt":
        return v is not None and v < x
    if op == "lte":
        return v is not None and v <= x
    if op == "is_null":
        return (v is None) == bool(x)
    if op == "contains":
        return v is not None and x in v
    if op == "null_or_after_as_of":
        after = v is None or _day(v) > as_of
        return after if x else not after
    raise AssertionError(op)


def _all(row: dict, conds: tuple[Condition, ...], as_of: dt.date) -> bool:
    return all(_cond(row, c, as_of) for c in conds)


def _num(v: Any) -> float | None:
    if v is None:
        return None
    return float(v) if not isinstance(v, Decimal) else float(v)


def _aggregate(rows: list[dict], ind: Indicator, as_of: dt.date) -> Any:
    def age(r: dict) -> int | None:
        if ind.event_column is None:
            return r["_d"]
        day = _day(r.get(ind.event_column))
        return None if day is None else (as_of - day).days

    if ind.agg == "trend":
        recent, earlier = ind.windows  # type: ignore[misc]
        sel = [age(r) for r in rows if _all(r, ind.filter, as_of)]
        n_r = sum(1 for a in sel if a < recent)
        n_e = sum(1 for a in sel if recent <= a < recent + earlier)
        return float(n_r) - float(n_e) * (recent / earlier)
    sel = []
    for r in rows:
        a = age(r)
        if a is None or a < 0 or (ind.window is not None and a >= ind.window):
            continue
        if _all(r, ind.filter, as_of):
            sel.append((a, r))
    if ind.agg == "count":
        return len(sel)
    if ind.agg == "exists":
        return 1 if sel else 0
    if ind.agg == "days_since":
        return min((a for a, _ in sel), default=None)
    if ind.agg == "days_since_first":
        return max((a for a, _ in sel), default=None)
    if ind.agg == "decayed":
        return sum(math.exp(-math.log(2) * a / ind.half_life) for a, _ in sel) if sel else None  # type: ignore[operator]
    if ind.agg == "share":
        if not sel:
            return None
        return sum(1 for _, r in sel if _all(r, ind.numerator, as_of)) / len(sel)
    vals = [r.get(ind.column) for _, r in sel]
    present = [v for v in vals if v is not None]
    if ind.agg == "sum":
        return _num(sum(present)) if present else None
    if ind.agg == "mean":
        return sum(map(float, present)) / len(present) if present else None
    if ind.agg == "max":
        return _num(max(present)) if present else None
    if ind.agg == "min":
        return _num(min(present)) if present else None
    if ind.agg == "distinct":
        return len(set(present))
    if ind.agg == "weighted_mean":
        pairs = [(float(r[ind.column]), math.log(2 + float(r.get(ind.weight_column) or 0)))
                 for _, r in sel if r.get(ind.column) is not None]  # fmt: skip
        if not pairs:
            return None
        return sum(v * w for v, w in pairs) / sum(w for _, w in pairs)
    if ind.agg == "latest":
        if not sel:
            return None
        return max(sel, key=lambda ar: (-ar[0], ar[1]["record_id"]))[1][ind.column]
    raise AssertionError(ind.agg)


def _attribute(reg: dict, ind: Indicator, as_of: dt.date) -> Any:
    v = reg.get(ind.column)
    tr = ind.transform
    if tr == "value":
        return _num(v) if ind.kind == "numeric" else v
    if tr == "industry_section":
        return None if v is None else v[:1]
    if tr == "city":
        return None if v is None else v[:4] + "00"
    if tr == "years_since":
        return (as_of - v).days / 365.25
    if tr == "has_tag":
        return 1 if v is not None and ind.tag in [t.strip() for t in v.split(";")] else 0
    if tr == "in":
        return 1 if v in ind.values else 0
    if tr == "contains_any":
        return 1 if v is not None and any(x in v for x in ind.values) else 0
    if tr == "map_prefix":
        for prefix, group in sorted(ind.mapping, key=lambda m: -len(m[0])):
            if v is not None and v.startswith(prefix):
                return group
        return ind.default
    raise AssertionError(tr)


def _group_key(reg: dict, key: str) -> Any:
    if key == "industry_section":
        return reg["industry_code"][:1]
    if key == "city":
        return reg["region_code"][:4] + "00"
    return reg[key]


def _event_rows(
    versions: dict[str, list[dict]], scores: dict[tuple, dict], feed: str, as_of: dt.date
) -> list[dict]:
    cutoff = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    spec = FEEDS[feed]
    out = []
    for r in known_versions(versions.get(feed, []), spec.key, cutoff):
        r = dict(r)
        if feed in TEXT_FEEDS:
            s = scores.get((feed, r["record_id"], r["delivery_id"]), {})
            r.update(is_spam=s.get("is_spam"), negativity=s.get("negativity"),
                     risk_topics=s.get("risk_topics"), entity_id=r.get("linked_entity_id"))  # fmt: skip
        d = (as_of - _day(r[spec.event_column])).days
        if d < 0 or r.get("entity_id") is None:
            continue
        r["_d"] = d
        out.append(r)
    return out


def reference_matrix(
    versions: dict[str, list[dict]],
    scores: dict[tuple, dict],
    catalog: Catalog,
    as_of: dt.date,
) -> dict[str, dict[str, Any]]:
    """entity_id -> {indicator id: value} at `as_of`, after fills, derived ones included."""
    cutoff = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    registry = {
        r["entity_id"]: r for r in known_versions(versions.get("entities", []), "entity_id", cutoff)
    }
    subjects = {
        e: r for e, r in registry.items()
        if r["established_on"] <= as_of and r["status"] not in INACTIVE
    }  # fmt: skip
    rows_by_feed = {f: _event_rows(versions, scores, f, as_of) for f in FEEDS if f != "entities"}
    by_entity: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for feed, rows in rows_by_feed.items():
        for r in rows:
            by_entity[r["entity_id"]][feed].append(r)
    for name, src in catalog.sources.items():
        for part in src.parts:
            for r in rows_by_feed[part.feed]:
                if _all(r, part.filter, as_of):
                    dept = r.get(part.department) if part.department else part.department_literal
                    by_entity[r["entity_id"]][name].append(
                        {
                            "record_id": f"{part.feed}:{r['record_id']}",
                            "feed": part.feed,
                            "department": dept,
                            "_d": r["_d"],
                        }  # fmt: skip
                    )
    out: dict[str, dict[str, Any]] = {}
    for e, reg in subjects.items():
        vals: dict[str, Any] = {}
        for ind in catalog.indicators:
            if ind.feed == "derived":
                continue
            if ind.agg == "attribute":
                v = _attribute(reg, ind, as_of)
            elif ind.agg == "group_rate":
                v = _group_rate(rows_by_feed[ind.feed], registry, reg, e, ind, as_of)
            else:
                v = (
                    _aggregate(by_entity[e][ind.feed], ind, as_of)
                    if by_entity[e][ind.feed]
                    else None
                )
            if v is None:
                v = ind.fill
            if ind.kind == "numeric" and v is not None:
                v = float(v)
            vals[ind.id] = v
        for ind in catalog.indicators:
            if ind.feed != "derived":
                continue
            pos = sum(1 for ref in ind.of if (vals[ref] or 0) > 0)
            vals[ind.id] = float(pos if ind.agg == "count_positive" else int(pos == len(ind.of)))
        out[e] = vals
    return out


def _group_rate(
    rows: list[dict],
    registry: dict[str, dict],
    reg: dict,
    entity: str,
    ind: Indicator,
    as_of: dt.date,
) -> float | None:
    cells: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    own = [0, 0]
    total = [0, 0]
    key = tuple(_group_key(reg, k) for k in ind.group_by)
    for r in rows:
        if r["entity_id"] not in registry or not _all(r, ind.filter, as_of):
            continue
        if ind.window is not None and r["_d"] >= ind.window:
            continue
        hit = int(_all(r, ind.numerator, as_of))
        k = tuple(_group_key(registry[r["entity_id"]], g) for g in ind.group_by)
        cells[k][0] += 1
        cells[k][1] += hit
        total[0] += 1
        total[1] += hit
        if r["entity_id"] == entity:
            own[0] += 1
            own[1] += hit
    n, v = cells.get(key, (0, 0))
    if ind.exclude_self:
        n, v = n - own[0], v - own[1]
    prior_rate = total[1] / total[0] if total[0] else None
    if prior_rate is None and n <= 0:
        return None
    den = n + ind.prior
    if den <= 0:
        return None
    return (v + ind.prior * (prior_rate or 0.0)) / den
