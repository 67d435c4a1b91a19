"""The simulated province: contract-format deliveries plus the ground truth behind them.

Modules: tables (industries), population (subjects), risk (latent dynamics), events (what
each department sees), text (Chinese texts), records (contract rows), dirt (fault
injection), writer (file formats), calendar (months and deliveries), truth (ground-truth
files), run (orchestration).
See docs/simulator.md for the model of risk.
"""

from __future__ import annotations

from riskwarn.simulate.run import SimulationSummary, simulate

__all__ = ["SimulationSummary", "simulate"]
