"""Turn indicator declarations into engine-neutral Ibis expressions.

Conventions that design out the known traps:
- days are integers: `as_of_day` and event days are days since 1970-01-01, and an
  event's age is `d = as_of_day - event_day`; a window of N days is 0 <= d < N;
- the store keeps naive China-local timestamps, so an event's day is its
  timestamp's date with no time-zone conversion anywhere;
- every condition is filled to FALSE when NULL before it is used, so conditional
  counts never depend on NULL semantics (count of a CASE without ELSE);
- money stays DECIMAL inside the engine; the builder casts to float only on output.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from riskwarn.features.catalog import Condition, Indicator

__all__ = [
    "KEYS",
    "aggregate_expr",
    "attribute_expr",
    "condition_expr",
    "day_number",
    "derived_expr",
    "distinct_parts",
    "filter_expr",
]

_LN2 = 0.6931471805599453
# the key of every per-(as-of, subject) result: integers, cheap to group and join on
KEYS = ("as_of_day", "_sid")


def day_number(col: ir.Value) -> ir.IntegerValue:
    """Days since 1970-01-01 of a DATE or (naive, China-local) TIMESTAMP column."""
    if col.type().is_timestamp():
        col = col.date()
    return col.epoch_days()


def condition_expr(t: ir.Table, cond: Condition) -> ir.BooleanValue:
    """One declared condition as a boolean that is never NULL."""
    col = t[cond.column]
    op, v = cond.op, cond.value
    if op == "in":
        e = col.isin(list(v))
    elif op == "not_in":
        e = col.isnull() | ~col.isin(list(v))
    elif op == "eq":
        e = col == v
    elif op == "ne":
        e = col.isnull() | (col != v)
    elif op == "gt":
        e = col > v
    elif op == "gte":
        e = col >= v
    elif op == "lt":
        e = col < v
    elif op == "lte":
        e = col <= v
    elif op == "is_null":
        e = col.isnull() if v else col.notnull()
    elif op == "contains":
        e = col.contains(v)
    elif op == "null_or_after_as_of":
        after = col.isnull() | (day_number(col) > t.as_of_day)
        e = after if v else ~after
    else:  # pragma: no cover - the catalog rejects unknown operators
        raise ValueError(f"unknown operator {op!r}")
    return e.fill_null(False)


def filter_expr(t: ir.Table, conds: tuple[Condition, ...]) -> ir.BooleanValue:
    """All conditions ANDed (TRUE when there are none)."""
    out: ir.BooleanValue = ibis.literal(True)
    for c in conds:
        out = out & condition_expr(t, c)
    return out


def _age(t: ir.Table, ind: Indicator) -> ir.IntegerValue:
    """The event's age in days at the as-of date (the declared event column, or the feed's)."""
    if ind.event_column is None:
        return t.d
    return t.as_of_day - day_number(t[ind.event_column])


def _base(t: ir.Table, ind: Indicator, max_days: int | None = None) -> ir.BooleanValue:
    age = _age(t, ind)
    cond = filter_expr(t, ind.filter)
    if ind.event_column is not None:
        cond = cond & (age >= 0).fill_null(False)
    limit = ind.window if max_days is None else max_days
    if limit is not None:
        cond = cond & (age < limit).fill_null(False)
    return cond


def aggregate_expr(t: ir.Table, ind: Indicator) -> ir.Value:
    """The aggregate of one event indicator over a group of as-of rows (one subject, one date).

    Groups exist only for subjects with at least one event row; the builder's left
    join leaves the rest NULL and applies the declared fill.
    """
    agg = ind.agg
    age = _age(t, ind)
    if agg == "trend":
        recent, earlier = ind.windows  # type: ignore[misc]
        base = filter_expr(t, ind.filter)
        n_recent = t.count(where=base & (age < recent))
        n_earlier = t.count(where=base & (age >= recent) & (age < recent + earlier))
        return n_recent.cast("float64") - n_earlier.cast("float64") * (recent / earlier)
    base = _base(t, ind)
    if agg == "count":
        return t.count(where=base)
    if agg == "exists":
        return ibis.ifelse(t.count(where=base) > 0, 1, 0)
    if agg == "days_since":
        return age.min(where=base)
    if agg == "days_since_first":
        return age.max(where=base)
    if agg == "decayed":
        weight = (age.cast("float64") * (-_LN2 / float(ind.half_life))).exp()  # type: ignore[arg-type]
        return weight.sum(where=base)
    if agg == "share":
        num = t.count(where=base & filter_expr(t, ind.numerator))
        den = t.count(where=base)
        return ibis.ifelse(den > 0, num.cast("float64") / den.cast("float64"), ibis.null("float64"))
    col = t[ind.column]
    if agg == "sum":
        return col.sum(where=base)
    if agg == "mean":
        return col.mean(where=base)
    if agg == "max":
        return col.max(where=base)
    if agg == "min":
        return col.min(where=base)
    if agg == "distinct":
        return col.nunique(where=base)
    if agg == "weighted_mean":
        w = (t[ind.weight_column].cast("float64").fill_null(0.0) + 2.0).ln()
        has = base & col.notnull()
        return (col.cast("float64") * w).sum(where=has) / w.sum(where=has)
    if agg == "latest":
        key = (100000 - age).cast("string").lpad(6, "0") + t.record_id
        return col.argmax(key, where=base)
    raise ValueError(f"indicator {ind.id!r}: agg {agg!r} is not an event aggregation")


def distinct_parts(t: ir.Table, inds: list[Indicator]) -> list[ir.Table]:
    """`distinct` indicators as two cheap GROUP BYs instead of COUNT(DISTINCT) per subject.

    A value counts in a window of N days when the youngest event carrying it is younger
    than N days, so: per (as_of_day, _sid, value) the minimum age, then per (as_of_day, _sid)
    how many values have a minimum age < N. Indicators sharing filter and column share
    the first GROUP BY, which skips events older than their longest window.
    """
    groups: dict[tuple, list[Indicator]] = {}
    for ind in inds:
        groups.setdefault((ind.column, ind.filter, ind.event_column), []).append(ind)
    out = []
    for (column, _, _), members in groups.items():
        first = members[0]
        age = _age(t, first)
        keep = filter_expr(t, first.filter) & t[column].notnull() & (age >= 0).fill_null(False)
        if all(m.window for m in members):  # older values count in no member's window
            keep = keep & (age < max(m.window for m in members)).fill_null(False)  # type: ignore[type-var]
        pre = t.filter(keep).group_by([*KEYS, column]).aggregate(_min_age=age.min())
        out.append(
            pre.group_by(list(KEYS)).aggregate(
                **{
                    m.id: pre.count(where=pre._min_age < m.window) if m.window else pre.count()
                    for m in members
                }
            )
        )
    return out


def attribute_expr(t: ir.Table, ind: Indicator) -> ir.Value:
    """A subject attribute from the registry row known at the as-of date."""
    col = t[ind.column]
    tr = ind.transform
    if tr == "value":
        return col
    if tr == "industry_section":
        return col.substr(0, 1)
    if tr == "city":
        return col.substr(0, 4) + "00"
    if tr == "years_since":
        return (t.as_of_day - day_number(col)).cast("float64") / 365.25
    if tr == "has_tag":
        tags = col.split(";").map(lambda s: s.strip())
        return ibis.ifelse(tags.contains(ind.tag).fill_null(False), 1, 0)
    if tr == "in":
        return ibis.ifelse(col.isin(list(ind.values)).fill_null(False), 1, 0)
    if tr == "contains_any":
        hit = col.contains(ind.values[0])
        for v in ind.values[1:]:
            hit = hit | col.contains(v)
        return ibis.ifelse(hit.fill_null(False), 1, 0)
    if tr == "map_prefix":
        branches = [
            (col.startswith(prefix), group)
            for prefix, group in sorted(ind.mapping, key=lambda m: -len(m[0]))
        ]
        return ibis.cases(*branches, else_=ind.default)
    raise ValueError(f"indicator {ind.id!r}: unknown transform {tr!r}")


def derived_expr(t: ir.Table, ind: Indicator) -> ir.Value:
    """An indicator computed from other (already filled) indicators of the same row."""
    flags: list[Any] = [ibis.ifelse((t[ref] > 0).fill_null(False), 1, 0) for ref in ind.of]
    total = flags[0]
    for f in flags[1:]:
        total = total + f
    if ind.agg == "count_positive":
        return total
    if ind.agg == "all_positive":
        return ibis.ifelse(total == len(flags), 1, 0)
    raise ValueError(f"indicator {ind.id!r}: agg {ind.agg!r} is not derived")
