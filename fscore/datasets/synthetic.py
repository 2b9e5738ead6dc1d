"""Generated data sets: sparse linear regression with correlated designs, Madelon-style classification."""
from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.utils import check_random_state

from fscore.datasets.registry import Dataset, register
from fscore.validation import check_k


def correlated_design(n_samples: int, n_features: int, correlation: float = 0.5, design: str = "toeplitz",
                      random_state=None) -> np.ndarray:
    """Gaussian rows with covariance ``rho**|i-j|`` (``toeplitz``) or ``rho`` off the diagonal (``equicorrelated``)."""
    if not -1 < correlation < 1 or (design == "equicorrelated" and correlation < 0):
        raise ValueError(f"correlation must lie in (-1, 1) ([0, 1) for an equicorrelated design), got {correlation}")
    if n_samples < 1 or n_features < 1:
        raise ValueError(f"need n_samples >= 1 and n_features >= 1, got {n_samples} and {n_features}")
    rng = check_random_state(random_state)
    Z = rng.standard_normal((n_samples, n_features))
    if design == "toeplitz":  # an AR(1) process along the feature index has exactly this covariance
        X = np.empty_like(Z)
        X[:, 0] = Z[:, 0]
        scale = np.sqrt(1 - correlation**2)
        for j in range(1, n_features):
            X[:, j] = correlation * X[:, j - 1] + scale * Z[:, j]
        return X
    if design == "equicorrelated":
        shared = rng.standard_normal((n_samples, 1))
        return np.sqrt(correlation) * shared + np.sqrt(1 - correlation) * Z
    raise ValueError(f"design must be 'toeplitz' or 'equicorrelated', got {design!r}")


def make_sparse_regression(n_samples: int = 200, n_features: int = 50, n_informative: int = 5,
                           correlation: float = 0.5, design: str = "toeplitz", noise: float = 0.1,
                           random_state=None):
    """``y = X w + noise`` with ``n_informative`` non-zero weights at random positions.

    Weights have random signs and magnitudes in [1, 2]; ``noise`` is the noise standard deviation.
    Returns ``X, y, w, support`` (support sorted).
    """
    check_k(n_informative, n_features, "n_informative")
    rng = check_random_state(random_state)
    X = correlated_design(n_samples, n_features, correlation, design, rng)
    support = np.sort(rng.choice(n_features, n_informative, replace=False))
    w = np.zeros(n_features)
    w[support] = rng.choice([-1.0, 1.0], n_informative) * rng.uniform(1.0, 2.0, n_informative)
    y = X @ w + noise * rng.standard_normal(n_samples)
    return X, y, w, support


def make_redundant_regression(n_samples: int = 300, n_copies: int = 3, n_noise: int = 10, copy_noise: float = 0.05,
                              strong: float = 1.0, complement: float = 0.6, noise: float = 0.1, random_state=None):
    """A strong feature, ``n_copies`` near-duplicates of it, a complementary feature and pure noise.

    ``y = strong * s + complement * c + noise``. Column 0 is ``s``, columns 1..n_copies are
    ``s + copy_noise * e``, the next column is ``c`` and the rest are noise. The redundant copies
    correlate with ``y`` more than ``c`` does but add almost nothing once ``s`` is in the model.
    Returns ``X, y, roles`` where ``roles`` names each column ("strong", "copy", "complement", "noise").
    """
    if n_copies < 1:
        raise ValueError(f"n_copies must be at least 1, got {n_copies}")
    rng = check_random_state(random_state)
    s, c = rng.standard_normal((2, n_samples))
    copies = s[:, None] + copy_noise * rng.standard_normal((n_samples, n_copies))
    X = np.column_stack([s, copies, c, rng.standard_normal((n_samples, n_noise))])
    y = strong * s + complement * c + noise * rng.standard_normal(n_samples)
    roles = np.array(["strong"] + ["copy"] * n_copies + ["complement"] + ["noise"] * n_noise)
    return X, y, roles


def make_regression_on_design(X, n_samples: int | None = None, n_features: int | None = None,
                              n_informative: int = 5, noise: float = 0.5, random_state=None):
    """A sparse linear target on a real design: a random block of ``X`` and ``y = Z w + noise``.

    ``n_samples`` rows of ``X`` are drawn without replacement (all when ``None``), then ``n_features``
    columns among those that are not constant on the drawn rows (all of them when ``None``). ``Z`` is that
    block with standardised columns (mean 0, variance 1); ``w`` has ``n_informative`` non-zero entries at
    random positions, with random signs and magnitudes in [1, 2]; the noise is Gaussian with standard
    deviation ``noise`` times that of the signal ``Z w``. The design keeps its real correlations; only the
    response is generated, so the true support is known.

    Returns ``X_block, y, w, support``: the block in ``X``'s own units, the target, ``w`` (for standardised
    columns) and the sorted support.
    """
    X = np.asarray(X, dtype=np.float64)
    rng = check_random_state(random_state)
    rows = np.sort(rng.choice(len(X), n_samples, replace=False)) if n_samples is not None else np.arange(len(X))
    varying = np.flatnonzero(np.ptp(X[rows], axis=0) > 0)
    n_features = len(varying) if n_features is None else n_features
    if not 1 <= n_features <= len(varying):
        raise ValueError(f"n_features={n_features} is out of range: the drawn rows have {len(varying)} "
                         f"non-constant columns")
    check_k(n_informative, n_features, "n_informative")
    block = X[np.ix_(rows, np.sort(rng.choice(varying, n_features, replace=False)))]
    Z = (block - block.mean(axis=0)) / block.std(axis=0)
    support = np.sort(rng.choice(n_features, n_informative, replace=False))
    w = np.zeros(n_features)
    w[support] = rng.choice([-1.0, 1.0], n_informative) * rng.uniform(1.0, 2.0, n_informative)
    signal = Z @ w
    y = signal + noise * signal.std() * rng.standard_normal(len(rows))
    return block, y, w, support


def make_madelon(n_samples: int = 2600, n_features: int = 500, n_informative: int = 5, n_redundant: int = 15,
                 flip_y: float = 0.01, random_state=None):
    """Guyon's Madelon problem (NIPS 2003 feature selection challenge) via scikit-learn's generator.

    Two classes on 32 Gaussian clusters at the vertices of a 5-dimensional hypercube, 15 linear
    combinations of those 5 features and 480 distractors. Returns ``X, y, relevant`` where
    ``relevant`` holds the 20 informative-or-redundant columns after shuffling.
    """
    rng = check_random_state(random_state)
    X, y = make_classification(n_samples=n_samples, n_features=n_features, n_informative=n_informative,
                               n_redundant=n_redundant, n_repeated=0, n_classes=2,
                               n_clusters_per_class=2 ** n_informative // 2, flip_y=flip_y, class_sep=1.0,
                               hypercube=True, shuffle=False, random_state=rng)
    order = rng.permutation(n_features)
    relevant = np.sort(np.flatnonzero(order < n_informative + n_redundant))
    return X[:, order], y, relevant


def load_digits_data():
    """scikit-learn's 8x8 digits (1,797 images, 64 features, 10 classes) as float arrays in [0, 1]."""
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


register(Dataset("digits", "1,797 8x8 images of handwritten digits, 10 classes (bundled with scikit-learn)",
                 "UCI Optical Recognition of Handwritten Digits, via sklearn.datasets.load_digits",
                 "CC BY 4.0", load_digits_data))
register(Dataset("sparse-regression", "correlated Gaussian design with a sparse linear response (generated)",
                 "generated by fscore.datasets.make_sparse_regression", "generated, no licence needed",
                 make_sparse_regression))
register(Dataset("redundant-regression", "a strong feature, its near-copies and a complementary feature (generated)",
                 "generated by fscore.datasets.make_redundant_regression", "generated, no licence needed",
                 make_redundant_regression))
register(Dataset("madelon", "Madelon-style classification: 5 informative, 15 redundant, 480 distractors (generated)",
                 "Guyon (2003) via sklearn.datasets.make_classification", "generated, no licence needed",
                 make_madelon))
