"""One call for the whole training loop (used by `riskwarn train` and the demo)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from riskwarn.config import Settings
from riskwarn.models.config import ModelConfig, load_model_config
from riskwarn.models.registry import RegisteredRun, log_training_run
from riskwarn.models.train import TrainResult, train_models

__all__ = ["train_and_register"]


def train_and_register(
    settings: Settings,
    config: ModelConfig | None = None,
    *,
    label_cutoff: dt.date | None = None,
    truth_dir: Path | None = None,
    optuna_trials: int | None = None,
    cards_dir: Path | None = Path("models"),
    plots: bool = True,
) -> tuple[TrainResult, RegisteredRun]:
    """Train on the store of `settings`, log and register the model, run the promotion gate."""
    from riskwarn.features.text import update_text_scores
    from riskwarn.store import connect

    config = config or load_model_config()
    con = connect(settings)
    try:  # sentiment indicators read text_scores: score what ingest added since last time
        update_text_scores(con, progress=True)
    finally:
        con.close()
    con = connect(settings, read_only=True)
    try:
        result = train_models(
            con, config, label_cutoff=label_cutoff, truth_dir=truth_dir, optuna_trials=optuna_trials
        )
    finally:
        con.close()
    run = log_training_run(result, settings, config, cards_dir=cards_dir, plots=plots)
    return result, run
