"""Exhaustive best-subset selection for small d, and the greedy guarantees measured against it.

Best subset maximises the explained variance R^2 over all ``C(d, k)`` subsets; it is the yardstick
for greedy methods. Das & Kempe (ICML 2011) bound greedy forward regression by
``R^2_FR >= (1 - exp(-gamma)) R^2_best`` (Thm 3.2) and OMP by
``R^2_OMP >= (1 - exp(-gamma * lambda_min(C, 2k))) R^2_best`` (Thm 3.5), where the submodularity
ratio ``gamma >= lambda_min(C, 2k)`` (Lemma 2.4) and ``lambda_min(C, m)`` is the smallest eigenvalue
of any m x m principal submatrix of the correlation matrix C.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from fscore.features._base import FeatureSelector
from fscore.features._linear import center_and_normalize
from fscore.validation import check_k, validate_selector_data

MAX_SUBSETS = 5_000_000


def _check_count(d: int, k: int) -> int:
    count = math.comb(d, k)
    if count > MAX_SUBSETS:
        raise ValueError(f"exhaustive search over C({d}, {k}) = {count:,} subsets is too large "
                         f"(limit {MAX_SUBSETS:,}); use fewer features or a smaller k")
    return count


def _subset_r2(G: np.ndarray, b: np.ndarray, yy: float, combos: np.ndarray) -> np.ndarray:
    """R^2 of every subset (rows of ``combos``) from the Gram matrix ``G = Z^T Z`` and ``b = Z^T y``."""
    Gs = G[combos[:, :, None], combos[:, None, :]]
    bs = b[combos]
    try:
        sol = np.linalg.solve(Gs, bs[..., None])[..., 0]
    except np.linalg.LinAlgError:  # a singular subset somewhere in the batch: solve each in the least-squares sense
        sol = np.stack([np.linalg.lstsq(g, v, rcond=None)[0] for g, v in zip(Gs, bs)])
    return np.einsum("ij,ij->i", bs, sol) / yy


def best_subset(X, y, k: int, batch: int = 200_000):
    """The size-``k`` subset with the largest R^2 (least squares with intercept).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The design: finite, no constant column (:func:`fscore.validation.validate_selector_data`).
    y : array-like of shape (n_samples,)
        A numeric target that is not constant.
    k : int
        The subset size, ``1 <= k <= n_features``; ``C(n_features, k)`` may not exceed ``MAX_SUBSETS``.
    batch : int, default=200000
        Subsets solved at a time.

    Returns
    -------
    subset : tuple of int
        The best subset, in index order (ties go to the first subset in lexicographic order).
    r2 : float
        Its R^2.
    """
    X, y = validate_selector_data(None, X, y)
    k = check_k(k, X.shape[1])
    _check_count(X.shape[1], k)
    Z, yc, *_ = center_and_normalize(X, y)
    G, b, yy = Z.T @ Z, Z.T @ yc, yc @ yc
    best, best_r2 = None, -np.inf
    combos = itertools.combinations(range(X.shape[1]), k)
    while chunk := list(itertools.islice(combos, batch)):
        chunk = np.array(chunk)
        r2 = _subset_r2(G, b, yy, chunk)
        r2[~np.isfinite(r2)] = -np.inf  # a NaN would otherwise win argmax and hide the chunk's best
        i = int(np.argmax(r2))
        if r2[i] > best_r2:
            best, best_r2 = tuple(int(j) for j in chunk[i]), float(r2[i])
    if best is None:  # no finite R^2: cannot happen on validated data, but never return None silently
        raise FloatingPointError("no subset has a finite R^2; check X and y for extreme values")
    return best, best_r2


def restricted_min_eigenvalue(X, m: int) -> float:
    """``lambda_min(C, m)``: the smallest eigenvalue over every m x m principal submatrix of corr(X)."""
    C = np.corrcoef(np.asarray(X, dtype=np.float64), rowvar=False)
    d = C.shape[0]
    m = min(m, d)
    _check_count(d, m)
    combos = np.array(list(itertools.combinations(range(d), m)))
    return float(np.linalg.eigvalsh(C[combos[:, :, None], combos[:, None, :]])[:, 0].min())


def greedy_bounds(X, k: int) -> dict:
    """Das & Kempe's approximation guarantees for greedy forward regression and OMP at size ``k``."""
    lam = restricted_min_eigenvalue(X, 2 * k)
    return {"lambda_min_2k": lam, "forward_regression": 1 - math.exp(-lam), "omp": 1 - math.exp(-lam * lam)}


class BestSubset(FeatureSelector):
    """Exhaustive best subset as a selector; ``ranking_`` lists the subset in index order, ``r2_`` its R^2."""

    def _select(self, X, y):
        subset, self.r2_ = best_subset(X, y, self.k)
        return list(subset)
