"""Latent risk dynamics: the true monthly probability of a violation and the state behind it.

logit p[i,t] = logit(industry base) + 0.7·negligence − 0.15·size + drift + crisis + season + AR(1)
A financial crisis starts with a hazard that grows with negligence and the industry's
crisis multiplier; its effect on violations ramps up with a lag of two to four months
(court cases and abnormal listings come first, see events.py) and leaves a decaying scar.
Crises end in recovery or exit (vanishing from the registered address, later revoked; or
deregistration). Ordinary churn deregisters subjects too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from riskwarn.simulate.population import Population
from riskwarn.simulate.tables import industry_arrays

__all__ = ["Latent", "simulate_latent"]

EXIT_NONE, EXIT_DEREGISTERED, EXIT_REVOKED = 0, 1, 2


@dataclass
class Latent:
    """Per subject-month latent state, arrays of shape (n, T)."""

    p: np.ndarray  # true probability an inspection in the month finds a violation
    registered: np.ndarray  # on the register (established, not deregistered/revoked)
    operating: np.ndarray  # registered and actually operating at its address
    crisis_month: np.ndarray  # months since a financial crisis began, -1 outside one
    drift: np.ndarray
    transient: np.ndarray
    est_month: np.ndarray  # (n,) month index of establishment (-1 = before the first month)
    exit_month: np.ndarray  # (n,) month of deregistration/revocation, T when none
    exit_kind: np.ndarray  # (n,) EXIT_* code
    vanish_month: np.ndarray  # (n,) month it vanished from its address, T when never


def _season(group: np.ndarray, month_of_year: int) -> np.ndarray:
    """Seasonal logit shift by industry group for a calendar month (1-12)."""
    out = np.zeros(len(group))
    food = np.isin(group, ["food_service", "food_retail"])
    out[food] = 0.25 * np.cos((month_of_year - 7) / 12 * 2 * np.pi)
    if month_of_year in (12, 1, 2):
        out[group == "gas"] = 0.3
    if month_of_year in (1, 2):
        out[group == "fireworks"] = 0.5
    if month_of_year in (6, 7, 8):
        out[group == "construction"] = 0.2
    return out


def simulate_latent(
    rng: np.random.Generator,
    pop: Population,
    month_start_days: np.ndarray,
    months_of_year: np.ndarray,
) -> Latent:
    """Run the monthly dynamics for every subject of `pop` over the T months given."""
    ind = industry_arrays()
    n, T = len(pop), len(month_start_days)
    group = ind["group"][pop.industry_idx]
    base = np.log(ind["p_base"] / (1 - ind["p_base"]))[pop.industry_idx]
    static = base + 0.7 * pop.negligence - 0.15 * pop.size
    est_month = np.searchsorted(month_start_days, pop.established_day, side="right") - 1
    hazard = (
        0.003 * ind["crisis_mult"][pop.industry_idx] * np.exp(0.5 * pop.negligence - 0.2 * pop.size)
    )
    churn = np.where(pop.type_idx == 1, 0.004, 0.002)

    p = np.empty((n, T))
    registered = np.zeros((n, T), dtype=bool)
    operating = np.zeros((n, T), dtype=bool)
    crisis_month = np.full((n, T), -1, dtype=np.int16)
    drift_out = np.empty((n, T), dtype=np.float32)
    trans_out = np.empty((n, T), dtype=np.float32)

    exit_month = np.full(n, T, dtype=np.int64)
    exit_kind = np.zeros(n, dtype=np.int8)
    vanish_month = np.full(n, T, dtype=np.int64)
    revoke_at = np.full(n, 10**6, dtype=np.int64)
    k = np.full(n, -1, dtype=np.int64)
    duration = np.zeros(n, dtype=np.int64)
    severity = np.zeros(n)
    scar = np.zeros(n)
    e = rng.normal(0, 0.35, n)
    for t in range(T):
        reg = (est_month <= t) & (exit_month > t)
        vanished = vanish_month <= t
        # revocation of subjects that vanished months ago
        revoke = reg & (revoke_at == t)
        exit_month[revoke], exit_kind[revoke] = t, EXIT_REVOKED
        reg &= ~revoke
        live = reg & ~vanished
        # ordinary churn
        quit_ = live & (k < 0) & (rng.random(n) < churn)
        exit_month[quit_], exit_kind[quit_] = t, EXIT_DEREGISTERED
        live &= ~quit_
        reg &= ~quit_
        # crisis onset, progress and outcome
        onset = live & (k < 0) & (scar < 0.3) & (rng.random(n) < hazard)
        k[onset] = 0
        duration[onset] = 3 + rng.geometric(1 / 8, onset.sum())
        severity[onset] = rng.uniform(0.8, 2.2, onset.sum())
        ending = live & (k >= 0) & (k >= duration)
        fate = rng.random(n)
        vanish = ending & (fate < 0.18)
        dereg = ending & (fate >= 0.18) & (fate < 0.35)
        vanish_month[vanish] = t
        revoke_at[vanish] = t + rng.integers(6, 13, vanish.sum())
        exit_month[dereg], exit_kind[dereg] = t, EXIT_DEREGISTERED
        scar[ending] = severity[ending]
        k[ending] = -1
        live &= ~(vanish | dereg)
        reg &= ~dereg

        drift = np.clip(pop.drift_slope * np.maximum(0, t - pop.drift_start), -2.0, 2.0)
        ramp = np.where(k >= 0, severity * np.clip((k - 1) / 3, 0, 1), 0.0)
        e = 0.7 * e + rng.normal(0, 0.25, n)
        logit = static + drift + ramp + 0.6 * scar + _season(group, int(months_of_year[t])) + e
        p[:, t] = 1 / (1 + np.exp(-logit))
        registered[:, t] = reg
        operating[:, t] = live
        crisis_month[:, t] = np.where(live, k, -1)
        drift_out[:, t] = drift
        trans_out[:, t] = e
        k[live & (k >= 0)] += 1
        scar *= 0.8
    return Latent(
        p,
        registered,
        operating,
        crisis_month,
        drift_out,
        trans_out,
        est_month,
        exit_month,
        exit_kind,
        vanish_month,
    )
