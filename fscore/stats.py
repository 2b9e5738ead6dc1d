"""The statistics that decide claims: differences of means and their standard errors.

A reproduction claim such as "method A is at least as accurate as method B" or "A beats random subsets by
3 points" is decided by a difference of two means and the standard error of that difference. How the error
is computed depends on how the two sets of numbers were obtained:

* :func:`paired_difference` — both methods were scored on the *same* test examples. The difference is taken
  example by example, so what every example contributes to both (an easy or a hard example) cancels; the
  spread of the per-example differences over the examples gives the error.
* :func:`margin_with_se` — two samples of numbers (e.g. one accuracy per seed). ``paired=False`` treats them as
  independent (Welch's standard error, ``sqrt(s_a^2 / n_a + s_b^2 / n_b)``); ``paired=True`` pairs them entry by
  entry (the same seed, the same split) and takes the spread of the differences.
* :func:`resolution` — the smallest difference a test set can resolve: ``z`` standard errors, and never less
  than one test example (``1 / n``).
* :func:`margin_over_spread` — a mean paired margin in units of the larger seed-to-seed spread (Chapter 11);
  :func:`relative_drop` — the share of a score lost.

Every function refuses input from which the quantity cannot be computed (empty, mismatched shapes, a single
value, NaN) with an error that says so, rather than returning NaN.

References
----------
B. Efron & R. Tibshirani, *An Introduction to the Bootstrap*, Chapman & Hall (1993), Sec. 2 (the standard error
of a mean). B. L. Welch, "The generalization of Student's problem when several different population variances are
involved", *Biometrika* 34 (1947). T. G. Dietterich, "Approximate statistical tests for comparing supervised
classification learning algorithms", *Neural Computation* 10 (1998): paired tests on one test set.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Difference(NamedTuple):
    """A difference of two means and its standard error: ``mean, se = paired_difference(...)``."""

    mean: float
    se: float


def _finite(values, name: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must hold numbers, got {type(values).__name__}") from None
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} holds NaN or infinite values")
    return array


def standard_error(values) -> float:
    """Standard error of the mean of ``values``: ``s / sqrt(n)``, ``s`` the sample standard deviation (ddof 1).

    Parameters
    ----------
    values : array-like of shape (n,)
        At least two finite numbers (e.g. one accuracy per seed).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``values`` is empty, not one-dimensional, holds NaN, or has a single value (whose spread is unknown).
    """
    values = _finite(values, "values")
    if values.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {values.shape}")
    if values.size < 2:
        raise ValueError("a standard error needs at least two values; one value says nothing about the spread")
    return float(values.std(ddof=1) / np.sqrt(values.size))


def paired_difference(correct_a, correct_b, groups=None) -> Difference:
    """Mean of ``a`` minus mean of ``b`` over test examples both were scored on, and its paired standard error.

    Each row of ``correct_a`` and ``correct_b`` is one run (a seed) and each column one test example; an entry
    is what the run scored on the example (1 correct, 0 wrong, or any per-example score). For each example
    ``i`` of a group ``g`` of runs that share their test examples, the per-example difference is

    .. math:: \\delta_{gi} = \\frac{1}{|g|} \\sum_{r \\in g} a_{ri} - \\frac{1}{|g|} \\sum_{r \\in g} b_{ri},

    the fraction of runs that get the example right under ``a`` minus the same under ``b``. The result is the
    mean of the :math:`\\delta_{gi}` over all :math:`N` examples of all groups (with equally many runs and
    examples per group, the difference of the mean accuracies) and its standard error
    :math:`\\operatorname{sd}(\\delta) / \\sqrt{N}` (Dietterich, 1998: on one test set a comparison is paired
    by example).

    Parameters
    ----------
    correct_a, correct_b : array-like of shape (n_runs, n_examples) or (n_examples,)
        Per-example scores of the two methods, run by run; a 1-D array is a single run. Row ``r`` of both
        belongs to the same run (the same seed and split).
    groups : array-like of shape (n_runs,), optional
        A label per run: runs with the same label were scored on the same test examples (one train/test
        split), runs with different labels on different examples (a fresh split per seed), which are then
        counted separately. ``None``: every run shares one test set.

    Returns
    -------
    Difference
        ``(mean, se)``.

    Raises
    ------
    ValueError
        If the two arrays differ in shape, are empty, hold NaN, have more than two dimensions, if ``groups``
        does not give one label per run, or if there are fewer than two examples in all.

    Examples
    --------
    >>> a = [[1, 1, 0, 1], [1, 0, 0, 1]]  # two seeds, four test examples
    >>> b = [[1, 0, 0, 0], [1, 0, 1, 0]]
    >>> mean, se = paired_difference(a, b)
    >>> round(mean, 4), round(se, 4)
    (0.25, 0.3227)
    """
    a, b = _finite(correct_a, "correct_a"), _finite(correct_b, "correct_b")
    if a.shape != b.shape:
        raise ValueError(f"correct_a and correct_b must have the same shape (runs x test examples), got {a.shape} "
                         f"and {b.shape}")
    if a.ndim == 1:
        a, b = a[None], b[None]
    if a.ndim != 2:
        raise ValueError(f"correct_a must be (n_runs, n_examples) or (n_examples,), got shape {a.shape}")
    labels = np.zeros(a.shape[0], dtype=np.int64) if groups is None else np.asarray(groups)
    if labels.shape != (a.shape[0],):
        raise ValueError(f"groups must give one label per run ({a.shape[0]}), got shape {labels.shape}")
    parts = [a[labels == g].mean(axis=0) - b[labels == g].mean(axis=0) for g in np.unique(labels)]
    per_example = np.concatenate(parts)
    if per_example.size < 2:
        raise ValueError("a paired standard error needs at least two test examples")
    return Difference(float(per_example.mean()), float(per_example.std(ddof=1) / np.sqrt(per_example.size)))


def margin_with_se(a, b, paired: bool = False) -> Difference:
    """Mean of ``a`` minus mean of ``b``, and the standard error of that difference.

    Parameters
    ----------
    a, b : array-like of shape (n_a,) and (n_b,)
        Two samples, e.g. one test accuracy per seed for a method and for random subsets.
    paired : bool, default=False
        ``False``: the samples are independent; the error is Welch's
        :math:`\\sqrt{s_a^2 / n_a + s_b^2 / n_b}` (each needs at least two values). ``True``: entry ``i`` of
        ``a`` and of ``b`` belong together (the same seed or split, ``n_a == n_b``); the result is the mean of
        the differences :math:`a_i - b_i` and their standard error :math:`\\operatorname{sd}(a - b)/\\sqrt{n}`,
        which is smaller than Welch's when the pairs are positively correlated.

    Returns
    -------
    Difference
        ``(mean, se)``.

    Raises
    ------
    ValueError
        If a sample is empty, not one-dimensional, holds NaN or has a single value; if ``paired`` and the
        samples differ in length.

    Examples
    --------
    >>> margin_with_se([3.0, 5.0, 7.0], [1.0, 3.0, 5.0], paired=True)  # the same 2 on every pair: no noise
    Difference(mean=2.0, se=0.0)
    >>> round(margin_with_se([3.0, 5.0, 7.0], [1.0, 3.0, 5.0]).se, 4)  # unpaired: sqrt(4/3 + 4/3)
    1.633
    """
    a, b = _finite(a, "a"), _finite(b, "b")
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"a and b must be one-dimensional samples, got shapes {a.shape} and {b.shape}")
    if paired:
        if a.shape != b.shape:
            raise ValueError(f"paired samples must have the same length, got {a.size} and {b.size}")
        differences = a - b
        return Difference(float(differences.mean()), standard_error(differences))
    for name, sample in (("a", a), ("b", b)):
        if sample.size < 2:
            raise ValueError(f"{name} has a single value: an unpaired standard error needs at least two in each "
                             f"sample")
    se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return Difference(float(a.mean() - b.mean()), float(se))


def resolution(se: float, n_examples: int, z: float = 2.0) -> float:
    """The smallest difference in accuracy a test set resolves: ``max(z * se, 1 / n_examples)``.

    A difference smaller than ``z`` standard errors is within the noise (two standard errors: about one
    comparison in forty between two equally good methods exceeds it), and no difference smaller than one test
    example out of ``n_examples`` can be measured at all.

    Parameters
    ----------
    se : float
        Standard error of the difference (e.g. from :func:`paired_difference`); non-negative.
    n_examples : int
        Size of the (smallest) test set the accuracies were measured on.
    z : float, default=2.0
        How many standard errors count as noise.

    Returns
    -------
    float
    """
    if not np.isfinite(se) or se < 0:
        raise ValueError(f"se must be a finite non-negative number, got {se!r}")
    if isinstance(n_examples, bool) or int(n_examples) != n_examples or n_examples < 1:
        raise ValueError(f"n_examples must be a positive integer, got {n_examples!r}")
    if not z > 0:
        raise ValueError(f"z must be positive, got {z!r}")
    return max(z * se, 1 / int(n_examples))


def margin_over_spread(a, b) -> float:
    """How many seed-to-seed spreads separate two methods: ``mean(a - b) / max(sd(a), sd(b))``.

    ``a`` and ``b`` are paired by seed; ``sd`` is the sample standard deviation over seeds. Above 1, the mean
    margin is larger than either method's spread across seeds. A zero spread gives ``+-inf`` (or 0 for no margin).
    """
    a, b = _finite(a, "a"), _finite(b, "b")
    if a.shape != b.shape or a.ndim != 1 or len(a) < 2:
        raise ValueError(f"need two paired 1-D arrays of at least 2 seeds, got shapes {a.shape} and {b.shape}")
    margin = float(np.mean(a - b))
    spread = float(max(np.std(a, ddof=1), np.std(b, ddof=1)))
    if spread == 0:
        return 0.0 if margin == 0 else float(np.sign(margin) * np.inf)
    return margin / spread


def relative_drop(before, after) -> float:
    """``(before - after) / before``: the share of a score lost (negative for a gain)."""
    before, after = float(before), float(after)
    if not (np.isfinite(before) and np.isfinite(after)):
        raise ValueError(f"a relative drop needs finite values, got {before} and {after}")
    if before <= 0:
        raise ValueError(f"a relative drop needs a positive starting value, got {before}")
    return (before - after) / before
