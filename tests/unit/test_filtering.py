"""Part III: the web-like pool and its corruptions, the filters and their rule, the DataComp-style protocol."""
import dataclasses

import numpy as np
import pytest
import torch

from fscore.filtering import (KINDS, Corruption, Encoded, ModelSpec, Pairs, check_fraction, check_pairs, clean_pairs,
                              clip_score, corrupt, dfn_training_indices, evaluate, keep_top_fraction, load_sources,
                              make_benchmark, make_experiment, random_scores,
                              retrieval_recall, text_filter_scores, train_and_evaluate, train_model,
                              zero_shot_accuracy)
from fscore.filtering.pool import FASHION_NOUNS, shade_word
from fscore.filtering.protocol import prompts
from fscore.nn.contrastive import CaptionTokenizer, TwoTower


@pytest.fixture(scope="module")
def sources():
    return load_sources(12)


def garments(n=60, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.random((n, 12, 12)).astype(np.float32)
    return images, np.arange(n) % 10


def emoji(n=12, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.random((n, 12, 12)).astype(np.float32), [f"emoji number {i}" for i in range(n)],
            ["Flags"] * (n // 2) + ["Food & Drink"] * (n - n // 2))


def test_clean_pairs_describe_their_images():
    images, labels = garments()
    pairs = clean_pairs(images, labels, *emoji(), rng=np.random.default_rng(0))
    assert len(pairs) == 72 and set(pairs.kind) == {"clean"} and pairs.mix()["clean"] == 1.0
    for i in range(60):
        assert any(noun in pairs.captions[i] for noun in FASHION_NOUNS[labels[i]])
        assert shade_word(images[i]) in pairs.captions[i] or "my new" in pairs.captions[i] \
            or "buy this" in pairs.captions[i]
        assert pairs.reference[i] == f"a {shade_word(images[i])} {FASHION_NOUNS[labels[i]][0]}"
    assert all(f"emoji number {j}" in pairs.captions[60 + j] for j in range(12))
    assert list(pairs.source).count("emoji") == 12 and (pairs.label[60:] == -1).all()


@pytest.mark.parametrize("images, captions, match", [
    (np.zeros((3, 12, 12), np.float32), ["a", "b"], "3 images but 2 captions"),
    (np.zeros((0, 12, 12), np.float32), [], "the pool is empty"),
    (np.zeros((2, 12, 10), np.float32), ["a", "b"], "grey squares"),
    (np.zeros((2, 3, 12, 12), np.float32), ["a", "b"], "grey squares"),
    (np.zeros((2, 144), np.float32), ["a", "b"], "grey squares"),
    (np.zeros((2, 12, 12), np.uint8), ["a", "b"], "divide 8-bit images by 255"),
    (np.full((2, 12, 12), 2.0, np.float32), ["a", "b"], r"in \[0, 1\]"),
    (np.zeros((2, 12, 12), np.float32), ["a", 7], "must be a string"),
    (np.zeros((2, 12, 12), np.float32), "ab", "single string"),
])
def test_bad_pools_are_refused_with_the_reason(images, captions, match):
    with pytest.raises(ValueError, match=match):
        check_pairs(images, captions)


def test_single_channel_axis_is_accepted():
    assert check_pairs(np.zeros((2, 1, 12, 12), np.float32), ["a", "b"]).shape == (2, 12, 12)


@pytest.mark.parametrize("fraction", [0, -0.1, 1.01, 2, np.nan])
def test_kept_fraction_outside_0_1_is_refused(fraction):
    with pytest.raises(ValueError, match=r"kept fraction must be in \(0, 1\]"):
        check_fraction(fraction)
    with pytest.raises(ValueError, match="kept fraction"):
        keep_top_fraction(np.arange(5.0), fraction, np.random.default_rng(0))


def test_kept_fraction_must_be_a_number():
    with pytest.raises(TypeError, match="number"):
        check_fraction(True)
    with pytest.raises(TypeError, match="number"):
        check_fraction("0.3")


def test_keep_top_fraction_keeps_the_highest_scores_and_breaks_ties_by_seed():
    scores = np.array([0.1, 0.9, 0.5, 0.7, 0.3])
    assert keep_top_fraction(scores, 0.4, np.random.default_rng(0)).tolist() == [1, 3]
    assert keep_top_fraction(scores, 0.5, np.random.default_rng(0)).tolist() == [1, 2, 3]  # ceil(2.5) = 3
    assert keep_top_fraction(scores, 1.0, np.random.default_rng(0)).tolist() == [0, 1, 2, 3, 4]
    ties = np.zeros(1000)
    a = keep_top_fraction(ties, 0.3, np.random.default_rng(1))
    assert len(a) == 300 and a.tolist() == keep_top_fraction(ties, 0.3, np.random.default_rng(1)).tolist()
    assert a.tolist() != keep_top_fraction(ties, 0.3, np.random.default_rng(2)).tolist()
    with pytest.raises(ValueError, match="finite"):
        keep_top_fraction(np.array([0.0, np.nan]), 0.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="non-empty"):
        keep_top_fraction(np.array([]), 0.5, np.random.default_rng(0))


def test_text_filter_is_datacomps_length_rule_with_a_boilerplate_list():
    captions = ["a photo of a dark coat", "my new sneaker", "click here", "", "IMG_0412.jpg", "dark coat",
                "grinning face emoji", "stock photo", "download now"]
    assert text_filter_scores(captions).tolist() == [1, 1, 0, 0, 0, 0, 1, 0, 0]
    assert random_scores(4, np.random.default_rng(0)).shape == (4,)


@pytest.mark.parametrize("kwargs, match", [
    ({"random_caption": 0.5, "class_swap": 0.5}, "leave some pairs clean"),
    ({"boilerplate": -0.1}, r"share in \[0, 1\)"),
    ({"near_duplicate": 1.0}, r"share in \[0, 1\)"),
    ({"swap_classes": 10}, "swap_classes"),
    ({"duplicate_sources": 0}, "duplicate_sources"),
])
def test_corruption_shares_are_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Corruption(**kwargs)


def test_corruption_scaled_keeps_the_mix_shape():
    c = Corruption().scaled(0.5)
    assert c.random_caption == pytest.approx(0.125) and c.swap_classes == Corruption().swap_classes


def test_corrupt_makes_each_kind_as_asked():
    images, labels = garments(400)
    pairs = clean_pairs(images, labels, *emoji(40), rng=np.random.default_rng(0))
    corruption = Corruption(random_caption=0.2, class_swap=0.1, boilerplate=0.1, near_duplicate=0.15,
                            swap_classes=5, duplicate_sources=4)
    pool, mapping = corrupt(pairs, corruption, np.random.default_rng(3))
    n = len(pool)
    counts = {k: int((pool.kind == k).sum()) for k in KINDS}
    assert counts == {"random caption": round(0.2 * n), "class swap": round(0.1 * n), "boilerplate": round(0.1 * n),
                      "near-duplicate": round(0.15 * n), "clean": n - sum(round(s * n) for s in (0.2, 0.1, 0.1, 0.15))}
    assert len(mapping) == 5 and all(source != target for source, target in mapping.items())
    clean = pool.kind == "clean"
    assert (pool.captions[clean] == pairs.captions[clean]).all() and np.array_equal(pool.images[clean],
                                                                                    pairs.images[clean])
    for i in np.flatnonzero(pool.kind == "class swap"):
        assert pool.label[i] in mapping
        assert any(noun in pool.captions[i] for noun in FASHION_NOUNS[mapping[pool.label[i]]])
    assert (pool.captions[pool.kind == "random caption"] != pairs.captions[pool.kind == "random caption"]).mean() > 0.9
    dup = np.flatnonzero(pool.kind == "near-duplicate")
    assert len(set(pool.group[dup])) <= 4
    for i in dup:
        j = pool.group[i]
        assert pool.captions[i] == pairs.captions[j]
        shifts = [np.roll(pairs.images[j], (a, b), axis=(0, 1)) for a in (-1, 0, 1) for b in (-1, 0, 1)]
        assert min(np.abs(pool.images[i] - s).mean() for s in shifts) < 0.05  # a shifted copy with a little noise
    assert set(text_filter_scores(pool.captions[pool.kind == "boilerplate"])) == {0.0}


def test_corrupt_refuses_more_swaps_than_the_swapped_classes_hold():
    images, labels = garments(40)
    pairs = clean_pairs(images, labels, *emoji(4), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="swapped classes have only"):
        corrupt(pairs, Corruption(class_swap=0.5, random_caption=0.0, boilerplate=0.0, near_duplicate=0.0,
                                  swap_classes=1), np.random.default_rng(0))


def test_experiment_draws_disjoint_sets_and_corrupts_the_pool_only(sources):
    exp = make_experiment(sources, 300, 60, 100, Corruption(), seed=0, n_emoji=(50, 20, 30))
    assert (len(exp.pool), len(exp.clean), len(exp.evaluation)) == (350, 80, 130)
    assert exp.pool.mix()["random caption"] == pytest.approx(0.25, abs=0.01)
    assert set(exp.clean.kind) == set(exp.evaluation.kind) == {"clean"}
    pool_images = {img.tobytes() for img in exp.pool.images}
    assert not any(img.tobytes() in pool_images for img in exp.clean.images)
    again = make_experiment(sources, 300, 60, 100, Corruption(), seed=0, n_emoji=(50, 20, 30))
    assert (again.pool.captions == exp.pool.captions).all()
    with pytest.raises(ValueError, match="Fashion-MNIST has"):
        make_experiment(sources, 60000, 1, 10, Corruption(), seed=0)
    with pytest.raises(ValueError, match="n_emoji"):
        make_experiment(sources, 10, 1, 10, Corruption(), seed=0, n_emoji=(1000, 1000, 1000))
    with pytest.raises(ValueError, match="image_size"):
        load_sources(30.5)


def test_dfn_training_indices_replace_a_share_at_a_fixed_size():
    clean_index, pool_index = dfn_training_indices(100, 1000, 0.25, np.random.default_rng(0))
    assert len(clean_index) == 75 and len(pool_index) == 25 and len(set(clean_index)) == 75
    assert dfn_training_indices(100, 1000, 0.0, np.random.default_rng(0))[1].size == 0
    with pytest.raises(ValueError, match="pool_share"):
        dfn_training_indices(100, 1000, 1.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="the pool has 10"):
        dfn_training_indices(100, 10, 0.5, np.random.default_rng(0))


def test_clip_score_is_the_cosine_of_each_pair():
    model = TwoTower(vocab_size=20, image_size=12, widths=(2, 4), width=8, dim=4).eval()
    images, tokens = torch.rand(6, 1, 12, 12), torch.randint(0, 20, (6, 3))
    with torch.no_grad():
        expected = (model.encode_images(images) * model.encode_texts(tokens)).sum(1).numpy()
    assert np.allclose(clip_score(model, images, tokens, batch_size=4), expected, atol=1e-6)
    with pytest.raises(ValueError, match="6 images but 5 captions"):
        clip_score(model, images, tokens[:5])


def test_retrieval_recall_counts_repeated_captions_once():
    captions = np.array(["a", "b", "a", "c"], dtype=object)
    candidates = np.array(["a", "b", "c"], dtype=object)
    similarity = np.array([[0.9, 0.1, 0.0],   # image 0 (a): right at rank 1
                           [0.8, 0.1, 0.7],   # image 1 (b): rank 3
                           [0.1, 0.9, 0.0],   # image 2 (a): rank 2
                           [0.0, 0.2, 0.9]])  # image 3 (c): rank 1
    out = retrieval_recall(similarity, captions, candidates, ks=(1, 2))
    assert out["i2t_r1"] == 0.5 and out["i2t_r2"] == 0.75
    # caption a: best image 0 (a) -> hit; b: best image 2 (a), then 0, 1 at rank 3 -> miss at 1 and 2; c: image 3
    assert out["t2i_r1"] == pytest.approx(2 / 3) and out["t2i_r2"] == pytest.approx(2 / 3)


@pytest.fixture(scope="module")
def small_protocol(sources):
    exp = make_experiment(sources, 900, 250, 300, Corruption(random_caption=0.4, class_swap=0.1, boilerplate=0.1,
                                                              near_duplicate=0.1), seed=0, n_emoji=(60, 40, 90))
    tok = CaptionTokenizer().fit(list(exp.pool.captions) + list(exp.clean.captions) + list(exp.evaluation.reference))
    return exp, tok, Encoded.from_pairs(exp.pool, tok), Encoded.from_pairs(exp.clean, tok), \
        make_benchmark(exp.evaluation, tok)


SPEC = ModelSpec(widths=(4, 8), width=16, dim=16, steps=60, batch_size=64, lr=5e-3)


def test_a_filter_trained_on_clean_data_ranks_clean_pairs_above_mismatched_ones(small_protocol):
    exp, _, pool, clean, _ = small_protocol
    scores = clip_score(train_model(SPEC, clean, seed=0), pool.images, pool.tokens)
    good, bad = scores[exp.pool.kind == "clean"], scores[exp.pool.kind == "random caption"]
    auc = (good[:, None] > bad[None, :]).mean()
    assert auc > 0.75


def test_the_protocol_rewards_a_cleaner_kept_set(small_protocol):
    exp, _, pool, _, bench = small_protocol
    clean_kept = np.flatnonzero(exp.pool.kind == "clean")
    noisy_kept = np.flatnonzero(exp.pool.kind == "random caption")[:len(clean_kept)]
    assert len(noisy_kept) == len(clean_kept)
    good = train_and_evaluate(pool, clean_kept, SPEC, bench, seed=0)
    bad = train_and_evaluate(pool, noisy_kept, SPEC, bench, seed=0)
    assert set(good) >= {"zeroshot", "emoji_zeroshot", "i2t_r1", "i2t_r5", "t2i_r1", "t2i_r5", "retrieval"}
    assert good["zeroshot"] > bad["zeroshot"] + 0.15 and good["retrieval"] > bad["retrieval"]
    assert bad["zeroshot"] < 0.25  # captions of random images teach (almost) nothing: chance is 0.1
    with pytest.raises(ValueError, match="at least 2 pairs"):
        train_and_evaluate(pool, [0], SPEC, bench, seed=0)


def test_zero_shot_accuracy_is_the_nearest_prompt_ensemble(small_protocol):
    _, tok, _, clean, bench = small_protocol
    model = train_model(dataclasses.replace(SPEC, steps=5), clean, seed=1)
    from fscore.filtering.pool import FASHION_CLASSES, FASHION_PROMPTS
    with torch.no_grad():
        u = model.encode_images(bench.fashion_images)
        t = model.encode_texts(tok.transform(prompts(FASHION_CLASSES, FASHION_PROMPTS)))
        centres = torch.nn.functional.normalize(t.view(10, len(FASHION_PROMPTS), -1).mean(1), dim=1)
    expected = float(((u @ centres.T).argmax(1).numpy() == bench.fashion_labels).mean())
    assert zero_shot_accuracy(model, bench.fashion_images, bench.fashion_labels, bench.fashion_prompts,
                              len(FASHION_PROMPTS)) == pytest.approx(expected)
    assert 0 <= evaluate(model, bench)["emoji_zeroshot"] <= 1


def test_evaluation_pairs_must_be_clean(small_protocol):
    exp, tok, *_ = small_protocol
    with pytest.raises(ValueError, match="must all be clean"):
        make_benchmark(exp.pool, tok)


def test_pairs_refuse_inconsistent_metadata():
    images, labels = garments(4)
    with pytest.raises(ValueError, match="kind has 3 entries"):
        Pairs(images, np.array(["a"] * 4, dtype=object), np.array(["clean"] * 3), np.array(["fashion"] * 4),
              labels, np.array([""] * 4), np.array(["a"] * 4))
    with pytest.raises(ValueError, match="unknown kinds"):
        Pairs(images, np.array(["a"] * 4, dtype=object), np.array(["dirty"] * 4), np.array(["fashion"] * 4),
              labels, np.array([""] * 4), np.array(["a"] * 4))
