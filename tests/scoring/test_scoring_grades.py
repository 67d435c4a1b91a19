"""The warning standard and credit classes grade probabilities exactly at their bounds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from riskwarn.errors import ConfigError
from riskwarn.scoring.grades import load_grades


def test_packaged_grades_are_bilingual_and_ordered() -> None:
    grades = load_grades()
    assert grades.warning_levels.codes == ("red", "orange", "yellow", "blue")
    assert grades.credit_classes.codes == ("D", "C", "B", "A")
    assert grades.warning_levels.get("orange").label.startswith("橙色预警 / ")


def test_a_bound_belongs_to_the_grade_it_opens() -> None:
    scale = load_grades().warning_levels
    red, orange = scale.get("red").min_probability, scale.get("orange").min_probability
    low = scale.grades[-1].min_probability
    out = scale.assign([red, np.nextafter(red, 0), orange, np.nextafter(low, 0), 1.0, 0.0])
    assert list(out) == ["red", "orange", "orange", None, "red", None]


@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=50))
def test_every_probability_has_a_class_and_severity_never_falls_as_p_rises(p: list[float]) -> None:
    grades = load_grades()
    classes = grades.credit_classes.assign(p)
    assert all(c is not None for c in classes)
    order = np.argsort(p, kind="stable")
    ranks = [grades.credit_classes.rank(c) for c in classes[order]]
    assert ranks == sorted(ranks)
    levels = [grades.warning_levels.rank(c) for c in grades.warning_levels.assign(p)[order]]
    assert levels == sorted(levels)


def test_a_file_that_breaks_the_order_names_the_scale(tmp_path: Path) -> None:
    bad = tmp_path / "g.yaml"
    bad.write_text(
        "warning_levels:\n"
        "  - {code: red, zh: 红, en: red, min_probability: 0.1}\n"
        "  - {code: blue, zh: 蓝, en: blue, min_probability: 0.2}\n"
        "credit_classes:\n"
        "  - {code: A, zh: 低, en: low, min_probability: 0.0}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="warning_levels.*strictly"):
        load_grades(bad)


def test_credit_classes_must_cover_zero(tmp_path: Path) -> None:
    bad = tmp_path / "g.yaml"
    bad.write_text(
        "warning_levels:\n"
        "  - {code: red, zh: 红, en: red, min_probability: 0.5}\n"
        "credit_classes:\n"
        "  - {code: D, zh: 高, en: high, min_probability: 0.3}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="last credit class must start at 0"):
        load_grades(bad)


def test_unknown_codes_and_nan_are_refused() -> None:
    grades = load_grades()
    with pytest.raises(ConfigError, match="unknown code 'purple'"):
        grades.warning_levels.get("purple")
    with pytest.raises(ConfigError, match="NaN"):
        grades.credit_classes.assign([0.1, float("nan")])
