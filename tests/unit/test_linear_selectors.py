import itertools

import numpy as np
import pytest
import torch
from sklearn.feature_selection import r_regression
from sklearn.linear_model import LinearRegression, OrthogonalMatchingPursuit, Ridge
from sklearn.pipeline import make_pipeline

from fscore.datasets import (load_khan, load_musk, make_redundant_regression, make_regression_on_design,
                             make_sparse_regression)
from fscore.features import (OMP, BestSubset, ForwardRegression, LinearSequentialAttention, OneShotAttention,
                             SequentialLasso, best_subset, explained_variance, greedy_bounds)
from fscore.features._linear import center_and_normalize
from fscore.features._neural import top_two_gap
from fscore.features.attention import AttentionTieError, AttentionTieWarning, _RidgeGivenAttention, attention_mask

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


def clear_instances():
    """Designs on which OMP's two best scores differ by more than 1e-3 (relative) at every step."""
    for seed in range(4):
        yield f"gaussian-{seed}", problem(seed, d=20, k=5, rho=0.6)[:2], 5
    for name, X, n, d in [("musk", load_musk()[0], 200, 80), ("khan", load_khan()[0], None, 300)]:
        for seed in (0, 2):
            yield f"{name}-{seed}", make_regression_on_design(X, n, d, 8, random_state=seed)[:2], 8


@pytest.mark.parametrize("name, data, k", list(clear_instances()), ids=lambda v: v if isinstance(v, str) else "")
def test_linear_sequential_attention_is_omp_where_omps_gaps_are_clear(name, data, k):
    X, y = data
    omp = OMP(k=k).fit(X, y)
    assert min(map(top_two_gap, omp.scores_path_)) > 1e-3, "the instance must have clear gaps"
    sa = LinearSequentialAttention(k=k).fit(X, y)
    assert sa.ranking_.tolist() == omp.ranking_.tolist()
    # the gaps are recorded, and the attention has concentrated at every pick
    assert sa.attention_path_.shape == (k, X.shape[1]) and np.allclose(sa.attention_path_.sum(axis=1), 1.0)
    assert sa.attention_gaps_.tolist() == [top_two_gap(weights) for weights in sa.attention_path_]
    assert sa.attention_gaps_.shape == (k,) and sa.attention_path_.max(axis=1).min() > 1 - 1e-6


def test_attention_concentrates_from_uniform_on_omps_pick():
    X, y, *_ = problem(1, d=20, k=5, rho=0.6)
    sa = LinearSequentialAttention(k=1, trace=True).fit(X, y)
    trace = sa.attention_trace_[0]
    winner = OMP(k=1).fit(X, y).ranking_[0]
    np.testing.assert_allclose(trace[0], 1 / 20)  # a phase starts from uniform attention
    assert np.all(np.diff(trace[:, winner]) > 0) and trace[-1, winner] > 1 - 1e-9
    assert sa.n_iter_[0] == len(trace) - 1 >= 2


@pytest.mark.parametrize("n, d", [(200, 12), (8, 12)])  # the two ways of solving: m <= n and n < m
def test_coefficients_in_closed_form_are_the_ridge_fit_and_the_gradient_is_exact(n, d):
    rng = np.random.default_rng(0)
    Z, r, *_ = center_and_normalize(rng.standard_normal((n, d)), rng.standard_normal(n))
    s, l2 = rng.dirichlet(np.ones(d)), 3.0
    q, gain = _RidgeGivenAttention(Z, r, l2)(s)
    ridge = Ridge(alpha=l2, fit_intercept=False, solver="cholesky").fit(Z * s, r)
    loss = 0.5 * np.sum((r - (Z * s) @ ridge.coef_) ** 2) + 0.5 * l2 * ridge.coef_ @ ridge.coef_
    assert gain == pytest.approx(0.5 * r @ r - loss, rel=1e-10)
    h = 1e-6
    for j in range(d):  # d gain / d s_j = s_j q_j^2 / l2 (central differences)
        e = np.zeros(d)
        e[j] = h
        numeric = (_RidgeGivenAttention(Z, r, l2)(s + e)[1] - _RidgeGivenAttention(Z, r, l2)(s - e)[1]) / (2 * h)
        assert numeric == pytest.approx(s[j] * q[j] ** 2 / l2, rel=1e-5, abs=1e-12)


@pytest.mark.parametrize("position", [0, 5, 12])
def test_a_duplicated_column_is_an_exact_tie_and_the_guard_says_so(position):
    X, y, *_ = problem(0)
    first = OMP(k=1).fit(X, y).ranking_[0]
    X = np.insert(X, position, X[:, first], axis=1)  # a copy of OMP's first pick
    with pytest.raises(AttentionTieError, match=r"pick 1 .* relative gap of 0\.00e\+00, below gap_tol=0\.001"):
        LinearSequentialAttention(k=2).fit(X, y)
    with pytest.warns(AttentionTieWarning, match="not decided by training"):
        sa = LinearSequentialAttention(k=2, on_tie="warn").fit(X, y)
    copies = sorted([position, first + (first >= position)])
    assert sa.ranking_[0] == copies[0] and sa.attention_gaps_[0] == 0.0 and sa.attention_gaps_[1] > 1e-3
    assert sa.attention_path_[0, copies[0]] == sa.attention_path_[0, copies[1]] == pytest.approx(0.5)


def test_sequential_attention_stops_early_when_the_design_runs_out_of_rank():
    X, y, *_ = problem(0, d=4, k=2)
    X = np.column_stack([X, X[:, 0] + X[:, 1]])
    with pytest.warns(RuntimeWarning, match="stopped after 4 of k=5 picks"):
        sa = LinearSequentialAttention(k=5).fit(X, y)
    assert sa.n_features_selected_ == 4 and np.linalg.matrix_rank(X[:, sa.ranking_]) == 4


@pytest.mark.parametrize("seed", range(3))
def test_one_shot_attention_ranks_by_correlation(seed):
    X, y, *_ = problem(seed, d=20, k=5, rho=0.6)
    corr = np.abs(r_regression(X, y))
    top = np.sort(corr)[::-1][:9]
    assert np.min(-np.diff(top) / top[:-1]) > 1e-3, "the instance must have clear gaps"
    assert OneShotAttention(k=8).fit(X, y).ranking_.tolist() == np.argsort(-corr)[:8].tolist()


def test_joint_adam_training_runs_its_budget():
    X, y, *_ = problem(0, d=20, k=5, rho=0.6)
    sa = LinearSequentialAttention(k=3, optimizer="adam", steps=40, on_tie="warn", trace=True).fit(X, y)
    assert len(sa.ranking_) == 3 and sa.n_iter_.tolist() == [40, 40, 40] and sa.attention_trace_[0].shape == (40, 20)


@pytest.mark.parametrize("params, message", [({"on_tie": "ignore"}, "on_tie must be"), ({"gap_tol": 1.0}, "gap_tol"),
                                             ({"optimizer": "lbfgs"}, "optimizer must be"), ({"l2": 0.0}, "l2 > 0"),
                                             ({"steps": 0}, "steps must be")])
def test_bad_attention_parameters_are_clear_errors(params, message):
    X, y, *_ = problem(0)
    with pytest.raises(ValueError, match=message):
        LinearSequentialAttention(k=2, **params).fit(X, y)



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
