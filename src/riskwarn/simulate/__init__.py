"""The simulated province: contract-format deliveries plus the ground truth behind them.

Modules: tables (industries), population (subjects), risk (latent dynamics), events (what
each department sees), text (Chinese texts), records (contract rows), dirt (fault
injection), writer (file formats), calendar (months and deliveries), truth (ground-truth
files), summary (what a run wrote), run (orchestration).
See docs/simulator.md for the model of risk.
"""

from __future__ import annotations

from riskwarn.simulate.run import simulate
from riskwarn.simulate.summary import SimulationSummary

__all__ = ["SimulationSummary", "simulate"]
