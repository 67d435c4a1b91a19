"""Fixtures of the text-signal tests: the hand-written labelled set and one fitted model per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from riskwarn.features.text.sentiment import NegativityModel, load_model

LABELLED = Path(__file__).with_name("labelled_texts.tsv")


@pytest.fixture(scope="session")
def labelled() -> tuple[list[str], list[int]]:
    """The hand-written labelled texts and labels (1 = reports a problem)."""
    texts, labels = [], []
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            label, text = line.split("\t", 1)
            labels.append(int(label))
            texts.append(text)
    return texts, labels


@pytest.fixture(scope="session")
def model(tmp_path_factory: pytest.TempPathFactory) -> NegativityModel:
    """The negativity model, fitted once per test session (cached in a session folder)."""
    return load_model(tmp_path_factory.mktemp("text-model"))
