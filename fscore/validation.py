"""The one input-validation layer shared by every estimator: a clear error that names the problem.

Every selector and every document selector of the book checks its inputs here, with scikit-learn's
conventions (:func:`sklearn.utils.validation.validate_data`, ``check_array``, ``NotFittedError``), so that
a bad input fails at the call with a message saying what is wrong, never deep inside the algorithm or,
worse, with a silent answer. Checks that compare sizes are *relative* (scale-free): multiplying the data
by ``1e-13`` or ``1e200`` changes no decision.
"""
from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np
from sklearn.utils.validation import check_array, check_X_y, validate_data

#: Relative spread below which a column or a target counts as constant: ``ptp(v) <= RELATIVE_SPREAD * max|v|``.
RELATIVE_SPREAD = 1e-12


def check_k(k, n_available: int | None = None, name: str = "k", what: str = "features") -> int:
    """Check a selection size: an integer with ``1 <= k <= n_available``.

    The one ``k`` check of the package, for features and documents alike.

    Parameters
    ----------
    k : int
        The number of items to select.
    n_available : int or None, default=None
        How many items there are to choose from; ``None`` when it is not known yet (a stream), in
        which case only ``k >= 1`` is checked.
    name : str, default="k"
        The parameter's name, as the error message shows it.
    what : str, default="features"
        What is selected, plural (e.g. ``"documents that pass the length filter"``), for the message.

    Returns
    -------
    int
        ``k`` as a Python ``int``.

    Raises
    ------
    TypeError
        If ``k`` is not an integer (``bool`` is refused too).
    ValueError
        If there is nothing to choose from, or ``k`` is out of range.
    """
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {k!r}")
    if n_available is None:
        if k < 1:
            raise ValueError(f"{name}={k} is out of range: choose {name} >= 1 (select at least one of the {what})")
        return int(k)
    if n_available < 1:
        raise ValueError(f"there are no {what} to select from")
    if not 1 <= k <= n_available:
        raise ValueError(f"{name}={k} is out of range: choose 1 <= {name} <= {n_available} (the number of {what})")
    return int(k)


def _relative_spread(values: np.ndarray) -> np.ndarray:
    """``ptp / max|.|`` of each column (or of a vector), without a copy and without overflow; 0 for all-zero.

    A spread too large to represent comes out as ``inf`` (certainly not constant).
    """
    high, low = np.max(values, axis=0), np.min(values, axis=0)
    scale = np.maximum(high, -low)
    with np.errstate(over="ignore", invalid="ignore"):
        return (high - low) / np.where(scale > 0, scale, 1.0)


def _numeric_target(y) -> np.ndarray:
    """``y`` as float64 when it holds objects or strings that are numbers; a ValueError naming the first that is not."""
    y = np.asarray(y)
    if y.dtype.kind not in "OSU":  # numbers, or complex and others that validate_data refuses in its own words
        return y
    try:
        return y.astype(np.float64)
    except (TypeError, ValueError):
        example = next((v for v in y.ravel() if not isinstance(v, numbers.Number)), None)
        example = example.item() if isinstance(example, np.generic) else example
        raise ValueError(f"y must be numeric for a regression selector, but it holds {example!r} "
                         f"(dtype {y.dtype}): encode the target as numbers, or use a selector for "
                         f"classification") from None


def check_regression_target(y) -> np.ndarray:
    """Check the target of a regression selector: numeric and not constant.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The target; its shape and finiteness are :func:`~sklearn.utils.validation.validate_data`'s to check
        (the constancy test applies to a 1-D ``y``).

    Returns
    -------
    ndarray of shape (n_samples,)
        ``y`` as float64.

    Raises
    ------
    ValueError
        If ``y`` holds strings or other non-numbers (labels belong to a classification selector), or if
        ``y`` is constant: a constant target has nothing to explain, so no feature can be scored (every
        score is zero and any pick would be arbitrary). The check is relative, ``ptp(y) <= 1e-12 max|y|``.
    """
    y = _numeric_target(y).astype(np.float64)
    if y.ndim == 1 and y.size and _relative_spread(y) <= RELATIVE_SPREAD:
        raise ValueError(f"y is constant (every value is {y[0]:.6g}): there is nothing to explain, so no "
                         f"feature can be scored")
    return y


def check_classification_target(y) -> np.ndarray:
    """Check the labels of a classification selector: at least two classes.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels (any type NumPy can sort).

    Returns
    -------
    ndarray of shape (n_samples,)

    Raises
    ------
    ValueError
        If ``y`` has a single class.
    """
    y = np.asarray(y)
    if np.unique(y).size < 2:
        raise ValueError("y has a single class: selection for classification needs at least two")
    return y


def check_no_constant_columns(X: np.ndarray, tol: float = RELATIVE_SPREAD) -> None:
    """Refuse constant columns: they have no direction to score and break standardisation.

    The test is relative and so scale-free: column ``j`` is constant when ``ptp(x_j) <= tol * max|x_j|``,
    computed on the column divided by ``max|x_j|`` (no overflow at ``1e200``, no false alarm at ``1e-13``).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        A finite design.
    tol : float, default=1e-12
        The relative spread at or below which a column counts as constant.

    Raises
    ------
    ValueError
        Naming the constant columns (the first ten).
    """
    bad = np.flatnonzero(_relative_spread(np.asarray(X, dtype=np.float64)) <= tol)
    if bad.size:
        shown = ", ".join(map(str, bad[:10])) + (" ..." if bad.size > 10 else "")
        raise ValueError(f"X has {bad.size} constant column(s) (indices {shown}); drop them before selecting")


def check_target_correlated(correlations: np.ndarray) -> None:
    """Refuse a target that is uncorrelated with every feature (to float precision).

    Every linear score of the book (``|x_j^T r|``, an attention gradient, a LASSO entry, a subset's
    ``R^2``) is then zero for every feature, so any pick would be decided by rounding. The test is
    ``max_j |corr(x_j, y)| <= sqrt(eps)`` (about ``1.5e-8``). The linear selectors call it on the correlations
    they compute anyway when they standardise (:func:`fscore.features._linear.center_and_normalize`), so it
    costs one matrix-vector product and no copy of ``X``.

    Parameters
    ----------
    correlations : ndarray of shape (n_features,)
        ``corr(x_j, y)`` for every feature.

    Raises
    ------
    ValueError
        Giving the largest absolute correlation.
    """
    largest = float(np.max(np.abs(correlations))) if np.size(correlations) else 0.0
    if largest <= np.sqrt(np.finfo(np.float64).eps):
        raise ValueError(f"y is uncorrelated with every feature (largest |correlation| {largest:.1e}): a linear "
                         f"selector has nothing to score, and any pick would be decided by rounding")


def validate_selector_data(estimator, X, y, task: str = "regression", min_samples: int = 2):
    """Validate the training data of a feature selector, the shared layer of every selector's ``fit``.

    scikit-learn's :func:`~sklearn.utils.validation.validate_data` (finite 2-D ``X``, a 1-D ``y`` of the
    same length, at least ``min_samples`` rows; it records ``n_features_in_``), then the target check of
    the task and :func:`check_no_constant_columns`. With ``estimator=None`` the same checks run through
    :func:`~sklearn.utils.check_X_y`, for a function outside an estimator (e.g.
    :func:`~fscore.features.best_subset`).

    Parameters
    ----------
    estimator : BaseEstimator or None
        The selector being fitted (``n_features_in_`` and ``feature_names_in_`` are set on it), or None.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    task : {"regression", "classification"}, default="regression"
        Regression: ``X`` and ``y`` float64, ``y`` numeric and not constant (:func:`check_regression_target`;
        the linear selectors also refuse a target uncorrelated with every feature, :func:`check_target_correlated`,
        when they standardise). Classification: ``X``
        float32, ``y`` labels with at least two classes (:func:`check_classification_target`).
    min_samples : int, default=2

    Returns
    -------
    X, y : ndarray
        The validated arrays.
    """
    if task not in ("regression", "classification"):
        raise ValueError(f"task must be 'regression' or 'classification', got {task!r}")
    regression = task == "regression"
    if regression and y is not None:
        y = _numeric_target(y)  # first, so that string labels get this message and not numpy's
    checks = dict(dtype=np.float64 if regression else np.float32, y_numeric=regression, ensure_min_samples=min_samples)
    X, y = check_X_y(X, y, **checks) if estimator is None else validate_data(estimator, X, y, **checks)
    y = check_regression_target(y) if regression else check_classification_target(y)
    check_no_constant_columns(X)
    return X, y


def check_matrix(X, name: str = "X", dtype=np.float64) -> np.ndarray:
    """Validate a finite, non-empty 2-D array.

    Parameters
    ----------
    X : array-like
    name : str, default="X"
        The name the error messages use.
    dtype : numpy dtype, default=float64

    Returns
    -------
    ndarray
    """
    return check_array(X, dtype=dtype, input_name=name)


def check_documents(texts, name: str = "texts"):
    """Check that ``texts`` is an iterable of documents, not one document.

    A single string is itself iterable (over its characters), so without this check it would be read as a
    corpus of one-character documents. The message follows scikit-learn's ``CountVectorizer``. The
    iterable is not consumed (a generator over a file stays a stream); each document is checked to be a
    string when it is tokenised.

    Parameters
    ----------
    texts : iterable of str
        The documents.
    name : str, default="texts"
        The argument's name, for the message.

    Returns
    -------
    iterable of str
        ``texts`` itself.

    Raises
    ------
    ValueError
        If ``texts`` is a single ``str`` or ``bytes`` object.
    TypeError
        If ``texts`` is not iterable.
    """
    if isinstance(texts, (str, bytes)):
        raise ValueError(f"Iterable over raw text documents expected, string object received (as {name}); "
                         f"wrap a single document in a list")
    if not isinstance(texts, Iterable):
        raise TypeError(f"{name} must be an iterable of documents (strings), got {type(texts).__name__}")
    return texts
