"""`riskwarn train`: build point-in-time training data, fit LightGBM and the two baselines on
the same temporal split, calibrate on validation, and evaluate on the held-out cohorts."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from riskwarn.errors import ModelError
from riskwarn.models.attributes import subject_attributes
from riskwarn.models.baselines import RuleScorecard, logistic_pipeline
from riskwarn.models.calibration import Calibrator
from riskwarn.models.compare import Comparison, compare_scorers
from riskwarn.models.config import ModelConfig
from riskwarn.models.evaluate import Evaluation, evaluate_scores
from riskwarn.models.labels import build_labels
from riskwarn.models.model import RiskModel
from riskwarn.models.pipeline import FeaturePipeline
from riskwarn.models.splits import Split, monthly_cohorts, temporal_splits
from riskwarn.models.truth import truth_columns
from riskwarn.progress import RowProgress, StepLog

__all__ = [
    "FeatureFn",
    "TrainResult",
    "assemble_frame",
    "default_cohorts",
    "default_label_cutoff",
    "fit_booster",
    "train_models",
    "training_weights",
]

FeatureFn = Callable[[duckdb.DuckDBPyConnection, Sequence[dt.date], Any], pd.DataFrame]
SCORERS = ("lightgbm", "scorecard", "logistic")
ORACLES = ("oracle_now", "oracle_future", "ceiling", "linear_ceiling")
_SMALL_DATA_ROWS = 50_000  # below this LightGBM trains on one thread
_BASELINE_ROWS = 300_000
_FEATURE_BATCH_ROWS = 1_000_000  # feature rows built per call (memory bound)  # logistic regression and ceiling fits use at most this many rows


@dataclass
class TrainResult:
    """Everything one training run produced: the model, its split and every evaluation."""

    model: RiskModel
    split: Split
    evaluations: dict[str, Evaluation]
    test_frame: pd.DataFrame
    params: dict[str, Any]
    ipw_choice: str
    ipw_validation: dict[str, float]
    counts: dict[str, int]
    comparisons: dict[str, float] = field(default_factory=dict)
    shap_sample: pd.DataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)
    folds: list[dict[str, Any]] = field(default_factory=list)  # earlier rolling origins
    baselines: Comparison | None = None  # paired differences with the baselines
    pooled_baselines: Comparison | None = None  # the same over every rolling origin's tests

    @property
    def catalog_version(self) -> str:
        return self.model.catalog_version


def _default_feature_fn(
    con: duckdb.DuckDBPyConnection, as_of: Sequence[dt.date], catalog: Any
) -> pd.DataFrame:
    from riskwarn.features.build import build_features

    return build_features(con, as_of, catalog)


def default_label_cutoff(con: duckdb.DuckDBPyConnection) -> dt.date:
    """The day of the latest delivery in the store: what the platform knows now."""
    row = con.execute("SELECT max(delivered_at) FROM deliveries").fetchone()
    if row is None or row[0] is None:
        raise ModelError("the store has no deliveries; ingest data before training")
    return row[0].date()


def default_cohorts(con: duckdb.DuckDBPyConnection, label_cutoff: dt.date) -> list[dt.date]:
    """Month ends from the first inspection's month to the label cutoff."""
    row = con.execute("SELECT min(inspected_on) FROM v_inspections").fetchone()
    if row is None or row[0] is None:
        raise ModelError("the store has no inspections, so there is nothing to learn from")
    return monthly_cohorts(row[0], label_cutoff)


def assemble_frame(
    con: duckdb.DuckDBPyConnection,
    catalog: Any,
    split: Split,
    feature_fn: FeatureFn,
    *,
    keep_unlabelled_training: bool = False,
    truth_dir: Path | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Features, labels, slice attributes (and truth) for every cohort of `split`, with a
    `role` column; unlabelled train/valid rows are dropped unless asked to keep them."""
    roles = {c: "train" for c in split.train} | {c: "valid" for c in split.valid}
    roles |= {c: "test" for c in split.test}
    parts: list[pd.DataFrame] = []
    cohorts = list(split.all_cohorts)
    n_fit_cohorts = len(split.train) + len(split.valid)
    batch = 1  # the first cohort alone tells how many subjects a cohort has
    with RowProgress("training rows (features + labels)", every_s=30.0) as bar:
        while cohorts:
            chunk, cohorts = cohorts[:batch], cohorts[batch:]
            feats = feature_fn(con, chunk, catalog).reset_index(drop=True)
            batch = max(1, _FEATURE_BATCH_ROWS // max(len(feats) // len(chunk), 1))
            labels = build_labels(con, feats, split.horizon_days, split.label_cutoff)
            attrs = subject_attributes(con, feats)
            clash = set(feats.columns) & (set(labels.columns) | set(attrs.columns)) - {
                "entity_id",
                "as_of",
            }
            if clash:
                raise ModelError(f"indicator ids clash with label/slice columns: {sorted(clash)}")
            frame = pd.concat([feats, labels.drop(columns=["entity_id", "as_of"]), attrs], axis=1)
            if truth_dir is not None:
                frame = pd.concat(
                    [frame, truth_columns(truth_dir, feats, split.horizon_days)], axis=1
                )
            frame = frame.copy()  # consolidate the builder's many columns before adding one
            frame["role"] = pd.to_datetime(frame["as_of"]).dt.date.map(roles)
            keep = (frame["role"] == "test") | frame["label"].notna()
            if keep_unlabelled_training:
                # a uniform sample of every train/valid subject (inspected or not) for fits
                # against the truth; a sample, because they use at most _BASELINE_ROWS rows
                per_cohort = len(feats) / len(chunk)
                rate = min(1.0, 1.5 * _BASELINE_ROWS / max(per_cohort * n_fit_cohorts, 1.0))
                frame["truth_sample"] = _uniform(frame, seed=len(parts)) < rate
                keep |= frame["truth_sample"]
            frame = frame[keep]
            parts.append(frame)
            bar.advance(len(feats))
    out = pd.concat(parts, ignore_index=True)
    out["as_of"] = pd.to_datetime(out["as_of"]).dt.date
    return out


def _uniform(frame: pd.DataFrame, seed: int) -> np.ndarray:
    """A reproducible uniform(0, 1) draw per row."""
    return np.random.default_rng(seed).random(len(frame))


def training_weights(frame: pd.DataFrame, mode: str, clip: float) -> np.ndarray:
    """Row weights: 1 everywhere ('none'), or 1/draw_probability on random-draw rows
    normalised to mean 1 among them and clipped at `clip` times that mean ('ipw'), so draws
    of rarely drawn subjects count more without one row dominating."""
    w = np.ones(len(frame))
    if mode == "none":
        return w
    if mode != "ipw":
        raise ModelError(f"training.ipw must be none, ipw or auto; got {mode!r}")
    p = frame["draw_probability"].to_numpy(float)
    rd = frame["any_random_draw"].to_numpy(bool) & np.isfinite(p) & (p > 0)
    if rd.any():
        inv = 1.0 / p[rd]
        inv = np.minimum(inv / inv.mean(), clip)
        w[rd] = inv / inv.mean()
    return w


def fit_booster(
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    w_train: np.ndarray,
    X_valid: pd.DataFrame,
    y_valid: np.ndarray,
    w_valid: np.ndarray | None,
    params: dict[str, Any],
    seed: int,
    log: StepLog | None = None,
) -> Any:
    """LightGBM with early stopping on the validation rows (deterministic for a given seed)."""
    import lightgbm as lgb

    p = dict(params)
    rounds = int(p.pop("n_estimators"))
    patience = int(p.pop("early_stopping_rounds"))
    p.setdefault("metric", "auc")
    p.update(verbosity=-1, seed=seed, deterministic=True, force_row_wise=True)
    if len(X_train) < _SMALL_DATA_ROWS:
        p["num_threads"] = 1  # OpenMP spin-waiting costs more than it saves on tiny data
    dtrain = lgb.Dataset(X_train, y_train, weight=w_train, free_raw_data=True)
    dvalid = lgb.Dataset(X_valid, y_valid, weight=w_valid, reference=dtrain)
    return lgb.train(
        p,
        dtrain,
        num_boost_round=rounds,
        valid_sets=[dvalid],
        callbacks=[lgb.early_stopping(patience, verbose=False)]
        + ([_round_logger(log, rounds)] if log is not None else []),
    )


def _round_logger(log: StepLog, rounds: int, every_s: float = 15.0) -> Callable[[Any], None]:
    """A LightGBM callback logging the boosting round, its rate and the validation score."""
    state = {"t0": time.monotonic(), "last": time.monotonic()}

    def callback(env: Any) -> None:
        now = time.monotonic()
        if now - state["last"] < every_s:
            return
        state["last"] = now
        done = env.iteration + 1
        rate = done / max(now - state["t0"], 1e-9)
        score = ", ".join(f"{r[1]} {r[2]:.4f}" for r in env.evaluation_result_list)
        log.log(
            f"round {done:,}/{rounds:,} ({rate:,.1f} rounds/s, at most "
            f"{(rounds - done) / rate:,.0f}s left; early stopping ends sooner), valid {score}"
        )

    return callback


def _eval_rows(valid: pd.DataFrame, min_rd: int) -> tuple[pd.DataFrame, str, np.ndarray | None]:
    """The validation rows a choice is judged on: random draws (1/p weights) if enough."""
    rd = valid[valid["any_random_draw"]]
    if len(rd) >= min_rd and rd["random_draw_label"].nunique() == 2:
        p = rd["draw_probability"].to_numpy(float)
        w = np.where(np.isfinite(p) & (p > 0), 1.0 / np.where(p > 0, p, 1.0), 1.0)
        return rd, "random_draw_label", w
    lab = valid[valid["label"].notna()]
    return lab, "label", None


def _auc(y: np.ndarray, p: np.ndarray, w: np.ndarray | None) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p, sample_weight=w)) if 0 < y.sum() < len(y) else float("nan")


def _optuna_params(
    base: dict[str, Any],
    data: tuple[pd.DataFrame, np.ndarray, np.ndarray, pd.DataFrame, np.ndarray],
    judge: Callable[[Any], float],
    trials: int,
    seed: int,
) -> dict[str, Any]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    X_tr, y_tr, w_tr, X_va, y_va = data

    def objective(trial: Any) -> float:
        params = dict(base)
        params.update(
            learning_rate=trial.suggest_float("learning_rate", 0.02, 0.2, log=True),
            num_leaves=trial.suggest_int("num_leaves", 15, 127, log=True),
            min_child_samples=trial.suggest_int("min_child_samples", 20, 400, log=True),
            feature_fraction=trial.suggest_float("feature_fraction", 0.5, 1.0),
            lambda_l2=trial.suggest_float("lambda_l2", 1e-3, 10.0, log=True),
        )
        return judge(fit_booster(X_tr, y_tr, w_tr, X_va, y_va, None, params, seed))

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=trials)
    return dict(base) | study.best_params


def _calibration_target(
    valid: pd.DataFrame, min_rd: int
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
    rows, col, w = _eval_rows(valid, min_rd)
    return rows, rows[col].to_numpy(float), w


def _logistic_input(frame: pd.DataFrame, pipeline: FeaturePipeline) -> pd.DataFrame:
    out = pipeline.transform(frame)
    for col in pipeline.categorical:
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def _truth_rows(part: pd.DataFrame) -> pd.DataFrame:
    """Rows a fit against the truth may use: the uniform `truth_sample` (all rows when the
    frame has no such column) that have a true probability."""
    sampled = (
        part["truth_sample"].fillna(False).astype(bool)
        if "truth_sample" in part.columns
        else pd.Series(True, index=part.index)
    )
    return part[sampled & part["p_future"].notna()]


def _truth_fit_rows(part: pd.DataFrame, seed: int) -> pd.DataFrame:
    """At most `_BASELINE_ROWS` of the rows a fit against the truth may use."""
    rows = _truth_rows(part)
    return rows.sample(_BASELINE_ROWS, random_state=seed) if len(rows) > _BASELINE_ROWS else rows


def _ceiling_scores(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    test: pd.DataFrame,
    pipeline: FeaturePipeline,
    params: dict[str, Any],
    seed: int,
) -> np.ndarray:
    """The same learner fitted to the true future probability instead of observed labels."""
    tr, va = _truth_fit_rows(train, seed), _truth_rows(valid)
    p = dict(params) | {"objective": "cross_entropy", "metric": "cross_entropy"}
    booster = fit_booster(
        pipeline.transform(tr),
        tr["p_future"].to_numpy(float),
        np.ones(len(tr)),
        pipeline.transform(va),
        va["p_future"].to_numpy(float),
        None,
        p,
        seed,
    )
    return np.asarray(booster.predict(pipeline.transform(test)), dtype=float)


def _linear_ceiling_scores(
    train: pd.DataFrame, test: pd.DataFrame, pipeline: FeaturePipeline, seed: int
) -> np.ndarray:
    """The logistic-regression baseline fitted to the true future probability: the best a
    linear model of these indicators can do. Its gap to the (LightGBM) ceiling is all the
    nonlinearity there is to learn; the cross-entropy against a soft target is fitted as
    every row twice, once a violation weighted p and once clean weighted 1 − p."""
    tr = _truth_fit_rows(train, seed)
    p = tr["p_future"].to_numpy(float)
    X = _logistic_input(tr, pipeline)
    logistic = logistic_pipeline(pipeline, seed).fit(
        pd.concat([X, X], ignore_index=True),
        np.r_[np.ones(len(p), int), np.zeros(len(p), int)],
        lr__sample_weight=np.r_[p, 1.0 - p],
    )
    return np.asarray(logistic.predict_proba(_logistic_input(test, pipeline))[:, 1], dtype=float)


def train_models(
    con: duckdb.DuckDBPyConnection,
    config: ModelConfig,
    *,
    catalog: Any = None,
    label_cutoff: dt.date | None = None,
    cohorts: Sequence[dt.date] | None = None,
    feature_fn: FeatureFn | None = None,
    truth_dir: Path | None = None,
    optuna_trials: int | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train and evaluate on the most recent rolling origin; see the module docstring."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if catalog is None:
        from riskwarn.features.catalog import load_catalog

        catalog = load_catalog()
    feature_fn = feature_fn or _default_feature_fn
    cutoff = label_cutoff or default_label_cutoff(con)
    all_cohorts = list(cohorts) if cohorts is not None else default_cohorts(con, cutoff)
    splits = temporal_splits(
        all_cohorts,
        config.horizon_days,
        cutoff,
        valid_cohorts=int(config.get("splits", "valid_cohorts")),
        test_cohorts=int(config.get("splits", "test_cohorts")),
        folds=int(config.get("splits", "folds")),
        max_train_cohorts=int(config.get("splits", "max_train_cohorts")),
        disjoint=bool(config.get("splits", "disjoint_origins")),
    )
    earlier = [_fold_fit(con, catalog, s, feature_fn, config) for s in splits[:-1]]
    split = splits[-1]
    frame = assemble_frame(
        con,
        catalog,
        split,
        feature_fn,
        keep_unlabelled_training=truth_dir is not None,
        truth_dir=truth_dir,
        progress=progress,
    )
    timings["assemble_s"] = time.perf_counter() - t0
    result = fit_and_evaluate(frame, split, catalog, config, optuna_trials, timings, progress)
    result.folds = [summary for summary, _ in earlier]
    if earlier:
        result.pooled_baselines = _pooled_comparison(
            [test for _, test in earlier] + [result.test_frame], config
        )
    return result


def _compare(test: pd.DataFrame, config: ModelConfig) -> Comparison:
    """LightGBM against both baselines on `test`, paired bootstrap by subject."""
    ev = config.raw["evaluation"]
    return compare_scorers(
        test,
        "lightgbm",
        [n for n in SCORERS if n != "lightgbm"],
        max(config.capacities),
        n_boot=int(ev["bootstrap"]),
        large_min_positives=int(ev["large_region_min_positives"]),
        seed=int(config.get("training", "seed")),
    )


def _pooled_comparison(tests: list[pd.DataFrame], config: ModelConfig) -> Comparison:
    """The paired comparison over every rolling origin's test cohorts together, each scored
    by the models of its own origin. The bootstrap resamples subjects, so a subject's rows
    in several origins stay together; a column (truth, the region) is kept only when every
    origin has it."""
    wanted = ["entity_id", "as_of", "any_random_draw", "random_draw_label", "draw_probability"]
    wanted += [f"score_{n}" for n in SCORERS] + ["slice_city", "p_future"]
    cols = [c for c in wanted if all(c in t.columns for t in tests)]
    return _compare(pd.concat([t[cols] for t in tests], ignore_index=True), config)


_FOLD_METRICS = (
    "auc_random_draw",
    "auc_labelled",
    "ece_random_draw",
    "precision_at_10pct_labelled",
)


def _fold_fit(
    con: duckdb.DuckDBPyConnection,
    catalog: Any,
    split: Split,
    feature_fn: FeatureFn,
    config: ModelConfig,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """An earlier rolling origin: the same fit on cohorts known before it, evaluated on its
    own test cohorts (no bootstrap); its summary and its scored test frame, for pooling."""
    quick = config.with_overrides(evaluation={"bootstrap": 0, "shap_rows": 0})
    res = fit_and_evaluate(
        assemble_frame(con, catalog, split, feature_fn), split, catalog, quick, 0
    )
    out: dict[str, Any] = {"test": split.describe()["test"]}
    for name in SCORERS:
        for key in _FOLD_METRICS:
            out[f"{name}.{key}"] = res.evaluations[name].metrics.get(key, float("nan"))
    return out, res.test_frame


def fit_and_evaluate(
    frame: pd.DataFrame,
    split: Split,
    catalog: Any,
    config: ModelConfig,
    optuna_trials: int | None = None,
    timings: dict[str, float] | None = None,
    progress: bool = False,
) -> TrainResult:
    """Fit LightGBM + baselines on an assembled frame (role = train/valid/test) and evaluate."""
    timings = dict(timings or {})
    has_truth = "p_future" in frame.columns
    mode = str(config.get("training", "ipw"))
    modes = ("none", "ipw") if mode == "auto" else (mode,)
    trials = (
        int(config.get("training", "optuna_trials")) if optuna_trials is None else optuna_trials
    )
    log = StepLog("training", (trials > 0) + len(modes) + 4 + has_truth, enabled=progress)
    t0 = time.perf_counter()
    seed = int(config.get("training", "seed"))
    min_rd = int(config.get("labels", "min_random_draw_rows"))
    clip = float(config.get("training", "ipw_clip"))
    train_all = frame[frame["role"] == "train"]
    valid_all = frame[frame["role"] == "valid"]
    test = frame[frame["role"] == "test"].reset_index(drop=True)
    train = train_all[train_all["label"].notna()]
    valid = valid_all[valid_all["label"].notna()]
    for name, part in (("training", train), ("validation", valid)):
        if part.empty or part["label"].nunique() < 2:
            raise ModelError(
                f"{name} cohorts {getattr(split, 'train' if name == 'training' else 'valid')} "
                f"have {len(part)} labelled rows with {int(part['label'].sum()) if len(part) else 0} "
                "violations; need both outcomes (more history, or a shorter horizon)"
            )
    pipeline = FeaturePipeline.from_catalog(catalog).fit(train)
    X_tr, y_tr = pipeline.transform(train), train["label"].to_numpy(float)
    X_va, y_va = pipeline.transform(valid), valid["label"].to_numpy(float)
    judge_rows, judge_col, judge_w = _eval_rows(valid, min_rd)
    X_judge = pipeline.transform(judge_rows)
    y_judge = judge_rows[judge_col].to_numpy(float)

    def judge(booster: Any) -> float:
        return _auc(y_judge, booster.predict(X_judge), judge_w)

    params = dict(config.get("training", "lightgbm"))
    if trials > 0:
        log.step(f"Optuna search, {trials} trials")
        params = _optuna_params(
            params, (X_tr, y_tr, np.ones(len(y_tr)), X_va, y_va), judge, trials, seed
        )
    boosters: dict[str, Any] = {}
    ipw_validation: dict[str, float] = {}
    for m in modes:
        log.step(f"LightGBM, sample weights {m}, {len(X_tr):,} rows × {X_tr.shape[1]} columns")
        w = training_weights(train, m, clip)
        boosters[m] = fit_booster(
            X_tr, y_tr, w, X_va, y_va, training_weights(valid, m, clip), params, seed, log
        )
        ipw_validation[f"valid_auc_{judge_col}_{m}"] = judge(boosters[m])
    choice = max(
        modes, key=lambda m: np.nan_to_num(ipw_validation[f"valid_auc_{judge_col}_{m}"], nan=-1)
    )
    booster = boosters[choice]
    timings["lightgbm_s"] = time.perf_counter() - t0

    log.step("calibration")
    method = str(config.get("training", "calibration"))
    iso_min = int(config.get("training", "isotonic_min_rows"))
    cal_rows, cal_y, cal_w = _calibration_target(valid, min_rd)
    calibrator = Calibrator(method, iso_min).fit(
        booster.predict(pipeline.transform(cal_rows)), cal_y, cal_w
    )
    meta = {
        "calibration": calibrator.method,
        "catalog_version": pipeline.catalog_version,
        "horizon_days": str(split.horizon_days),
        "label_cutoff": str(split.label_cutoff),
        "ipw": choice,
        "best_iteration": str(booster.best_iteration),
    }
    model = RiskModel(pipeline, booster, calibrator, meta)

    t1 = time.perf_counter()
    log.step("baselines: rule scorecard and logistic regression")
    scorecard = RuleScorecard(catalog).fit(train)
    sc_cal = Calibrator(method, iso_min).fit(scorecard.score(cal_rows), cal_y, cal_w)
    lr_rows = (
        train if len(train) <= _BASELINE_ROWS else train.sample(_BASELINE_ROWS, random_state=seed)
    )
    logistic = logistic_pipeline(pipeline, seed).fit(
        _logistic_input(lr_rows, pipeline), lr_rows["label"].to_numpy(int)
    )
    lr_cal = Calibrator(method, iso_min).fit(
        logistic.predict_proba(_logistic_input(cal_rows, pipeline))[:, 1], cal_y, cal_w
    )
    timings["baselines_s"] = time.perf_counter() - t1

    test = test.copy()
    test["score_lightgbm"] = model.predict_proba(test)
    test["score_scorecard"] = sc_cal.transform(scorecard.score(test))
    test["score_logistic"] = lr_cal.transform(
        logistic.predict_proba(_logistic_input(test, pipeline))[:, 1]
    )
    scorers = list(SCORERS)
    if has_truth:
        log.step("ceilings: LightGBM and the logistic regression fitted to the true probability")
        test["score_oracle_now"] = test["p_now"].astype(float)
        test["score_oracle_future"] = test["p_future"].astype(float)
        test["score_ceiling"] = _ceiling_scores(train_all, valid_all, test, pipeline, params, seed)
        test["score_linear_ceiling"] = _linear_ceiling_scores(train_all, test, pipeline, seed)
        scorers += list(ORACLES)

    t2 = time.perf_counter()
    ev = config.raw["evaluation"]
    log.step(f"evaluation with {int(ev['bootstrap'])} bootstrap resamples, paired comparison")
    evaluations = {
        name: evaluate_scores(
            test,
            f"score_{name}",
            config.capacities,
            bins=int(ev["ece_bins"]),
            bootstrap=int(ev["bootstrap"]) if name in SCORERS else 0,
            slice_min_count=int(ev["slice_min_count"]),
            slice_margin=float(ev["slice_margin"]),
            seed=seed,
            slices=name in SCORERS,
        )
        for name in scorers
    }
    baselines = _compare(test, config)
    timings["evaluate_s"] = time.perf_counter() - t2
    comparisons = _comparisons(evaluations, config.capacities) if has_truth else {}
    shap_n = min(int(ev["shap_rows"]), len(test))
    shap_sample = pipeline.transform(test.sample(shap_n, random_state=seed)) if shap_n else None
    counts = {
        "train_rows": len(train),
        "valid_rows": len(valid),
        "test_subjects": len(test),
        "test_labelled": int(test["label"].notna().sum()),
        "test_random_draw": int(test["any_random_draw"].sum()),
        "n_features": len(pipeline.columns),
    }
    return TrainResult(
        model=model,
        split=split,
        evaluations=evaluations,
        test_frame=test,
        params=params | {"seed": seed, "calibration": method},
        ipw_choice=choice,
        ipw_validation=ipw_validation,
        counts=counts,
        comparisons=comparisons,
        shap_sample=shap_sample,
        timings=timings,
        baselines=baselines,
    )


def _comparisons(
    evaluations: dict[str, Evaluation], capacities: Sequence[float]
) -> dict[str, float]:
    """Our model's ratio to each oracle and to the ceilings, on capture of truth and AUC, and
    the nonlinear headroom (LightGBM ceiling − linear ceiling)."""
    k = f"{round(max(capacities) * 100):d}pct"
    ours = evaluations["lightgbm"].metrics
    out: dict[str, float] = {}
    for ref in ORACLES:
        theirs = evaluations[ref].metrics
        for metric in (f"capture_at_{k}_truth", "auc_random_draw", "auc_labelled"):
            a, b = ours.get(metric, float("nan")), theirs.get(metric, float("nan"))
            out[f"ratio_{metric}_to_{ref}"] = a / b if b and np.isfinite(b) else float("nan")
    # all the nonlinearity there is to learn: what LightGBM gains over a linear model when
    # both are fitted to the truth (≈ 0 means the baselines cannot be beaten by much)
    for metric in (f"capture_at_{k}_truth", "auc_random_draw"):
        a = evaluations["ceiling"].metrics.get(metric, float("nan"))
        out[f"nonlinear_headroom_{metric}"] = a - evaluations["linear_ceiling"].metrics.get(
            metric, float("nan")
        )
    return out
