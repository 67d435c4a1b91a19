"""The warning standard (预警等级 红/橙/黄/蓝) and credit-risk classes (A/B/C/D), as data.

Both grade a calibrated probability against lower bounds kept in `grades.yaml` (or the file
`Settings.grades_file` names), so thresholds live in configuration, never in code paths.
Alerts and planning read grades from here; nothing else decides what "orange" or "D" means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from riskwarn.errors import ConfigError

__all__ = ["Grade", "GradeScale", "Grades", "load_grades"]


@dataclass(frozen=True)
class Grade:
    """One grade: its code, its Chinese and English labels and its lower bound."""

    code: str
    zh: str
    en: str
    min_probability: float

    @property
    def label(self) -> str:
        """Chinese first, English beside it, as every label an analyst sees."""
        return f"{self.zh} / {self.en}"


@dataclass(frozen=True)
class GradeScale:
    """Grades ordered from the most severe down; `grade` finds the first bound reached."""

    name: str
    grades: tuple[Grade, ...]

    def __post_init__(self) -> None:
        bounds = [g.min_probability for g in self.grades]
        if not self.grades:
            raise ConfigError(f"grades {self.name}: at least one grade is needed")
        if any(not 0.0 <= b <= 1.0 for b in bounds):
            raise ConfigError(f"grades {self.name}: every min_probability must lie in [0, 1]")
        if any(a <= b for a, b in zip(bounds, bounds[1:], strict=False)):
            raise ConfigError(
                f"grades {self.name}: min_probability must fall strictly from the most severe "
                f"grade down; got {bounds}"
            )
        codes = [g.code for g in self.grades]
        if len(set(codes)) != len(codes):
            raise ConfigError(f"grades {self.name}: codes must be unique; got {codes}")

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(g.code for g in self.grades)

    def get(self, code: str) -> Grade:
        """The grade with `code`; a clear error listing the valid codes otherwise."""
        for g in self.grades:
            if g.code == code:
                return g
        raise ConfigError(f"grades {self.name}: unknown code {code!r}; valid: {list(self.codes)}")

    def rank(self, code: str | None) -> int:
        """Severity as an integer: 0 for no grade, len(grades) for the most severe."""
        if code is None:
            return 0
        return len(self.grades) - self.codes.index(self.get(code).code)

    def assign(self, probability: Sequence[float] | npt.NDArray[np.float64]) -> npt.NDArray[Any]:
        """The code of each probability's grade, or None below the last bound (object array)."""
        p = np.asarray(probability, dtype=np.float64)
        if np.isnan(p).any():
            raise ConfigError(f"grades {self.name}: cannot grade a missing (NaN) probability")
        out = np.full(p.shape, None, dtype=object)
        assigned = np.zeros(p.shape, dtype=bool)
        for g in self.grades:
            hit = ~assigned & (p >= g.min_probability)
            out[hit] = g.code
            assigned |= hit
        return out


@dataclass(frozen=True)
class Grades:
    """The warning levels and the credit classes, with where they were read from."""

    warning_levels: GradeScale
    credit_classes: GradeScale
    source: str = "defaults"

    def __post_init__(self) -> None:
        if self.credit_classes.grades[-1].min_probability != 0.0:
            raise ConfigError(
                f"grades {self.source}: the last credit class must start at 0, so every subject "
                "has a class"
            )


def _scale(name: str, raw: Any, where: str) -> GradeScale:
    if not isinstance(raw, list):
        raise ConfigError(f"grades {where}: {name} must be a list of grades")
    grades = []
    for i, item in enumerate(raw):
        try:
            grades.append(
                Grade(
                    code=str(item["code"]),
                    zh=str(item["zh"]),
                    en=str(item["en"]),
                    min_probability=float(item["min_probability"]),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"grades {where}: {name}[{i}] needs code, zh, en and a numeric "
                f"min_probability ({exc})"
            ) from None
    return GradeScale(name=name, grades=tuple(grades))


def load_grades(path: Path | None = None) -> Grades:
    """The packaged grades, or those of `path` (a whole file with both scales)."""
    if path is None:
        text = files("riskwarn.scoring").joinpath("grades.yaml").read_text(encoding="utf-8")
        where = "defaults"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"grades {path}: cannot read ({exc})") from None
        where = str(path)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"grades {where}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"grades {where}: top level must be a mapping")
    unknown = set(raw) - {"warning_levels", "credit_classes"}
    if unknown:
        raise ConfigError(
            f"grades {where}: unknown keys {sorted(unknown)}; known: credit_classes, warning_levels"
        )
    return Grades(
        warning_levels=_scale("warning_levels", raw.get("warning_levels"), where),
        credit_classes=_scale("credit_classes", raw.get("credit_classes"), where),
        source=where,
    )
