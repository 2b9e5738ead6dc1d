"""Orthogonal Matching Pursuit and greedy forward regression.

OMP (Pati, Rezaiifar & Krishnaprasad, 1993) picks, at each step, the feature most correlated with
the current residual, then refits least squares on every feature picked so far. Greedy forward
regression ("orthogonal least squares") instead picks the feature whose *refit* lowers the residual
most. Yasuda et al. (ICLR 2023, Sec. 3) prove that Sequential Attention adapted to linear regression
is OMP; Das & Kempe (ICML 2011, Thms 3.2 and 3.5) bound both against the best subset.

For a neural network: neural OMP (:class:`OMPNet`) picks the feature with the largest first-layer gradient, and
:class:`ForwardSelectionNet` is greedy forward selection that retrains the MLP for every candidate.
"""
from __future__ import annotations

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from fscore.features._base import FeatureSelector
from fscore.features._linear import (EPS, DependentColumn, OrthogonalBasis, center_and_normalize,
                                     least_squares_fit, residual_exhausted, warn_stopped)
from fscore.features._neural import NeuralSelector, PhasedSelector
from fscore.features.evaluation import fit_subsets
from fscore.nn import MLP, copy_losses, ensemble_loss


class _GreedyLinear(FeatureSelector):
    """Shared bookkeeping: standardise, run ``_steps``, refit least squares on the picks, predict with the refit.

    ``_steps`` may stop before ``k`` picks when the design runs out of rank (with a ``RuntimeWarning``);
    ``ranking_`` then holds fewer than ``k`` features (``n_features_selected_``).
    """

    def _select(self, X, y):
        Z, yc, *_ = center_and_normalize(X, y)
        picks, scores, rss = self._steps(Z, yc)
        self.scores_path_ = np.array(scores)  # (picks, d): the score of every feature before each pick
        self.explained_variance_path_ = 1.0 - np.array(rss) / (yc @ yc)
        self.coef_, self.intercept_ = least_squares_fit(X, y, picks)
        return picks

    def predict(self, X):
        """The least-squares refit on the selected features: ``X @ coef_ + intercept_``."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return X @ self.coef_ + self.intercept_



TIE_RTOL = 1e-12  # OMP: scores this close to the largest, relatively, are tied (see OMP's docstring)


class OMP(_GreedyLinear):
    """Orthogonal Matching Pursuit: pick ``argmax_j |corr(x_j, r)|``, refit, repeat ``k`` times.

    ``scores_path_[t, j]`` is ``|Z_j^T r_t|`` before pick t (``Z`` centred, unit-norm columns; ``r_0`` the
    centred target scaled to unit norm, so the first row is ``|corr(x_j, y)|``); picked features score 0
    afterwards.

    Ties and early stops are scikit-learn's (``OrthogonalMatchingPursuit``; ``_cholesky_omp`` and
    ``_gram_omp`` in ``sklearn/linear_model/_omp.py``), on the standardised columns ``Z``:

    - A tie goes to the feature that comes first in scikit-learn's working order of the columns, which is
      not always the lowest index: pick t is swapped with the column at position t (picks move to the
      front, the column they displace moves to where the pick was). Before the first swap that is the
      lowest index; after it, not necessarily: with columns ``[a, b, a, s]`` and ``s`` picked first, column
      0 moves to position 3, and the copy of ``a`` at index 2 wins the tie. Scores within a relative
      ``TIE_RTOL = 1e-12`` of the largest count as tied: the dot products of two identical columns with the
      residual can differ in their last bits (BLAS rounds by position), which would otherwise decide.
    - OMP stops early, with a ``RuntimeWarning``, when the design runs out of rank: when the best
      feature is a linear combination of those picked (its part orthogonal to them has squared norm at
      most machine epsilon, the columns having unit norm) or when the residual is orthogonal to every
      remaining feature (the best score squared is at most epsilon times ``|y_c|^2``; scikit-learn
      compares with epsilon in the units of ``y``). ``ranking_`` then holds fewer than ``k`` features
      (``n_features_selected_``), and ``coef_`` is the refit on them, as scikit-learn returns.
    """

    def _steps(self, Z, yc):
        basis, residual, picks, scores, rss = OrthogonalBasis(len(yc), self.k), yc.copy(), [], [], []
        order = np.arange(Z.shape[1])  # scikit-learn's working order: order[:t] are the picks
        for t in range(self.k):
            score = np.abs(Z.T @ residual)
            score[picks] = 0.0
            best = score.max()
            p = t + int(np.argmax(score[order[t:]] >= best * (1 - TIE_RTOL)))  # the first (near-)maximum in order
            j = int(order[p])
            if residual_exhausted(best, yc):
                warn_stopped("OMP", t, self.k, "the residual is orthogonal to every remaining feature")
                break
            try:
                q = basis.add(Z[:, j], name=f"feature {j}")
            except DependentColumn as error:
                warn_stopped("OMP", t, self.k, str(error))
                break
            order[[t, p]] = order[[p, t]]
            residual -= q * (q @ residual)
            picks.append(j)
            scores.append(score)
            rss.append(residual @ residual)
        return picks, scores, rss



class ForwardRegression(_GreedyLinear):
    """Greedy forward selection by refitting: pick the feature whose least-squares refit lowers RSS most.

    The refit of every candidate is computed exactly and cheaply: with ``Q`` an orthonormal basis of
    the picked columns and ``z_j' = (I - QQ^T) z_j``, adding ``j`` lowers RSS by ``(z_j'^T r)^2 / |z_j'|^2``.
    ``scores_path_[t, j]`` is that reduction before pick t, as a fraction of the total sum of squares of
    ``y - mean(y)`` (0 for the picked features and for candidates that are linear combinations of them).
    Ties (within ``TIE_RTOL``, as :class:`OMP`) go to the lowest index. Like :class:`OMP`, it stops early
    with a ``RuntimeWarning`` when every remaining feature is a linear combination of those picked
    (``|z_j'|^2`` at most machine epsilon) or the residual is orthogonal to all of them.
    """

    def _steps(self, Z, yc):
        residual, picks, scores, rss = yc.copy(), [], [], []
        Zp = Z.copy()  # candidates with the picked span projected out
        for t in range(self.k):
            norms2 = np.einsum("ij,ij->j", Zp, Zp)
            usable = norms2 > EPS  # OMP's test for a dependent column (unit-norm columns)
            usable[picks] = False
            if not usable.any():
                warn_stopped("Forward regression", t, self.k,
                             "every remaining feature is a linear combination of those selected")
                break
            score = np.zeros_like(norms2)
            score[usable] = (Zp[:, usable].T @ residual) ** 2 / norms2[usable]
            j = int(np.argmax(score >= score.max() * (1 - TIE_RTOL)))  # ties (to rounding) to the lowest index
            if residual_exhausted(np.sqrt(score[j]), yc):
                warn_stopped("Forward regression", t, self.k, "the residual is orthogonal to every remaining feature")
                break
            q = Zp[:, j] / np.sqrt(norms2[j])
            Zp -= np.outer(q, q @ Zp)
            residual -= q * (q @ residual)
            picks.append(j)
            scores.append(score)
            rss.append(residual @ residual)
        return picks, scores, rss



class _MaskedMLP(nn.Module):
    """The MLP seeing only the selected features (the others are multiplied by 0)."""

    def __init__(self, mlp: MLP, selected: torch.Tensor):
        super().__init__()
        self.mlp = mlp
        self.register_buffer("selected", selected)

    def forward(self, x):
        return self.mlp(x * self.selected.to(x.dtype))



class OMPNet(PhasedSelector):
    """Neural OMP (Yasuda et al., Sec. 4; their ``mlp_omp.py``): pick the largest first-layer gradient.

    The network trains on the selected features only. At each pick the loss gradient with respect to
    the first layer is taken with *every* feature switched on, and the unselected feature whose row
    ``dL/dW_j`` has the largest norm is added: for a linear model this is OMP's ``|x_j^T r|``. The
    ``k`` picks open ``k`` equal phases, the first at step 0 (no warm-up: with nothing selected the
    network sees no input). The gradient is taken on the whole training set (the official code uses
    the last mini-batch). The first-layer rows of unselected features are held at zero (the official code
    leaves them at their random initialisation, so its gradient is taken at a network that every
    unselected feature perturbs at once).

    Parameters
    ----------
    k, hidden, epochs, batch_size, lr, random_state, device
        As :class:`~fscore.features._neural.NeuralSelector`.

    Attributes
    ----------
    ranking_ : ndarray of shape (k,)
        The selected features in pick order.
    scores_path_ : ndarray of shape (k, d)
        The gradient norms ``||dL/dW_j||`` before each pick (selected features ``-inf``).
    pick_steps_ : list of int
        The training steps at which the picks happened.
    seed_, classes_, device_
        As :class:`~fscore.features._neural.NeuralSelector`.

    References
    ----------
    Y. C. Pati, R. Rezaiifar, P. S. Krishnaprasad, "Orthogonal matching pursuit", Asilomar 1993 (the linear
    method). T. Yasuda, M. Bateni, L. Chen, M. Fahrbach, G. Fu, V. Mirrokni, "Sequential Attention for Feature
    Selection", ICLR 2023 (arXiv:2209.14881), Sec. 4 (neural OMP, a baseline); the official code,
    ``sequential_attention/sequential_attention/experiments/models/mlp_omp.py`` in
    ``google-research/google-research``.
    """

    def _schedule(self):
        return 0.0, "start"

    def _build(self, d, n_classes, selected):
        mlp = self._mlp(d, n_classes)
        with torch.no_grad():
            # Rows of unselected features start (and, their inputs masked, stay) at zero, so that switching
            # every feature on leaves the network's output unchanged and dL/dW_j is the gradient of adding
            # feature j to the network trained on S: OMP's score. With randomly initialised rows the gradient
            # would be taken at a network perturbed by every unselected feature at once.
            mlp.first_layer.zero_()
        return _MaskedMLP(mlp, selected)

    def _scores(self, module, X, y, selected):
        weight = module.mlp.first_layer
        (grad,) = torch.autograd.grad(ensemble_loss(module.mlp(X), y), weight)
        return grad[0].norm(dim=1)



class ForwardSelectionNet(NeuralSelector):
    """Greedy forward selection with the MLP: at each step retrain for every candidate, keep the best.

    Step t trains one fresh MLP on ``S + {j}`` for every unselected ``j`` (side by side, see
    :func:`fscore.features.evaluation.fit_subsets`) and adds the ``j`` with the lowest loss on a held-out
    ``validation_fraction`` of the training data. It costs ``k`` trainings of ``d - t`` networks each:
    the procedure Sequential Attention approximates in one run (Yasuda et al., Sec. 1).

    Parameters
    ----------
    k, hidden, epochs, batch_size, lr, random_state, device
        As :class:`~fscore.features._neural.NeuralSelector`.
    validation_fraction : float in (0, 1), default=0.25
        Share of the training data held out (stratified) to compare the candidates' networks.

    Attributes
    ----------
    ranking_ : ndarray of shape (k,)
        The selected features in pick order.
    val_loss_path_ : ndarray of shape (k, d)
        The candidates' validation losses at each step (``inf`` for features already selected).
    seed_, classes_, device_
        As :class:`~fscore.features._neural.NeuralSelector`.

    References
    ----------
    T. Yasuda, M. Bateni, L. Chen, M. Fahrbach, G. Fu, V. Mirrokni, "Sequential Attention for Feature
    Selection", ICLR 2023 (arXiv:2209.14881), Sec. 1 (Sequential Attention as an efficient implementation of
    greedy forward selection) and Sec. 4.
    """

    def __init__(self, k: int = 10, hidden=(67,), epochs: int = 20, batch_size: int = 256, lr: float = 1e-3,
                 validation_fraction: float = 0.25, random_state=None, device=None):
        super().__init__(k, hidden, epochs, batch_size, lr, random_state, device)
        self.validation_fraction = validation_fraction

    def _select(self, X, y):
        if not 0 < self.validation_fraction < 1:
            raise ValueError(f"validation_fraction must lie in (0, 1), got {self.validation_fraction!r}")
        codes = self._setup(y)
        X_fit, X_val, y_fit, y_val = train_test_split(X, codes, test_size=self.validation_fraction, stratify=codes,
                                                      random_state=self.seed_)
        y_val = torch.as_tensor(y_val, device=self.device_)
        picks, path = [], []
        for _ in range(self.k):
            candidates = np.setdiff1d(np.arange(X.shape[1]), picks)
            model, select = fit_subsets(X_fit, y_fit, [picks + [j] for j in candidates], hidden=self.hidden,
                                        epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, seed=self.seed_,
                                        device=self.device_)
            losses = np.full(X.shape[1], np.inf)
            losses[candidates] = copy_losses(model, select(X_val), y_val).cpu().numpy()
            picks.append(int(np.argmin(losses)))
            path.append(losses)
        self.val_loss_path_ = np.array(path)
        return picks

