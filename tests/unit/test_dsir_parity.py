"""Parity with the official DSIR package (data-selection 1.0.3, a dev dependency; needs nltk < 3.10).

Same corpus, same settings: identical hashed n-gram counts, log importance weights within 1e-9,
identical Gumbel-resampled and top-k selections (one target and separate targets), and the same
minimum-length filter. The official code runs with ``num_proc=1`` so that its virtual sharding keeps
the file order.
"""
import json

import numpy as np
import pytest

from fscore.training_data import DSIR, HashedNgrams
from fscore.datasets import text_corpus

official = pytest.importorskip("data_selection", reason="the official data-selection==1.0.3 is a dev dependency")
from data_selection.hashed_ngram_dsir import get_ngram_counts  # noqa: E402

K = 60


@pytest.fixture(scope="module")
def task():
    corpus = text_corpus.load_text_corpus()
    target, _, pool = text_corpus.split_target_and_pool(corpus, ["python-docs", "perl-pod"], 60, 10, n_pool=400,
                                                        random_state=1)
    return target, pool["text"].tolist()


def jsonl(path, texts):
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    return str(path)


def official_run(tmp_path, target_files, raw, seed, **kwargs):
    dsir = official.HashedNgramDSIR([jsonl(tmp_path / "raw.jsonl", raw)], target_files, cache_dir=str(tmp_path / "c"),
                                    num_proc=1, **kwargs)
    dsir.fit_importance_estimator(num_tokens_to_fit="all")
    dsir.compute_importance_weights()
    weights = np.load(tmp_path / "c" / "log_importance_weights" / "0.npy")
    selected = {}
    for name, top_k in (("resampled", False), ("top_k", True)):
        np.random.seed(seed)
        dsir.resample(out_dir=str(tmp_path / name), num_to_sample=K, cache_dir=str(tmp_path / f"cache-{name}"),
                      top_k=top_k)
        selected[name] = [json.loads(line)["text"] for line in (tmp_path / name / "0.jsonl").read_text().splitlines()]
    return dsir, weights, selected


def test_buckets_equal_the_official_counts(task):
    target, raw = task
    ours = HashedNgrams().transform(raw[:200]).toarray()
    for text, row in zip(raw[:200], ours):
        assert np.array_equal(get_ngram_counts(text, n=2, num_buckets=10000), row)
    trigrams = HashedNgrams(num_buckets=5000, ngrams=3).transform(raw[:20]).toarray()
    for text, row in zip(raw[:20], trigrams):
        assert np.array_equal(get_ngram_counts(text, n=3, num_buckets=5000), row)


@pytest.mark.parametrize("seed", [0, 11])
def test_weights_and_selections_equal_the_official_ones(task, tmp_path, seed):
    target, raw = task
    theirs, weights, selected = official_run(tmp_path, [jsonl(tmp_path / "t.jsonl", target["text"])], raw, seed)
    ours = DSIR().fit(target["text"], raw)
    assert np.array_equal(ours.raw_probs_, theirs.raw_probs)
    np.testing.assert_allclose(ours.log_ratio_[0], theirs.log_diff, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.score_samples(raw), weights, rtol=0, atol=1e-9)
    lengths = ours.weigh(raw)[1]
    assert (lengths < ours.min_length).any(), "the corpus should exercise the minimum-length filter"
    assert selected["resampled"] == [raw[i] for i in ours.select(raw, K, random_state=seed)]
    assert selected["top_k"] == [raw[i] for i in ours.select(raw, K, noise=False)]


def test_separate_targets_equal_the_official_ones(task, tmp_path):
    target, raw = task
    files = [jsonl(tmp_path / f"t{i}.jsonl", target["text"][target["domain"] == d])
             for i, d in enumerate(["perl-pod", "python-docs"])]  # our groups are sorted by label
    theirs, weights, selected = official_run(tmp_path, files, raw, 5, separate_targets=True)
    ours = DSIR().fit(target["text"], raw, target_groups=target["domain"])
    np.testing.assert_allclose(ours.target_proportions_, theirs.target_proportions, rtol=1e-12)
    np.testing.assert_allclose(ours.score_samples(raw), weights, rtol=0, atol=1e-9)
    assert selected["resampled"] == [raw[i] for i in ours.select(raw, K, random_state=5)]
    assert selected["top_k"] == [raw[i] for i in ours.select(raw, K, noise=False)]


def test_fast_mode_is_not_the_official_hashing(task):
    _, raw = task
    fast = HashedNgrams(mode="fast").transform(raw[:5]).toarray()
    assert not np.array_equal(fast[0], get_ngram_counts(raw[0]))
