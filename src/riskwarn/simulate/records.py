"""Turn events into contract rows (all values as text), with their deliveries and corrections.

Every table carries, besides the contract columns, internal columns the writer drops:
`_deliv` (delivery index), `_protect` (rows dirt must not touch: corrections and name-only
mentions, whose truth is logged elsewhere) and `_ent` (subject position in the chunk).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from riskwarn.contract.schema import FEEDS
from riskwarn.simulate import text as tx
from riskwarn.simulate.calendar import Calendar
from riskwarn.simulate.events import (
    CASE_TYPES,
    CHANNEL_P,
    INSPECTION_TYPES,
    LIST_TYPES,
    MILD,
    POST_SPAM,
    RESULTS,
    ROLES,
    SEVERITIES,
    SOURCES,
    SPAM,
    SUBSTANTIATED_P,
)
from riskwarn.simulate.population import Population, cat, pick
from riskwarn.simulate.risk import EXIT_REVOKED, Latent
from riskwarn.simulate.tables import ENTITY_TYPES, industry_arrays

__all__ = ["Chunk", "build_records"]

_EPOCH = np.datetime64("1970-01-01", "D")
_DEPT_ZH = {
    "SAMR": "市场监管",
    "MEM": "应急管理",
    "MOHURD": "住建",
    "NHC": "卫健",
    "MOT": "交通运输",
    "CULTURE": "文旅",
    "FIN": "地方金融",
    "EDU": "教育",
    "HRSS": "人社",
    "SPORT": "体育",
    "CIVIL": "民政",
    "MEE": "生态环境",
}
_JOINT_PARTNERS = np.array(["MEM", "MOHURD", "SAMR", "NHC", "MEE"])
_CASE_CODE = np.array(["民初", "行初", "刑初", "执"])


class Chunk:
    """Everything one chunk produces: contract tables per feed plus truth side tables."""

    def __init__(self) -> None:
        self.tables: dict[str, pa.Table] = {}
        self.corrections: list[pa.Table] = []
        self.mentions: list[pa.Table] = []


def fmt_date(days: np.ndarray) -> pa.Array:
    """YYYY-MM-DD texts of epoch days."""
    return pa.array((_EPOCH + days.astype("timedelta64[D]")).astype("datetime64[D]")).cast(
        pa.string()
    )


def fmt_time(rng: np.random.Generator, secs: np.ndarray, deliv: np.ndarray, salt: int) -> pa.Array:
    """ISO 8601 times: per delivery with '+08:00' or without offset; a few rows in UTC 'Z' form."""
    z = rng.random(len(secs)) < 0.02
    local = ((deliv + salt) % 2) == 0
    shown = np.where(z, secs - 8 * 3600, secs)
    base = pc.replace_substring(pa.array(shown.astype("datetime64[s]")).cast(pa.string()), " ", "T")
    suffix = pick(
        np.where(z, 0, np.where(local, 1, 2)), *(_const(v, len(secs)) for v in ("Z", "+08:00", ""))
    )
    return cat(base, suffix)


def _const(value: str, n: int) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([value])).cast(
        pa.string()
    )


def fmt_money(x: np.ndarray) -> pa.Array:
    """Amounts with two decimals; NaN becomes null."""
    text = pa.array(np.char.mod("%.2f", np.nan_to_num(x)))
    return pick(np.isnan(x).astype(np.int64), text, None)


def _ids(
    prefix: str | pa.Array, month_tag: pa.Array, chunk: int, n: int, width: int = 7
) -> pa.Array:
    counter = pc.utf8_lpad(pc.cast(pa.array(np.arange(n)), pa.string()), width, "0")
    return cat(
        prefix if isinstance(prefix, pa.Array) else prefix, month_tag, f"{chunk:04d}", counter
    )


def _take(a: pa.Array | np.ndarray, idx: np.ndarray) -> pa.Array:
    return a.take(pa.array(idx)) if isinstance(a, pa.Array) else pa.array(a[idx])


def _null(n: int) -> pa.Array:
    return pa.nulls(n, pa.string())


def _choose(values: tuple[str, ...] | np.ndarray, idx: np.ndarray) -> pa.Array:
    return pa.array(list(values), pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))


def build_records(
    rng: np.random.Generator, chunk: int, pop: Population, lat: Latent, ev: dict, cal: Calendar
) -> Chunk:
    """Contract rows of every feed for one chunk, corrections and name mentions included."""
    out = Chunk()
    starts = cal.starts
    est_epoch = starts[0] + pop.established_day
    month_tag = np.array([f"{cal.month_date(t):%Y%m}" for t in range(cal.total)])
    year_tag = np.array([f"{cal.month_date(t):%Y}" for t in range(cal.total)])
    for e in ev.values():  # no event before its subject was established
        e["day"] = np.maximum(e["day"], est_epoch[e["ent"]])
        e["deliv"] = cal.delivery_of(e["month"], e["lag"])
    out.tables["entities"], entity_corr = _entities(rng, pop, lat, cal, est_epoch)
    out.corrections.append(entity_corr)
    _complaints(rng, out, chunk, pop, lat, ev["complaints"], cal, month_tag)
    out.tables["inspections"] = _inspections(rng, chunk, pop, ev["inspections"], cal, month_tag)
    _penalties(rng, out, chunk, pop, ev, cal, year_tag)
    _blacklist(rng, out, chunk, pop, ev["blacklist"], cal, month_tag)
    out.tables["judgments"] = _judgments(rng, chunk, pop, ev["judgments"], cal, year_tag)
    _sentiment(rng, out, chunk, pop, lat, ev["sentiment"], cal, month_tag)
    for name, table in out.tables.items():
        keep = pc.less_equal(table["_deliv"], cal.months)
        out.tables[name] = table.filter(keep)
    return out


def _table(
    feed: str, cols: dict[str, pa.Array], deliv: np.ndarray, protect: np.ndarray, ent: np.ndarray
) -> pa.Table:
    n = len(deliv)
    data = {c: cols.get(c, _null(n)) for c in FEEDS[feed].column_names}
    data.update(
        _deliv=pa.array(deliv.astype(np.int64)), _protect=pa.array(protect), _ent=pa.array(ent)
    )
    return pa.table(data)


def _entities(
    rng, pop: Population, lat: Latent, cal: Calendar, est_epoch: np.ndarray
) -> tuple[pa.Table, pa.Table]:
    ind = industry_arrays()
    n, H, T = len(pop), cal.history, cal.total
    first = cal.delivery_of(np.maximum(lat.est_month, 0))
    gone_early = lat.exit_month < H
    status0 = np.where(
        gone_early, np.where(lat.exit_kind == EXIT_REVOKED, "revoked", "deregistered"), "active"
    )
    exit_day = cal.starts[np.minimum(lat.exit_month, T - 1)] + rng.integers(0, 28, n)
    upd0 = np.where(
        gone_early, exit_day, np.maximum(est_epoch, cal.starts[0] - 1 - rng.integers(0, 300, n))
    )
    upd0 = np.maximum(upd0, est_epoch)
    # a status change in the registration's own delivery is folded into that first row
    same = ~gone_early & (lat.exit_month < T) & (lat.exit_month - H + 1 <= first)
    status0 = np.where(
        same, np.where(lat.exit_kind == EXIT_REVOKED, "revoked", "deregistered"), status0
    )
    upd0 = np.where(same, np.maximum(exit_day, est_epoch), upd0)
    later = np.flatnonzero(~gone_early & ~same & (lat.exit_month < T))
    rows = np.concatenate([np.arange(n), later])
    m = len(rows)
    status = np.concatenate(
        [status0, np.where(lat.exit_kind[later] == EXIT_REVOKED, "revoked", "deregistered")]
    )
    upd = np.concatenate([upd0, exit_day[later]])
    deliv = np.concatenate([first, lat.exit_month[later] - H + 1])
    secs = upd * 86400 + rng.integers(8 * 3600, 18 * 3600, m)
    cap = pop.capital_wan[rows]
    cols = {
        "entity_id": _take(pop.entity_id, rows),
        "name": _take(pop.name, rows),
        "entity_type": _choose(ENTITY_TYPES, pop.type_idx[rows]),
        "region_code": pa.array(pop.region_code[rows]),
        "industry_code": pa.array(ind["code"][pop.industry_idx[rows]]),
        "established_on": fmt_date(est_epoch[rows]),
        "registered_capital_wan": fmt_money(cap),
        "status": pa.array(status),
        "tags": _take(pop.tags, rows),
        "legal_rep_name": _take(pop.legal_rep, rows),
        "address": _take(pop.address, rows),
        "updated_at": fmt_time(rng, secs, deliv, 1),
    }
    protect = np.concatenate([np.zeros(n, bool), np.ones(len(later), bool)])
    table = _table("entities", cols, deliv, protect, rows)
    moved = np.arange(n, m)
    corr = _corr_table(
        "entities",
        table["entity_id"].take(pa.array(moved)),
        first[later],
        deliv[moved],
        "entity_status",
        "status",
        pa.array(status[moved]),
    )
    return table, corr


def _name_variants(rng, pop: Population, ent: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """Names as callers give them: exact, with spaces, full-width/half-width, short, or unregistered."""
    k = len(ent)
    variant = rng.choice(5, size=k, p=[0.45, 0.15, 0.10, 0.20, 0.10])
    name = _take(pop.name, ent)
    first2 = pc.utf8_slice_codeunits(name, 0, 2)
    rest = pc.utf8_slice_codeunits(name, 2)
    spaced = cat(first2, " ", rest)
    half = pc.replace_substring(pc.replace_substring(name, "（", "("), "）", ")")
    wide = pc.if_else(pc.equal(half, name), cat(first2, "\u3000", rest), half)
    short = _take(pop.short_name, ent)
    unknown = cat("无照经营的", short)
    return pick(variant, name, spaced, wide, short, unknown), variant


_VARIANTS = np.array(["exact", "spaces", "width", "short", "unregistered"])


def _mentions(
    feed: str,
    ids: pa.Array,
    deliv: np.ndarray,
    pop: Population,
    ent: np.ndarray,
    given: pa.Array,
    variant: np.ndarray,
) -> pa.Table:
    return pa.table(
        {
            "feed": pa.array(np.full(len(ent), feed)),
            "record_id": ids,
            "delivery": pa.array(deliv.astype(np.int64)),
            "entity_id": _take(pop.entity_id, ent),
            "given_name": given,
            "variant": pa.array(_VARIANTS[variant]),
        }
    )


def _complaints(
    rng, out: Chunk, chunk: int, pop: Population, lat: Latent, e: dict, cal: Calendar, month_tag
) -> None:
    ind = industry_arrays()
    ent, kind, deliv = e["ent"], e["kind"], e["deliv"]
    n = len(ent)
    ids = _ids("TS", pa.array(month_tag[e["month"]]), chunk, n)
    ii = pop.industry_idx[ent]
    short = _take(pop.short_name, ent)
    zeros = np.zeros(n, dtype=np.int64)
    serious = tx.COMPLAINT_SERIOUS.render(
        rng, tx.COMPLAINT_SERIOUS.keys_for(ind["topic"], ii), short
    )
    mild = tx.COMPLAINT_MILD.render(rng, zeros, short)
    crisis = tx.COMPLAINT_CRISIS.render(rng, tx.COMPLAINT_CRISIS.keys_for(ind["topic"], ii), short)
    mal = tx.COMPLAINT_MALICIOUS.render(rng, zeros, short)
    spam = tx.SPAM.render(rng, zeros, pa.array(rng.integers(1000, 9999, n).astype(str)))
    text = tx.decorate(
        rng, pick(kind, serious, mild, crisis, mal, spam)
    )  # kinds 0..4 in this order
    category = pick(
        np.where(kind == MILD, 0, np.where(kind == SPAM, 1, 2)),
        _const("服务质量", n),
        _const("其他", n),
        pa.array(ind["category"]).take(pa.array(ii)),
    )
    name_only = rng.random(n) < 0.18
    given, variant = _name_variants(rng, pop, ent)
    with_name = rng.random(n) < 0.7
    ent_name = pick(
        np.where(name_only, 0, np.where(with_name, 1, 2)), given, _take(pop.name, ent), None
    )
    secs = e["day"] * 86400 + e["sec"]
    cols = {
        "record_id": ids,
        "entity_id": pick(name_only.astype(np.int64), _take(pop.entity_id, ent), None),
        "entity_name": ent_name,
        "received_at": fmt_time(rng, secs, deliv, 0),
        "channel": _choose(
            FEEDS["complaints"].column("channel").values, rng.choice(5, n, p=CHANNEL_P)
        ),
        "category": category,
        "text": text,
        "department": pa.array(ind["department"]).take(pa.array(ii)),
    }
    base = _table("complaints", cols, deliv, name_only, ent)
    mask = pa.array(name_only)
    out.mentions.append(
        _mentions(
            "complaints",
            ids.filter(mask),
            deliv[name_only],
            pop,
            ent[name_only],
            given.filter(mask),
            variant[name_only],
        )
    )
    # verification arrives 1-3 deliveries later as a new version: complaint (not) substantiated
    p_true = SUBSTANTIATED_P[kind] * np.clip(0.6 + 3 * lat.p[ent, e["month"]], 0, 1.4)
    verify = np.flatnonzero((kind != SPAM) & (rng.random(n) < 0.5))
    d_corr = deliv[verify] + rng.integers(1, 4, len(verify))
    ok = d_corr <= cal.months
    verify, d_corr = verify[ok], d_corr[ok]
    value = np.where(rng.random(len(verify)) < np.minimum(p_true[verify], 1.0), "true", "false")
    corr = _new_version(base.take(pa.array(verify)), "substantiated", pa.array(value), d_corr)
    out.tables["complaints"] = pa.concat_tables([base, corr])
    out.corrections.append(
        _corr_table(
            "complaints",
            corr["record_id"],
            deliv[verify],
            d_corr,
            "complaint_verified",
            "substantiated",
            pa.array(value),
        )
    )


def _new_version(rows: pa.Table, field: str, value: pa.Array, deliv: np.ndarray) -> pa.Table:
    """Copies of `rows` with `field` set, delivered in `deliv`, protected from dirt."""
    for name, arr in (
        (field, value),
        ("_deliv", pa.array(deliv.astype(np.int64))),
        ("_protect", pa.array(np.ones(len(deliv), bool))),
    ):
        rows = rows.set_column(rows.schema.get_field_index(name), name, arr)
    return rows


def _corr_table(feed, ids, d0, d1, kind, field, new) -> pa.Table:
    n = len(d0)
    return pa.table(
        {
            "feed": pa.array(np.full(n, feed)),
            "record_id": ids,
            "original_delivery": pa.array(np.asarray(d0, np.int64)),
            "correction_delivery": pa.array(np.asarray(d1, np.int64)),
            "kind": pa.array(np.full(n, kind)),
            "field": pa.array(np.full(n, field)),
            "new_value": new,
        }
    )


def _inspections(rng, chunk, pop, e: dict, cal: Calendar, month_tag) -> pa.Table:
    ind = industry_arrays()
    ent, n = e["ent"], len(e["ent"])
    ii = pop.industry_idx[ent]
    dept = ind["department"][ii]
    findings = tx.FINDINGS.render(
        rng, tx.FINDINGS.keys_for(np.asarray(RESULTS), e["result"]), _null(n)
    )
    joint = e["itype"] == 4
    # joint inspections: the lead department and a partner, named in the findings
    codes = np.asarray(list(_DEPT_ZH))
    labels = pa.array(list(_DEPT_ZH.values()))
    lead = np.searchsorted(np.sort(codes), dept)
    order = np.argsort(codes)
    partner = rng.integers(0, len(codes), n)
    partner = np.where(codes[partner] == dept, (partner + 1) % len(codes), partner)
    prefix = cat(
        "联合检查（",
        labels.take(pa.array(order[lead])),
        "、",
        labels.take(pa.array(partner)),
        "）：",
    )
    prefix = pick((~joint).astype(np.int64), prefix, _const("", n))
    dp = e["draw_p"]
    matter = pa.array(ind["matter"]).take(pa.array(ii))
    dp_text = pa.array(np.round(np.nan_to_num(dp) * 1e6).astype(np.int64))
    dp_text = cat("0.", pc.utf8_lpad(dp_text.cast(pa.string()), 6, "0"))
    cols = {
        "record_id": _ids("JC", pa.array(month_tag[e["month"]]), chunk, n),
        "entity_id": _take(pop.entity_id, ent),
        "inspected_on": fmt_date(e["day"]),
        "department": _choose(ind["department"], ii),
        "matter_code": pick((~joint).astype(np.int64), cat("JOINT-", matter), matter),
        "inspection_type": _choose(INSPECTION_TYPES, e["itype"]),
        "draw_probability": pick(np.isnan(dp).astype(np.int64), dp_text, None),
        "result": _choose(RESULTS, e["result"]),
        "findings_text": cat(prefix, findings),
    }
    return _table("inspections", cols, e["deliv"], np.zeros(n, bool), ent)


def _penalties(rng, out: Chunk, chunk, pop, ev, cal: Calendar, year_tag) -> None:
    ind = industry_arrays()
    e = ev["penalties"]
    ent, n = e["ent"], len(e["ent"])
    dept = ind["department"][pop.industry_idx[ent]]
    ids = _ids(cat(pa.array(dept), "罚〔"), cat(pa.array(year_tag[e["month"]]), "〕"), chunk, n)
    ids = cat(ids, "号")
    cols = {
        "record_id": ids,
        "entity_id": _take(pop.entity_id, ent),
        "decided_on": fmt_date(e["day"]),
        "department": pa.array(dept),
        "severity": _choose(SEVERITIES, e["severity"]),
        "amount_yuan": fmt_money(e["amount"]),
        "legal_basis": tx.LEGAL_BASIS.render(
            rng, tx.LEGAL_BASIS.keys_for(ind["group"], pop.industry_idx[ent]), _null(n)
        ),
    }
    base = _table("penalties", cols, e["deliv"], np.zeros(n, bool), ent)
    # 3% are later withdrawn (administrative reconsideration or litigation)
    rev = np.flatnonzero(rng.random(n) < 0.03)
    d_corr = e["deliv"][rev] + rng.integers(2, 7, len(rev))
    ok = d_corr <= cal.months
    rev, d_corr = rev[ok], d_corr[ok]
    mstart = cal.starts[cal.history + d_corr - 1]
    rday = np.maximum(mstart + rng.integers(0, 28, len(rev)), e["day"][rev])
    corr = _new_version(base.take(pa.array(rev)), "revoked_on", fmt_date(rday), d_corr)
    out.tables["penalties"] = pa.concat_tables([base, corr])
    out.corrections.append(
        _corr_table(
            "penalties",
            corr["record_id"],
            e["deliv"][rev],
            d_corr,
            "penalty_revoked",
            "revoked_on",
            corr["revoked_on"],
        )
    )


def _blacklist(rng, out: Chunk, chunk, pop, e: dict, cal: Calendar, month_tag) -> None:
    ent, n = e["ent"], len(e["ent"])
    lt = np.asarray(LIST_TYPES)[e["ltype"]]
    rkey = np.where((e["ltype"] == 0) & (e["reason"] == 1), "abnormal_vanished", lt)
    reasons = tx.BLACKLIST_REASONS.render(
        rng, tx.BLACKLIST_REASONS.keys_for(np.asarray(LIST_TYPES), e["ltype"]), _null(n)
    )
    reasons_np = reasons.to_numpy(zero_copy_only=False)
    reasons_np = np.where(
        rkey == "abnormal_vanished",
        "通过登记的住所或者经营场所无法联系",
        np.where(lt == "abnormal_operation", "未按规定期限公示年度报告", reasons_np),
    )
    cols = {
        "record_id": _ids("XY", pa.array(month_tag[e["month"]]), chunk, n),
        "entity_id": _take(pop.entity_id, ent),
        "list_type": pa.array(lt),
        "listed_on": fmt_date(e["day"]),
        "reason": pa.array(reasons_np, pa.string()),
    }
    base = _table("blacklist", cols, e["deliv"], np.zeros(n, bool), ent)
    rem = np.flatnonzero(e["stay"] < 10**6)
    d_corr = np.maximum(e["month"][rem] + e["stay"][rem] - cal.history + 1, e["deliv"][rem] + 1)
    ok = d_corr <= cal.months
    rem, d_corr = rem[ok], d_corr[ok]
    mstart = cal.starts[cal.history + d_corr - 1]
    rday = mstart + rng.integers(0, 28, len(rem))
    corr = _new_version(base.take(pa.array(rem)), "removed_on", fmt_date(rday), d_corr)
    out.tables["blacklist"] = pa.concat_tables([base, corr])
    out.corrections.append(
        _corr_table(
            "blacklist",
            corr["record_id"],
            e["deliv"][rem],
            d_corr,
            "blacklist_removed",
            "removed_on",
            corr["removed_on"],
        )
    )


def _judgments(rng, chunk, pop, e: dict, cal: Calendar, year_tag) -> pa.Table:
    ent, n = e["ent"], len(e["ent"])
    case = e["case"]
    court = np.char.add("陕", np.char.ljust(pop.region_code[ent].astype("U6"), 6).astype("U6"))
    court = np.array([c[0] + c[3:7] for c in court]) if n else np.zeros(0, str)
    head = (
        cat("（", pa.array(year_tag[e["month"]]), "）", pa.array(court), pa.array(_CASE_CODE[case]))
        if n
        else _null(0)
    )
    ids = cat(_ids(head, pa.array(np.full(n, "")), chunk, n, 6), "号") if n else _null(0)
    amount = np.exp(rng.normal(np.log(80_000), 1.3, n))
    amount = np.where(np.isin(case, [0, 3]), np.round(amount, 2), np.nan)
    cause = tx.CAUSES.render(rng, tx.CAUSES.keys_for(np.asarray(CASE_TYPES), case), _null(n))
    cause_np = cause.to_numpy(zero_copy_only=False) if n else np.zeros(0, object)
    cause_np = np.where(
        e["stress"] & (case == 0),
        np.where(rng.random(n) < 0.5, "借款合同纠纷", "买卖合同纠纷"),
        cause_np,
    )
    cols = {
        "record_id": ids,
        "entity_id": _take(pop.entity_id, ent),
        "judged_on": fmt_date(e["day"]),
        "case_type": _choose(CASE_TYPES, case),
        "role": _choose(ROLES, e["role"]),
        "amount_yuan": fmt_money(amount),
        "cause": pa.array(cause_np, pa.string()),
    }
    return _table("judgments", cols, e["deliv"], np.zeros(n, bool), ent)


def _sentiment(rng, out: Chunk, chunk, pop, lat: Latent, e: dict, cal: Calendar, month_tag) -> None:
    ind = industry_arrays()
    ent, kind, deliv = e["ent"], e["kind"], e["deliv"]
    n = len(ent)
    ids = _ids("YQ", pa.array(month_tag[e["month"]]), chunk, n)
    ii = pop.industry_idx[ent]
    short = _take(pop.short_name, ent)
    zeros = np.zeros(n, dtype=np.int64)
    texts = [
        tx.POST_RISK.render(rng, tx.POST_RISK.keys_for(ind["topic"], ii), short),
        tx.POST_MILD.render(rng, zeros, short),
        tx.POST_PROMO.render(rng, zeros, short),
        tx.SPAM.render(rng, zeros, pa.array(rng.integers(1000, 9999, n).astype(str))),
    ]
    text = tx.decorate(rng, pick(kind, *texts), 0.1)  # POST_RISK, POST_MILD, POST_PROMO, POST_SPAM
    source = rng.choice(6, n, p=[0.1, 0.35, 0.25, 0.1, 0.15, 0.05])
    title = tx.TITLES.render(rng, kind, short)  # TITLES keys are in kind order
    title = pick((~np.isin(source, [0, 2, 3])).astype(np.int64), title, None)
    with_id = (rng.random(n) < 0.3) & (kind != POST_SPAM)
    named = ~with_id & ((kind != POST_SPAM) | (rng.random(n) < 0.3))
    given, variant = _name_variants(rng, pop, ent)
    ent_name = pick(np.where(named, 0, np.where(with_id, 1, 2)), given, _take(pop.name, ent), None)
    reach = np.exp(
        rng.normal(np.where(pop.is_chain[ent], 8.0, 5.0) + np.where(source <= 1, 1.0, 0.0), 1.5)
    )
    reach_s = pick(
        (rng.random(n) < 0.2).astype(np.int64),
        pa.array(reach.astype(np.int64)).cast(pa.string()),
        None,
    )
    cols = {
        "record_id": ids,
        "entity_id": pick((~with_id).astype(np.int64), _take(pop.entity_id, ent), None),
        "entity_name": ent_name,
        "published_at": fmt_time(rng, e["day"] * 86400 + e["sec"], deliv, 1),
        "source": _choose(SOURCES, source),
        "title": title,
        "text": text,
        "reach": reach_s,
    }
    out.tables["sentiment"] = _table("sentiment", cols, deliv, named, ent)
    mask = pa.array(named)
    out.mentions.append(
        _mentions(
            "sentiment",
            ids.filter(mask),
            deliv[named],
            pop,
            ent[named],
            given.filter(mask),
            variant[named],
        )
    )
