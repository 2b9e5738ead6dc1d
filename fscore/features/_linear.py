"""Linear-algebra pieces shared by the linear selectors: standardising and projecting out."""
from __future__ import annotations

import numpy as np


def center_and_normalize(X: np.ndarray, y: np.ndarray):
    """Centre ``X`` and ``y``; scale each column of ``X`` to unit Euclidean norm.

    Returns ``Z, yc, X_mean, X_norm, y_mean``. Scoring by ``|Z_j^T r|`` is then scoring by the
    absolute correlation of feature j with the residual ``r``.
    """
    X_mean, y_mean = X.mean(axis=0), y.mean()
    Xc = X - X_mean
    X_norm = np.linalg.norm(Xc, axis=0)
    return Xc / X_norm, y - y_mean, X_mean, X_norm, y_mean


class OrthogonalBasis:
    """An orthonormal basis of the selected columns, grown one column at a time (Gram-Schmidt, twice)."""

    def __init__(self, n_samples: int, capacity: int):
        self._Q = np.empty((n_samples, capacity))
        self.size = 0

    @property
    def Q(self) -> np.ndarray:
        return self._Q[:, : self.size]

    def add(self, v: np.ndarray, name: str = "column") -> np.ndarray:
        Q = self.Q
        q = v - Q @ (Q.T @ v)
        q -= Q @ (Q.T @ q)
        norm = np.linalg.norm(q)
        if norm <= 1e-10 * max(np.linalg.norm(v), 1e-300):
            raise np.linalg.LinAlgError(f"{name} is a linear combination of the features already selected")
        self._Q[:, self.size] = q / norm
        self.size += 1
        return self._Q[:, self.size - 1]

    def project_out(self, M: np.ndarray) -> np.ndarray:
        """The part of ``M`` (vector or matrix) orthogonal to the span of the basis."""
        Q = self.Q
        return M - Q @ (Q.T @ M)


def least_squares_fit(X: np.ndarray, y: np.ndarray, picks) -> tuple[np.ndarray, float]:
    """Ordinary least squares with an intercept on the columns ``picks``: full-length ``coef`` and ``intercept``."""
    picks = np.asarray(picks, dtype=int)
    coef = np.zeros(X.shape[1])
    X_mean, y_mean = X.mean(axis=0), y.mean()
    if picks.size:
        coef[picks] = np.linalg.lstsq(X[:, picks] - X_mean[picks], y - y_mean, rcond=None)[0]
    return coef, float(y_mean - X_mean @ coef)


def explained_variance(X: np.ndarray, y: np.ndarray, picks) -> float:
    """R^2 of the least-squares fit (with intercept) of ``y`` on the columns ``picks``."""
    coef, intercept = least_squares_fit(X, y, picks)
    residual = y - X @ coef - intercept
    centred = y - y.mean()
    return float(1.0 - residual @ residual / (centred @ centred))
