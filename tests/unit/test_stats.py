"""The statistics that decide claims (fscore/stats.py): known answers, pairing, and bad input."""
import doctest

import numpy as np
import pytest

import fscore.stats
from fscore.stats import (Difference, margin_over_spread, margin_with_se, paired_difference, relative_drop, resolution,
                          standard_error)


def test_docstring_examples_hold():
    failures, tried = doctest.testmod(fscore.stats)
    assert tried >= 5 and failures == 0


# ------------------------------------------------------------------------------------------ known answers
def test_standard_error_by_hand():
    # mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, variance 5/3, se sqrt(5/3)/2
    assert standard_error([1, 2, 3, 4]) == pytest.approx(np.sqrt(5 / 3) / 2, rel=1e-15)


def test_paired_difference_by_hand():
    # per example: fraction of the two seeds right under a minus under b = [0, 1/2, -1/2, 1]
    a = [[1, 1, 0, 1], [1, 0, 0, 1]]
    b = [[1, 0, 0, 0], [1, 0, 1, 0]]
    mean, se = paired_difference(a, b)
    assert mean == pytest.approx(0.25, abs=1e-15)
    assert se == pytest.approx(np.sqrt(1.25 / 3) / 2, rel=1e-15)  # squared deviations sum to 1.25


def test_paired_difference_is_the_difference_of_mean_accuracies():
    rng = np.random.default_rng(0)
    a, b = rng.random((3, 50)) < 0.8, rng.random((3, 50)) < 0.6
    mean, _ = paired_difference(a, b)
    assert mean == pytest.approx(a.mean() - b.mean(), abs=1e-12)


def test_groups_count_each_splits_examples_separately():
    # two splits with their own test examples, one run each: the per-example differences of both are pooled
    a = np.array([[1, 1, 0], [0, 1, 1]])
    b = np.array([[0, 1, 0], [0, 0, 0]])
    mean, se = paired_difference(a, b, groups=[7, 8])
    deltas = np.array([1, 0, 0, 0, 1, 1])
    assert mean == pytest.approx(deltas.mean()) and se == pytest.approx(deltas.std(ddof=1) / np.sqrt(6))
    # without groups the two runs would be averaged example by example, as if they shared their examples
    assert paired_difference(a, b) != (mean, se)


def test_one_run_is_enough_for_a_paired_difference():
    mean, se = paired_difference([1, 0, 1, 1], [0, 0, 1, 0])
    assert mean == pytest.approx(0.5) and se == pytest.approx(np.sqrt(1 / 3) / 2)


def test_welch_margin_by_hand():
    mean, se = margin_with_se([1.0, 2.0, 3.0], [0.0, 2.0])
    assert mean == pytest.approx(1.0)
    assert se == pytest.approx(np.sqrt(1 / 3 + 2 / 2))  # variances 1 and 2


def test_resolution_is_z_errors_but_never_below_one_example():
    assert resolution(0.02, 1000) == pytest.approx(0.04)
    assert resolution(0.001, 20) == pytest.approx(0.05)  # one example of 20 is 5 points
    assert resolution(0.02, 1000, z=1) == pytest.approx(0.02)


# ------------------------------------------------------------------------------------- paired vs unpaired
def test_pairing_removes_what_correlated_samples_share():
    # per-seed accuracies that move together (a shared seed effect) and differ by about 0.03
    rng = np.random.default_rng(1)
    seed_effect = rng.normal(0, 0.1, size=10)
    a = 0.80 + seed_effect + rng.normal(0, 0.005, size=10)
    b = 0.77 + seed_effect + rng.normal(0, 0.005, size=10)
    paired, unpaired = margin_with_se(a, b, paired=True), margin_with_se(a, b, paired=False)
    assert paired.mean == pytest.approx(unpaired.mean)  # the same difference of means
    assert paired.se < unpaired.se / 5  # but a far smaller error once the shared effect cancels
    assert paired.mean - 2 * paired.se > 0 > unpaired.mean - 2 * unpaired.se


def test_paired_by_example_beats_treating_seeds_as_independent():
    # two methods that differ on 5% of the examples, over examples of very different difficulty
    rng = np.random.default_rng(2)
    easy = rng.random(2000) < 0.7
    a = np.tile(easy, (4, 1)) | (rng.random((4, 2000)) < 0.05)
    b = np.tile(easy, (4, 1))
    by_example = paired_difference(a, b)
    per_seed = margin_with_se(a.mean(axis=1), b.mean(axis=1), paired=False)
    assert by_example.mean == pytest.approx(per_seed.mean)
    assert by_example.mean > 2 * by_example.se


# ------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call,match", [
    (lambda: paired_difference([[1, 0]], [[1, 0, 1]]), "same shape"),
    (lambda: paired_difference([], []), "empty"),
    (lambda: paired_difference([1], [0]), "at least two test examples"),
    (lambda: paired_difference([[1, 0], [0, 1]], [[1, 1], [0, 0]], groups=[0]), "one label per run"),
    (lambda: paired_difference(np.zeros((2, 2, 2)), np.zeros((2, 2, 2))), "n_runs, n_examples"),
    (lambda: paired_difference([1, np.nan], [1, 0]), "NaN"),
    (lambda: paired_difference(["a", "b"], [1, 0]), "numbers"),
    (lambda: margin_with_se([0.9], [0.5, 0.6]), "single value"),
    (lambda: margin_with_se([0.9, 0.8], [0.5]), "single value"),
    (lambda: margin_with_se([0.9], [0.5], paired=True), "at least two"),
    (lambda: margin_with_se([0.9, 0.8], [0.5, 0.6, 0.7], paired=True), "same length"),
    (lambda: margin_with_se([], [0.5, 0.6]), "empty"),
    (lambda: margin_with_se([[0.9, 0.8]], [0.5, 0.6]), "one-dimensional"),
    (lambda: standard_error([0.5]), "at least two"),
    (lambda: standard_error([0.5, np.inf]), "NaN or infinite"),
    (lambda: resolution(-0.1, 10), "non-negative"),
    (lambda: resolution(0.1, 0), "positive integer"),
    (lambda: resolution(0.1, 10, z=0), "z must be positive"),
])
def test_bad_input_gets_a_clear_error(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_results_unpack_as_mean_and_error():
    result = margin_with_se([1.0, 2.0], [0.0, 0.0], paired=True)
    assert isinstance(result, Difference)
    mean, se = result
    assert (mean, se) == (result.mean, result.se) == (1.5, 0.5)


def test_margin_over_spread_and_relative_drop():
    assert margin_over_spread([3.0, 4.0, 5.0], [1.0, 2.0, 3.0]) == pytest.approx(2.0)
    assert margin_over_spread([1.0, 1.0], [1.0, 1.0]) == 0.0
    assert margin_over_spread([2.0, 2.0], [1.0, 1.0]) == np.inf
    with pytest.raises(ValueError, match="paired"):
        margin_over_spread([1.0, 2.0], [1.0])
    assert relative_drop(0.5, 0.4) == pytest.approx(0.2) and relative_drop(0.5, 0.6) == pytest.approx(-0.2)
    with pytest.raises(ValueError, match="positive"):
        relative_drop(0.0, 0.1)
    with pytest.raises(ValueError, match="NaN"):
        margin_over_spread([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        relative_drop(0.5, np.nan)
