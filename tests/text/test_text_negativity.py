"""Negativity ranks texts that report a problem above neutral and positive ones."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from sklearn.metrics import roc_auc_score

from riskwarn.features.text import score_texts
from riskwarn.features.text.clean import clean_batch
from riskwarn.features.text.sentiment import (
    corpus,
    corpus_split,
    lexicon_offsets,
    model_version,
    negativity,
)


def test_hand_written_complaints_rank_above_neutral_texts(model, labelled):
    texts, labels = labelled
    assert len(texts) >= 40 and 0 < sum(labels) < len(labels)
    scored = score_texts(texts, model=model)
    neg = scored["negativity"].to_numpy()
    assert not np.isnan(neg).any()
    assert roc_auc_score(labels, neg) >= 0.85  # a constant or random scorer gets ~0.5
    y = np.array(labels, dtype=bool)
    assert neg[y].mean() - neg[~y].mean() >= 0.3


def test_held_out_corpus_accuracy(model):
    texts, y = corpus()
    _, test = corpus_split()
    probs = negativity(clean_batch([texts[i] for i in test]).texts, model)
    assert roc_auc_score(y[test], probs) >= 0.88
    assert ((probs > 0.5) == y[test]).mean() >= 0.8


def test_train_and_test_splits_are_disjoint_and_deterministic():
    train, test = corpus_split()
    again_train, again_test = corpus_split()
    assert not set(train.tolist()) & set(test.tolist())
    assert np.array_equal(train, again_train) and np.array_equal(test, again_test)
    texts, _ = corpus()
    assert len(set(texts)) == len(texts)  # de-duplicated, so no text sits in both splits


def test_complaint_vocabulary_counts_longest_term_once():
    offsets = lexicon_offsets(pa.array(["拖欠工资", "拖欠", "感谢感谢", "投诉" * 10, ""]))
    assert offsets[0] == 2.5  # 拖欠工资, not also 拖欠
    assert offsets[1] == 1.5
    assert offsets[2] == -3.0
    assert offsets[3] == 4.0  # clipped
    assert offsets[4] == 0.0


def test_empty_text_has_no_negativity_and_no_topics(model):
    scored = score_texts([None, "", "😀😀"], model=model)
    assert scored["negativity"].isna().all()
    assert not scored["is_spam"].any()
    assert all(t == [] for t in scored["risk_topics"])


def test_model_is_cached_and_versioned(model, tmp_path):
    from riskwarn.features.text.sentiment import load_model

    assert model.version == model_version()
    assert load_model(tmp_path) is model  # same process: no refit
    assert model.coef.dtype == np.float32 and model.coef.shape == (1 << 20,)
