"""The models CLI documents labels, lists an empty registry, and refuses to score without a champion."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from riskwarn.cli.main import app


def test_labels_describe_prints_the_label_page(tmp_path: Path) -> None:
    cfg = tmp_path / "m.yaml"
    cfg.write_text("labels: {horizon_days: 90}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["labels", "describe", "--config", str(cfg)])
    assert result.exit_code == 0
    assert "标签说明 / Label definitions" in result.output and "H = 90 days" in result.output


def test_empty_registry_lists_nothing_and_score_names_the_missing_champion(
    province: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    (home / "store").mkdir(parents=True)
    (home / "store" / "riskwarn.duckdb").write_bytes(province.read_bytes())
    runner = CliRunner()
    listed = runner.invoke(app, ["models", "list", "--home", str(home)])
    assert listed.exit_code == 0 and "no versions registered yet" in listed.output
    scored = runner.invoke(
        app,
        ["score", "--home", str(home), "--as-of", "2024-03-31", "--out", str(tmp_path / "s.csv")],
    )
    assert scored.exit_code != 0
    assert "no champion" in str(scored.exception)
    bad = runner.invoke(
        app, ["score", "--home", str(home), "--as-of", "31/03/2024", "--out", "x.csv"]
    )
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output
