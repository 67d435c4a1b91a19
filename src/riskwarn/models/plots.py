"""Evaluation plots (ROC, precision@k, calibration, lift, SHAP summary) saved as PNG files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["save_plots"]

_KS = np.linspace(0.01, 0.5, 50)


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.sans-serif"] = ["Noto Sans CJK SC", "WenQuanYi Zen Hei", "DejaVu Sans"]
    return plt


def _scorers(result: Any) -> list[str]:
    return [n for n in result.evaluations if f"score_{n}" in result.test_frame.columns]


def _roc(result: Any, out: Path) -> Path:
    from sklearn.metrics import roc_curve

    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
    t = result.test_frame
    for ax, (ycol, title) in zip(
        axes, (("label", "all inspections"), ("random_draw_label", "random draws")), strict=True
    ):
        rows = t[t[ycol].notna()]
        if rows[ycol].nunique() < 2:
            continue
        for n in _scorers(result):
            fpr, tpr, _ = roc_curve(rows[ycol].astype(int), rows[f"score_{n}"])
            ax.plot(
                fpr,
                tpr,
                label=f"{n} (AUC {result.evaluations[n].metrics.get('auc_' + ('labelled' if ycol == 'label' else 'random_draw'), np.nan):.3f})",
            )
        ax.plot([0, 1], [0, 1], "k:", lw=0.8)
        ax.set(title=f"ROC — {title}", xlabel="false positive rate", ylabel="true positive rate")
        ax.legend(fontsize=7)
    path = out / "roc.png"
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _at_k(result: Any, out: Path) -> list[Path]:
    plt = _plt()
    t = result.test_frame
    lab = t[t["label"].notna()]
    base = lab["label"].astype(float).mean()
    paths = []
    for kind in ("precision", "lift"):
        fig, ax = plt.subplots(figsize=(6, 4.5))
        for n in _scorers(result):
            thr = np.quantile(t[f"score_{n}"], 1 - _KS)
            prec = [lab.loc[lab[f"score_{n}"] >= th, "label"].astype(float).mean() for th in thr]
            vals = np.array(prec) / (base if kind == "lift" else 1.0)
            ax.plot(_KS * 100, vals, label=n)
        if kind == "lift":
            ax.axhline(1.0, color="k", ls=":", lw=0.8)
        ax.set(
            title=f"{kind} at capacity k (all inspections)",
            xlabel="k, % of subjects inspected",
            ylabel=kind,
        )
        ax.legend(fontsize=7)
        path = out / f"{kind}_at_k.png"
        fig.tight_layout()
        fig.savefig(path, dpi=90)
        plt.close(fig)
        paths.append(path)
    return paths


def _calibration(result: Any, out: Path) -> Path:
    plt = _plt()
    t = result.test_frame
    fig, ax = plt.subplots(figsize=(5, 5))
    for ycol, name in (("random_draw_label", "random draws"), ("label", "all inspections")):
        rows = t[t[ycol].notna()]
        if rows.empty:
            continue
        bins = pd.cut(rows["score_lightgbm"], np.linspace(0, 1, 11), include_lowest=True)
        g = rows.groupby(bins, observed=True).agg(p=("score_lightgbm", "mean"), y=(ycol, "mean"))
        ax.plot(g["p"], g["y"].astype(float), "o-", label=name)
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set(
        title="calibration (lightgbm)",
        xlabel="mean predicted probability",
        ylabel="observed violation rate",
    )
    ax.legend(fontsize=7)
    path = out / "calibration.png"
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _shap(result: Any, out: Path) -> Path | None:
    if result.shap_sample is None or result.shap_sample.empty:
        return None
    import shap

    plt = _plt()
    values = result.model.booster.predict(result.shap_sample, pred_contrib=True)
    contrib = np.asarray(values)[:, :-1]
    shown = result.shap_sample.copy()
    for col in shown.columns:
        if isinstance(shown[col].dtype, pd.CategoricalDtype):
            shown[col] = shown[col].cat.codes.replace(-1, np.nan).astype(float)
    shap.summary_plot(contrib, shown, show=False, max_display=20)
    fig = plt.gcf()
    path = out / "shap_summary.png"
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def save_plots(result: Any, out: Path) -> list[Path]:
    """Write every plot of a training result into `out`; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [_roc(result, out), *_at_k(result, out), _calibration(result, out)]
    shap_path = _shap(result, out)
    return paths + ([shap_path] if shap_path else [])
