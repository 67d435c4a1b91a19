"""Property: every indicator at as-of T equals the plain-Python reference over what was known at T,
and nothing delivered after T (new events, late deliveries, corrections) changes it."""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from features_factory import new_store
from features_reference import reference_matrix
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskwarn.contract.schema import FEEDS
from riskwarn.features.build import build_features
from riskwarn.features.catalog import load_catalog

CATALOG = load_catalog()
ENTITIES = ["91610000220522345A", "91110000600037341L", "91310115MA1K3BTP2B"]
STRANGER = "92340602MA2PBMEM24"  # events name it, the registry never does
AS_OF = [dt.date(2024, 3, 31), dt.date(2024, 6, 30), dt.date(2024, 9, 30)]
DAY0 = dt.date(2022, 10, 1)
SPAN = (dt.date(2024, 12, 31) - DAY0).days
AFTER = dt.datetime(2024, 10, 1, 2)  # every "later" delivery comes from here on


def _day(n: int) -> dt.date:
    return DAY0 + dt.timedelta(days=n)


def _fields(draw: Any, feed: str, e: dt.date) -> dict[str, Any]:
    """Random contract values of one version of a `feed` record with event day `e`."""
    pick = lambda xs: draw(st.sampled_from(xs))  # noqa: E731
    hour = dt.timedelta(hours=draw(st.integers(0, 23)))
    spec_vals = lambda col: FEEDS[feed].column(col).values  # noqa: E731
    later = lambda: pick([None, e + dt.timedelta(days=draw(st.integers(0, 400)))])  # noqa: E731
    money = lambda: pick([None, Decimal(draw(st.integers(0, 10**7))) / 100])  # noqa: E731
    dept = lambda: pick(["SAMR", "MEE", "NHC"])  # noqa: E731
    who = pick(ENTITIES + [STRANGER])
    if feed == "complaints":
        return dict(entity_id=who, linked_entity_id=pick([who, None]),
                    received_at=dt.datetime.combine(e, dt.time()) + hour,
                    channel=pick(spec_vals("channel")), category=pick(["食品安全", "价格", "预付卡", "欠薪"]),
                    substantiated=pick([None, True, False]), department=dept())  # fmt: skip
    if feed == "sentiment":
        return dict(entity_id=who, linked_entity_id=pick([who, None]),
                    published_at=dt.datetime.combine(e, dt.time()) + hour,
                    source=pick(spec_vals("source")), text="文本", reach=pick([None, 0, 50, 10**6]))  # fmt: skip
    if feed == "inspections":
        return dict(entity_id=who, inspected_on=e, department=dept(),
                    inspection_type=pick(spec_vals("inspection_type")),
                    result=pick(spec_vals("result")), draw_probability=pick([None, 0.1, 0.5]))  # fmt: skip
    if feed == "penalties":
        return dict(entity_id=who, decided_on=e, department=dept(),
                    severity=pick(spec_vals("severity")), amount_yuan=money(), revoked_on=later())  # fmt: skip
    if feed == "blacklist":
        return dict(entity_id=who, listed_on=e, list_type=pick(spec_vals("list_type")),
                    removed_on=later())  # fmt: skip
    if feed == "judgments":
        return dict(entity_id=who, judged_on=e, case_type=pick(spec_vals("case_type")),
                    role=pick(spec_vals("role")), amount_yuan=money())  # fmt: skip
    raise AssertionError(feed)


def _entity(draw: Any, eid: str) -> dict[str, Any]:
    pick = lambda xs: draw(st.sampled_from(xs))  # noqa: E731
    return dict(entity_id=eid, name=pick(["主体", "陕西老碗面馆连锁有限公司（雁塔3店）", "西安某某分公司"]),
                entity_type=pick(["enterprise", "individual_business"]),
                region_code=pick(["610113", "610302", "610103"]),
                industry_code=pick(["H6210", "H6220", "C2710", "F5265", "E4700"]),
                established_on=_day(draw(st.integers(0, SPAN))),
                registered_capital_wan=pick([None, Decimal("12.5000")]),
                status=pick(["active", "active", "suspended", "revoked", "deregistered"]),
                tags=pick([None, "食品;重点监管", " 学校周边 ; 食品", ""]))  # fmt: skip


@st.composite
def histories(draw: Any) -> list[dict[str, Any]]:
    """Version rows: (feed, delivered_at, known_at, fields, score) in random delivery order."""
    out: list[dict[str, Any]] = []
    for eid in ENTITIES:
        for _ in range(draw(st.integers(1, 2))):
            fields = _entity(draw, eid)
            delivered = dt.datetime.combine(_day(draw(st.integers(0, SPAN))), dt.time(2))
            backfill = draw(st.booleans())
            known = (
                dt.datetime.combine(fields["established_on"], dt.time()) if backfill else delivered
            )
            out.append(dict(feed="entities", delivered_at=delivered, known_at=known, fields=fields))
    for feed in ("complaints", "inspections", "penalties", "blacklist", "sentiment", "judgments"):
        for n in range(draw(st.integers(0, 5))):
            e = _day(draw(st.integers(0, SPAN)))
            for _ in range(draw(st.integers(1, 3))):  # corrections: later versions, same record
                out.append(_version(draw, feed, f"{feed[:2]}{n}", e))
    return out


def _version(draw: Any, feed: str, record_id: str, e: dt.date, after: bool = False) -> dict:
    start = AFTER if after else dt.datetime.combine(e, dt.time(2))
    delivered = start + dt.timedelta(days=draw(st.integers(0, 120)))
    backfill = not after and draw(st.booleans())
    known = dt.datetime.combine(e, dt.time()) if backfill else delivered
    fields = _fields(draw, feed, e)
    fields["record_id"] = record_id
    score = None
    if feed in ("complaints", "sentiment") and draw(st.integers(0, 3)):
        score = dict(is_spam=draw(st.booleans()), negativity=draw(st.sampled_from([0.1, 0.6, 0.95])),
                     risk_topics=draw(st.sampled_from([[], ["fraud"], ["food_safety", "gas_safety"]])))  # fmt: skip
    return dict(feed=feed, delivered_at=delivered, known_at=known, fields=fields, score=score)


@st.composite
def later_changes(draw: Any, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Deliveries after the last as-of date: corrections, late-delivered old events, new events."""
    out = []
    events = [h for h in history if h["feed"] != "entities"]
    for h in draw(st.lists(st.sampled_from(events), max_size=4)) if events else []:
        day = h["fields"].get("received_at") or h["fields"].get("published_at")
        e = (
            day.date()
            if day
            else next(v for k, v in h["fields"].items() if k.endswith(("_on",)) and v)
        )
        out.append(_version(draw, h["feed"], h["fields"]["record_id"], e, after=True))
    for n in range(draw(st.integers(0, 3))):
        feed = draw(
            st.sampled_from(["complaints", "penalties", "inspections", "blacklist", "sentiment"])
        )
        e = _day(draw(st.integers(0, SPAN)))
        out.append(_version(draw, feed, f"late{n}", e, after=True))
    for eid in draw(st.lists(st.sampled_from(ENTITIES), max_size=2)):
        fields = _entity(draw, eid)
        out.append(dict(feed="entities", delivered_at=AFTER, known_at=AFTER, fields=fields))
    return out


def _load(store: Any, items: list[dict[str, Any]], versions: dict, scores: dict) -> None:
    for h in items:
        fields = dict(h["fields"])
        did = store.add(h["feed"], h["delivered_at"], h["known_at"], **fields)
        fields.update(delivery_id=did, delivered_at=h["delivered_at"], known_at=h["known_at"],
                      delivery_seq=int(did[1:]), source_line=1)  # fmt: skip
        if h["feed"] == "entities":
            fields.setdefault("updated_at", h["delivered_at"])
        versions.setdefault(h["feed"], []).append(fields)
        if h.get("score"):
            store.score(h["feed"], fields["record_id"], did, is_spam=h["score"]["is_spam"],
                        negativity=h["score"]["negativity"], topics=h["score"]["risk_topics"])  # fmt: skip
            scores[(h["feed"], fields["record_id"], did)] = h["score"]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def _as_dict(df: Any, as_of: dt.date) -> dict[str, dict[str, Any]]:
    sub = df[df["as_of"] == as_of]
    return {r["entity_id"]: {i: r[i] for i in CATALOG.ids} for r in sub.to_dict("records")}


def _diff(got: dict, want: dict) -> list[str]:
    problems = []
    if set(got) != set(want):
        return [f"subjects differ: built {sorted(got)} vs reference {sorted(want)}"]
    for e in want:
        for i in CATALOG.ids:
            w = want[e][i]
            w = float("nan") if w is None and CATALOG.indicator(i).kind == "numeric" else w
            if not _same(got[e][i], w):
                problems.append(f"{e} {i}: built {got[e][i]!r}, reference {w!r}")
    return problems


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.data_too_large])  # fmt: skip
@given(data=st.data())
def test_every_indicator_matches_reference_and_ignores_later_deliveries(data: Any) -> None:
    history = data.draw(histories())
    # 1: every as-of date in a batch of its own; 10,000: all dates in one batch
    batch_rows = data.draw(st.sampled_from([1, 10_000]), label="batch_rows")
    with tempfile.TemporaryDirectory() as tmp:
        store = new_store(Path(tmp) / "store.duckdb")
        versions: dict = {}
        scores: dict = {}
        _load(store, history, versions, scores)
        before = build_features(store.con, AS_OF, CATALOG, batch_rows=batch_rows)
        for as_of in AS_OF:
            want = reference_matrix(versions, scores, CATALOG, as_of)
            problems = _diff(_as_dict(before, as_of), want)
            assert not problems, f"as of {as_of}:\n" + "\n".join(problems[:20])
        _load(store, data.draw(later_changes(history)), versions, scores)
        after = build_features(store.con, AS_OF, CATALOG, batch_rows=batch_rows)
        for as_of in AS_OF:
            problems = _diff(_as_dict(after, as_of), _as_dict(before, as_of))
            assert not problems, f"later deliveries changed as of {as_of}:\n" + "\n".join(
                problems[:20]
            )
        store.con.close()
