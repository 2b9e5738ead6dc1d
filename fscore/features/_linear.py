"""Linear-algebra pieces shared by the linear selectors: standardising, projecting out, refitting, stopping early.

Every piece works at any scale of the data: a column is first divided by the power of two nearest its
largest magnitude (an exact operation), so that no mean or norm overflows at ``1e200`` or loses its
digits at ``1e-200``, and the linear selectors' picks do not depend on the units of the features.
"""
from __future__ import annotations

import warnings

import numpy as np

from fscore.validation import check_target_correlated

#: Machine epsilon, scikit-learn's threshold for a dependent atom and a vanishing residual in its OMP
#: (``min_float`` in ``sklearn/linear_model/_omp.py``, ``_cholesky_omp`` and ``_gram_omp``).
EPS = np.finfo(np.float64).eps


def column_scale(X: np.ndarray) -> np.ndarray:
    """The power of two at or above each column's largest magnitude (1 for an all-zero column).

    Dividing by a power of two is exact, so scaled data give bitwise the same standardised columns as the
    original wherever the original is representable without overflow.
    """
    largest = np.max(np.abs(X), axis=0)
    return np.ldexp(1.0, np.frexp(np.where(largest > 0, largest, 1.0))[1])


def center_and_normalize(X: np.ndarray, y: np.ndarray):
    """Centre ``X`` and ``y``; scale each column of ``X`` and the target to unit Euclidean norm.

    Returns ``Z, yc, X_mean, X_norm, y_mean``. Scoring by ``|Z_j^T r|`` is then scoring by the
    absolute correlation of feature j with the residual ``r`` (measured in units of ``|y - mean(y)|``, so
    that before the first pick it is ``|corr(x_j, y)|``). The columns and the target are divided by
    :func:`column_scale` before their means and norms are taken, so ``Z`` and ``yc`` are the same for
    ``X`` and ``c X`` (and ``y`` and ``c y``) at any scale ``c``, from ``1e-200`` to ``1e200`` (``X_norm``
    may overflow to ``inf`` at extreme scales; ``Z`` does not). A target uncorrelated with every column is
    refused (:func:`fscore.validation.check_target_correlated`).
    """
    scale = column_scale(X)
    Z = X / scale  # the one copy of X; the rest is in place
    mean = Z.mean(axis=0)
    Z -= mean
    norm = np.linalg.norm(Z, axis=0)
    Z /= norm
    y_scale = column_scale(y)
    ys = y / y_scale
    yc = ys - ys.mean()
    yc /= np.linalg.norm(yc)
    check_target_correlated(Z.T @ yc)
    with np.errstate(over="ignore"):
        return Z, yc, mean * scale, norm * scale, float(ys.mean() * y_scale)


class DependentColumn(np.linalg.LinAlgError):
    """A column is (numerically) a linear combination of the columns already in the basis."""


class OrthogonalBasis:
    """An orthonormal basis of the selected columns, grown one column at a time (Gram-Schmidt, twice)."""

    def __init__(self, n_samples: int, capacity: int):
        self._Q = np.empty((n_samples, capacity))
        self.size = 0

    @property
    def Q(self) -> np.ndarray:
        return self._Q[:, : self.size]

    def add(self, v: np.ndarray, name: str = "column") -> np.ndarray:
        """Add ``v``; raise :class:`DependentColumn` when its part orthogonal to the basis is too small.

        Too small is scikit-learn's OMP test: the squared norm of that part is at most machine epsilon
        times ``|v|^2`` (``Lkk <= min_float`` in ``_cholesky_omp`` on unit-norm atoms).
        """
        Q = self.Q
        q = v - Q @ (Q.T @ v)
        q -= Q @ (Q.T @ q)
        norm = np.linalg.norm(q)
        if norm**2 <= EPS * (v @ v):
            raise DependentColumn(f"{name} is a linear combination of the features already selected "
                                  f"(its part orthogonal to them has relative norm {norm / np.linalg.norm(v):.1e})")
        self._Q[:, self.size] = q / norm
        self.size += 1
        return self._Q[:, self.size - 1]

    def project_out(self, M: np.ndarray) -> np.ndarray:
        """The part of ``M`` (vector or matrix) orthogonal to the span of the basis."""
        Q = self.Q
        return M - Q @ (Q.T @ M)


def residual_exhausted(score: float, yc: np.ndarray) -> bool:
    """True when the best score ``|z_j^T r|`` (unit-norm ``z_j``) is numerically zero: ``score^2 <= eps |y_c|^2``.

    ``yc`` is the centred target as :func:`center_and_normalize` returns it (unit norm).

    The residual is then orthogonal to every remaining feature (scikit-learn's ``alpha[lam] ** 2 <
    min_float``, taken relative to the target's size so that it does not depend on the units of ``y``).
    """
    return score**2 <= EPS * (yc @ yc)


def warn_stopped(method: str, n_picked: int, k: int, reason: str, stacklevel: int = 5) -> None:
    """Warn that a greedy method stopped before ``k`` picks (the design ran out of rank); refuse to stop at 0."""
    if n_picked == 0:
        raise ValueError(f"{method} cannot pick a single feature: {reason} (y is uncorrelated with every "
                         f"feature to float precision)")
    warnings.warn(f"{method} stopped after {n_picked} of k={k} picks: {reason}. The design has run out of rank; "
                  f"ranking_ holds the {n_picked} features picked (as scikit-learn's OrthogonalMatchingPursuit "
                  f"stops early)", RuntimeWarning, stacklevel=stacklevel)


def least_squares_fit(X: np.ndarray, y: np.ndarray, picks) -> tuple[np.ndarray, float]:
    """Ordinary least squares with an intercept on the columns ``picks``: full-length ``coef`` and ``intercept``.

    Solved on the columns divided by :func:`column_scale` (so no norm overflows), then put back in ``X``'s units.
    """
    picks = np.asarray(picks, dtype=int)
    coef, y_mean = np.zeros(X.shape[1]), y.mean()
    if not picks.size:
        return coef, float(y_mean)
    scale = column_scale(X[:, picks])
    Xs = X[:, picks] / scale
    Xs_mean = Xs.mean(axis=0)
    beta = np.linalg.lstsq(Xs - Xs_mean, y - y_mean, rcond=None)[0]
    coef[picks] = beta / scale
    return coef, float(y_mean - Xs_mean @ beta)


def explained_variance(X: np.ndarray, y: np.ndarray, picks) -> float:
    """R^2 of the least-squares fit (with intercept) of ``y`` on the columns ``picks``."""
    coef, intercept = least_squares_fit(X, y, picks)
    residual = y - X @ coef - intercept
    centred = y - y.mean()
    return float(1.0 - residual @ residual / (centred @ centred))
