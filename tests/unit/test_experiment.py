"""Chapter 2's experiment harness (fscore/features/experiment.py): data splits, filters, the protocol's bookkeeping."""
import numpy as np
import pandas as pd
import pytest

from fscore.features.experiment import (FILTER_METHODS, NEURAL_METHODS, Protocol, Split, StandIn, at_k,
                                        correct_matrix, filter_scores, load_data)
from fscore.stats import paired_difference


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/unit/conftest.py


def make_split(n=240, d=10, seed=0):
    """Features 2 and 5 decide the class; the rest is noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    y = (X[:, 2] + X[:, 5] > 0).astype(int)
    half = n // 2
    return Split(X[:half], X[half:], y[:half], y[half:], np.arange(d), d)


# ------------------------------------------------------------------------------------------------ data
def test_khan_keeps_its_own_split_and_drops_constant_columns():
    data = load_data("Khan")
    assert (len(data.y_train), len(data.y_test)) == (63, 20)
    assert data.n_features == 2308 and data.X_train.shape[1] == len(data.keep) <= 2308
    assert np.all(np.ptp(data.X_train, axis=0) > 0)


def test_a_split_seed_draws_a_different_split_of_musk():
    a, b = load_data("musk", split=0), load_data("musk", split=1)
    assert len(a.y_test) == len(b.y_test) == 143
    assert not np.array_equal(a.X_test, b.X_test)
    assert np.array_equal(a.X_test, load_data("musk", split=0).X_test)


@pytest.mark.parametrize("call,match", [(lambda: load_data("MNIST"), "unknown data set"),
                                        (lambda: load_data("DNA", n_train=100), "Fashion-MNIST only")])
def test_bad_data_requests_get_a_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------------------------- filters
def test_filters_rank_the_informative_features_first():
    data = make_split()
    scores = filter_scores(data.X_train, data.y_train, seed=0)
    assert set(scores) == set(FILTER_METHODS)
    for method, (score, seconds) in scores.items():
        assert score.shape == (10,) and seconds >= 0
        assert set(np.argsort(-score)[:2].tolist()) == {2, 5}, method


# ------------------------------------------------------------------------------------------- protocol
@pytest.mark.parametrize("divisors,k,sizes", [((5, 2, 1), 25, [5, 12, 25]), ((10, 5, 2, 1), 20, [2, 4, 10, 20]),
                                              ((10, 5, 2, 1), 50, [5, 10, 25, 50]), ((5, 1), 3, [1, 3])])
def test_selections_are_retrained_at_fractions_of_k(divisors, k, sizes):
    assert Protocol(divisors=divisors).sizes(k) == sizes


def test_compare_runs_every_method_with_every_seed_at_every_size():
    data = make_split()
    stand_in = StandIn("synthetic", k=2, select_epochs=4, fit_epochs=4, batch_size=32, seeds=(0, 1))
    comparison = Protocol(hidden=(8,), n_random=2, divisors=(2, 1)).compare(stand_in, data)
    frame = comparison.results
    assert set(frame.method) == set(NEURAL_METHODS) | set(FILTER_METHODS) | {"random"}
    assert sorted(frame.k.unique()) == [1, 2]
    per_size = frame[frame.k == 2]
    assert len(per_size) == 2 * (len(NEURAL_METHODS) + len(FILTER_METHODS) + 2)  # 2 seeds, 2 random draws each
    assert all(len(fits) == 2 for fits in comparison.fitted.values()) and set(comparison.fitted) == set(NEURAL_METHODS)
    assert list(comparison.splits) == [0]  # one fixed split
    correct = np.stack(per_size.correct.to_list())
    assert correct.shape == (len(per_size), len(data.y_test))
    assert np.allclose(correct.mean(axis=1), per_size.accuracy)
    sa_paper = comparison.fitted["SA (paper)"][0]
    assert sa_paper.attention_gaps_.shape == (2,)


# --------------------------------------------------------------------------------- reading the results
def toy_results():
    rows = []
    for seed in (3, 1):  # out of order on purpose
        rows.append(dict(method="A", seed=seed, split=0, k=2, accuracy=0.5 + seed / 10,
                         correct=np.array([seed > 2, True, False])))
        for draw in range(2):
            rows.append(dict(method="random", seed=seed, split=0, k=2, accuracy=0.1 * draw + seed / 100,
                             correct=np.array([False, True, draw == 1])))
    return pd.DataFrame(rows)


def test_at_k_averages_random_draws_per_seed():
    table = at_k(toy_results(), 2)
    assert list(table.columns) == [1, 3]
    assert table.loc["A", 3] == pytest.approx(0.8)
    assert table.loc["random", 1] == pytest.approx((0.01 + 0.11) / 2)
    with pytest.raises(ValueError, match="no results at k=5"):
        at_k(toy_results(), 5)


def test_correct_matrix_is_in_seed_order_and_refuses_several_runs_a_seed():
    correct, splits = correct_matrix(toy_results(), "A", 2)
    assert correct.tolist() == [[False, True, False], [True, True, False]] and splits.tolist() == [0, 0]
    assert paired_difference(correct, correct, groups=splits) == (0.0, 0.0)
    with pytest.raises(ValueError, match="several runs a seed"):
        correct_matrix(toy_results(), "random", 2)
    with pytest.raises(ValueError, match="no results"):
        correct_matrix(toy_results(), "B", 2)
