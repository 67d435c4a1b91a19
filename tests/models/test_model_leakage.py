"""Leakage: events that arrive after the label cutoff change nothing about a model trained
for as-of dates before them — not its features, labels, model or metrics."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from model_factories import ToyCatalog, fast_config, toy_features

from riskwarn.models.train import train_models

CUTOFF = dt.date(2024, 5, 1)  # the province's last delivery
CFG = fast_config(evaluation={"bootstrap": 20})


def _append_future(path: Path) -> None:
    """Deliveries after the cutoff: new inspections dated before it (late reports),
    corrections flipping earlier results, and complaints; all known only from June."""
    con = duckdb.connect(str(path))
    late = dt.datetime(2024, 6, 1, 2)
    con.execute(
        """
        INSERT INTO v_inspections BY NAME
        SELECT record_id || '_late' AS record_id, entity_id, inspected_on, department, matter_code,
               inspection_type, draw_probability,
               CASE result WHEN 'violation' THEN 'compliant' ELSE 'violation' END AS result,
               'late' AS delivery_id, ? AS delivered_at, ? AS known_at, 99 AS delivery_seq,
               'late.csv' AS source_file, row_number() OVER () AS source_line
        FROM v_inspections WHERE inspected_on >= DATE '2023-06-01'
        """,
        [late, late],
    )
    con.execute(
        """
        INSERT INTO v_inspections BY NAME
        SELECT record_id, entity_id, inspected_on, department, matter_code, inspection_type,
               draw_probability, CASE result WHEN 'violation' THEN 'compliant' ELSE 'violation' END AS result,
               'late' AS delivery_id, ? AS delivered_at, ? AS known_at, 99 AS delivery_seq,
               'late_fix.csv' AS source_file, row_number() OVER () AS source_line
        FROM v_inspections WHERE delivery_id <> 'late'
        """,
        [late, late],
    )
    con.execute(
        """
        INSERT INTO v_complaints BY NAME
        SELECT record_id || '_late' AS record_id, entity_id, linked_entity_id, received_at - INTERVAL 200 DAY AS received_at,
               channel, category, department, 'late' AS delivery_id, ? AS delivered_at, ? AS known_at,
               99 AS delivery_seq, 'late.csv' AS source_file, source_line
        FROM v_complaints
        """,
        [late, late],
    )
    con.execute(
        "INSERT INTO deliveries VALUES ('late', 'late', ?, false, NULL, 'x', 99, ?, 0, 0, 0, 0, 0)",
        [late, late],
    )
    con.close()


def test_future_deliveries_change_no_feature_label_or_metric(
    province: Path, tmp_path: Path
) -> None:
    before_path = tmp_path / "before.duckdb"
    after_path = tmp_path / "after.duckdb"
    shutil.copy(province, before_path)
    shutil.copy(province, after_path)
    _append_future(after_path)

    results, features = [], []
    for path in (before_path, after_path):
        con = duckdb.connect(str(path), read_only=True)
        result = train_models(
            con, CFG, catalog=ToyCatalog(), feature_fn=toy_features, label_cutoff=CUTOFF
        )
        features.append(toy_features(con, result.split.all_cohorts, ToyCatalog()))
        results.append(result)
        con.close()
    before, after = results
    pd.testing.assert_frame_equal(features[0], features[1])
    assert before.split == after.split
    assert before.counts == after.counts
    label_cols = [
        "entity_id",
        "as_of",
        "label",
        "random_draw_label",
        "serious_event",
        "n_inspections",
    ]
    pd.testing.assert_frame_equal(before.test_frame[label_cols], after.test_frame[label_cols])
    np.testing.assert_array_equal(
        before.test_frame["score_lightgbm"], after.test_frame["score_lightgbm"]
    )
    for name in before.evaluations:
        np.testing.assert_equal(before.evaluations[name].metrics, after.evaluations[name].metrics)

    # and the appended events are real: with a later cutoff they do change the labels
    from riskwarn.models.labels import build_labels

    con = duckdb.connect(str(after_path), read_only=True)
    subjects = before.test_frame[["entity_id", "as_of"]]
    later = build_labels(con, subjects, CFG.horizon_days, dt.date(2024, 6, 1))
    con.close()
    assert not later["label"].equals(before.test_frame["label"])


@pytest.mark.slow
def test_real_feature_builder_and_labels_ignore_future_deliveries(
    province: Path, tmp_path: Path
) -> None:
    from riskwarn.features.build import build_features
    from riskwarn.models.labels import build_labels

    as_of = [dt.date(2023, 12, 31), dt.date(2024, 2, 29)]
    frames = []
    for name, future in (("before", False), ("after", True)):
        path = tmp_path / f"{name}.duckdb"
        shutil.copy(province, path)
        if future:
            _append_future(path)
        con = duckdb.connect(str(path), read_only=True)
        feats = build_features(con, as_of)
        labels = build_labels(con, feats, 60, CUTOFF)
        frames.append(pd.concat([feats, labels.drop(columns=["entity_id", "as_of"])], axis=1))
        con.close()
    pd.testing.assert_frame_equal(frames[0], frames[1])
