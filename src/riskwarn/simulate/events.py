"""What each department sees: the events of every feed, drawn month by month from the latent state.

Each feed is returned as a dict of column arrays (numpy) in an internal shape: `ent` (subject
position in the chunk), `month`, `day` (epoch days), `deliv` (delivery index) and the feed's
own fields; events.py decides *what happened*, records.py turns it into contract rows.

Departments see different parts of the picture: courts see financial stress first (civil
suits, then enforcement), the registry lists abnormal operation, customers complain (chains
far more than their risk warrants; competitors file malicious complaints), inspectors find
violations with the true probability, and targeted inspections follow what was visible.
"""

from __future__ import annotations

import numpy as np

from riskwarn.contract.schema import feed
from riskwarn.simulate.calendar import Calendar
from riskwarn.simulate.population import Population
from riskwarn.simulate.risk import Latent
from riskwarn.simulate.tables import industry_arrays

__all__ = ["simulate_events"]

# channels: hotline_12345, web, letter, media, transfer
CHANNEL_P = (0.6, 0.2, 0.05, 0.05, 0.10)
# complaint kinds
SERIOUS, MILD, CRISIS, MALICIOUS, SPAM = range(5)
SUBSTANTIATED_P = np.array([0.7, 0.25, 0.8, 0.05, 0.0])
# enum values in contract order: the simulator writes exactly what the contract allows
INSPECTION_TYPES = feed("inspections").column("inspection_type").values
RESULTS = feed("inspections").column("result").values
SEVERITIES = feed("penalties").column("severity").values
SEVERITY_P = np.array([0.30, 0.50, 0.08, 0.07, 0.03, 0.02])
CASE_TYPES = feed("judgments").column("case_type").values
ROLES = feed("judgments").column("role").values
LIST_TYPES = feed("blacklist").column("list_type").values
SOURCES = feed("sentiment").column("source").values
POST_RISK, POST_MILD, POST_PROMO, POST_SPAM = range(4)
# annual random-draw rate per stratum tier (0 low, 1 medium, 2 high-risk industries)
DRAW_ANNUAL = np.array([0.05, 0.10, 0.20])


class _Acc:
    """Accumulates column arrays month by month, concatenated once at the end."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {}

    def add(self, **cols: np.ndarray) -> None:
        for k, v in cols.items():
            self.parts.setdefault(k, []).append(np.asarray(v))

    def done(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.parts.items()}


def _expand(rng: np.random.Generator, rate: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Positions of subjects repeated by a Poisson(rate) count (only where eligible)."""
    lam = np.where(eligible, np.minimum(rate, 5.0), 0.0)
    counts = rng.poisson(lam)
    return np.repeat(np.arange(len(rate)), counts)


def _days(rng: np.random.Generator, cal_starts: np.ndarray, t: int, n: int) -> np.ndarray:
    length = cal_starts[t + 1] - cal_starts[t]
    return cal_starts[t] + (rng.random(n) * length).astype(np.int64)


def _lag(rng: np.random.Generator, n: int) -> np.ndarray:
    """Reporting delay in months: most events arrive in their own month's delivery."""
    return rng.choice(3, size=n, p=[0.88, 0.09, 0.03])


def simulate_events(
    rng: np.random.Generator, pop: Population, lat: Latent, cal: Calendar
) -> dict[str, dict[str, np.ndarray]]:
    """All events of one chunk: complaints, inspections, penalties, blacklist, sentiment, judgments."""
    ind = industry_arrays()
    n, T = len(pop), cal.total
    starts = cal.starts
    moy = cal.months_of_year
    ii = pop.industry_idx
    consumer = ind["consumer"][ii]
    base_logit = np.log(ind["p_base"] / (1 - ind["p_base"]))[ii]
    city = np.searchsorted(np.unique(pop.region_code.astype("U4")), pop.region_code.astype("U4"))
    city_factor = np.random.default_rng(7).uniform(0.8, 1.25, 16)[city]  # fixed per province
    draw_p = np.round(DRAW_ANNUAL[ind["tier"][ii]] * city_factor / 12, 6)
    size_f = np.exp(0.4 * pop.size)
    chain_f = np.where(pop.is_chain, 3.0, 1.0)
    wage = np.isin(ind["group"][ii], ["construction", "labour_intensive"])
    finance = ind["group"][ii] == "illegal_finance"
    prepaid = ind["group"][ii] == "prepaid_card"

    comp, insp, judg, black, sent = _Acc(), _Acc(), _Acc(), _Acc(), _Acc()
    seen_complaints = np.zeros(n)  # decayed count: what departments can see
    seen_violations = np.zeros(n)
    abn_until = np.full(n, -1)
    dd_until = np.full(n, -1)
    enforced = np.zeros(n, dtype=bool)
    for t in range(T):
        live = lat.operating[:, t]
        reg = lat.registered[:, t]
        vanished = reg & ~live
        p = lat.p[:, t]
        kc = lat.crisis_month[:, t]
        logit = np.log(p / (1 - p))

        # complaints
        lam_gen = (
            2.0 * ind["complaint_rate"][ii] * size_f * chain_f * np.exp(0.6 * (logit - base_logit))
        )
        lam_cri = np.where(kc >= 2, np.where(prepaid | wage | finance, 0.6, 0.15), 0.0)
        burst = pop.competitor_target & (rng.random(n) < 0.08)
        lam_mal = np.where(burst, 1.2, 0.0)
        lam = lam_gen + lam_cri + lam_mal
        e = _expand(rng, lam, live)
        m = len(e)
        u = rng.random(m) * lam[e]
        serious_share = np.clip(0.15 + 2.5 * p[e], 0, 0.9)
        kind = np.where(
            u < lam_mal[e],
            MALICIOUS,
            np.where(
                u < lam_mal[e] + lam_cri[e],
                CRISIS,
                np.where(rng.random(m) < serious_share, SERIOUS, MILD),
            ),
        )
        kind = np.where(rng.random(m) < 0.03, SPAM, kind)
        cday = _days(rng, starts, t, m)
        comp.add(
            ent=e,
            month=np.full(m, t),
            day=cday,
            sec=rng.integers(7 * 3600, 23 * 3600, m),
            kind=kind,
            lag=_lag(rng, m),
        )
        np.add.at(seen_complaints, e, 1.0)
        # complaint follow-up inspections
        fol_p = np.where(np.isin(kind, [SERIOUS, CRISIS, MALICIOUS]), 0.35, 0.08)
        fol_mask = rng.random(m) < fol_p
        fol = e[fol_mask]
        fol_day = np.minimum(cday[fol_mask] + rng.integers(0, 10, len(fol)), starts[t + 1] - 1)

        susp = (
            0.8 * np.log1p(seen_complaints)
            + 1.0 * seen_violations
            + 0.7 * (abn_until > t)
            + 0.4 * (logit - base_logit)
        )
        draw = np.flatnonzero(reg & (rng.random(n) < draw_p))
        routine = np.flatnonzero(live & ind["routine"][ii] & (rng.random(n) < 0.03 * size_f))
        targeted = np.flatnonzero(reg & (rng.random(n) < np.minimum(0.004 * np.exp(susp), 0.5)))
        joint = np.flatnonzero(
            live
            & (ind["tier"][ii] == 2)
            & (rng.random(n) < np.minimum(0.002 * np.exp(0.8 * susp), 0.3))
        )
        ents = np.concatenate([draw, routine, targeted, fol, joint])
        itype = np.repeat(
            np.arange(5), [len(draw), len(routine), len(targeted), len(fol), len(joint)]
        )
        k = len(ents)
        u = rng.random(k)
        res = np.where(u < p[ents], 2, np.where(rng.random(k) < 0.15 + p[ents], 1, 0))
        res = np.where(rng.random(k) < 0.01, 4, res)
        res = np.where(vanished[ents], 3, res)
        iday = _days(rng, starts, t, k)
        iday[itype == 3] = fol_day
        insp.add(
            ent=ents,
            month=np.full(k, t),
            day=iday,
            itype=itype,
            result=res,
            draw_p=np.where(itype == 0, draw_p[ents], np.nan),
            lag=_lag(rng, k),
        )
        np.add.at(seen_violations, ents[res == 2], 1.0)

        # judgments: courts see financial stress first
        civil_rate = np.where(pop.type_idx == 0, 0.006, 0.001) * size_f
        crisis_civil = np.where(kc >= 0, 0.25, 0.0)
        crisis_enf = np.where(kc >= 2, 0.15, 0.0)
        crim = np.where(finance & (kc >= 3), 0.08, 0.0)
        jc = _expand(rng, civil_rate, live)
        jcc = _expand(rng, crisis_civil, live)
        je = _expand(rng, crisis_enf, live)
        jk = _expand(rng, crim, live)
        ents = np.concatenate([jc, jcc, je, jk])
        k = len(ents)
        role_c = rng.choice(3, len(jc), p=[0.5, 0.45, 0.05])
        judg.add(
            ent=ents,
            month=np.full(k, t),
            day=_days(rng, starts, t, k),
            case=np.concatenate(
                [np.zeros(len(jc) + len(jcc), int), np.full(len(je), 3), np.full(len(jk), 2)]
            ),
            role=np.concatenate(
                [role_c, np.ones(len(jcc), int), np.full(len(je), 3), np.ones(len(jk), int)]
            ),
            stress=np.concatenate(
                [np.zeros(len(jc), bool), np.ones(len(jcc) + len(je) + len(jk), bool)]
            ),
            lag=_lag(rng, k),
        )
        enforced[je] = True

        # blacklist listings (removals are corrections, drawn at the end)
        annual = (
            (moy[t] == 7)
            & live
            & (pop.type_idx <= 1)
            & (rng.random(n) < 0.04 * np.exp(0.4 * pop.negligence))
        )
        abn_cause = np.where(
            annual,
            0,
            np.where(
                vanished & (rng.random(n) < 0.5),
                1,
                np.where(live & (kc >= 1) & (rng.random(n) < 0.06), 2, -1),
            ),
        )
        new_abn = np.flatnonzero((abn_cause >= 0) & (abn_until <= t) & reg)
        new_dd = np.flatnonzero(enforced & reg & (dd_until <= t) & (rng.random(n) < 0.3))
        stay_abn = np.where(
            abn_cause[new_abn] == 0,
            np.where(rng.random(len(new_abn)) < 0.6, rng.integers(1, 11, len(new_abn)), 10**6),
            np.where(
                (abn_cause[new_abn] == 2) & (rng.random(len(new_abn)) < 0.2),
                rng.integers(3, 13, len(new_abn)),
                10**6,
            ),
        )
        stay_dd = np.where(rng.random(len(new_dd)) < 0.3, rng.integers(3, 13, len(new_dd)), 10**6)
        abn_until[new_abn] = t + stay_abn
        dd_until[new_dd] = t + stay_dd
        ents = np.concatenate([new_abn, new_dd])
        k = len(ents)
        black.add(
            ent=ents,
            month=np.full(k, t),
            day=_days(rng, starts, t, k),
            ltype=np.concatenate([np.zeros(len(new_abn), int), np.full(len(new_dd), 2)]),
            reason=np.concatenate(
                [np.where(abn_cause[new_abn] == 1, 1, 0), np.zeros(len(new_dd), int)]
            ),
            stay=np.concatenate([stay_abn, stay_dd]),
            lag=_lag(rng, k),
        )

        # sentiment: big brands are talked about, risky ones complained about, spam everywhere
        lam_mild = 0.02 * size_f * np.where(pop.is_chain, 8.0, 1.0) * np.where(consumer, 1.0, 0.2)
        lam_risk = np.where(consumer, 0.15, 0.03) * p + np.where(kc >= 2, 0.2, 0.0)
        lam_promo = np.where(consumer, 0.015, 0.003)
        sm, sr, sp = (
            _expand(rng, lam_mild, live),
            _expand(rng, lam_risk, live),
            _expand(rng, lam_promo, live),
        )
        live_idx = np.flatnonzero(live)
        n_spam = rng.poisson(0.25 * (len(sm) + len(sr) + len(sp)))
        ss = rng.choice(live_idx, size=n_spam) if len(live_idx) else np.zeros(0, np.int64)
        ents = np.concatenate([sr, sm, sp, ss])
        k = len(ents)
        sent.add(
            ent=ents,
            month=np.full(k, t),
            day=_days(rng, starts, t, k),
            sec=rng.integers(0, 86400, k),
            kind=np.repeat(np.arange(4), [len(sr), len(sm), len(sp), len(ss)]),
            lag=_lag(rng, k),
        )

        seen_complaints *= 0.7
        seen_violations *= 0.85

    out = {
        "complaints": comp.done(),
        "inspections": insp.done(),
        "judgments": judg.done(),
        "blacklist": black.done(),
        "sentiment": sent.done(),
    }
    _penalties_and_consequences(rng, out, lat, cal)
    return out


def _penalties_and_consequences(
    rng: np.random.Generator, out: dict[str, dict[str, np.ndarray]], lat: Latent, cal: Calendar
) -> None:
    """Penalties follow violations; severe ones lead to listings and criminal cases; some are revoked."""
    starts = cal.starts
    T = cal.total
    ins = out["inspections"]
    viol = np.flatnonzero((ins["result"] == 2) & (rng.random(len(ins["result"])) < 0.7))
    ent = ins["ent"][viol]
    day = ins["day"][viol] + rng.integers(7, 61, len(viol))
    month = np.searchsorted(starts, day, side="right") - 1
    keep = month < T
    ent, day, month, src = ent[keep], day[keep], month[keep], viol[keep]
    pv = lat.p[ent, np.minimum(month, T - 1)]
    probs = np.where((pv > 0.3)[:, None], SEVERITY_P * np.array([0.6, 1, 1.5, 2, 2, 2]), SEVERITY_P)
    probs /= probs.sum(axis=1, keepdims=True)
    sev = (rng.random(len(ent))[:, None] > np.cumsum(probs, axis=1)).sum(axis=1)
    amount = np.exp(rng.normal(np.log(5000), 1.1, len(ent)))
    amount = np.where(rng.random(len(ent)) < 0.8, np.round(amount, -2) + 100, np.round(amount, 2))
    amount = np.where(np.isin(sev, [1, 2]), amount, np.nan)
    out["penalties"] = {
        "ent": ent,
        "month": month,
        "day": day,
        "severity": sev,
        "amount": amount,
        "insp": src,
        "lag": _lag(rng, len(ent)),
    }
    # severe penalties → serious-dishonesty listing 1-3 months later
    severe = np.flatnonzero(
        (np.isin(sev, [3, 4, 5]) | (amount > 100_000)) & (rng.random(len(ent)) < 0.5)
    )
    sd_day = day[severe] + rng.integers(30, 91, len(severe))
    sd_month = np.searchsorted(starts, sd_day, side="right") - 1
    ok = sd_month < T
    b = out["blacklist"]
    for key, val in (
        ("ent", ent[severe][ok]),
        ("month", sd_month[ok]),
        ("day", sd_day[ok]),
        ("ltype", np.ones(ok.sum(), int)),
        ("reason", np.zeros(ok.sum(), int)),
        ("stay", np.full(ok.sum(), 10**6)),
        ("lag", np.zeros(ok.sum(), int)),
    ):
        b[key] = np.concatenate([b[key], val])
    # detention referrals → criminal judgments 3-9 months later
    det = np.flatnonzero((sev == 5) & (rng.random(len(ent)) < 0.6))
    cj_day = day[det] + rng.integers(90, 271, len(det))
    cj_month = np.searchsorted(starts, cj_day, side="right") - 1
    ok = cj_month < T
    j = out["judgments"]
    for key, val in (
        ("ent", ent[det][ok]),
        ("month", cj_month[ok]),
        ("day", cj_day[ok]),
        ("case", np.full(ok.sum(), 2)),
        ("role", np.ones(ok.sum(), int)),
        ("stress", np.zeros(ok.sum(), bool)),
        ("lag", np.zeros(ok.sum(), int)),
    ):
        j[key] = np.concatenate([j[key], val])
    # some penalised subjects sue the department (administrative cases) 2-6 months later
    sue = np.flatnonzero(np.isin(sev, [1, 2, 3, 4]) & (rng.random(len(ent)) < 0.03))
    aj_day = day[sue] + rng.integers(60, 181, len(sue))
    aj_month = np.searchsorted(starts, aj_day, side="right") - 1
    ok = aj_month < T
    for key, val in (
        ("ent", ent[sue][ok]),
        ("month", aj_month[ok]),
        ("day", aj_day[ok]),
        ("case", np.full(ok.sum(), 1)),
        ("role", np.zeros(ok.sum(), int)),
        ("stress", np.zeros(ok.sum(), bool)),
        ("lag", np.zeros(ok.sum(), int)),
    ):
        j[key] = np.concatenate([j[key], val])
