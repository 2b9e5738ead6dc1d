"""Bag-of-n-grams distributions and the KL-reduction data metric of Xie et al. (NeurIPS 2023, Sec. 4).

KL reduction measures how much closer a selected data set is to the target than the raw pool is, in
the hashed n-gram feature space:

    Delta KL = (1/|P|) sum_{p_hat in P} [ KL(p_hat || q_hat) - KL(p_hat || q_hat_sel) ],

where ``P`` is a set of target feature distributions (one per target data set), ``q_hat`` the raw
pool's and ``q_hat_sel`` the selection's (the symbols of the book's notation page). Positive: the selection
moved towards the target.
The paper finds it correlates with downstream accuracy across selection methods (abstract).
"""
from __future__ import annotations

import numpy as np

SMOOTHING = 1e-8  # the official package's: log(p + 1e-8)


def bag_of_ngrams(counts) -> np.ndarray:
    """A probability vector over buckets from bucket counts (summed over documents if 2-D)."""
    counts = np.asarray(counts.sum(axis=0) if np.ndim(counts) == 2 else counts, dtype=np.float64).ravel()
    total = counts.sum()
    if total <= 0:
        raise ValueError("the counts are empty: no n-grams to estimate a distribution from (empty corpus?)")
    return counts / total


def kl_divergence(p, q, smoothing: float = SMOOTHING) -> float:
    """``KL(p || q) = sum_j p_j (log(p_j + s) - log(q_j + s))``, smoothed as the importance weights are."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    if p.shape != q.shape:
        raise ValueError(f"distributions over different numbers of buckets: {p.shape} and {q.shape}")
    support = p > 0
    return float(np.sum(p[support] * (np.log(p[support] + smoothing) - np.log(q[support] + smoothing))))


def kl_reduction(targets, raw, selected, smoothing: float = SMOOTHING) -> float:
    """KL reduction: the average over targets of ``KL(p_hat || q_hat) - KL(p_hat || q_hat_sel)`` (Xie et al., Sec. 4).

    Parameters
    ----------
    targets : array-like of shape (num_buckets,) or (n_targets, num_buckets)
        One target bag-of-n-grams distribution ``p_hat``, or several.
    raw, selected : array-like of shape (num_buckets,)
        The raw pool's distribution ``q_hat`` and the selection's ``q_hat_sel`` (:func:`bag_of_ngrams`).
    smoothing : float
        Added inside each log, as in the importance weights.

    Returns
    -------
    float
        Positive when the selection is closer to the target than the raw pool is.
    """
    targets = np.atleast_2d(np.asarray(targets, dtype=np.float64))
    return float(np.mean([kl_divergence(p, raw, smoothing) - kl_divergence(p, selected, smoothing)
                          for p in targets]))
