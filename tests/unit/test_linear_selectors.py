import itertools

import numpy as np
import pytest
import torch
from sklearn.linear_model import LinearRegression, OrthogonalMatchingPursuit
from sklearn.pipeline import make_pipeline

from fscore.datasets import make_redundant_regression, make_sparse_regression
from fscore.features import (OMP, BestSubset, ForwardRegression, LinearSequentialAttention, OneShotAttention,
                             SequentialLasso, best_subset, explained_variance, greedy_bounds)
from fscore.features.attention import attention_mask

SELECTORS = [OMP, ForwardRegression, SequentialLasso, LinearSequentialAttention, OneShotAttention, BestSubset]


def problem(seed, n=150, d=12, k=4, rho=0.5, noise=0.5):
    return make_sparse_regression(n, d, k, correlation=rho, noise=noise, random_state=seed)


def unit_columns(X):
    Xc = X - X.mean(axis=0)
    return Xc / np.linalg.norm(Xc, axis=0)


@pytest.mark.parametrize("seed", range(5))
def test_omp_matches_scikit_learn_picks_and_coefficients(seed):
    X, y, *_ = problem(seed, d=30, k=6)
    X = unit_columns(X)  # scikit-learn's OMP assumes unit-norm columns
    ours = OMP(k=6).fit(X, y)
    ref = OrthogonalMatchingPursuit(n_nonzero_coefs=6).fit(X, y)
    assert set(ours.ranking_) == set(np.flatnonzero(ref.coef_))
    assert np.allclose(ours.coef_, ref.coef_, atol=1e-10) and np.isclose(ours.intercept_, ref.intercept_)


def test_omp_picks_the_feature_most_correlated_with_the_residual():
    X, y, *_ = problem(0)
    omp = OMP(k=3).fit(X, y)
    first = np.argmax(np.abs([np.corrcoef(X[:, j], y)[0, 1] for j in range(X.shape[1])]))
    assert omp.ranking_[0] == first
    residual = y - LinearRegression().fit(X[:, omp.ranking_[:2]], y).predict(X[:, omp.ranking_[:2]])
    corr = np.abs([np.corrcoef(X[:, j], residual)[0, 1] for j in range(X.shape[1])])
    corr[omp.ranking_[:2]] = 0
    assert omp.ranking_[2] == np.argmax(corr)


@pytest.mark.parametrize("seed", range(3))
def test_forward_regression_equals_brute_force_refitting(seed):
    X, y, *_ = problem(seed, d=10, k=4, rho=0.7)
    picks = []
    for _ in range(4):
        rss = {j: -explained_variance(X, y, picks + [j]) for j in range(10) if j not in picks}
        picks.append(min(rss, key=rss.get))
    assert ForwardRegression(k=4).fit(X, y).ranking_.tolist() == picks


@pytest.mark.parametrize("seed", range(4))
def test_sequential_lasso_admits_exactly_omps_next_feature(seed):
    X, y, *_ = problem(seed, d=20, k=5, rho=0.6)
    lasso = SequentialLasso(k=5).fit(X, y)
    assert lasso.ranking_.tolist() == OMP(k=5).fit(X, y).ranking_.tolist()
    assert all(len(a) == 1 for a in lasso.admitted_)


@pytest.mark.parametrize("seed", range(4))
def test_linear_sequential_attention_is_omp(seed):
    X, y, *_ = problem(seed, d=20, k=5, rho=0.6)
    sa = LinearSequentialAttention(k=5).fit(X, y)
    assert sa.ranking_.tolist() == OMP(k=5).fit(X, y).ranking_.tolist()
    assert sa.attention_path_.shape == (5, 20) and np.allclose(sa.attention_path_[1].sum(), 1.0)


def test_attention_turns_the_l2_penalty_into_the_squared_two_thirds_quasi_norm():
    """Chapter 1's identity: min over the softmax weights of sum (gamma_j / s_j)^2 is (sum |gamma_j|^(2/3))^3."""
    gamma = torch.tensor([0.7, -0.2, 0.05, 1.3, -0.6], dtype=torch.float64)
    logits = torch.zeros(5, dtype=torch.float64, requires_grad=True)
    unselected = torch.zeros(5, dtype=torch.bool)
    optimizer = torch.optim.LBFGS([logits], max_iter=500, line_search_fn="strong_wolfe", tolerance_grad=1e-14)

    def penalty():
        optimizer.zero_grad()
        value = (gamma / attention_mask(logits, unselected)).pow(2).sum()
        value.backward()
        return value

    optimizer.step(penalty)
    weights = attention_mask(logits, unselected).detach()
    minimum = float((gamma / weights).pow(2).sum())
    assert minimum == pytest.approx(float(gamma.abs().pow(2 / 3).sum() ** 3), rel=1e-9)
    assert minimum > float(gamma.abs().sum() ** 2)  # stronger than l1 squared
    np.testing.assert_allclose(weights, gamma.abs().pow(2 / 3) / gamma.abs().pow(2 / 3).sum(), rtol=1e-4)


def test_residual_value_separates_sequential_from_one_shot():
    X, y, roles = make_redundant_regression(random_state=1)
    for sequential in (OMP(k=2), LinearSequentialAttention(k=2), ForwardRegression(k=2)):
        assert sorted(roles[sequential.fit(X, y).ranking_]) == ["complement", "copy"] or \
            sorted(roles[sequential.ranking_]) == ["complement", "strong"]
    one_shot = roles[OneShotAttention(k=2).fit(X, y).ranking_]
    assert "complement" not in one_shot


def test_best_subset_is_exhaustive_and_greedy_respects_its_bound():
    X, y, *_ = problem(2, n=100, d=8, k=3, rho=0.8, noise=1.0)
    subset, r2 = best_subset(X, y, 3)
    brute = max(itertools.combinations(range(8), 3), key=lambda s: explained_variance(X, y, list(s)))
    assert subset == brute and np.isclose(r2, explained_variance(X, y, list(brute)))
    bounds = greedy_bounds(X, 3)
    assert 0 < bounds["omp"] <= bounds["forward_regression"] < 1
    assert explained_variance(X, y, OMP(k=3).fit(X, y).ranking_) >= bounds["omp"] * r2
    assert BestSubset(k=3).fit(X, y).r2_ == pytest.approx(r2)


@pytest.mark.parametrize("Selector", SELECTORS)
def test_selectors_work_in_a_pipeline(Selector):
    X, y, *_ = problem(0)
    model = make_pipeline(Selector(k=3), LinearRegression()).fit(X, y)
    assert model[0].get_support().sum() == 3 and model.score(X, y) > 0.3
    assert model[0].transform(X).shape == (len(X), 3)


@pytest.mark.parametrize("Selector", SELECTORS)
@pytest.mark.parametrize("k, message", [(0, "k=0 is out of range"), (13, "k=13 is out of range"),
                                        (2.5, "must be an integer")])
def test_k_out_of_range_is_a_clear_error(Selector, k, message):
    X, y, *_ = problem(0)
    with pytest.raises((ValueError, TypeError), match=message):
        Selector(k=k).fit(X, y)


@pytest.mark.parametrize("Selector", SELECTORS)
def test_bad_inputs_are_clear_errors(Selector):
    X, y, *_ = problem(0)
    Xnan = X.copy()
    Xnan[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Selector(k=2).fit(Xnan, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        Selector(k=2).fit(X, y[:-1])
    with pytest.raises(ValueError, match="Expected 2D array"):
        Selector(k=1).fit(X[:, 0], y)
    with pytest.raises(ValueError, match="0 sample"):
        Selector(k=1).fit(X[:0], y[:0])
    Xconst = X.copy()
    Xconst[:, 5] = 1.0
    with pytest.raises(ValueError, match=r"constant column\(s\) \(indices 5\)"):
        Selector(k=2).fit(Xconst, y)


def test_linearly_dependent_design_stops_early_with_a_warning():
    X, y, *_ = problem(0, d=4, k=2)
    X = np.column_stack([X, X[:, 0] + X[:, 1]])
    with pytest.warns(RuntimeWarning, match="stopped after 4 of k=5 picks"):
        omp = OMP(k=5).fit(X, y)
    assert omp.n_features_selected_ == 4 and np.linalg.matrix_rank(X[:, omp.ranking_]) == 4


def test_best_subset_refuses_an_astronomical_search():
    X = np.random.default_rng(0).standard_normal((50, 60))
    with pytest.raises(ValueError, match="too large"):
        best_subset(X, X[:, 0], 20)
