"""SimulationSummary: what a simulation run wrote, printed for the operator and saved as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SimulationSummary"]


@dataclass
class SimulationSummary:
    """What a simulation wrote: sizes, rows per feed, faults by kind, corrections, timing."""

    out: Path
    entities: int
    months: int
    seed: int
    deliveries: int
    rows: dict[str, int] = field(default_factory=dict)
    dirt: dict[str, int] = field(default_factory=dict)
    corrections: int = 0
    wall_s: float = 0.0

    @property
    def events(self) -> int:
        """Rows of the event feeds (every feed but the registry), faults and corrections included."""
        return sum(v for k, v in self.rows.items() if k != "entities")

    def __str__(self) -> str:
        return (
            f"模拟完成 / simulated: {self.entities:,} subjects × {self.months} months, "
            f"{self.deliveries} deliveries, {sum(self.rows.values()):,} rows "
            f"({self.events:,} events), {sum(self.dirt.values()):,} injected faults, "
            f"{self.corrections:,} corrections, {self.wall_s:,.1f}s → {self.out}"
        )
