"""Orthogonal Matching Pursuit and greedy forward regression.

OMP (Pati, Rezaiifar & Krishnaprasad, 1993) picks, at each step, the feature most correlated with
the current residual, then refits least squares on every feature picked so far. Greedy forward
regression ("orthogonal least squares") instead picks the feature whose *refit* lowers the residual
most. Yasuda et al. (ICLR 2023, Sec. 3) prove that Sequential Attention adapted to linear regression
is OMP; Das & Kempe (ICML 2011, Thms 3.2 and 3.5) bound both against the best subset.
"""
from __future__ import annotations

import numpy as np

from fscore.features._base import FeatureSelector
from fscore.features._linear import OrthogonalBasis, center_and_normalize, least_squares_fit


class _GreedyLinear(FeatureSelector):
    """Shared bookkeeping: standardise, run ``_steps``, refit least squares on the picks."""

    def _select(self, X, y):
        Z, yc, *_ = center_and_normalize(X, y)
        picks, scores, rss = self._steps(Z, yc)
        self.scores_path_ = np.array(scores)  # (k, d): the score of every feature before each pick
        self.explained_variance_path_ = 1.0 - np.array(rss) / (yc @ yc)
        self.coef_, self.intercept_ = least_squares_fit(X, y, picks)
        return picks

    def predict(self, X):
        X = np.asarray(X, dtype=np.float64)
        return X @ self.coef_ + self.intercept_


class OMP(_GreedyLinear):
    """Orthogonal Matching Pursuit: pick ``argmax_j |corr(x_j, r)|``, refit, repeat ``k`` times.

    ``scores_path_[t, j]`` is ``|Z_j^T r_t|`` (``Z`` centred, unit-norm columns) before pick t; picked
    features score 0 afterwards. Ties go to the lowest index, as in scikit-learn.
    """

    def _steps(self, Z, yc):
        basis, residual, picks, scores, rss = OrthogonalBasis(len(yc), self.k), yc.copy(), [], [], []
        for _ in range(self.k):
            score = np.abs(Z.T @ residual)
            score[picks] = 0.0
            j = int(np.argmax(score))
            q = basis.add(Z[:, j], name=f"feature {j}")
            residual -= q * (q @ residual)
            picks.append(j)
            scores.append(score)
            rss.append(residual @ residual)
        return picks, scores, rss


class ForwardRegression(_GreedyLinear):
    """Greedy forward selection by refitting: pick the feature whose least-squares refit lowers RSS most.

    The refit of every candidate is computed exactly and cheaply: with ``Q`` an orthonormal basis of
    the picked columns and ``z_j' = (I - QQ^T) z_j``, adding ``j`` lowers RSS by ``(z_j'^T r)^2 / |z_j'|^2``.
    ``scores_path_[t, j]`` is that reduction before pick t.
    """

    def _steps(self, Z, yc):
        residual, picks, scores, rss = yc.copy(), [], [], []
        Zp = Z.copy()  # candidates with the picked span projected out
        for _ in range(self.k):
            norms2 = np.einsum("ij,ij->j", Zp, Zp)
            usable = norms2 > 1e-20
            score = np.zeros_like(norms2)
            score[usable] = (Zp[:, usable].T @ residual) ** 2 / norms2[usable]
            score[picks] = 0.0
            j = int(np.argmax(score))
            if not usable[j]:
                raise np.linalg.LinAlgError("every remaining feature is a linear combination of those selected")
            q = Zp[:, j] / np.sqrt(norms2[j])
            Zp -= np.outer(q, q @ Zp)
            residual -= q * (q @ residual)
            picks.append(j)
            scores.append(score)
            rss.append(residual @ residual)
        return picks, scores, rss
