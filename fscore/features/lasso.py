"""Sequential LASSO (Luo & Chen, 2014), a baseline of Yasuda et al. (ICLR 2023).

At each step the picked features enter unpenalised; the rest get an l1 penalty just below
``lambda_max = max_j |x_j^T r| / n``, the smallest penalty at which every one of them is zero. The
feature(s) the LASSO admits there are picked. Just below ``lambda_max`` the LASSO admits exactly the
feature with the largest gradient ``|x_j^T r|``, which is OMP's next pick (Yasuda et al., Sec. 3;
Axiotis & Yasuda, 2023, for the general convex case). The LASSO itself is scikit-learn's.
"""
from __future__ import annotations

import numpy as np
from sklearn.linear_model import Lasso

from fscore.features._base import FeatureSelector
from fscore.features._linear import OrthogonalBasis, center_and_normalize, least_squares_fit


class SequentialLasso(FeatureSelector):
    """Pick ``k`` features, one LASSO at ``(1 - shrink) * lambda_max`` per step.

    ``admitted_[t]`` lists every feature the LASSO made non-zero at step t (the largest is picked);
    ``lambda_max_path_[t]`` is that step's ``lambda_max``.
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
        basis, picks, self.admitted_, self.lambda_max_path_ = OrthogonalBasis(n, self.k), [], [], []
        for _ in range(self.k):
            free = np.setdiff1d(np.arange(d), picks)
            # Unpenalised picked features: fit them first, then LASSO on what they leave unexplained.
            Z_free, residual = basis.project_out(Z[:, free]), basis.project_out(yc)
            lambda_max = np.max(np.abs(Z_free.T @ residual)) / n
            lasso = Lasso(alpha=(1 - self.shrink) * lambda_max, fit_intercept=False, tol=self.tol,
                          max_iter=self.max_iter).fit(Z_free, residual)
            nonzero = np.flatnonzero(lasso.coef_)
            if nonzero.size == 0:
                raise RuntimeError("the LASSO admitted no feature just below lambda_max; lower tol")
            j = int(free[nonzero[np.argmax(np.abs(lasso.coef_[nonzero]))]])
            self.admitted_.append(free[nonzero].tolist())
            self.lambda_max_path_.append(lambda_max)
            basis.add(Z[:, j], name=f"feature {j}")
            picks.append(j)
        self.coef_, self.intercept_ = least_squares_fit(X, y, picks)
        return picks
