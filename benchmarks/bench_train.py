"""Training speed: LightGBM (early stopping on validation) + calibration on N labelled rows ×
the whole catalog width. Synthetic rows shaped like the feature matrix (numeric indicators as
float, categoricals as strings); prints wall time, rows/s and peak RSS.

    .venv/bin/python benchmarks/bench_train.py --rows 1000000
"""

from __future__ import annotations

import argparse
import resource
import sys
import threading
import time

import numpy as np
import pandas as pd
import psutil

from riskwarn.features.catalog import load_catalog
from riskwarn.models.calibration import Calibrator
from riskwarn.models.config import load_model_config
from riskwarn.models.pipeline import FeaturePipeline
from riskwarn.models.train import fit_booster, training_weights
from riskwarn.progress import RowProgress


def synthetic_frame(catalog, rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:  # type: ignore[no-untyped-def]
    """Catalog-shaped features with a weak, partly non-linear signal and random draws."""
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    signal = np.zeros(rows)
    with RowProgress("synthetic columns", total=len(catalog.indicators)) as bar:
        for i, ind in enumerate(catalog.indicators):
            if ind.kind == "categorical":
                levels = np.array([f"v{j}" for j in range(8)], dtype=object)
                cols[ind.id] = levels[rng.integers(0, 8, rows)]
            else:
                x = rng.gamma(0.5, 2.0, rows).astype("float64")
                x[rng.random(rows) < 0.2] = np.nan
                cols[ind.id] = x
                if i % 7 == 0:
                    signal += np.nan_to_num(np.log1p(x)) * (0.3 if i % 2 else -0.2)
            bar.advance(1)
    frame = pd.DataFrame(cols)
    p = 1 / (1 + np.exp(-(signal - signal.mean() - 2.0)))
    y = (rng.random(rows) < p).astype(float)
    frame["any_random_draw"] = rng.random(rows) < 0.3
    frame["draw_probability"] = np.where(
        frame["any_random_draw"], rng.uniform(0.02, 0.2, rows), np.nan
    )
    return frame, y


def _peak_sampler(stop: threading.Event, peak: list[int]) -> None:
    proc = psutil.Process()
    while not stop.is_set():
        peak[0] = max(peak[0], proc.memory_info().rss)
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="labelled training rows")
    parser.add_argument("--valid-share", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="LightGBM threads (0 = all cores)")
    args = parser.parse_args()

    catalog = load_catalog()
    config = load_model_config()
    n_valid = int(args.rows * args.valid_share)
    frame, y = synthetic_frame(catalog, args.rows + n_valid, args.seed)
    train, valid = frame.iloc[: args.rows], frame.iloc[args.rows :]
    y_tr, y_va = y[: args.rows], y[args.rows :]
    peak = [psutil.Process().memory_info().rss]
    stop = threading.Event()
    sampler = threading.Thread(target=_peak_sampler, args=(stop, peak), daemon=True)
    sampler.start()

    t0 = time.perf_counter()
    start = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = start.ru_utime + start.ru_stime
    pipeline = FeaturePipeline.from_catalog(catalog).fit(train)
    X_tr, X_va = pipeline.transform(train), pipeline.transform(valid)
    t1 = time.perf_counter()
    params = dict(config.get("training", "lightgbm")) | {"num_threads": args.threads}
    booster = fit_booster(
        X_tr,
        y_tr,
        training_weights(train, "ipw", float(config.get("training", "ipw_clip"))),
        X_va,
        y_va,
        None,
        params,
        seed=args.seed,
    )
    t2 = time.perf_counter()
    raw = booster.predict(X_va)
    Calibrator(str(config.get("training", "calibration"))).fit(raw, y_va)  # type: ignore[arg-type]
    t3 = time.perf_counter()
    stop.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    ru_peak = usage.ru_maxrss * 1024
    cpu = usage.ru_utime + usage.ru_stime - cpu0
    wall = t3 - t0
    print(
        f"rows={args.rows:,} valid={n_valid:,} features={len(pipeline.columns)} threads={args.threads} "
        f"trees={booster.best_iteration or booster.num_trees()}\n"
        f"pipeline {t1 - t0:.1f}s, lightgbm {t2 - t1:.1f}s, calibration {t3 - t2:.1f}s\n"
        f"wall {wall:.1f}s, {args.rows / wall:,.0f} rows/s, cpu {cpu:.1f}s "
        f"(cpu/wall {cpu / wall:.2f}; below the thread count means other jobs shared the cores), load "
        f"{psutil.getloadavg()[0]:.1f}, "
        f"peak RSS {max(peak[0], ru_peak) / 2**30:.2f} GiB (sampled {peak[0] / 2**30:.2f} GiB, "
        f"ru_maxrss {ru_peak / 2**30:.2f} GiB incl. data generation)",
        file=sys.stdout,
    )


if __name__ == "__main__":
    main()
