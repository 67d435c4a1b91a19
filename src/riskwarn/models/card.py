"""The model card: one markdown page per registered version (in models/ and as an artifact)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskwarn.models.labels import LABELS

__all__ = ["HEADLINE_METRICS", "evaluation_frame", "evaluation_table", "model_card"]

# metric → (中文, English)
HEADLINE_METRICS: dict[str, tuple[str, str]] = {
    "auc_random_draw": ("双随机 AUC", "ROC-AUC, random draws (1/p weighted)"),
    "auc_labelled": ("全部检查 AUC", "ROC-AUC, all inspections"),
    "pr_auc_labelled": ("PR-AUC", "PR-AUC, all inspections"),
    "brier_random_draw": ("Brier 分数", "Brier, random draws"),
    "ece_random_draw": ("校准误差", "ECE, random draws"),
    "precision_at_10pct_labelled": ("前10%精确率", "precision at top 10%, all inspections"),
    "recall_at_10pct_labelled": ("前10%召回率", "recall at top 10%, all inspections"),
    "lift_at_10pct_random_draw": ("前10%提升度", "lift at top 10% over a uniform draw"),
    "capture_at_10pct_serious": ("前10%严重事件覆盖", "serious events captured in top 10%"),
    "capture_at_10pct_truth": ("前10%真实风险覆盖", "true risk captured in top 10% (simulated)"),
    "schedule_first_half_model": (
        "按分排序前半发现率",
        "violations found in first half, score order",
    ),
    "schedule_first_half_actual": (
        "实际顺序前半发现率",
        "violations found in first half, actual order",
    ),
    "schedule_days_earlier": ("平均提前天数", "mean days earlier a violation is found"),
}


def _fmt(v: float) -> str:
    return "—" if v is None or not np.isfinite(v) else f"{v:.4f}"


def evaluation_frame(result: Any) -> pd.DataFrame:
    """Headline metrics (rows, by key) × scorers (columns), for terminals and notebooks."""
    data = {
        name: [ev.metrics.get(key, float("nan")) for key in HEADLINE_METRICS]
        for name, ev in result.evaluations.items()
    }
    frame = pd.DataFrame(data, index=list(HEADLINE_METRICS))
    return frame.dropna(how="all")


def evaluation_table(result: Any) -> str:
    """Markdown table: headline metrics (rows) × scorers (columns), with 95% intervals."""
    names = list(result.evaluations)
    lines = ["| 指标 metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for key, (zh, en) in HEADLINE_METRICS.items():
        cells = []
        for n in names:
            ev = result.evaluations[n]
            v = ev.metrics.get(key, float("nan"))
            cell = _fmt(v)
            if key in ev.intervals:
                lo, hi = ev.intervals[key]
                cell += f" [{_fmt(lo)}, {_fmt(hi)}]"
            cells.append(cell)
        if all(c == "—" for c in cells):
            continue
        lines.append(f"| {zh} / {en} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _comparison_section(title: str, intro: str, comparison: Any) -> list[str]:
    """A card section for one paired comparison: title, intro ending in the verdict, table
    (nothing when the run has no such comparison)."""
    if comparison is None:
        return []
    return [title, "", intro + comparison.verdict_text(), "", baseline_table(comparison), ""]


def baseline_table(comparison: Any) -> str:
    """Markdown table of LightGBM minus each baseline, with the paired 95% interval, per region."""
    lines = [
        "| 地区 region | 随机抽查违法数 random-draw violations | 基线 baseline | 指标 metric "
        "| 差值 difference [95%] | 胜出 beats |",
        "|---|---|---|---|---|---|",
    ]
    for r in comparison.table.itertuples():
        size = "" if r.large else " (small, not judged)"
        lines.append(
            f"| {r.slice}{size} | {r.positives_random_draw:,} | {r.baseline} | {r.metric} | "
            f"{_fmt(r.diff)} [{_fmt(r.diff_lo)}, {_fmt(r.diff_hi)}] | {'yes' if r.beats else 'no'} |"
        )
    return "\n".join(lines)


def model_card(result: Any, version: str, decision: Any) -> str:
    """Data window, label, metrics against baselines (and oracles), slices and known limits."""
    window = result.split.describe()
    ev = result.evaluations["lightgbm"]
    flagged = ev.slices[ev.slices["flagged_worse"]] if not ev.slices.empty else ev.slices
    zh, en, definition = LABELS["label"]
    lines = [
        f"# 模型卡 / Model card — riskwarn-risk v{version}",
        "",
        "## 数据窗口 / Data window",
        *(f"- {k}: {v}" for k, v in window.items()),
        f"- 指标目录版本 / catalog version: `{result.catalog_version}` ({result.counts['n_features']} indicators)",
        f"- rows: {result.counts['train_rows']:,} labelled training, {result.counts['valid_rows']:,} "
        f"validation, {result.counts['test_subjects']:,} test subjects "
        f"({result.counts['test_labelled']:,} inspected, {result.counts['test_random_draw']:,} by random draw)",
        "",
        "## 标签 / Label",
        f"{zh} / {en}: {definition}",
        "",
        "## 训练 / Training",
        f"- LightGBM, early stopping on validation (best iteration {result.model.meta.get('best_iteration')}); "
        f"sample weights: `{result.ipw_choice}` (validation: "
        + ", ".join(f"{k} {_fmt(v)}" for k, v in result.ipw_validation.items())
        + ")",
        f"- calibration: {result.model.meta.get('calibration')} on validation "
        "(random-draw rows weighted 1/p when there are enough)",
        "",
        "## 评估 / Evaluation (held-out test cohorts)",
        evaluation_table(result),
        "",
    ]
    lines += _comparison_section(
        "### 与基线的配对比较 / Paired comparison with the baselines",
        "LightGBM minus baseline on the same bootstrap resamples of subjects; it *beats* a "
        "baseline where the whole 95% interval is above zero. Verdict (every metric, overall "
        "and every large region): ",
        getattr(result, "baselines", None),
    )
    lines += _comparison_section(
        "### 滚动起点合并比较 / Paired comparison pooled over the rolling origins",
        "Every origin's test cohorts, each scored by the models trained before it, in one "
        "bootstrap by subject. Verdict: ",
        getattr(result, "pooled_baselines", None),
    )
    if result.comparisons:
        lines += ["### 与真值比较 / Against simulator truth", ""]
        lines += [f"- {k}: {_fmt(v)}" for k, v in result.comparisons.items()]
        lines.append("")
    if getattr(result, "folds", None):
        lines += ["### 滚动起点 / Earlier rolling origins", ""]
        lines += ["| test | " + " | ".join(k for k in result.folds[0] if k != "test") + " |"]
        lines += ["|---|" + "---|" * (len(result.folds[0]) - 1)]
        for fold in result.folds:
            lines.append(
                f"| {fold['test']} | "
                + " | ".join(_fmt(v) for k, v in fold.items() if k != "test")
                + " |"
            )
        lines.append("")
    lines += ["## 切片 / Slices", ""]
    if flagged.empty:
        lines.append("No slice with enough labelled rows is worse than overall by the set margin.")
    else:
        lines.append("Slices worse than overall (AUC, all inspections) by more than the margin:")
        for row in flagged.itertuples():
            lines.append(
                f"- {row.slice_by_label} = {row.slice}: AUC {_fmt(row.auc_labelled)} (n = {row.n_labelled:,})"
            )
    lines += [
        "",
        "## 晋级 / Promotion gate",
        decision.summary,
        "",
        "## 已知局限 / Known limits",
        "- Labels exist only for inspected subjects; targeted inspections follow suspected risk, "
        "so metrics on all inspections are optimistic — read the random-draw columns.",
        "- Subjects never inspected or with hidden risk that no feed reveals cannot be ranked "
        "better than the feeds allow (see the ceiling comparison on simulated data).",
        "- Calibration holds for the validation period's base rate; a shift in inspection "
        "policy or violation prevalence needs recalibration (retrain).",
        "- The score is a probability for prioritisation, not a finding of wrongdoing.",
    ]
    return "\n".join(lines) + "\n"
