"""The promotion gate's rules, on evaluations built by hand; and model config validation."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from riskwarn.errors import ConfigError
from riskwarn.models.config import load_model_config
from riskwarn.models.evaluate import Evaluation
from riskwarn.models.gate import gate_against_baselines, gate_against_champion

CFG = load_model_config()


def _ev(
    auc: float, ece: float = 0.01, n_rd: float = 5000, slice_auc: float | None = None
) -> Evaluation:
    slices = pd.DataFrame(
        [
            {
                "slice_by": "slice_city",
                "slice": "610100",
                "n_labelled": 5000,
                "auc_labelled": slice_auc or auc,
            }
        ]
    )
    return Evaluation(
        {
            "auc_random_draw": auc,
            "auc_labelled": auc,
            "ece_random_draw": ece,
            "ece_labelled": ece,
            "n_random_draw": n_rd,
        },
        slices=slices,
    )


def test_a_better_challenger_is_promoted() -> None:
    assert gate_against_champion(_ev(0.75), _ev(0.70), CFG).promote


def test_a_worse_or_barely_better_challenger_is_not() -> None:
    margin = CFG.get("gate", "margin")
    for auc in (0.65, 0.70, 0.70 + margin / 2):
        decision = gate_against_champion(_ev(auc), _ev(0.70), CFG)
        assert not decision.promote and "does not beat the champion" in decision.summary


def test_a_miscalibrated_challenger_is_not_promoted() -> None:
    decision = gate_against_champion(_ev(0.80, ece=0.2), _ev(0.70), CFG)
    assert not decision.promote and "ece_random_draw" in decision.summary


def test_a_large_slice_getting_worse_blocks_promotion() -> None:
    decision = gate_against_champion(_ev(0.80, slice_auc=0.60), _ev(0.70, slice_auc=0.70), CFG)
    assert not decision.promote and "slice slice_city=610100" in decision.summary


def test_too_few_random_draws_fall_back_to_all_inspections() -> None:
    decision = gate_against_champion(_ev(0.80, n_rd=10), _ev(0.70, n_rd=10), CFG)
    assert decision.metric == "auc_labelled"


def test_first_model_must_beat_both_baselines() -> None:
    assert gate_against_baselines(
        _ev(0.75), {"scorecard": _ev(0.7), "logistic": _ev(0.72)}, CFG
    ).promote
    decision = gate_against_baselines(
        _ev(0.75), {"scorecard": _ev(0.7), "logistic": _ev(0.76)}, CFG
    )
    assert not decision.promote and "logistic" in decision.summary


def test_config_overrides_and_unknown_keys(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("labels:\n  horizon_days: 90\n", encoding="utf-8")
    assert load_model_config(good).horizon_days == 90
    assert load_model_config(good).get("gate", "margin") == CFG.get("gate", "margin")
    bad = tmp_path / "bad.yaml"
    bad.write_text("gate:\n  margn: 0.1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="margn"):
        load_model_config(bad)
