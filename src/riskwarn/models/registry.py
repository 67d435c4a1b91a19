"""MLflow tracking and the guarded registry of `riskwarn-risk`.

Embedded default: SQLite tracking + registry and an artifact folder under
settings.mlflow_dir; MLFLOW_TRACKING_URI points it at a real server instead. Aliases:
`challenger` for every new version, `champion` only through the gate or a recorded
manual promote/rollback. The alias history lives in the registered model's tags.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskwarn.config import Settings, disable_telemetry
from riskwarn.errors import ModelError
from riskwarn.models.config import ModelConfig
from riskwarn.models.evaluate import evaluate_scores
from riskwarn.models.gate import GateDecision, gate_against_baselines, gate_against_champion
from riskwarn.models.labels import describe_labels

__all__ = [
    "CHAMPION",
    "CHALLENGER",
    "EXPERIMENT",
    "MODEL_NAME",
    "RegisteredRun",
    "champion_uri",
    "compare_with_champion",
    "configure_mlflow",
    "list_versions",
    "load_model",
    "log_training_run",
    "promote",
    "rollback",
    "show_version",
    "tracking_uri",
]

MODEL_NAME = "riskwarn-risk"
EXPERIMENT = "riskwarn-risk"
CHAMPION = "champion"
CHALLENGER = "challenger"
_HISTORY_TAG = "champion_history"  # JSON list of versions, oldest first
_LOG_TAG = "alias_log"  # JSON list of the last alias events (who, why, when)
_LOG_KEEP = 30


@dataclass
class RegisteredRun:
    """What logging a training run produced."""

    run_id: str
    version: str
    decision: GateDecision
    card_path: Path | None


def tracking_uri(settings: Settings) -> str:
    """MLFLOW_TRACKING_URI if set, else SQLite under settings.mlflow_dir."""
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    return f"sqlite:///{(settings.mlflow_dir / 'mlflow.db').resolve().as_posix()}"


def configure_mlflow(settings: Settings) -> Any:
    """Point MLflow at this installation's tracking/registry and return a client."""
    disable_telemetry()
    import mlflow
    from mlflow import MlflowClient

    settings.mlflow_dir.mkdir(parents=True, exist_ok=True)
    uri = tracking_uri(settings)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    if client.get_experiment_by_name(EXPERIMENT) is None:
        location = None
        if not os.environ.get("MLFLOW_TRACKING_URI"):
            location = (settings.mlflow_dir / "artifacts").resolve().as_uri()
        client.create_experiment(EXPERIMENT, artifact_location=location)
    return client


def champion_uri() -> str:
    return f"models:/{MODEL_NAME}@{CHAMPION}"


def _finite(metrics: dict[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items() if v is not None and math.isfinite(float(v))}


def _metric_key(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "_-." else "_" for ch in text)


def _run_metrics(result: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, ev in result.evaluations.items():
        prefix = "" if name == "lightgbm" else f"{name}."
        out |= ev.flat(prefix)
        if not ev.slices.empty:
            for row in ev.slices.itertuples():
                base = _metric_key(f"{prefix}slice.{row.slice_by}.{row.slice or 'unknown'}")
                out[f"{base}.auc_labelled"] = row.auc_labelled
                out[f"{base}.n_labelled"] = row.n_labelled
            out[f"{prefix}slices_flagged"] = float(ev.slices["flagged_worse"].sum())
    out |= result.comparisons
    if getattr(result, "baselines", None) is not None:
        out |= result.baselines.flat()
    if getattr(result, "pooled_baselines", None) is not None:
        out |= {f"pooled.{k}": v for k, v in result.pooled_baselines.flat().items()}
    for i, fold in enumerate(getattr(result, "folds", [])):
        out |= {f"fold{i}.{k}": v for k, v in fold.items() if k != "test"}
    out |= result.ipw_validation
    out |= {f"time_{k}": v for k, v in result.timings.items()}
    return _finite(out)


def _champion_version(client: Any) -> str | None:
    try:
        return str(client.get_model_version_by_alias(MODEL_NAME, CHAMPION).version)
    except Exception:  # noqa: BLE001 - MLflow raises a generic exception for a missing alias
        return None


def _json_tag(client: Any, key: str) -> list[Any]:
    try:
        tags = client.get_registered_model(MODEL_NAME).tags
    except Exception:  # noqa: BLE001
        return []
    return list(json.loads(tags.get(key, "[]")))


def _set_champion(client: Any, version: str, who: str, why: str, action: str) -> None:
    """Move the champion alias and record who, why and when (history + log)."""
    previous = _champion_version(client)
    history = _json_tag(client, _HISTORY_TAG)
    if action != "rollback":
        history.append(version)
    client.set_registered_model_alias(MODEL_NAME, CHAMPION, version)
    client.set_registered_model_tag(MODEL_NAME, _HISTORY_TAG, json.dumps(history[-_LOG_KEEP:]))
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    log = _json_tag(client, _LOG_TAG)
    log.append(
        {"action": action, "version": version, "from": previous, "who": who, "why": why, "at": now}
    )
    client.set_registered_model_tag(
        MODEL_NAME, _LOG_TAG, json.dumps(log[-_LOG_KEEP:], ensure_ascii=False)
    )
    for key, value in ((f"{action}_by", who), (f"{action}_reason", why), (f"{action}_at", now)):
        client.set_model_version_tag(MODEL_NAME, version, key, value)


def _evaluate_champion(client: Any, result: Any, config: ModelConfig) -> Any:
    import mlflow

    champion = mlflow.pyfunc.load_model(champion_uri())
    model = champion.unwrap_python_model().model
    frame = result.test_frame.copy()
    frame["score_champion"] = model.predict_proba(frame)
    ev = config.raw["evaluation"]
    return evaluate_scores(
        frame,
        "score_champion",
        config.capacities,
        bins=int(ev["ece_bins"]),
        slice_min_count=int(ev["slice_min_count"]),
        slice_margin=float(ev["slice_margin"]),
    )


def compare_with_champion(
    settings: Settings, result: Any, config: ModelConfig
) -> tuple[Any, GateDecision]:
    """(champion's Evaluation on this result's held-out rows or None, the gate's verdict) —
    what `log_training_run` would decide, without registering anything."""
    client = configure_mlflow(settings)
    champion = None
    if _champion_version(client) is not None:
        try:
            champion = _evaluate_champion(client, result, config)
        except Exception:  # noqa: BLE001 - reported by the gate below
            champion = None
    return champion, _gate(client, result, config)


def _gate(client: Any, result: Any, config: ModelConfig) -> GateDecision:
    ours = result.evaluations["lightgbm"]
    if _champion_version(client) is None:
        baselines = {k: result.evaluations[k] for k in ("scorecard", "logistic")}
        return gate_against_baselines(ours, baselines, config)
    try:
        theirs = _evaluate_champion(client, result, config)
    except Exception as exc:  # noqa: BLE001 - any failure means the champion cannot be compared
        from riskwarn.models.gate import primary_metric

        return GateDecision(
            False,
            primary_metric(ours, config),
            float("nan"),
            {},
            [f"the champion cannot score this held-out period: {exc}"],
        )
    return gate_against_champion(ours, theirs, config)


def log_training_run(
    result: Any,
    settings: Settings,
    config: ModelConfig,
    *,
    cards_dir: Path | None = None,
    plots: bool = True,
    who: str = "riskwarn train",
) -> RegisteredRun:
    """Log parameters, data window, metrics, plots, card and model; register it as a
    challenger; run the gate and promote when it passes."""
    import mlflow

    from riskwarn.models.card import model_card

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*type hints.*")  # we return plain arrays
        from riskwarn.models.pyfunc import RiskPyfunc, model_signature, pip_requirements

    client = configure_mlflow(settings)
    mlflow.set_experiment(EXPERIMENT)
    with mlflow.start_run() as run, tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        params = {f"lgbm_{k}": v for k, v in result.params.items()}
        params |= {f"window_{k}": v for k, v in result.split.describe().items()}
        params |= {
            "catalog_version": result.catalog_version,
            "label": "violation found by an inspection in (as_of, as_of+H], known by the cutoff",
            "ipw": result.ipw_choice,
        }
        params |= {f"count_{k}": v for k, v in result.counts.items()}
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        mlflow.log_metrics(_run_metrics(result))
        (tmpdir / "labels.md").write_text(
            describe_labels(result.split.horizon_days), encoding="utf-8"
        )
        for name, ev in result.evaluations.items():
            if not ev.slices.empty:
                ev.slices.to_csv(tmpdir / f"slices_{name}.csv", index=False)
        mlflow.log_artifact(str(tmpdir / "labels.md"))
        if getattr(result, "baselines", None) is not None:
            result.baselines.table.to_csv(tmpdir / "vs_baselines.csv", index=False)
            mlflow.log_artifact(str(tmpdir / "vs_baselines.csv"))
        for path in tmpdir.glob("slices_*.csv"):
            mlflow.log_artifact(str(path), "slices")
        if plots:
            from riskwarn.models.plots import save_plots

            for path in save_plots(result, tmpdir / "plots"):
                mlflow.log_artifact(str(path), "plots")
        with warnings.catch_warnings():
            # we pass an explicit signature and no input example on purpose (speed); the
            # cloudpickled model class is riskwarn's own, importable wherever riskwarn is installed
            warnings.filterwarnings("ignore", message=".*(input example|type hint|Type hints).*")
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=RiskPyfunc(result.model),
                signature=model_signature(result.model),
                pip_requirements=pip_requirements(),
            )
        mv = mlflow.register_model(info.model_uri, MODEL_NAME)
        version = str(mv.version)
        client.set_registered_model_alias(MODEL_NAME, CHALLENGER, version)
        decision = _gate(client, result, config)
        client.set_model_version_tag(
            MODEL_NAME, version, "gate_decision", "promoted" if decision.promote else "challenger"
        )
        client.set_model_version_tag(MODEL_NAME, version, "gate_reason", decision.summary[:4000])
        client.set_model_version_tag(MODEL_NAME, version, "catalog_version", result.catalog_version)
        client.set_model_version_tag(
            MODEL_NAME, version, "test_period", result.split.describe()["test"]
        )
        mlflow.set_tag("gate_decision", decision.summary[:4000])
        if decision.promote:
            _set_champion(client, version, "gate", decision.summary, "promote")
        card = model_card(result, version, decision)
        (tmpdir / "model_card.md").write_text(card, encoding="utf-8")
        mlflow.log_artifact(str(tmpdir / "model_card.md"))
        card_path = None
        if cards_dir is not None:
            cards_dir.mkdir(parents=True, exist_ok=True)
            card_path = cards_dir / f"{MODEL_NAME}-v{version}.md"
            card_path.write_text(card, encoding="utf-8")
    return RegisteredRun(run.info.run_id, version, decision, card_path)


def promote(settings: Settings, version: str, who: str, why: str) -> None:
    """Make `version` champion by a person's decision, recorded with who and why."""
    if not who.strip() or not why.strip():
        raise ModelError("promote needs --who and --why (recorded on the model version)")
    client = configure_mlflow(settings)
    client.get_model_version(MODEL_NAME, version)  # a clear MLflow error if it does not exist
    _set_champion(client, str(version), who, why, "promote")


def rollback(settings: Settings, who: str, why: str) -> str:
    """Restore the previous champion; returns the version that is champion now."""
    if not who.strip() or not why.strip():
        raise ModelError("rollback needs --who and --why (recorded on the model version)")
    client = configure_mlflow(settings)
    history = _json_tag(client, _HISTORY_TAG)
    current = _champion_version(client)
    if current is None or len(history) < 2:
        raise ModelError(f"no previous champion to roll back to (history: {history or 'empty'})")
    if history[-1] == current:
        history.pop()
    target = history[-1]
    client.set_model_version_tag(MODEL_NAME, current, "rolled_back_by", who)
    client.set_model_version_tag(MODEL_NAME, current, "rolled_back_reason", why)
    client.set_registered_model_tag(MODEL_NAME, _HISTORY_TAG, json.dumps(history))
    _set_champion(client, target, who, why, "rollback")
    return target


def list_versions(settings: Settings) -> pd.DataFrame:
    """Every registered version with its aliases, primary metric and gate decision."""
    client = configure_mlflow(settings)
    rows = []
    for found in client.search_model_versions(f"name='{MODEL_NAME}'"):
        mv = client.get_model_version(MODEL_NAME, found.version)  # search omits aliases
        run = client.get_run(mv.run_id)
        rows.append(
            {
                "version": int(mv.version),
                "aliases": ",".join(sorted(mv.aliases)),
                "created": dt.datetime.fromtimestamp(mv.creation_timestamp / 1000).isoformat(
                    timespec="seconds"
                ),
                "auc_random_draw": run.data.metrics.get("auc_random_draw", np.nan),
                "auc_labelled": run.data.metrics.get("auc_labelled", np.nan),
                "ece_random_draw": run.data.metrics.get("ece_random_draw", np.nan),
                "test_period": mv.tags.get("test_period", ""),
                "gate": mv.tags.get("gate_decision", ""),
            }
        )
    return pd.DataFrame(rows).sort_values("version") if rows else pd.DataFrame(rows)


def show_version(settings: Settings, version: str) -> dict[str, Any]:
    """One version's aliases, tags, parameters and headline metrics, plus the alias log."""
    client = configure_mlflow(settings)
    mv = client.get_model_version(MODEL_NAME, version)
    run = client.get_run(mv.run_id)
    return {
        "version": mv.version,
        "aliases": list(mv.aliases),
        "run_id": mv.run_id,
        "tags": dict(mv.tags),
        "params": dict(run.data.params),
        "metrics": {k: v for k, v in sorted(run.data.metrics.items()) if "slice." not in k},
        "alias_log": _json_tag(client, _LOG_TAG),
    }


def load_model(settings: Settings, uri: str | None = None) -> tuple[Any, str]:
    """(RiskModel, version) for a models:/ URI (default: the champion)."""
    import mlflow

    client = configure_mlflow(settings)
    uri = uri or champion_uri()
    if uri == champion_uri() and _champion_version(client) is None:
        raise ModelError(
            f"no champion in the registry yet ({tracking_uri(settings)}); run `riskwarn train`"
        )
    loaded = mlflow.pyfunc.load_model(uri)
    version = ""
    if uri.startswith(f"models:/{MODEL_NAME}@"):
        version = str(client.get_model_version_by_alias(MODEL_NAME, uri.split("@", 1)[1]).version)
    elif uri.startswith(f"models:/{MODEL_NAME}/"):
        version = uri.rsplit("/", 1)[1]
    return loaded.unwrap_python_model().model, version
