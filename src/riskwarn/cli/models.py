"""CLI of the models and scoring stages: train, models list|show|promote|rollback, score,
labels describe, mlflow-ui."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from riskwarn.cli.common import HomeOption, settings_for

__all__ = ["register"]

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="model settings YAML laid over riskwarn/models/defaults.yaml"),
]


def _connect(settings, read_only: bool = True):  # type: ignore[no-untyped-def]
    from riskwarn.store import connect

    return connect(settings, read_only=read_only)


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a YYYY-MM-DD date", param_hint=option) from None


def print_training(result, run) -> None:  # type: ignore[no-untyped-def]
    """The held-out evaluation table, oracle comparisons and the gate's decision."""
    from rich.console import Console

    from riskwarn.models.card import evaluation_frame

    console = Console()
    console.print(
        f"riskwarn-risk v{run.version} — 测试期评估 / held-out evaluation ({result.split.describe()['test']})"
    )
    console.print(evaluation_frame(result).round(4).to_string(), markup=False, soft_wrap=True)
    for k, v in result.comparisons.items():
        console.print(f"{k}: {v:.4f}")
    if result.baselines is not None:
        t = result.baselines.table
        overall = t[t["slice"] == "all"]
        console.print("与基线的配对差值 / LightGBM minus baseline, paired 95% interval (overall):")
        for r in overall.itertuples():
            console.print(
                f"  vs {r.baseline:<9} {r.metric:<30} {r.diff:+.4f} [{r.diff_lo:+.4f}, {r.diff_hi:+.4f}]"
                f"{'  beats' if r.beats else ''}"
            )
        console.print(
            "  every metric, overall and every large region — " + result.baselines.verdict_text()
        )
    console.print(f"gate: {run.decision.summary}")
    if run.card_path:
        console.print(f"model card: {run.card_path}")


def print_top_scores(scores, day: dt.date, top: int) -> None:  # type: ignore[no-untyped-def]
    """The `top` riskiest subjects as a bilingual table."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"风险最高的 {top} 个主体 / {top} riskiest subjects, as of {day}")
    for col in ("统一社会信用代码 / entity_id", "风险概率 / score", "模型版本 / model"):
        table.add_column(col)
    for row in scores.head(top).itertuples():
        table.add_row(row.entity_id, f"{row.score:.3f}", str(row.model_version))
    Console().print(table)


def train_command(
    home: HomeOption = None,
    config: ConfigOption = None,
    label_cutoff: Annotated[
        str | None,
        typer.Option(
            help="YYYY-MM-DD; outcomes known after it are ignored (default: latest delivery)"
        ),
    ] = None,
    truth: Annotated[
        Path | None,
        typer.Option(help="simulator truth/ folder: adds oracle and ceiling comparisons"),
    ] = None,
    optuna: Annotated[
        int | None, typer.Option(help="Optuna trials (overrides config; 0 = off)")
    ] = None,
    cards_dir: Annotated[Path, typer.Option(help="where model cards are written")] = Path("models"),
    plots: Annotated[
        bool, typer.Option(help="log PNG plots (ROC, precision@k, calibration, lift, SHAP)")
    ] = True,
) -> None:
    """训练模型 / Train LightGBM and both baselines on temporal splits, log to MLflow, register, gate."""
    from riskwarn.models.config import load_model_config
    from riskwarn.models.workflow import train_and_register

    settings = settings_for(home)
    result, run = train_and_register(
        settings,
        load_model_config(config),
        label_cutoff=_date(label_cutoff, "--label-cutoff"),
        truth_dir=truth,
        optuna_trials=optuna,
        cards_dir=cards_dir,
        plots=plots,
    )
    print_training(result, run)


def score_command(
    as_of: Annotated[str, typer.Option("--as-of", help="YYYY-MM-DD")],
    out: Annotated[Path, typer.Option("--out", help="FILE.csv or FILE.parquet")],
    home: HomeOption = None,
    model_uri: Annotated[
        str | None, typer.Option(help="default models:/riskwarn-risk@champion")
    ] = None,
    top: Annotated[int, typer.Option(help="print this many riskiest subjects")] = 20,
) -> None:
    """批量评分 / Score every active subject at an as-of date with the champion."""
    from riskwarn.scoring.batch import score_subjects, write_scores

    settings = settings_for(home)
    day = _date(as_of, "--as-of")
    assert day is not None
    con = _connect(settings)
    try:
        scores = score_subjects(con, settings, day, model_uri=model_uri)
    finally:
        con.close()
    write_scores(scores, out)
    print_top_scores(scores, day, top)
    print(f"{len(scores):,} subjects scored → {out}", file=sys.stderr)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main app."""
    app.command("train")(train_command)
    app.command("score")(score_command)

    models = typer.Typer(
        help="模型注册表 / the model registry (riskwarn-risk)", no_args_is_help=True
    )

    @models.command("list")
    def list_cmd(home: HomeOption = None) -> None:
        """列出版本 / Every version with aliases, headline metrics and gate decision."""
        from riskwarn.models.registry import list_versions

        frame = list_versions(settings_for(home))
        print("no versions registered yet" if frame.empty else frame.to_string(index=False))

    @models.command("show")
    def show_cmd(version: str, home: HomeOption = None) -> None:
        """查看版本 / One version's tags, parameters, metrics and the alias log."""
        from riskwarn.models.registry import show_version

        print(
            json.dumps(
                show_version(settings_for(home), version), indent=2, ensure_ascii=False, default=str
            )
        )

    @models.command("promote")
    def promote_cmd(
        version: str,
        who: Annotated[str, typer.Option(help="who decides (recorded)")],
        why: Annotated[str, typer.Option(help="why (recorded)")],
        home: HomeOption = None,
    ) -> None:
        """人工晋级 / Make a version champion by a person's decision (who and why recorded)."""
        from riskwarn.models.registry import promote

        promote(settings_for(home), version, who, why)
        print(f"riskwarn-risk v{version} is champion (by {who}: {why})")

    @models.command("rollback")
    def rollback_cmd(
        who: Annotated[str, typer.Option(help="who decides (recorded)")],
        why: Annotated[str, typer.Option(help="why (recorded)")],
        home: HomeOption = None,
    ) -> None:
        """回滚 / Restore the previous champion (who and why recorded)."""
        from riskwarn.models.registry import rollback

        version = rollback(settings_for(home), who, why)
        print(f"riskwarn-risk v{version} is champion again (by {who}: {why})")

    app.add_typer(models, name="models")

    labels = typer.Typer(help="标签 / label definitions", no_args_is_help=True)

    @labels.command("describe")
    def describe_cmd(config: ConfigOption = None) -> None:
        """标签说明 / One page describing every label (markdown)."""
        from riskwarn.models.config import load_model_config
        from riskwarn.models.labels import describe_labels

        print(describe_labels(load_model_config(config).horizon_days))

    app.add_typer(labels, name="labels")

    @app.command("mlflow-ui")
    def mlflow_ui(
        home: HomeOption = None,
        port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 5000,
    ) -> None:
        """MLflow 界面 / Open the MLflow UI on this installation's tracking store."""
        from riskwarn.models.registry import tracking_uri

        settings = settings_for(home)
        uri = tracking_uri(settings)
        cmd = [
            sys.executable,
            "-m",
            "mlflow",
            "ui",
            "--backend-store-uri",
            uri,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        if uri.startswith("sqlite"):
            cmd += [
                "--default-artifact-root",
                (settings.mlflow_dir / "artifacts").resolve().as_uri(),
            ]
        print(" ".join(cmd), file=sys.stderr)
        subprocess.run(cmd, check=False)
