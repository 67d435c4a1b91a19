"""The streamed matrix summary: exact moments over any batching, a sample independent of
row order, and the pandas summary whenever the whole matrix fits in the sample."""

from __future__ import annotations

import itertools
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from riskwarn.features.summary import MatrixSummary, summarize_features

CATALOG: Any = SimpleNamespace(
    indicators=[
        SimpleNamespace(id="n", kind="numeric", fill=0.0, label_zh="数", label_en="n", family="f"),
        SimpleNamespace(id="m", kind="numeric", fill=None, label_zh="均", label_en="m", family="f"),
        SimpleNamespace(id="t", kind="text", fill="none", label_zh="类", label_en="t", family="f"),
    ]
)

values = st.one_of(st.none(), st.sampled_from([0.0, 1.0, 2.5]), st.floats(-1e6, 1e6))
rows = st.lists(
    st.tuples(values, values, st.sampled_from([None, "none", "a", "b"])), min_size=1, max_size=60
)


def _batches(data: list[tuple[Any, Any, Any]], cuts: list[int]) -> list[pa.RecordBatch]:
    """The rows as batches cut at `cuts`, keyed (as_of_day, _sid) by their position."""
    table = pa.table(
        {
            "as_of_day": pa.array([19_000 + i % 3 for i in range(len(data))], pa.int32()),
            "_sid": pa.array(list(range(len(data))), pa.int32()),
            "n": pa.array([r[0] for r in data], pa.float64()),
            "m": pa.array([r[1] for r in data], pa.float64()),
            "t": pa.array([r[2] for r in data], pa.string()),
        }
    )
    edges = [0, *sorted({c % len(data) for c in cuts}), len(data)]
    return [table.slice(a, b - a).to_batches()[0] for a, b in itertools.pairwise(edges) if b > a]


def _frame(data: list[tuple[Any, Any, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "n": pd.Series([r[0] for r in data], dtype="float64"),
            "m": pd.Series([r[1] for r in data], dtype="float64"),
            "t": pd.Series([r[2] for r in data], dtype=object),
        }
    )


@settings(max_examples=60, deadline=None)
@given(data=rows, cuts=st.lists(st.integers(0, 60), max_size=4))
def test_a_matrix_that_fits_the_sample_is_summarised_as_pandas_does(
    data: list[tuple[Any, Any, Any]], cuts: list[int]
) -> None:
    summary = MatrixSummary(CATALOG)
    for batch in _batches(data, cuts):
        summary.add(batch)
    got = summary.frame().set_index("id")
    want = summarize_features(_frame(data), CATALOG).set_index("id")
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False, rtol=1e-9, atol=1e-6)
    assert sum(summary.rows_per_as_of().values()) == len(data)


@settings(max_examples=60, deadline=None)
@given(data=rows, cuts=st.lists(st.integers(0, 60), max_size=4), seed=st.integers(0, 2**16))
def test_a_bigger_matrix_keeps_exact_moments_and_the_same_sample_in_any_order(
    data: list[tuple[Any, Any, Any]], cuts: list[int], seed: int
) -> None:
    k = 5
    ordered = MatrixSummary(CATALOG, sample_rows=k)
    for batch in _batches(data, cuts):
        ordered.add(batch)
    shuffled = MatrixSummary(CATALOG, sample_rows=k)
    for batch in reversed(_batches(data, [seed % 60, *cuts])):
        shuffled.add(batch)
    a, b = ordered.frame().set_index("id"), shuffled.frame().set_index("id")
    pd.testing.assert_frame_equal(a, b, rtol=1e-9, atol=1e-6)
    assert ordered.sampled == min(len(data), k)
    known = np.array([r[1] for r in data if r[1] is not None], dtype="float64")
    if len(known):
        assert np.isclose(a.loc["m", "mean"], known.mean(), rtol=1e-9, atol=1e-6)
        assert np.isclose(a.loc["m", "std"], known.std(), rtol=1e-9, atol=1e-6)
        assert a.loc["m", "max"] == known.max()
