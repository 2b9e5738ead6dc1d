"""Out-of-distribution scores: each maps an input's features (or logits) to an *in-distribution score*.

Higher means "more like the training data"; an input is selected as out-of-distribution when its score falls
below a threshold. Every score here reads the same features ``Z`` (``(n, d)``, e.g. a network's penultimate layer)
or the logits the same network computes from them:

* :func:`max_softmax` — the largest softmax probability (Hendrycks & Gimpel, ICLR 2017).
* :func:`energy` — the negative free energy :math:`T \\log \\sum_c e^{f_c(x)/T}` of the logits (Liu et al.,
  NeurIPS 2020, Eq. 4 with the sign that makes it an in-distribution score).
* :class:`MahalanobisScore` — minus the smallest squared Mahalanobis distance to a class mean under one covariance
  shared by the classes (Lee et al., NeurIPS 2018, Eq. 2; without their input pre-processing or layer ensemble).
* :class:`KNNScore` — minus the distance to the k-th nearest training feature after L2 normalisation (Sun et al.,
  ICML 2022, Sec. 3).
* :class:`ClassMixtureScore` — the log-density of a mixture of ``n_components`` full-covariance Gaussians per class
  (one Gaussian per class when ``n_components=1``), fitted by scikit-learn's EM (``GaussianMixture``).
* :class:`GroupedGaussianScore` — the score of Li et al. (ICCV 2023): the features are split into groups, each
  class has one Gaussian per group, and the in-distribution score aggregates the groups' Mahalanobis distances
  with per-class weights and takes the closest class.

**Regularisation.** A covariance estimated from ``n`` samples in ``d`` dimensions is singular when ``n <= d``, and
nearly so when features are dead (a ReLU unit that is always zero). Every covariance here gets
``reg * mean(diag(S))`` added to its diagonal, where ``S`` is the covariance being regularised: a ridge of
``reg`` times the average variance, so it does not depend on the features' scale. With ``reg=1e-3`` a direction
with no variance is given one thousandth of the average variance. For :class:`ClassMixtureScore` the same absolute
value is passed as scikit-learn's ``reg_covar``, which EM adds to every component's covariance at every step. A
class with no more samples than dimensions is fitted, with this ridge making its covariance invertible, and a
:class:`UserWarning` names it.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np
from scipy.special import logsumexp, softmax
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits


def _features(Z, name: str = "Z", n_features: int | None = None) -> np.ndarray:
    """A finite 2-D float64 array with at least one row (and ``n_features`` columns when given)."""
    try:
        Z = np.asarray(Z, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a numeric array, got {type(Z).__name__}") from None
    if Z.ndim != 2 or Z.shape[0] == 0 or Z.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array (inputs x features), got shape {Z.shape}")
    if n_features is not None and Z.shape[1] != n_features:
        raise ValueError(f"{name} has {Z.shape[1]} features but the score was fitted on {n_features}")
    bad = ~np.isfinite(Z).all(axis=1)
    if bad.any():
        raise ValueError(f"{name} has {int(bad.sum())} row(s) with NaN or infinite values (first: row "
                         f"{int(np.flatnonzero(bad)[0])})")
    return Z


def _labelled(Z, y, n_classes: int | None, min_per_class: int = 1):
    """Checked features and labels: codes ``0..C-1``, every class present, lengths equal."""
    Z = _features(Z)
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != Z.shape[0]:
        raise ValueError(f"y must hold one label per row of Z: Z has {Z.shape[0]} rows, y has shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"y must hold integer class codes 0..C-1, got dtype {y.dtype}")
    if y.min() < 0:
        raise ValueError(f"y holds negative labels ({int(y.min())}): class codes must be 0..C-1")
    C = int(y.max()) + 1 if n_classes is None else int(n_classes)
    if y.max() >= C:
        raise ValueError(f"y holds label {int(y.max())} but n_classes={C}")
    counts = np.bincount(y, minlength=C)
    missing = np.flatnonzero(counts == 0)
    if missing.size:
        raise ValueError(f"class(es) {missing.tolist()} have no training samples: every class 0..{C - 1} must "
                         f"occur in y (pass n_classes if the codes are not contiguous by mistake)")
    few = np.flatnonzero(counts < min_per_class)
    if few.size:
        raise ValueError(f"class(es) {few.tolist()} have {counts[few].tolist()} sample(s), fewer than the "
                         f"{min_per_class} this score needs per class")
    return Z, y.astype(np.int64), C, counts


def _ridge(S: np.ndarray, reg: float) -> np.ndarray:
    """``S + reg * mean(diag S) * I`` (see the module docstring)."""
    scale = float(np.trace(S)) / S.shape[0]
    return S + reg * (scale if scale > 0 else 1.0) * np.eye(S.shape[0])


def _check_reg(reg) -> float:
    if isinstance(reg, bool) or not isinstance(reg, numbers.Real) or not reg > 0:
        raise ValueError(f"reg must be a positive number (the ridge, a fraction of the average variance), got {reg!r}")
    return float(reg)


def _warn_small_classes(counts, d: int, what: str) -> None:
    small = np.flatnonzero(counts <= d)
    if small.size:
        warnings.warn(f"class(es) {small.tolist()} have {counts[small].tolist()} samples for {d} dimensions: "
                      f"their {what} covariance is singular and only the ridge (reg) makes it invertible",
                      UserWarning, stacklevel=3)


def _logits(logits) -> np.ndarray:
    return _features(logits, "logits")


def max_softmax(logits) -> np.ndarray:
    """Maximum softmax probability :math:`\\max_c \\operatorname{softmax}(f(x))_c` (Hendrycks & Gimpel, 2017)."""
    return softmax(_logits(logits), axis=1).max(axis=1)


def energy(logits, temperature: float = 1.0) -> np.ndarray:
    """Negative free energy :math:`T \\log \\sum_c \\exp(f_c(x) / T)` (Liu et al., NeurIPS 2020, Eq. 4)."""
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}")
    return temperature * logsumexp(_logits(logits) / temperature, axis=1)


class MahalanobisScore:
    """Class means and one shared covariance (Lee et al., NeurIPS 2018, Eq. 1-2): score = minus the smallest
    squared Mahalanobis distance :math:`\\min_c (z - \\mu_c)^\\top \\Sigma^{-1} (z - \\mu_c)`.

    Parameters
    ----------
    reg : float, default=1e-3
        Ridge added to the shared covariance, as a fraction of its average variance.
    """

    def __init__(self, reg: float = 1e-3):
        self.reg = _check_reg(reg)

    def fit(self, Z, y, n_classes: int | None = None) -> "MahalanobisScore":
        Z, y, C, counts = _labelled(Z, y, n_classes)
        self.means_ = np.stack([Z[y == c].mean(axis=0) for c in range(C)])
        centred = Z - self.means_[y]
        self.covariance_ = _ridge(centred.T @ centred / Z.shape[0], self.reg)
        # Whitening W = L^{-1} with Sigma = L L^T, so (z - mu)^T Sigma^{-1} (z - mu) = ||W z - W mu||^2.
        self.whitening_ = np.linalg.inv(np.linalg.cholesky(self.covariance_))
        return self

    def distances(self, Z) -> np.ndarray:
        """Squared Mahalanobis distance of every input to every class mean, ``(n, C)``."""
        Z = _features(Z, n_features=self.means_.shape[1])
        zw, mw = Z @ self.whitening_.T, self.means_ @ self.whitening_.T
        return np.maximum((zw ** 2).sum(1)[:, None] - 2 * zw @ mw.T + (mw ** 2).sum(1)[None, :], 0.0)

    def score(self, Z) -> np.ndarray:
        return -self.distances(Z).min(axis=1)


class KNNScore:
    """Deep nearest neighbours (Sun et al., ICML 2022): minus the Euclidean distance from the L2-normalised
    feature :math:`z / \\lVert z \\rVert` to its ``k``-th nearest normalised training feature."""

    def __init__(self, k: int = 50):
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        self.k = int(k)

    @staticmethod
    def _normalise(Z: np.ndarray) -> np.ndarray:
        return Z / np.maximum(np.linalg.norm(Z, axis=1, keepdims=True), 1e-12)

    def fit(self, Z, y=None) -> "KNNScore":
        Z = _features(Z)
        if Z.shape[0] < self.k:
            raise ValueError(f"k={self.k} is larger than the {Z.shape[0]} training features")
        self.n_features_ = Z.shape[1]
        self.index_ = NearestNeighbors(n_neighbors=self.k).fit(self._normalise(Z))
        return self

    def score(self, Z) -> np.ndarray:
        Z = _features(Z, n_features=self.n_features_)
        distances, _ = self.index_.kneighbors(self._normalise(Z), n_neighbors=self.k)
        return -distances[:, -1]


class ClassMixtureScore:
    """A mixture of ``n_components`` Gaussians per class: score = :math:`\\log \\sum_c \\pi_c \\sum_k w_{ck}
    \\mathcal{N}(z; \\mu_{ck}, \\Sigma_{ck})`, the log-density of the in-distribution features.

    Each class's mixture is fitted by EM on that class's features (scikit-learn's ``GaussianMixture``, full
    covariances, k-means initialisation, ``reg_covar`` = ``reg`` times the average per-feature variance of the
    training features); :math:`\\pi_c` is the class's share of the training set. ``n_components=1`` is one Gaussian
    per class.

    Parameters
    ----------
    n_components : int, default=1
    reg : float, default=1e-3
        Ridge, as a fraction of the average per-feature variance of the training features.
    random_state : int, default=0
        Seeds EM's k-means initialisation.
    max_iter : int, default=200
    """

    def __init__(self, n_components: int = 1, reg: float = 1e-3, random_state: int = 0, max_iter: int = 200):
        if isinstance(n_components, bool) or not isinstance(n_components, numbers.Integral) or n_components < 1:
            raise ValueError(f"n_components must be a positive integer, got {n_components!r}")
        self.n_components, self.reg = int(n_components), _check_reg(reg)
        self.random_state, self.max_iter = random_state, max_iter

    def fit(self, Z, y, n_classes: int | None = None) -> "ClassMixtureScore":
        Z, y, C, counts = _labelled(Z, y, n_classes, min_per_class=self.n_components)
        _warn_small_classes(counts, Z.shape[1], "class")
        self.reg_covar_ = self.reg * float(Z.var(axis=0).mean() or 1.0)
        with threadpool_limits(1):  # EM is many small BLAS calls: one thread is faster, and no oversubscription
            self.mixtures_ = [GaussianMixture(self.n_components, covariance_type="full", reg_covar=self.reg_covar_,
                                              max_iter=self.max_iter, random_state=self.random_state).fit(Z[y == c])
                              for c in range(C)]
        self.log_priors_ = np.log(counts / counts.sum())
        self.n_features_ = Z.shape[1]
        return self

    def class_log_densities(self, Z) -> np.ndarray:
        """:math:`\\log \\pi_c + \\log p(z \\mid c)` for every input and class, ``(n, C)``."""
        Z = _features(Z, n_features=self.n_features_)
        with threadpool_limits(1):
            return np.stack([m.score_samples(Z) for m in self.mixtures_], axis=1) + self.log_priors_

    def score(self, Z) -> np.ndarray:
        return logsumexp(self.class_log_densities(Z), axis=1)


class GroupedGaussianScore:
    """The aggregated score of Li et al. (ICCV 2023): one Gaussian per class and feature group, combined.

    The ``d`` features are cut into ``n_groups`` consecutive groups :math:`z^{(1)}, \\dots, z^{(G)}` of ``d / G``
    features (the paper's attribute groups). Each class :math:`c` has a mean :math:`\\mu_{cg}` and covariance
    :math:`\\Sigma_{cg}` per group and weights :math:`w_{cg}` (summing to one over the groups). With
    :math:`D_{cg}(z) = \\tfrac12 (z^{(g)} - \\mu_{cg})^\\top \\Sigma_{cg}^{-1} (z^{(g)} - \\mu_{cg})`, the score is

    .. math:: s(z) = -\\min_c \\sum_{g=1}^{G} w_{cg} \\, D_{cg}(z),

    as the authors' code computes it (``get_maha_score`` in ``hvcm_cifar10/ood_maha.py`` of
    github.com/Jarvisgivemeasuit/hvcm_ood: per-group half squared distances, weighted by the class's mixture
    weights, summed, minimum over classes). Their covariances are unbiased per-group estimates; here the ridge
    ``reg`` is added (see the module docstring). Without learned weights every group gets :math:`1/G`.
    """

    def __init__(self, n_groups: int, reg: float = 1e-3):
        if isinstance(n_groups, bool) or not isinstance(n_groups, numbers.Integral) or n_groups < 1:
            raise ValueError(f"n_groups must be a positive integer, got {n_groups!r}")
        self.n_groups, self.reg = int(n_groups), _check_reg(reg)

    def _grouped(self, Z) -> np.ndarray:
        return Z.reshape(Z.shape[0], self.n_groups, -1)

    def fit(self, Z, y, n_classes: int | None = None, weights=None) -> "GroupedGaussianScore":
        Z, y, C, counts = _labelled(Z, y, n_classes, min_per_class=2)
        if Z.shape[1] % self.n_groups:
            raise ValueError(f"{Z.shape[1]} features cannot be cut into {self.n_groups} equal groups")
        _warn_small_classes(counts, Z.shape[1] // self.n_groups, "per-group")
        self.n_features_ = Z.shape[1]
        weights = np.full((C, self.n_groups), 1.0 / self.n_groups) if weights is None else np.asarray(weights, float)
        if weights.shape != (C, self.n_groups) or not np.all(np.isfinite(weights)) or weights.min() < 0:
            raise ValueError(f"weights must be non-negative and finite, of shape (n_classes, n_groups) = "
                             f"{(C, self.n_groups)}, got shape {weights.shape}")
        self.weights_ = weights / weights.sum(axis=1, keepdims=True)
        G = self._grouped(Z)
        self.means_ = np.stack([G[y == c].mean(axis=0) for c in range(C)])  # (C, G, d/G)
        self.whitening_ = np.empty(self.means_.shape + (self.means_.shape[-1],))  # (C, G, d/G, d/G)
        for c in range(C):
            for g in range(self.n_groups):
                S = _ridge(np.cov(G[y == c, g], rowvar=False).reshape(G.shape[2], G.shape[2]), self.reg)
                self.whitening_[c, g] = np.linalg.inv(np.linalg.cholesky(S))
        return self

    def distances(self, Z) -> np.ndarray:
        """:math:`D_{cg}(z)`, half the squared Mahalanobis distance per input, class and group, ``(n, C, G)``."""
        G = self._grouped(_features(Z, n_features=self.n_features_))
        diff = G[:, None] - self.means_[None]  # (n, C, G, d/G)
        return 0.5 * (np.einsum("cgij,ncgj->ncgi", self.whitening_, diff) ** 2).sum(-1)

    def score(self, Z) -> np.ndarray:
        return -(self.distances(Z) * self.weights_).sum(-1).min(axis=1)

    def group_scores(self, Z) -> np.ndarray:
        """The single metrics the score aggregates: :math:`-\\min_c D_{cg}(z)` for each group alone, ``(n, G)``."""
        return -self.distances(Z).min(axis=1)
