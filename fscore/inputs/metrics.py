"""How well a score separates in-distribution inputs from out-of-distribution ones: AUROC, AUPR, FPR at 95% TPR.

Every score of :mod:`fscore.inputs.ood` is an *in-distribution* score: higher means "more like the training data".
The in-distribution inputs are the positives, as in Hendrycks & Gimpel (ICLR 2017) and Sun et al. (ICML 2022):

* **AUROC** — the probability that a random in-distribution input scores above a random out-of-distribution one
  (ties count one half): the area under the ROC curve of true-positive rate (in-distribution inputs accepted)
  against false-positive rate (out-of-distribution inputs accepted) as the threshold sweeps.
* **AUPR-In / AUPR-Out** — average precision with the in-distribution (resp. out-of-distribution, the score negated)
  inputs as positives, the step-wise sum :math:`\\sum_n (R_n - R_{n-1}) P_n` of scikit-learn's
  ``average_precision_score``.
* **FPR@95TPR** — the fraction of out-of-distribution inputs accepted at the highest threshold that accepts at
  least 95% of the in-distribution inputs (lower is better).

The three come from one sort of the pooled scores (:func:`roc_points`); the unit tests compare them with
scikit-learn's ``roc_auc_score``, ``roc_curve`` and ``average_precision_score``. A NaN or infinite score is an error,
never a silent NaN AUROC.
"""
from __future__ import annotations

import numpy as np


def check_scores(scores_in, scores_out) -> tuple[np.ndarray, np.ndarray]:
    """Two non-empty one-dimensional arrays of finite scores (float64); a clear error otherwise."""
    checked = []
    for name, scores in (("scores_in", scores_in), ("scores_out", scores_out)):
        try:
            array = np.asarray(scores, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must hold numbers, got {type(scores).__name__}") from None
        if array.ndim != 1:
            raise ValueError(f"{name} must be one score per input (one-dimensional), got shape {array.shape}")
        if array.size == 0:
            raise ValueError(f"{name} is empty: a separation needs inputs on both sides")
        bad = ~np.isfinite(array)
        if bad.any():
            raise ValueError(f"{name} holds {int(bad.sum())} NaN or infinite score(s) out of {array.size} "
                             f"(first at index {int(np.flatnonzero(bad)[0])}): fix the score before measuring it")
        checked.append(array)
    return checked[0], checked[1]


def roc_points(scores_in, scores_out):
    """The ROC curve with the in-distribution inputs as positives, one point per distinct score.

    Returns
    -------
    fpr, tpr, thresholds : ndarray
        ``fpr[i]`` and ``tpr[i]`` are the fractions of out- and in-distribution inputs whose score is
        ``>= thresholds[i]``; the first point is ``(0, 0)`` at threshold ``+inf`` (scikit-learn's ``roc_curve``
        with ``drop_intermediate=False``).
    """
    s_in, s_out = check_scores(scores_in, scores_out)
    scores = np.concatenate([s_in, s_out])
    positive = np.concatenate([np.ones(s_in.size), np.zeros(s_out.size)])
    order = np.argsort(-scores, kind="mergesort")
    scores, positive = scores[order], positive[order]
    last_of_value = np.r_[np.flatnonzero(np.diff(scores)), scores.size - 1]  # a threshold per distinct score
    tp = np.cumsum(positive)[last_of_value]
    fp = (last_of_value + 1) - tp
    tpr = np.r_[0.0, tp / s_in.size]
    fpr = np.r_[0.0, fp / s_out.size]
    return fpr, tpr, np.r_[np.inf, scores[last_of_value]]


def _average_precision(fpr, tpr, n_in: int, n_out: int) -> float:
    tp, fp = tpr[1:] * n_in, fpr[1:] * n_out
    precision = tp / (tp + fp)
    return float(np.sum(np.diff(tpr) * precision))


def ood_metrics(scores_in, scores_out, tpr_level: float = 0.95) -> dict:
    """AUROC, AUPR-In, AUPR-Out and the FPR at ``tpr_level`` TPR of an in-distribution score.

    Parameters
    ----------
    scores_in, scores_out : array-like of shape (n_in,) and (n_out,)
        The score of each in-distribution and each out-of-distribution input (higher = more in-distribution).
    tpr_level : float, default=0.95
        The fraction of in-distribution inputs to accept for the FPR.

    Returns
    -------
    dict
        ``{"auroc", "aupr_in", "aupr_out", "fpr95"}`` (``fpr95`` is the FPR at ``tpr_level``).
    """
    if not 0 < tpr_level <= 1:
        raise ValueError(f"tpr_level must be in (0, 1], got {tpr_level!r}")
    s_in, s_out = check_scores(scores_in, scores_out)
    fpr, tpr, _ = roc_points(s_in, s_out)
    rfpr, rtpr, _ = roc_points(-s_out, -s_in)  # out-of-distribution inputs as the positives
    return {
        "auroc": float(np.trapezoid(tpr, fpr)),
        "aupr_in": _average_precision(fpr, tpr, s_in.size, s_out.size),
        "aupr_out": _average_precision(rfpr, rtpr, s_out.size, s_in.size),
        "fpr95": float(fpr[np.searchsorted(tpr, tpr_level - 1e-12, side="left")]),
    }
