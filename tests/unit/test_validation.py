"""The shared validation layer (issue 10): every bad input a user can give gets a clear error naming the problem.

Also the degenerate designs a user can give: scales from 1e-13 to 1e200, and designs that run out of rank,
where OMP stops early with a warning as scikit-learn's does (and breaks ties as it does).
"""
import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import OrthogonalMatchingPursuit

from fscore import validation
from fscore.datasets import make_sparse_regression
from fscore.features import (OMP, BestSubset, ForwardRegression, LinearSequentialAttention, OneShotAttention,
                             SequentialLasso, best_subset)
from fscore.training_data import (DSIR, BigramLM, HashedNgrams, HeuristicClassification, RandomSelection,
                                  build_vocabulary, resampling, write_pool)
from fscore.training_data.streaming import check_shards

REGRESSION = [OMP, ForwardRegression, SequentialLasso, LinearSequentialAttention, OneShotAttention, BestSubset]
GREEDY = [OMP, ForwardRegression, SequentialLasso]


def problem(seed=0, n=60, d=8, k=3):
    X, y, *_ = make_sparse_regression(n, d, k, correlation=0.5, noise=0.5, random_state=seed)
    return X, y


def unit_columns(X):
    Xc = X - X.mean(axis=0)
    return Xc / np.linalg.norm(Xc, axis=0)


def quietly(fit):
    """Run ``fit()`` and return its result with the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fit()
    return result, [str(w.message) for w in caught]


# --- the target ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("Selector", REGRESSION)
@pytest.mark.parametrize("value", [0.0, 1.0, -3e-200, 7e250])
def test_a_constant_target_is_refused_by_every_regression_selector(Selector, value):
    X, _ = problem()
    with pytest.raises(ValueError, match="y is constant"):
        Selector(k=2).fit(X, np.full(len(X), value))


def test_a_tiny_but_varying_target_is_not_constant():
    X, y = problem()
    assert OMP(k=2).fit(X, y * 1e-200).ranking_.tolist() == OMP(k=2).fit(X, y).ranking_.tolist()


def test_best_subset_function_refuses_a_constant_target():
    X, _ = problem()
    with pytest.raises(ValueError, match="y is constant"):
        best_subset(X, np.ones(len(X)), 2)


@pytest.mark.parametrize("Selector", REGRESSION)
@pytest.mark.parametrize("labels", [np.array(["a", "b"] * 30), np.array(["a", "b"] * 30, dtype=object),
                                    ["low", "high"] * 30])
def test_string_labels_are_refused_by_regression_selectors(Selector, labels):
    X, _ = problem()
    with pytest.raises(ValueError, match=r"y must be numeric for a regression selector, but it holds 'a'|'low'"):
        Selector(k=2).fit(X, labels)


def test_numbers_written_as_strings_are_numbers():
    X, y = problem()
    as_text = np.array([str(v) for v in y], dtype=object)
    assert OMP(k=2).fit(X, as_text).ranking_.tolist() == OMP(k=2).fit(X, y).ranking_.tolist()


@pytest.mark.parametrize("Selector", REGRESSION)
def test_a_target_uncorrelated_with_every_feature_is_refused(Selector):
    X, y = problem()
    basis = np.linalg.qr(np.column_stack([np.ones(len(X)), X]))[0]
    orthogonal = y - basis @ (basis.T @ y)  # centred and orthogonal to every column: every linear score is 0
    with pytest.raises(ValueError, match="y is uncorrelated with every feature"):
        Selector(k=2).fit(X, orthogonal)


# --- the design ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("Selector", REGRESSION)
@pytest.mark.parametrize("scale", [1e-13, 1e-200, 1e200, 2.0**-1000])
def test_picks_do_not_depend_on_the_scale_of_the_design(Selector, scale):
    X, y = problem()
    assert Selector(k=3).fit(X * scale, y).ranking_.tolist() == Selector(k=3).fit(X, y).ranking_.tolist()


def test_every_column_at_its_own_scale():
    X, y = problem()
    scales = 10.0 ** np.linspace(-150, 150, X.shape[1])
    for Selector in REGRESSION:
        assert Selector(k=3).fit(X * scales, y).ranking_.tolist() == Selector(k=3).fit(X, y).ranking_.tolist()


@pytest.mark.parametrize("Selector", [OMP, ForwardRegression])
def test_coefficients_and_predictions_follow_the_scale(Selector):
    X, y = problem()
    ref = Selector(k=3).fit(X, y)
    for scale in (1e-13, 1e200):
        model = Selector(k=3).fit(X * scale, y)
        np.testing.assert_allclose(model.coef_ * scale, ref.coef_, rtol=1e-9)
        np.testing.assert_allclose(model.predict(X * scale), ref.predict(X), rtol=1e-9)


@pytest.mark.parametrize("scale", [1.0, 1e-13, 1e200])
def test_the_constant_column_check_is_relative(scale):
    X, y = problem()
    validation.check_no_constant_columns(X * scale)  # no false alarm at any scale
    X[:, 5] = 3.0
    with pytest.raises(ValueError, match=r"constant column\(s\) \(indices 5\)"):
        validation.check_no_constant_columns(X * scale)
    X[:, 5] = 3.0 + 1e-14 * np.arange(len(X))  # varies in its last digits only
    with pytest.raises(ValueError, match=r"indices 5"):
        OMP(k=2).fit(X * scale, y)


def test_a_column_with_a_large_offset_is_not_constant():
    X, y = problem()
    shifted = X.copy()
    shifted[:, 1] += 1e6
    assert OMP(k=3).fit(shifted, y).ranking_.tolist() == OMP(k=3).fit(X, y).ranking_.tolist()


# --- predict, not fitted, n_iter_ ---------------------------------------------------------------------------

@pytest.mark.parametrize("Selector", [OMP, ForwardRegression])
def test_predict_validates_its_input(Selector):
    X, y = problem()
    with pytest.raises(NotFittedError):
        Selector(k=2).predict(X)
    model = Selector(k=2).fit(X, y)
    with pytest.raises(ValueError, match="X has 7 features, but .* is expecting 8 features"):
        model.predict(X[:, :7])
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        model.predict(X[0])
    bad = X.copy()
    bad[2, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.predict(bad)
    assert model.predict(X[:1]).shape == (1,)


@pytest.mark.parametrize("Selector", REGRESSION)
def test_transform_before_fit_is_not_fitted_error(Selector):
    with pytest.raises(NotFittedError):
        Selector(k=2).transform(problem()[0])


def test_sequential_lasso_reports_its_iterations():
    X, y = problem()
    lasso = SequentialLasso(k=3).fit(X, y)
    assert lasso.n_iter_path_.shape == (3,) and np.all(lasso.n_iter_path_ >= 1)
    assert lasso.n_iter_ == lasso.n_iter_path_.max() <= lasso.max_iter


# --- running out of rank: stop early with a warning, as scikit-learn --------------------------------------

def rank_deficient_designs():
    rng = np.random.default_rng(1)
    base = rng.standard_normal((40, 6))
    yield "duplicated column, k = d", unit_columns(np.column_stack([base, base[:, 2]])), 7
    yield "n < d, k = n", unit_columns(rng.standard_normal((10, 25))), 10
    near = base[:, 1] + 1e-9 * rng.standard_normal(40)
    yield "near-collinear at 1e-9, k = d", unit_columns(np.column_stack([base, near])), 7


@pytest.mark.parametrize("name, X, k", list(rank_deficient_designs()), ids=lambda v: v if isinstance(v, str) else "")
def test_omp_stops_early_where_scikit_learn_does(name, X, k):
    y = X[:, :3] @ [1.0, -2.0, 0.5] + 0.1 * np.random.default_rng(2).standard_normal(len(X))
    ref, ref_warnings = quietly(lambda: OrthogonalMatchingPursuit(n_nonzero_coefs=k).fit(X, y))
    ours, our_warnings = quietly(lambda: OMP(k=k).fit(X, y))
    assert any("ended prematurely" in w for w in ref_warnings)
    assert any(f"OMP stopped after {ours.n_features_selected_} of k={k} picks" in w for w in our_warnings)
    assert sorted(ours.ranking_) == np.flatnonzero(ref.coef_).tolist() and ours.n_features_selected_ < k
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-8)
    assert ours.scores_path_.shape == (ours.n_features_selected_, X.shape[1])


@pytest.mark.parametrize("name, X, k", list(rank_deficient_designs()), ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize("Selector", [ForwardRegression, SequentialLasso])
def test_other_greedy_methods_stop_early_too(Selector, name, X, k):
    y = X[:, :3] @ [1.0, -2.0, 0.5] + 0.1 * np.random.default_rng(2).standard_normal(len(X))
    model, caught = quietly(lambda: Selector(k=k).fit(X, y))
    assert any("stopped after" in w and "run out of rank" in w for w in caught)
    assert model.n_features_selected_ < k and len(set(model.ranking_)) == model.n_features_selected_
    assert np.linalg.matrix_rank(X[:, model.ranking_]) == model.n_features_selected_
    assert np.all(np.abs(model.coef_) < 10)  # the refit on independent picks, not the +-2.5e6 of a dependent one


def test_a_noise_free_target_stops_when_it_is_explained():
    X, _ = problem(d=6)
    y = X[:, 0] - 2 * X[:, 3]
    model, caught = quietly(lambda: OMP(k=4).fit(X, y))
    assert sorted(model.ranking_) == [0, 3] and any("stopped after 2 of k=4" in w for w in caught)


# --- ties: scikit-learn's working order -----------------------------------------------------------------------

def test_omp_breaks_ties_in_scikit_learns_working_order():
    """With columns [a, b, a, s] and s picked first, scikit-learn swaps column 0 to position 3: the tie
    between the two copies of a then goes to index 2, not to the lowest index."""
    rng = np.random.default_rng(0)
    a, b, s = rng.standard_normal((3, 50))
    X = unit_columns(np.column_stack([a, b, a, s]))
    y = 3 * X[:, 3] + X[:, 0] + 0.5 * X[:, 1] + 0.01 * rng.standard_normal(50)
    ours = OMP(k=2).fit(X, y)
    assert ours.scores_path_[1, 0] == ours.scores_path_[1, 2]  # an exact tie
    assert ours.ranking_.tolist() == [3, 2]
    for precompute in (True, False):  # scikit-learn's Gram and plain Cholesky variants agree
        ref = OrthogonalMatchingPursuit(n_nonzero_coefs=2, precompute=precompute).fit(X, y)
        assert np.flatnonzero(ref.coef_).tolist() == [2, 3]


def test_a_first_step_tie_goes_to_the_lowest_index():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 50))
    X = unit_columns(np.column_stack([b, a, a]))
    y = X[:, 1] + 0.2 * X[:, 0]
    assert OMP(k=1).fit(X, y).ranking_.tolist() == [1]
    assert np.flatnonzero(OrthogonalMatchingPursuit(n_nonzero_coefs=1).fit(X, y).coef_).tolist() == [1]


# --- k: one check for features and documents -------------------------------------------------------------

def test_one_check_k_for_features_and_documents():
    assert resampling.check_k is validation.check_k
    with pytest.raises(ValueError, match=r"k=13 is out of range: choose 1 <= k <= 12 \(the number of features\)"):
        validation.check_k(13, 12)
    with pytest.raises(ValueError, match=r"k=5 is out of range: choose 1 <= k <= 4 \(the number of documents that"):
        resampling.random_subset([True] * 4 + [False], 5)
    with pytest.raises(ValueError, match="there are no documents that pass the length filter to select from"):
        resampling.random_subset([False] * 3, 1)
    with pytest.raises(ValueError, match=r"k=0 is out of range: choose k >= 1"):
        resampling.gumbel_top_k(resampling.as_chunks([0.0, 1.0]), 0)
    for bad in (2.0, True, "3", None):
        with pytest.raises(TypeError, match="k must be an integer"):
            validation.check_k(bad, 5)
    assert validation.check_k(np.int64(3), 5) == 3 and type(validation.check_k(np.int64(3), 5)) is int


# --- documents --------------------------------------------------------------------------------------------

DOCS = ["the cat sat on the mat", "a dog ran in the park", "the cat and the dog", "stocks fell on monday"]
ONE_STRING = "Iterable over raw text documents expected, string object received"


def fitted_dsir():
    return DSIR(num_buckets=64, min_length=1).fit(DOCS[:2], DOCS)


@pytest.mark.parametrize("call", [
    lambda: DSIR(num_buckets=64).count("the cat sat"),
    lambda: DSIR(num_buckets=64).fit("the cat sat", DOCS),
    lambda: DSIR(num_buckets=64).fit(DOCS, "the cat sat"),
    lambda: fitted_dsir().select("the cat sat", 1),
    lambda: fitted_dsir().score_samples(b"the cat sat"),
    lambda: HeuristicClassification(num_buckets=64).fit("the cat sat", DOCS),
    lambda: HeuristicClassification(num_buckets=64).fit(DOCS, "the cat sat"),
    lambda: HeuristicClassification(num_buckets=64, min_length=1).fit(DOCS[:2], DOCS).select("the cat sat", 1),
    lambda: HeuristicClassification(num_buckets=64, min_length=1).fit(DOCS[:2], DOCS).score_samples("the cat"),
    lambda: RandomSelection(min_length=1).select("the cat sat", 1),
    lambda: HashedNgrams(num_buckets=64).transform("the cat sat"),
    lambda: BigramLM(build_vocabulary(DOCS)).fit("the cat sat"),
    lambda: build_vocabulary("the cat sat"),
    lambda: write_pool("the cat sat", "/nonexistent", 2, 1),
], ids=["count", "fit target", "fit raw", "select", "score_samples bytes", "HC fit target", "HC fit raw",
        "HC select", "HC score_samples", "random", "featuriser", "bigram LM", "vocabulary", "pool"])
def test_a_single_string_is_not_a_corpus(call):
    with pytest.raises(ValueError, match=ONE_STRING):
        call()


def test_documents_must_be_iterable_and_strings():
    with pytest.raises(TypeError, match="texts must be an iterable of documents"):
        DSIR(num_buckets=64).count(42)
    with pytest.raises(TypeError, match="a document must be a string, got int"):
        DSIR(num_buckets=64).count(["fine", 3])


def test_a_single_shard_path_is_one_shard(tmp_path):
    shard = tmp_path / "pool.jsonl"
    shard.write_text('{"text": "a b"}\n')
    assert check_shards(str(shard)) == [shard] == check_shards(shard)
    with pytest.raises(FileNotFoundError, match="1 shard"):
        check_shards(str(tmp_path / "missing.jsonl"))


def test_a_stream_is_still_accepted():
    stream = (doc for doc in DOCS)
    assert DSIR(num_buckets=64).count(stream).sum() == DSIR(num_buckets=64).count(DOCS).sum()


@pytest.mark.parametrize("call", [
    lambda: HeuristicClassification(num_buckets=64).select(DOCS, 1),
    lambda: HeuristicClassification(num_buckets=64).score_samples(DOCS),
    lambda: DSIR(num_buckets=64).select(DOCS, 1),
    lambda: DSIR(num_buckets=64).score_samples(DOCS),
], ids=["HC select", "HC score_samples", "DSIR select", "DSIR score_samples"])
def test_methods_before_fit_raise_not_fitted_error(call):
    with pytest.raises(NotFittedError):
        call()
