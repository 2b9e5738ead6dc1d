"""Sequential LASSO (Luo & Chen, 2014), a baseline of Yasuda et al. (ICLR 2023).

At each step the picked features enter unpenalised; the rest get an l1 penalty just below
``lambda_max = max_j |x_j^T r| / n``, the smallest penalty at which every one of them is zero. The
feature(s) the LASSO admits there are picked. Just below ``lambda_max`` the LASSO admits exactly the
feature with the largest gradient ``|x_j^T r|``, which is OMP's next pick (Yasuda et al., Sec. 3;
Axiotis & Yasuda, 2023, for the general convex case). The LASSO itself is scikit-learn's.

For a neural network, row ``j`` of the first layer, ``W_j``, holds feature j's outgoing weights: the feature is
out of the network exactly when that row is zero. :class:`SequentialLassoNet` and :class:`GroupLassoNet` score
features by it (Yasuda et al., ICLR 2023, Sec. 4; their code's ``mlp_seql.py``).
"""
from __future__ import annotations

import numpy as np
import torch
from sklearn.linear_model import Lasso

from fscore.features._base import FeatureSelector
from fscore.features._linear import (DependentColumn, OrthogonalBasis, center_and_normalize, least_squares_fit,
                                     residual_exhausted, warn_stopped)
from fscore.features._neural import NeuralSelector, PhasedSelector
from fscore.nn import MLP


class SequentialLasso(FeatureSelector):
    """Pick ``k`` features, one LASSO at ``(1 - shrink) * lambda_max`` per step.

    ``admitted_[t]`` lists every feature the LASSO made non-zero at step t (the largest is picked);
    ``lambda_max_path_[t]`` is that step's ``lambda_max``; ``n_iter_path_[t]`` the coordinate-descent
    iterations its LASSO ran (scikit-learn's ``Lasso.n_iter_``) and ``n_iter_`` the most any step ran
    (equal to ``max_iter`` when a step stopped unconverged, which scikit-learn warns about). Like
    :class:`~fscore.features.OMP` it stops early, with a ``RuntimeWarning``, when the design runs out of
    rank (the residual is orthogonal to every remaining feature, or the pick is a linear combination of the
    features already picked): ``ranking_`` then holds fewer than ``k`` features.
    """

    def __init__(self, k: int = 10, shrink: float = 1e-4, tol: float = 1e-12, max_iter: int = 100_000):
        super().__init__(k)
        self.shrink = shrink
        self.tol = tol
        self.max_iter = max_iter

    def _select(self, X, y):
        if not 0 < self.shrink < 1:
            raise ValueError(f"shrink must lie in (0, 1), got {self.shrink}")
        Z, yc, *_ = center_and_normalize(X, y)
        n, d = Z.shape
        basis, picks, self.admitted_, self.lambda_max_path_, n_iter = OrthogonalBasis(n, self.k), [], [], [], []
        for t in range(self.k):
            free = np.setdiff1d(np.arange(d), picks)
            # Unpenalised picked features: fit them first, then LASSO on what they leave unexplained.
            Z_free, residual = basis.project_out(Z[:, free]), basis.project_out(yc)
            lambda_max = np.max(np.abs(Z_free.T @ residual)) / n
            if residual_exhausted(lambda_max * n, yc):
                warn_stopped("Sequential LASSO", t, self.k, "the residual is orthogonal to every remaining feature",
                             stacklevel=4)
                break
            lasso = Lasso(alpha=(1 - self.shrink) * lambda_max, fit_intercept=False, tol=self.tol,
                          max_iter=self.max_iter).fit(Z_free, residual)
            nonzero = np.flatnonzero(lasso.coef_)
            if nonzero.size == 0:
                raise RuntimeError("the LASSO admitted no feature just below lambda_max; lower tol")
            j = int(free[nonzero[np.argmax(np.abs(lasso.coef_[nonzero]))]])
            try:
                basis.add(Z[:, j], name=f"feature {j}")
            except DependentColumn as error:
                warn_stopped("Sequential LASSO", t, self.k, str(error), stacklevel=4)
                break
            self.admitted_.append(free[nonzero].tolist())
            self.lambda_max_path_.append(lambda_max)
            n_iter.append(lasso.n_iter_)
            picks.append(j)
        self.n_iter_path_ = np.array(n_iter, dtype=np.int64)
        self.n_iter_ = int(self.n_iter_path_.max())
        self.coef_, self.intercept_ = least_squares_fit(X, y, picks)
        return picks



def _row_norms(mlp: MLP) -> torch.Tensor:
    return mlp.first_layer[0].norm(dim=1)



class SequentialLassoNet(PhasedSelector):
    """Sequential LASSO for an MLP (Luo & Chen, 2014, adapted by Yasuda et al., Sec. 4).

    Training adds ``penalty * sum_{j not in S} ||W_j||_2``, a group-LASSO penalty on the first-layer
    rows of the unselected features only. After a 10% warm-up, ``k`` equal phases each end with a pick:
    the unselected feature with the largest row norm, whose row is no longer penalised from then on.

    Parameters
    ----------
    k, hidden, epochs, batch_size, lr, random_state, device
        As :class:`~fscore.features._neural.NeuralSelector`.
    penalty : float, default=0.01
        The group-LASSO strength ``lambda`` (the official code's ``group_lasso_scale``).

    Attributes
    ----------
    ranking_ : ndarray of shape (k,)
        The selected features in pick order.
    scores_path_ : ndarray of shape (k, d)
        The row norms ``||W_j||`` before each pick (selected features ``-inf``).
    pick_steps_ : list of int
        The training steps at which the picks happened.
    seed_, classes_, device_
        As :class:`~fscore.features._neural.NeuralSelector`.

    References
    ----------
    S. Luo, Z. Chen, "Sequential Lasso cum EBIC for feature selection with ultra-high dimensional feature
    space", JASA 109 (2014). T. Yasuda, M. Bateni, L. Chen, M. Fahrbach, G. Fu, V. Mirrokni, "Sequential
    Attention for Feature Selection", ICLR 2023 (arXiv:2209.14881), Sec. 4 (the baseline); the official code,
    ``sequential_attention/sequential_attention/experiments/models/mlp_seql.py`` in
    ``google-research/google-research``.
    """

    def __init__(self, k: int = 10, hidden=(67,), epochs: int = 20, batch_size: int = 256, lr: float = 1e-3,
                 penalty: float = 0.01, random_state=None, device=None):
        super().__init__(k, hidden, epochs, batch_size, lr, random_state, device)
        self.penalty = penalty

    def _build(self, d, n_classes, selected):
        if not self.penalty > 0:
            raise ValueError(f"penalty must be positive, got {self.penalty!r}")
        return self._mlp(d, n_classes)

    def _penalty(self, module, selected):
        return lambda: self.penalty * _row_norms(module)[~selected].sum()

    def _scores(self, module, X, y, selected):
        return _row_norms(module)



class GroupLassoNet(NeuralSelector):
    """Group LASSO on the first layer's rows (Yuan & Lin, 2006; a baseline of Yasuda et al., Sec. 4).

    Train with ``penalty * sum_j ||W_j||_2`` for the whole budget and keep the ``k`` largest row norms.
    (The official code reads the rows once, after the first 10% of training; reading them at the end
    lets the penalty act for the full budget.)

    Parameters
    ----------
    k, hidden, epochs, batch_size, lr, random_state, device
        As :class:`~fscore.features._neural.NeuralSelector`.
    penalty : float, default=0.01
        The group-LASSO strength ``lambda``.

    Attributes
    ----------
    ranking_ : ndarray of shape (k,)
        The ``k`` features with the largest final row norm, largest first.
    row_norms_ : ndarray of shape (d,)
        The final norms ``||W_j||`` of the first layer's rows.
    seed_, classes_, device_
        As :class:`~fscore.features._neural.NeuralSelector`.

    References
    ----------
    M. Yuan, Y. Lin, "Model selection and estimation in regression with grouped variables", JRSS B 68 (2006).
    T. Yasuda, M. Bateni, L. Chen, M. Fahrbach, G. Fu, V. Mirrokni, "Sequential Attention for Feature
    Selection", ICLR 2023 (arXiv:2209.14881), Sec. 4 (the baseline).
    """

    def __init__(self, k: int = 10, hidden=(67,), epochs: int = 20, batch_size: int = 256, lr: float = 1e-3,
                 penalty: float = 0.01, random_state=None, device=None):
        super().__init__(k, hidden, epochs, batch_size, lr, random_state, device)
        self.penalty = penalty

    def _select(self, X, y):
        if not self.penalty > 0:
            raise ValueError(f"penalty must be positive, got {self.penalty!r}")
        X, y, n_classes = self._prepare(X, y)
        mlp = self._mlp(X.shape[1], n_classes)
        self._train(mlp, X, y, penalty=lambda: self.penalty * _row_norms(mlp).sum())
        self.row_norms_ = _row_norms(mlp).detach().cpu().numpy()
        return np.argsort(-self.row_norms_, kind="stable")[: self.k]

