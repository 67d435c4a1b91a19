"""End to end on a small simulated province: simulate → ingest → train (register, gate) →
score, and both notebooks executed with nbclient against the same data directory."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from riskwarn.cli.main import app
from riskwarn.config import get_settings

pytestmark = pytest.mark.slow
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
# a tiny province cannot be expected to beat the baselines; the gate's first-model rule is
# covered by test_model_gate.py, here the plumbing is what is tested
CONFIG = """
labels: {horizon_days: 90, min_random_draw_rows: 50}
splits: {max_train_cohorts: 4}
evaluation: {bootstrap: 10, shap_rows: 300}
gate: {baseline_margin: -1.0, ece_bound: 1.0}
"""


@pytest.fixture(scope="module")
def province_home(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from riskwarn.ingest import ingest
    from riskwarn.simulate import simulate

    base = tmp_path_factory.mktemp("e2e")
    simulate(base / "sim", entities=1200, months=18, seed=3)
    settings = get_settings(base / "home")
    settings.ensure_dirs()
    ingest(sorted((base / "sim" / "deliveries").iterdir()), settings, progress=False)
    (base / "models.yaml").write_text(CONFIG, encoding="utf-8")
    return {
        "home": base / "home",
        "config": base / "models.yaml",
        "truth": base / "sim" / "truth",
        "base": base,
    }


def test_train_then_score_through_the_cli(province_home: dict[str, Path]) -> None:
    p = province_home
    runner = CliRunner()
    trained = runner.invoke(
        app,
        [
            "train",
            "--home",
            str(p["home"]),
            "--config",
            str(p["config"]),
            "--truth",
            str(p["truth"]),
            "--cards-dir",
            str(p["base"] / "cards"),
        ],
    )
    assert trained.exit_code == 0, trained.output + repr(trained.exception)
    assert "gate: promoted" in trained.output
    assert "ratio_capture_at_10pct_truth_to_ceiling" in trained.output
    assert (p["base"] / "cards" / "riskwarn-risk-v1.md").exists()

    listed = runner.invoke(app, ["models", "list", "--home", str(p["home"])])
    assert listed.exit_code == 0 and "champion" in listed.output

    out = p["base"] / "scores.csv"
    scored = runner.invoke(
        app, ["score", "--home", str(p["home"]), "--as-of", "2024-06-30", "--out", str(out)]
    )
    assert scored.exit_code == 0, scored.output + repr(scored.exception)
    scores = pd.read_csv(out, dtype={"entity_id": str})
    assert list(scores.columns[:4]) == ["entity_id", "as_of", "score", "model_version"]
    assert scores["entity_id"].is_unique and scores["score"].between(0, 1).all()
    assert (scores["model_version"] == 1).all() and len(scores) > 500


@pytest.mark.parametrize("name", ["01_explore_indicators.ipynb", "02_retrain_and_compare.ipynb"])
def test_notebooks_execute(province_home: dict[str, Path], name: str) -> None:
    import nbformat
    from nbclient import NotebookClient

    os.environ["RISKWARN_HOME"] = str(province_home["home"])
    os.environ["RISKWARN_MODEL_CONFIG"] = str(province_home["config"])
    os.environ["RISKWARN_TRUTH"] = str(province_home["truth"])
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(province_home["base"])}},
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert outputs  # the notebook produced output
