"""Input checks shared by every selector: a clear error that names the problem, never a deep trace."""
from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils.validation import check_array, check_X_y


def check_k(k, n_features: int, name: str = "k") -> int:
    """``k`` must be an integer with ``1 <= k <= n_features``."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {k!r}")
    if not 1 <= k <= n_features:
        raise ValueError(f"{name}={k} is out of range: choose 1 <= {name} <= {n_features} (the number of features)")
    return int(k)


def check_regression_data(X, y, min_samples: int = 2):
    """Finite 2-D ``X`` (n, d) and 1-D numeric ``y`` (n,), as float64 arrays."""
    X, y = check_X_y(X, y, dtype=np.float64, y_numeric=True, ensure_min_samples=min_samples)
    return X, y


def check_classification_data(X, y, min_samples: int = 2):
    """Finite 2-D ``X`` and a label vector with at least two classes."""
    X, y = check_X_y(X, y, dtype=np.float32, ensure_min_samples=min_samples)
    if np.unique(y).size < 2:
        raise ValueError("y has a single class: selection for classification needs at least two")
    return X, y


def check_no_constant_columns(X: np.ndarray, tol: float = 1e-12) -> None:
    """Raise if a column of ``X`` is constant: it has no direction to score and breaks standardisation."""
    spread = np.ptp(X, axis=0)
    bad = np.flatnonzero(spread <= tol * np.maximum(1.0, np.abs(X).max(axis=0)))
    if bad.size:
        shown = ", ".join(map(str, bad[:10])) + (" ..." if bad.size > 10 else "")
        raise ValueError(f"X has {bad.size} constant column(s) (indices {shown}); drop them before selecting")


def check_matrix(X, name: str = "X", dtype=np.float64) -> np.ndarray:
    """A finite, non-empty 2-D array."""
    return check_array(X, dtype=dtype, input_name=name)
