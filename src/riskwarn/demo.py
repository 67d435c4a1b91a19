"""`make demo`: the main job end to end on a small simulated province, through the real stages."""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
from pathlib import Path

from riskwarn.config import Settings, get_settings

__all__ = ["run_demo"]


def _month_ends(start: dt.date, months: int) -> list[dt.date]:
    """Last day of each month from `start` on, for `months` months."""
    out = []
    year, month = start.year, start.month
    for _ in range(months):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        out.append(dt.date(year, month, 1) - dt.timedelta(days=1))
    return out


def run_demo(settings: Settings, entities: int, months: int, seed: int) -> None:
    """Simulate → ingest → status → text scores → features → train → score, printed as an operator sees it."""
    from riskwarn.cli.features import score_pending_texts
    from riskwarn.cli.ingest import print_status
    from riskwarn.cli.models import print_top_scores
    from riskwarn.features.build import build_features, write_feature_matrix
    from riskwarn.features.catalog import load_catalog
    from riskwarn.ingest import ingest
    from riskwarn.scoring.batch import score_subjects, write_scores
    from riskwarn.simulate import simulate
    from riskwarn.store import connect

    start = dt.date(2023, 1, 1)
    sim_dir = settings.home / "simulated"
    if sim_dir.exists():
        shutil.rmtree(sim_dir)
    if settings.store_path.exists():
        settings.store_path.unlink()
    print(
        f"① 模拟省份 / simulating a province: {entities:,} subjects × {months} months → {sim_dir}"
    )
    summary = simulate(sim_dir, entities=entities, months=months, seed=seed, start=start)
    print(f"   {summary}")
    print("② 接入 / ingesting every delivery")
    for report in ingest([sim_dir / "deliveries"], settings, progress=True):
        print(f"   {report}")
    print("③ 库状态 / store status")
    print_status(settings)
    print("④ 文本评分 / scoring complaint and sentiment texts")
    scored = score_pending_texts(settings)
    print(f"   {scored:,} text versions scored (negativity, spam, risk topics)")
    print("⑤ 指标 / building indicators")
    catalog = load_catalog()
    with connect(settings) as con:
        as_of = _month_ends(start, months)[-3:]
        frame = build_features(con, as_of, catalog)
    path = write_feature_matrix(frame, settings, catalog)
    print(
        f"   {len(frame):,} rows × {len(catalog.indicators)} indicators "
        f"(catalog {catalog.version}) → {path}"
    )
    version = _train(settings, sim_dir)
    print("⑦ 批量评分 / scoring every active subject with the champion")
    day = _month_ends(start, months)[-1]
    with connect(settings, read_only=True) as con:
        scores = score_subjects(con, settings, day)
    out = write_scores(scores, settings.exports_dir / f"scores_{day}.csv")
    print_top_scores(scores, day, 20)
    print(f"   {len(scores):,} subjects scored by riskwarn-risk v{version} → {out}")


def _train(settings: Settings, sim_dir: Path) -> str:
    """Train, register and gate; a first model the gate refuses is promoted by hand, openly."""
    from riskwarn.cli.models import print_training
    from riskwarn.models.registry import promote
    from riskwarn.models.workflow import train_and_register

    print("⑥ 训练与注册 / training LightGBM and both baselines, MLflow registry, promotion gate")
    result, run = train_and_register(
        settings, truth_dir=sim_dir / "truth", cards_dir=settings.home / "models"
    )
    print_training(result, run)
    if not run.decision.promote:
        why = "make demo: demo province too small for the gate; promoted by hand to show scoring"
        promote(settings, run.version, who="make demo", why=why)
        print(f"   门控未通过，演示中人工晋级 / gate refused v{run.version}; {why}")
    return run.version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, default=Path("var/demo"))
    parser.add_argument("--entities", type=int, default=3000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    settings = get_settings(args.home)
    settings.ensure_dirs()
    run_demo(settings, args.entities, args.months, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
