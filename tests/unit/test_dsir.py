"""DSIR (Xie et al., NeurIPS 2023): featurisation, importance weights, resampling, KL reduction, streaming."""
import gzip
import hashlib
import json

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from fscore.training_data import (DSIR, BigramLM, HashedNgrams, HeuristicClassification, RandomSelection,
                                   bag_of_ngrams, build_vocabulary, fit_shards, gumbel_top_k, kl_divergence,
                                   kl_reduction, read_texts, resample_shards, tokenize, write_pool)
from fscore.training_data import __main__ as cli
from fscore.training_data.streaming import select_shards
from fscore.training_data.hashing import sha256_bucket
from fscore.training_data.resampling import as_chunks, per_target_sizes
from fscore.datasets import DatasetNotFound, text_corpus

CORPUS = text_corpus.load_text_corpus()


def small_task(domains=("bible-kjv",), n_pool=400, seed=0):
    target, heldout, pool = text_corpus.split_target_and_pool(CORPUS, list(domains), 40, 20, n_pool=n_pool,
                                                              random_state=seed)
    return target, heldout, pool


def test_tokens_are_lowercased_word_punctuation_runs():
    assert tokenize("Hello, World!! It's 3.14") == ["hello", ",", "world", "!!", "it", "'", "s", "3", ".", "14"]
    with pytest.raises(TypeError, match="string"):
        tokenize(None)


def test_parity_buckets_are_sha256_of_unigrams_then_space_joined_bigrams():
    def bucket(s):
        return int(hashlib.sha256(s.encode()).hexdigest(), 16) % 10000
    expected = [bucket("a"), bucket("b"), bucket("a"), bucket("a b"), bucket("b a")]
    assert HashedNgrams().buckets("A b a").tolist() == expected
    assert sha256_bucket("a b", 10000) == bucket("a b")
    row = HashedNgrams().transform(["A b a"]).toarray()[0]
    assert row.sum() == 5 and row[bucket("a")] == 2 + (bucket("a") in (bucket("a b"), bucket("b a")))


@pytest.mark.parametrize("mode", ["parity", "fast"])
def test_counts_and_lengths(mode):
    featurizer = HashedNgrams(num_buckets=64, mode=mode)
    texts = ["one two three", "", "solo", "x , y ."]
    counts = featurizer.transform(texts)
    assert counts.shape == (4, 64)
    assert counts.sum(axis=1).A1.tolist() == [5, 0, 1, 7]  # T + (T - 1) n-grams: no bigram crosses documents
    assert featurizer.lengths(counts.sum(axis=1)).tolist() == [3, 0, 1, 4]
    assert np.array_equal(counts.toarray(), HashedNgrams(num_buckets=64, mode=mode).transform(texts).toarray())
    trigram = HashedNgrams(num_buckets=64, ngrams=3, mode=mode).transform(["a b c d"])
    assert trigram.sum() == 4 + 3 + 2


def test_fast_mode_hashes_differently_but_spreads_over_buckets():
    texts = CORPUS["text"].iloc[:50].tolist()
    fast, parity = HashedNgrams(mode="fast").transform(texts), HashedNgrams().transform(texts)
    assert np.array_equal(fast.sum(axis=1), parity.sum(axis=1))
    assert (fast != parity).nnz > 0
    assert (fast.sum(axis=0) > 0).sum() > 0.5 * (parity.sum(axis=0) > 0).sum()


def test_fast_mode_finds_the_pattern_s_tokens_in_bytes():
    """The byte-class tokeniser returns what ``TOKEN_PATTERN.findall`` does, so each token has one hash."""
    from fscore.training_data.hashing import _ASCII_CLASSES, _SPACE_CLASSES

    featurizer = HashedNgrams(mode="fast")
    rng = np.random.RandomState(0)
    printable = [chr(c) for c in range(32, 127)] + ["\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1f", "\x00"]
    texts = [t for t in CORPUS["text"].iloc[:300] if t.isascii()]
    texts += ["".join(rng.choice(printable, size=rng.randint(0, 200))) for _ in range(200)]
    for text in texts:
        from_bytes = featurizer._token_hashes(text.lower().encode(), _ASCII_CLASSES, np.array([0]))[1]
        from_pattern = featurizer._token_hashes(" ".join(tokenize(text)).encode(), _SPACE_CLASSES, np.array([0]))[1]
        assert np.array_equal(from_bytes, from_pattern), text
    mixed = ["Ünïcode, café: naïve!", "plain ascii, text.", "", "x — y", "again plain"] * 120
    batch = featurizer.transform(mixed).toarray()
    assert np.array_equal(batch, np.vstack([featurizer.transform([t]).toarray() for t in mixed]))
    assert np.array_equal(batch.sum(axis=1), HashedNgrams().transform(mixed).toarray().sum(axis=1))
    with pytest.raises(TypeError, match="string"):
        featurizer.transform(["text", 3])


def test_importance_weight_is_the_log_ratio_of_bag_of_ngrams_models():
    target, raw = ["a a b", "a c"], ["b b c", "c c a", "b c"]
    dsir = DSIR(num_buckets=97, min_length=0).fit(target, raw)
    bucket = lambda s: sha256_bucket(s, 97)  # noqa: E731
    def probs(docs):
        counts = np.zeros(97)
        for d in docs:
            words = d.split()
            for g in words + [" ".join(p) for p in zip(words, words[1:])]:
                counts[bucket(g)] += 1
        return counts / counts.sum()
    gamma, beta = probs(target), probs(raw)
    ratio = np.log(gamma + 1e-8) - np.log(beta + 1e-8)
    expected = ratio[bucket("a")] + ratio[bucket("b")] + ratio[bucket("a b")]
    assert dsir.score_samples(["A b"])[0] == pytest.approx(expected, rel=1e-12)
    assert np.allclose(dsir.target_probs_[0], gamma) and np.allclose(dsir.raw_probs_, beta)


def test_gumbel_top_k_samples_without_replacement_and_is_seeded():
    scores = np.log(np.arange(1, 201, dtype=float))
    first = gumbel_top_k(as_chunks(scores), 50, random_state=7)
    assert len(first) == 50 and len(np.unique(first)) == 50 and np.all(np.diff(first) > 0)
    assert np.array_equal(first, gumbel_top_k(as_chunks(scores), 50, random_state=7))
    assert not np.array_equal(first, gumbel_top_k(as_chunks(scores), 50, random_state=8))
    valid = np.arange(200) % 2 == 0
    assert np.all(gumbel_top_k(as_chunks(scores, valid), 100, random_state=0) % 2 == 0)
    assert gumbel_top_k(as_chunks(scores), 3, noise=False).tolist() == [197, 198, 199]


def test_gumbel_top_1_draws_in_proportion_to_the_weights():
    weights = np.array([1.0, 2.0, 3.0, 4.0])
    rng = np.random.RandomState(0)
    draws = [gumbel_top_k(as_chunks(np.log(weights)), 1, rng)[0] for _ in range(4000)]
    frequencies = np.bincount(draws, minlength=4) / 4000
    assert np.abs(frequencies - weights / weights.sum()).max() < 0.03


def test_per_target_sizes_follow_the_official_rounding():
    assert per_target_sizes(10, [1 / 3, 1 / 3, 1 / 3]) == [3, 3, 4]
    assert per_target_sizes(7, [1.0]) == [7]


def test_kl_reduction_of_a_known_case():
    p, raw = np.array([0.5, 0.5]), np.array([0.9, 0.1])
    expected = 0.5 * np.log(0.5 / 0.9) + 0.5 * np.log(0.5 / 0.1)
    assert kl_divergence(p, raw) == pytest.approx(expected, rel=1e-6)
    assert kl_reduction(p, raw, p) == pytest.approx(expected, rel=1e-6)
    assert kl_reduction([p, p], raw, raw) == pytest.approx(0.0, abs=1e-12)
    assert np.allclose(bag_of_ngrams(np.array([[1, 0], [1, 2]])), [0.5, 0.5])
    with pytest.raises(ValueError, match="empty"):
        bag_of_ngrams(np.zeros(3))


def test_dsir_selects_the_target_domain_and_beats_random_in_kl():
    target, _, pool = small_task()
    texts = pool["text"].tolist()
    dsir = DSIR().fit(target["text"], texts)
    k = 30
    chosen = dsir.select(texts, k, random_state=0)
    assert (pool["domain"].iloc[chosen] == "bible-kjv").mean() >= 0.9
    counts = dsir.featurizer.transform(texts)
    random = RandomSelection().select(texts, k, random_state=0)
    kl = lambda s: kl_reduction(dsir.target_probs_, dsir.raw_probs_, bag_of_ngrams(counts[s]))  # noqa: E731
    assert kl(chosen) > kl(random)
    assert np.all(dsir.weigh([texts[i] for i in chosen])[1] >= dsir.min_length)


def test_heuristic_classification_keeps_target_like_documents():
    target, _, pool = small_task(("python-docs",))
    texts = pool["text"].tolist()
    classifier = HeuristicClassification().fit(target["text"], texts)
    chosen = classifier.select(texts, 30)
    assert (pool["domain"].iloc[chosen] == "python-docs").mean() >= 0.9
    scores = classifier.score_samples(texts)
    assert scores[pool["domain"] == "python-docs"].mean() > scores[pool["domain"] != "python-docs"].mean()


def test_bigram_lm_is_normalised_and_prefers_its_own_domain():
    texts = ["the cat sat on the mat", "the dog sat"]
    vocabulary = build_vocabulary(texts + ["a bird flew"])
    lm = BigramLM(vocabulary).fit(texts)
    for context in ["the", "bird"]:
        total = sum(np.exp(-lm.cross_entropy([f"{context} {w}"]) * 2 + lm.cross_entropy([context]))
                    for w in list(vocabulary)[1:])
        assert total == pytest.approx(1.0, abs=1e-9)
    assert lm.cross_entropy(["the cat sat"]) < lm.cross_entropy(["a bird flew"])
    with pytest.raises(ValueError, match="vocabulary"):
        lm.cross_entropy(["unknown words"])


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_streaming_equals_in_memory(tmp_path, n_jobs):
    target, _, pool = small_task(n_pool=300)
    shards = write_pool(pool["text"], tmp_path / "pool", n_docs=600, n_shards=3, random_state=0)
    texts = [t for s in shards for t in read_texts(s)]
    for groups in (None, [i % 2 for i in range(len(target))]):
        streamed = fit_shards(DSIR(mode="fast"), target["text"], shards, target_groups=groups, n_jobs=n_jobs)
        chosen, written = resample_shards(streamed, shards, tmp_path / f"out{groups is None}", 40, random_state=3,
                                          n_jobs=n_jobs)
        memory = DSIR(mode="fast").fit(target["text"], texts, target_groups=groups)
        assert np.allclose(streamed.log_ratio_, memory.log_ratio_)
        assert np.array_equal(chosen, memory.select(texts, 40, random_state=3))
        out = [t for path in written for t in read_texts(path)]
        assert out == [texts[i] for i in chosen]


def test_select_shards_matches_in_memory_reads_gzip_and_writes_a_manifest(tmp_path):
    target, _, pool = small_task(n_pool=200)
    shards = write_pool(pool["text"], tmp_path / "pool", n_docs=300, n_shards=3, random_state=1)
    gz = shards[1].with_suffix(".jsonl.gz")
    gz.write_bytes(gzip.compress(shards[1].read_bytes()))
    shards[1].unlink()
    shards[1] = gz
    texts = [t for s in shards for t in read_texts(s)]
    manifest = select_shards(target["text"], shards, tmp_path / "out", 25, dsir=DSIR(mode="fast"), random_state=4,
                             n_jobs=2)
    chosen = [row["index"] for row in manifest["selected"]]
    assert chosen == DSIR(mode="fast").fit(target["text"], texts).select(texts, 25, random_state=4).tolist()
    assert json.loads((tmp_path / "out" / "manifest.json").read_text()) == manifest
    assert manifest["documents"] == 300 and manifest["bad_lines"] == 0
    written = [t for shard in manifest["shards"] for t in read_texts(shard["output"])]
    assert written == [texts[i] for i in chosen]
    row = manifest["selected"][0]
    assert list(read_texts(shards[0]))[row["line"] - 1] == texts[row["index"]]  # the pool has no blank lines


def test_bad_lines_are_named_or_counted_and_skipped(tmp_path):
    good = [json.dumps({"text": f"word {i} " * 120}) for i in range(6)]
    shard = tmp_path / "mixed.jsonl"
    shard.write_text("\n".join(good[:2] + ["{not json", json.dumps({"text": 3}), ""] + good[2:]) + "\n")
    with pytest.raises(ValueError, match=r"mixed.jsonl:3: not a JSON object .*--skip-bad-lines"):
        select_shards(["word 1 word 2"], [shard], tmp_path / "a", 2, dsir=DSIR(mode="fast"))
    manifest = select_shards(["word 1 word 2"], [shard], tmp_path / "b", 2, dsir=DSIR(mode="fast"),
                             skip_bad_lines=True)
    assert manifest["bad_lines"] == 2 and manifest["documents"] == 6
    assert {row["line"] for row in manifest["selected"]} <= {1, 2, 6, 7, 8, 9}
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(gzip.compress(shard.read_bytes())[:40])
    with pytest.raises(ValueError, match="broken.jsonl.gz: cannot read the shard"):
        list(read_texts(broken))


def test_an_interrupted_run_resumes_without_recomputing_finished_shards(tmp_path):
    target, _, pool = small_task(n_pool=200)
    shards = write_pool(pool["text"], tmp_path / "pool", n_docs=400, n_shards=4, random_state=2)
    run = dict(target=target["text"], shards=shards, out_dir=tmp_path / "out", k=30, random_state=5,
               n_jobs=1)  # in this process: the interruption falls after exactly two shards

    def interrupt(phase, done, total):
        if phase == "log-weights" and done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        select_shards(dsir=DSIR(mode="fast"), callback=interrupt, **run)
    resumed = select_shards(dsir=DSIR(mode="fast"), **run)
    assert [s["counts_reused"] for s in resumed["shards"]] == [True] * 4
    assert [s["weights_reused"] for s in resumed["shards"]] == [True, True, False, False]
    fresh = select_shards(dsir=DSIR(mode="fast"), **{**run, "out_dir": tmp_path / "fresh"})
    assert resumed["selected"] == fresh["selected"]
    changed = select_shards(dsir=DSIR(mode="fast", num_buckets=500), **run)  # other arguments: nothing reused
    assert not any(s["counts_reused"] or s["weights_reused"] for s in changed["shards"])


def test_command_line_selects_and_reports_errors(tmp_path, capsys):
    target, _, pool = small_task(n_pool=200)
    shards = write_pool(pool["text"], tmp_path / "pool", n_docs=200, n_shards=2, random_state=0)
    (tmp_path / "t.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in target["text"]))
    args = ["select", "--target", str(tmp_path / "t.jsonl"), "--raw", str(tmp_path / "pool" / "*.jsonl"),
            "--k", "20", "--engine", "processes", "--workers", "1", "--mode", "fast"]
    assert cli.main(args + ["--out", str(tmp_path / "out")]) == 0
    texts = [t for s in shards for t in read_texts(s)]
    expected = DSIR(mode="fast").fit(target["text"], texts).select(texts, 20, random_state=0)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert [row["index"] for row in manifest["selected"]] == expected.tolist()
    assert "selected 20 of 200 documents" in capsys.readouterr().out
    assert cli.main(args[:4] + [str(tmp_path / "nothing*.jsonl")] + args[5:] + ["--out", str(tmp_path / "o")]) == 2
    assert "no file matches --raw" in capsys.readouterr().err


def test_bad_inputs_raise_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        DSIR().fit([], ["some raw text"])
    with pytest.raises(ValueError, match="empty"):
        DSIR().fit(["target"], iter([]))
    with pytest.raises(NotFittedError):
        DSIR().score_samples(["text"])
    with pytest.raises(ValueError, match="temperature"):
        DSIR(temperature=0).fit(["a"], ["b"]).score_samples(["a"])
    with pytest.raises(ValueError, match="mode"):
        HashedNgrams(mode="slow")
    dsir = DSIR(min_length=3).fit(["a b c d"], ["a b c", "d e f g", "x"])
    with pytest.raises(ValueError, match=r"k=3 is out of range: choose 1 <= k <= 2"):
        dsir.select(["a b c", "d e f g", "x"], 3)
    with pytest.raises(ValueError, match="at least one"):
        dsir.select(["a b c"], 0)
    with pytest.raises(TypeError, match="integer"):
        dsir.select(["a b c"], 1.5)
    with pytest.raises(FileNotFoundError, match="not found"):
        fit_shards(DSIR(), ["a"], [tmp_path / "missing.jsonl"])
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"body": "no text field"}) + "\n")
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        list(read_texts(bad))
    with pytest.raises(ValueError, match="no shards"):
        resample_shards(dsir, [], tmp_path / "out", 1)


def test_missing_corpus_names_the_rebuild_command(tmp_path, monkeypatch):
    monkeypatch.setattr(text_corpus, "path", lambda: tmp_path / "corpus.jsonl.gz")
    with pytest.raises(DatasetNotFound, match="scripts/build_text_corpus.py"):
        text_corpus.load_text_corpus()


def test_corpus_split_is_disjoint_and_checked():
    target, heldout, pool = small_task(("devil", "jargon"))
    assert set(target["domain"]) == {"devil", "jargon"}
    ids = [set(frame["id"]) for frame in (target, heldout, pool)]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    with pytest.raises(ValueError, match="too few"):
        text_corpus.split_target_and_pool(CORPUS, ["devil"], 500, 100)
    with pytest.raises(ValueError, match="unknown domain"):
        text_corpus.load_text_corpus(["klingon"])
