"""Attention over features in the linear model: Sequential Attention and one-shot attention.

Sequential Attention (Yasuda et al., ICLR 2023, Algorithm 1) multiplies each not-yet-selected
feature by a softmax weight ``s_j = softmax(w)_j`` over those features (picked features pass with
weight 1), trains the weights ``w`` with the model, picks the feature with the largest weight, and
repeats. For the linear model ``f(x) = sum_j m_j beta_j x_j`` with an l2 penalty on the unselected
``beta`` (Sec. 3), minimising over the softmax weights turns ``lambda/2 * sum beta_j^2`` into
``lambda/2 * (sum_j |gamma_j|^(2/3))^3``, the squared l_{2/3} quasi-norm of the effective coefficients
``gamma_j = s_j beta_j``: a sparsity penalty whose optimum, under a strong penalty, puts all the weight on
the feature with the largest gradient ``|x_j^T r|``, OMP's pick (Yasuda et al., Sec. 3; Axiotis & Yasuda, 2023).

Trained jointly by gradient steps, the attention hardly moves under such a penalty (its gradient is
proportional to coefficients the penalty keeps near zero). :class:`LinearSequentialAttention` therefore
eliminates the coefficients in closed form for fixed attention (variable projection, Golub & Pereyra,
1973: the unselected ones are a ridge solution) and trains the attention on the reduced objective by
mirror descent from uniform weights (:func:`train_attention`), until it concentrates on one feature.

One-shot attention ("LLY", Liao, Latty & Yang, 2021) trains the same attention once over all
features and keeps the ``k`` largest weights: it cannot see that a feature is redundant given others.

For a neural network (:class:`SequentialAttentionNet`, :class:`OneShotAttentionNet`) the same mask multiplies
the inputs of the MLP of :mod:`fscore.nn` (Yasuda et al., ICLR 2023, Sec. 4 and Algorithm 1).
"""
from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import torch
from threadpoolctl import threadpool_limits
from torch import nn

from fscore.features._base import FeatureSelector
from fscore.features._linear import EPS, center_and_normalize, residual_exhausted, warn_stopped
from fscore.features._neural import NeuralSelector, PhasedSelector, top_two_gap
from fscore.nn import MLP


def attention_mask(logits: torch.Tensor, selected: torch.Tensor) -> torch.Tensor:
    """The feature mask of Sequential Attention: 1 on the selected set, a softmax over the others.

    Yasuda et al. (ICLR 2023), Sec. 2 and Algorithm 1: ``m_j = 1`` for ``j`` in ``S`` and
    ``m_j = exp(w_j) / sum_{i not in S} exp(w_i)`` otherwise.

    Parameters
    ----------
    logits : torch.Tensor of shape (d,)
        The attention logits ``w``.
    selected : torch.BoolTensor of shape (d,)
        Which features are already selected.

    Returns
    -------
    torch.Tensor of shape (d,)
    """
    masked = logits.masked_fill(selected, float("-inf"))
    return torch.where(selected, torch.ones_like(logits), torch.softmax(masked, dim=0))


class AttentionTieError(ValueError):
    """At a pick, the two largest attention weights differ by less than ``gap_tol`` (relative).

    The pick would be decided by rounding and column order, not by training: typically two copies of one
    feature, or two features that explain the residual equally well.
    """


class AttentionTieWarning(UserWarning):
    """The warning of :class:`AttentionTieError` when the selector was asked to pick anyway (``on_tie="warn"``)."""


@dataclass
class AttentionPhase:
    """The attention after one phase of training: what :func:`train_attention` returns.

    Attributes
    ----------
    weights : ndarray of shape (m,)
        The softmax attention weights over the ``m`` candidates at the end of the phase.
    logits : ndarray of shape (m,)
        Their logits (the weights' order without underflow).
    n_iter : int
        Iterations taken.
    trace : ndarray of shape (n_iter + 1, m) or None
        The weights after every iteration, from the uniform start, when asked for.
    """

    weights: np.ndarray
    logits: np.ndarray
    n_iter: int
    trace: np.ndarray | None = None


class _RidgeGivenAttention:
    """The step's coefficients in closed form for fixed attention ``s`` (variable projection).

    With ``A = Z diag(s)`` (``Z``: the candidates' columns, the selected span projected out; ``r``: the residual
    of ``y`` on the selected features), the coefficients minimising ``1/2 |r - A b|^2 + l2/2 |b|^2`` are the ridge
    solution ``b = (A^T A + l2 I)^{-1} A^T r``. Calling the object with ``s`` returns ``gain``, the part of
    ``|r|^2 / 2`` that fit explains net of the penalty (the reduced objective is ``|r|^2/2 - gain``), and
    ``q = Z^T u`` with ``u = r - A b`` the fit's residual: ``d gain / d s_j = s_j q_j^2 / l2``. The solve is
    done in the smaller of the two spaces (``m x m`` or ``n x n``). ``q`` is computed column by column in the
    same order for every column, so that two identical columns get bitwise-identical scores.
    """

    def __init__(self, Z: np.ndarray, r: np.ndarray, l2: float):
        self.Z, self.r, self.l2 = Z, r, l2
        self.b = _column_dots(Z, r)
        self.gram = Z.T @ Z if Z.shape[1] <= Z.shape[0] else None

    def __call__(self, s: np.ndarray) -> tuple[np.ndarray, float]:
        Z, r, l2, b = self.Z, self.r, self.l2, self.b
        if self.gram is not None:  # m <= n: solve (diag(s) Z^T Z diag(s) + l2 I) b = diag(s) Z^T r
            system = s[:, None] * self.gram * s[None, :]
            system[np.diag_indices_from(system)] += l2
            coef = scipy.linalg.solve(system, s * b, assume_a="pos")
            fit = Z @ (s * coef)
            gain = 0.5 * float((s * b) @ coef)
        else:  # n < m: A b = (I + A A^T / l2)^{-1} A A^T r / l2
            system = (Z * s**2) @ Z.T / l2
            system[np.diag_indices_from(system)] += 1.0
            fit = scipy.linalg.solve(system, Z @ (s**2 * b) / l2, assume_a="pos")
            gain = 0.5 * float(r @ fit)
        return _column_dots(Z, r - fit), gain


def _column_dots(Z: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``Z^T v`` with the same sequence of operations for every column (identical columns, identical results)."""
    return np.einsum("ij,i->j", Z, v)


def _softmax(logits: np.ndarray) -> np.ndarray:
    weights = np.exp(logits - logits.max())
    return weights / weights.sum()


#: A phase ends once the weights outside the largest sum to at most this (the attention has concentrated),
#: or when an iteration raises the explained part by less than ``_STALLED`` of itself.
_CONCENTRATED, _STALLED = 1e-9, 1e-15


def train_attention(Z: np.ndarray, r: np.ndarray, l2: float, steps: int = 500, trace: bool = False) -> AttentionPhase:
    """One phase of linear Sequential Attention: the attention trained with the coefficients eliminated.

    The phase minimises the reduced objective ``Phi(s) = min_b 1/2 |r - Z diag(s) b|^2 + l2/2 |b|^2`` over
    the attention ``s = softmax(a)`` (the coefficients ``b`` in closed form, :class:`_RidgeGivenAttention`), by
    mirror descent on the simplex (exponentiated gradient) from the uniform start: each iteration adds to the
    logits ``a`` a step times ``-dPhi/ds_j = s_j q_j^2 / l2`` divided by its largest entry. The step starts at
    one (the most pulled logit moves by one), is halved until ``Phi`` decreases, and doubles after each
    iteration, so that neither ``l2`` nor the scale of ``r`` changes the path.

    Parameters
    ----------
    Z : ndarray of shape (n, m)
        The candidates' columns, with the span of the selected features projected out.
    r : ndarray of shape (n,)
        The residual of ``y`` on the selected features.
    l2 : float
        The penalty ``lambda`` on the candidates' coefficients.
    steps : int
        The most iterations; the phase stops earlier once the attention has concentrated or stalled.
    trace : bool
        Keep the weights after every iteration (``AttentionPhase.trace``).

    Returns
    -------
    AttentionPhase

    References
    ----------
    Yasuda et al. (ICLR 2023), Sec. 3 (the objective) and Algorithm 1 (the phase, from a neutral start);
    Golub & Pereyra (1973) (variable projection); Kivinen & Warmuth (1997) (exponentiated gradient).
    """
    ridge = _RidgeGivenAttention(Z, r, l2)
    logits = np.zeros(Z.shape[1])
    weights = _softmax(logits)
    q, gain = ridge(weights)
    path, n_iter, step = [weights], 0, 1.0
    while n_iter < steps:
        pull = weights * q**2  # l2 * (-dPhi/ds): how much more of r each candidate would explain
        if not pull.max() > 0:  # every candidate is orthogonal to the residual: nothing to train
            break
        while True:
            new_logits = logits + step * pull / pull.max()
            new_weights = _softmax(new_logits)
            new_q, new_gain = ridge(new_weights)
            if new_gain >= gain or step < 2.0**-30:
                break
            step /= 2
        if new_gain < gain:  # no step improves the fit any more
            break
        step *= 2
        stalled = new_gain - gain <= _STALLED * new_gain
        logits, weights, q, gain = new_logits, new_weights, new_q, new_gain
        n_iter += 1
        if trace:
            path.append(weights)
        if stalled or 1.0 - weights.max() <= _CONCENTRATED:
            break
    return AttentionPhase(weights, logits, n_iter, np.array(path) if trace else None)


class _ProjectedTrainer:
    """Variable projection across picks: the selected features' coefficients are free (mask 1, no penalty),
    so they are eliminated by projecting their span out of the candidates and of the target."""

    def __init__(self, Z, yc, selector):
        self.Z, self.r, self.yc, self.selector = Z.copy(), yc.copy(), yc, selector

    def candidates(self, selected):
        """The unselected features still usable: not (numerically) in the span of the selected ones."""
        usable = ~selected & (np.einsum("ij,ij->j", self.Z, self.Z) > EPS)
        if not usable.any():
            return usable, "every remaining feature is a linear combination of those selected"
        if residual_exhausted(np.max(np.abs(_column_dots(self.Z[:, usable], self.r))), self.yc):
            return usable, "the residual is orthogonal to every remaining feature"
        return usable, None

    def phase(self, usable):
        s = self.selector
        return train_attention(self.Z[:, usable], self.r, s.l2, s.steps, trace=s.trace)

    def add(self, j):
        q = self.Z[:, j] / np.linalg.norm(self.Z[:, j])
        self.Z -= np.outer(q, _column_dots(self.Z, q))
        self.r -= q * (q @ self.r)


class _JointTrainer:
    """The paper's objective trained jointly in ``(a, beta)`` by Adam for a fixed number of steps, as a network is.

    Every phase restarts from uniform attention and zero coefficients for the unselected features (the
    selected keep theirs). The data are scaled to unit-variance columns and target with the mean squared
    error, the same objective as unit-norm columns with the summed one; the unselected coefficients are
    stored in units of ``1 / (1 + l2)`` so that Adam's steps (about ``lr`` per parameter) suit their size.
    """

    def __init__(self, Z, yc, selector):
        n = len(yc)
        self.Z = torch.from_numpy(Z * np.sqrt(n))
        self.y = torch.from_numpy(yc / (np.linalg.norm(yc) / np.sqrt(n)))
        self.logits = torch.zeros(Z.shape[1], dtype=self.Z.dtype, requires_grad=True)
        self.beta = torch.zeros(Z.shape[1], dtype=self.Z.dtype, requires_grad=True)
        self.selector = selector

    def candidates(self, selected):
        return ~selected, None

    def phase(self, usable):
        s, selected = self.selector, torch.from_numpy(~usable)
        with torch.no_grad():
            self.logits.zero_()
            self.beta[~selected] = 0.0
        unit = torch.where(selected, 1.0, 1.0 / (1.0 + s.l2)).to(self.Z.dtype)
        optimizer = torch.optim.Adam([self.logits, self.beta], lr=s.lr)
        path = []
        for _ in range(s.steps):
            optimizer.zero_grad()
            coef = unit * self.beta
            residual = self.y - self.Z @ (attention_mask(self.logits, selected) * coef)
            loss = 0.5 * residual.pow(2).mean() + 0.5 * s.l2 * coef[~selected].pow(2).sum()
            loss.backward()
            optimizer.step()
            if s.trace:
                path.append(torch.softmax(self.logits.detach()[~selected], 0).numpy().copy())
        logits = self.logits.detach()[~selected].numpy().copy()
        return AttentionPhase(_softmax(logits), logits, s.steps, np.array(path) if s.trace else None)

    def add(self, j):
        pass


TRAINERS = {"mirror": _ProjectedTrainer, "adam": _JointTrainer}


class _LinearAttention(FeatureSelector):
    """Shared by the linear attention selectors: parameters, standardising, the trainer."""

    def fit(self, X, y):
        """Select ``k`` features (see the class docstring).

        A phase's linear algebra is small (matrices of ``min(n, d)`` rows, one matrix-vector product a step for
        Adam), so it runs on one thread (BLAS and torch): more are no faster there, and on a busy CPU their
        waiting made a phase several times slower.
        """
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with threadpool_limits(limits=1, user_api="blas"):
                return super().fit(X, y)
        finally:
            torch.set_num_threads(threads)

    def _trainer(self, X, y):
        if self.optimizer not in TRAINERS:
            raise ValueError(f"optimizer must be one of {sorted(TRAINERS)}, got {self.optimizer!r}")
        if not (self.l2 > 0 and self.lr > 0):
            raise ValueError(f"need l2 > 0 and lr > 0, got l2={self.l2!r}, lr={self.lr!r}")
        if isinstance(self.steps, bool) or not isinstance(self.steps, numbers.Integral) or self.steps < 1:
            raise ValueError(f"steps must be an integer >= 1, got {self.steps!r}")
        Z, yc, *_ = center_and_normalize(X, y)
        return TRAINERS[self.optimizer](Z, yc, self)


class LinearSequentialAttention(_LinearAttention):
    """Sequential Attention for linear regression: train the attention, pick its largest weight, repeat.

    At each of ``k`` picks, with ``S`` the features selected so far, the attention ``s = softmax(a)`` over
    the unselected features (logits ``a``, the paper's ``w``) and the coefficients ``beta`` minimise the paper's
    objective (Yasuda et al., ICLR 2023, Sec. 3)

    ``L(a, beta) = 1/2 |y - X_S beta_S - X_{not S} (s * beta_{not S})|^2 + l2/2 |beta_{not S}|^2``

    on centred ``y`` and centred, unit-norm columns, from uniform attention (Algorithm 1's phase); the
    feature with the largest weight joins ``S``. With ``optimizer="mirror"`` (the default) the
    coefficients are eliminated in closed form for fixed attention (variable projection: ``beta_S`` by
    projecting the span of ``X_S`` out, ``beta_{not S}`` as a ridge solution), and the attention trains on the
    reduced objective by mirror descent until it concentrates (:func:`train_attention`). With
    ``optimizer="adam"`` the attention and the coefficients train jointly by Adam for ``steps`` steps, as a
    network would (Chapter 1 shows why that budget does not reach the step's optimum).

    A pick is refused when it is not decided by the training: when the two largest attention weights
    differ by less than ``gap_tol`` (relative) at the end of a phase, which happens for two identical
    columns (the trainer treats them identically, so their weights stay equal). Like OMP, the selector
    stops early with a ``RuntimeWarning`` when the design runs out of rank.

    Parameters
    ----------
    k : int
        The number of features to select.
    l2 : float
        The penalty ``lambda`` on the unselected coefficients, for unit-norm columns. The default ``1e4``
        makes the attention's optimum agree with OMP's pick whenever OMP's two best scores differ by more
        than about ``1/(2 l2) = 5e-5`` (relative), twenty times below ``gap_tol`` (Chapter 1 derives it).
    optimizer : {"mirror", "adam"}
        How each phase trains (above).
    steps : int
        ``"mirror"``: the most iterations a phase may take (it stops once the weights outside the largest
        sum to less than 1e-9, or the fit stops improving). ``"adam"``: the number of Adam steps a phase takes.
    lr : float
        Adam's learning rate (``optimizer="adam"`` only).
    gap_tol : float
        The smallest relative gap ``(s_(1) - s_(2)) / s_(1)`` between the two largest attention weights
        that decides a pick.
    on_tie : {"raise", "warn"}
        At a pick whose gap is below ``gap_tol``: raise :class:`AttentionTieError`, or warn with
        :class:`AttentionTieWarning` and pick the lowest-index feature among the largest weights.
    trace : bool
        Keep the attention weights after every iteration of every phase (``attention_trace_``).

    Attributes
    ----------
    ranking_ : ndarray of int
        The picks, in order.
    attention_path_ : ndarray of shape (n_picks, d)
        The attention weights at the end of each phase (0 for the features already selected).
    attention_gaps_ : ndarray of shape (n_picks,)
        The relative gap between the two largest weights at each pick (1 when one candidate was left).
    n_iter_ : ndarray of shape (n_picks,)
        The iterations each phase took.
    attention_trace_ : list of ndarray of shape (n_iter + 1, d)
        With ``trace=True``: the weights after every iteration of each phase, from the uniform start.

    References
    ----------
    Yasuda, Bateni, Chen, Fahrbach, Fu & Mirrokni, Sequential Attention for Feature Selection, ICLR 2023:
    Sec. 2 (the attention mask), Sec. 3 (the objective above and its equivalence to OMP), Algorithm 1.
    Golub & Pereyra, SIAM J. Numer. Anal. 10(2), 1973 (variable projection). Kivinen & Warmuth, Information
    and Computation 132(1), 1997 (exponentiated gradient, the mirror descent used here).
    """

    def __init__(self, k: int = 10, l2: float = 1e4, optimizer: str = "mirror", steps: int = 500, lr: float = 0.05,
                 gap_tol: float = 1e-3, on_tie: str = "raise", trace: bool = False):
        super().__init__(k)
        self.l2 = l2
        self.optimizer = optimizer
        self.steps = steps
        self.lr = lr
        self.gap_tol = gap_tol
        self.on_tie = on_tie
        self.trace = trace

    def _select(self, X, y):
        self._check_tie_params()
        trainer = self._trainer(X, y)
        selected = np.zeros(X.shape[1], dtype=bool)
        picks, path, gaps, n_iter, traces = [], [], [], [], []
        for t in range(self.k):
            usable, exhausted = trainer.candidates(selected)
            if exhausted:
                warn_stopped("Sequential Attention", t, self.k, exhausted)
                break
            phase = trainer.phase(usable)
            weights = np.zeros(X.shape[1])
            weights[usable] = phase.weights
            j = int(np.argmax(weights))  # the first of equal weights: the lowest index
            gaps.append(float(top_two_gap(phase.weights)))
            self._check_gap(t, weights, gaps[-1])
            picks.append(j)
            path.append(weights)
            n_iter.append(phase.n_iter)
            if self.trace:
                traces.append(np.zeros((len(phase.trace), X.shape[1])))
                traces[-1][:, usable] = phase.trace
            trainer.add(j)
            selected[j] = True
        self.attention_path_, self.attention_gaps_ = np.array(path), np.array(gaps)
        self.n_iter_ = np.array(n_iter)
        if self.trace:
            self.attention_trace_ = traces
        return picks

    def _check_tie_params(self):
        if not 0 <= self.gap_tol < 1:
            raise ValueError(f"gap_tol must lie in [0, 1), got {self.gap_tol!r}")
        if self.on_tie not in ("raise", "warn"):
            raise ValueError(f"on_tie must be 'raise' or 'warn', got {self.on_tie!r}")

    def _check_gap(self, t, weights, gap):
        if gap >= self.gap_tol:
            return
        first, second = np.argsort(-weights, kind="stable")[:2]
        message = (f"Sequential Attention's pick {t + 1} is not decided by training: the two largest attention "
                   f"weights, features {first} and {second} ({weights[first]:.6g} and {weights[second]:.6g}), "
                   f"differ by a relative gap of {gap:.2e}, below gap_tol={self.gap_tol:g}. Identical columns tie "
                   f"exactly; drop one of them, or pass on_tie='warn' to take the lower index")
        if self.on_tie == "raise":
            raise AttentionTieError(message)
        warnings.warn(message, AttentionTieWarning, stacklevel=4)


class OneShotAttention(_LinearAttention):
    """One-shot attention: train the attention over all features once, keep the ``k`` largest weights.

    The linear-model version of "LLY" (Liao, Latty & Yang, IJCNN 2021), the one-shot baseline of Yasuda et al.
    (ICLR 2023, Sec. 4): the first phase of :class:`LinearSequentialAttention` (the same objective with ``S``
    empty, the same trainers), after which the features are ranked by their attention logits. The ranking
    never learns that a feature is redundant given those ranked above it.

    Parameters
    ----------
    k : int
        The number of features to select.
    l2, optimizer, steps, lr, trace
        As in :class:`LinearSequentialAttention`.

    Attributes
    ----------
    ranking_ : ndarray of int
        The ``k`` features with the largest attention weights, largest first (ties: lowest index first).
    attention_ : ndarray of shape (d,)
        The trained attention weights.
    attention_trace_ : ndarray of shape (n_iter + 1, d)
        With ``trace=True``: the weights after every iteration.

    References
    ----------
    Liao, Latty & Yang, Feature selection using batch-wise attenuation and feature mask normalization,
    IJCNN 2021. Yasuda et al., ICLR 2023, Sec. 3 (the objective) and Sec. 4 (the baseline).
    """

    def __init__(self, k: int = 10, l2: float = 1e4, optimizer: str = "mirror", steps: int = 500, lr: float = 0.05,
                 trace: bool = False):
        super().__init__(k)
        self.l2 = l2
        self.optimizer = optimizer
        self.steps = steps
        self.lr = lr
        self.trace = trace

    def _select(self, X, y):
        trainer = self._trainer(X, y)
        phase = trainer.phase(np.ones(X.shape[1], dtype=bool))
        self.attention_ = phase.weights
        if self.trace:
            self.attention_trace_ = phase.trace
        return np.argsort(-phase.logits, kind="stable")[: self.k]


SCHEDULES = {  # (warm-up fraction, where in each phase the pick happens)
    "paper": (0.0, "end"),
    "official": (0.1, "start"),
}



class _AttentionMLP(nn.Module):
    """The MLP behind Sequential Attention's mask: 1 for selected features, a softmax of the logits for the rest.

    ``active`` is off during the official schedule's warm-up (every feature at weight 1); ``all_selected`` once
    nothing is left to attend to.
    """

    def __init__(self, mlp: MLP, selected: torch.Tensor, generator: torch.Generator):
        super().__init__()
        self.mlp = mlp
        self.generator = generator
        self.logits = nn.Parameter(torch.zeros(selected.numel()))
        self.register_buffer("selected", selected)
        self.active = False
        self.all_selected = False
        self.reset_logits()

    def reset_logits(self) -> None:
        """Re-draw the logits near zero (the official code's ``N(0, 1e-5^2)``, ``reset_weights=True``)."""
        with torch.no_grad():
            noise = torch.randn(self.logits.shape, generator=self.generator) * 1e-5
            self.logits.copy_(noise.to(self.logits.device))

    def weights(self) -> torch.Tensor:
        """The mask ``s(a, S)``: 1 on the selected set, ``softmax(a)`` over the others (the score of a pick)."""
        return attention_mask(self.logits, self.selected)

    def forward(self, x):
        # the mask scales the first layer's rows, the same as scaling the inputs and cheaper: (x * m) W = x (m W)
        return self.mlp(x, input_scale=self.weights() if self.active and not self.all_selected else None)



class SequentialAttentionNet(PhasedSelector):
    """Sequential Attention for an MLP (Yasuda et al., ICLR 2023, Algorithm 1 and Fig. 1).

    The inputs are multiplied by the mask ``s(a, S)``: 1 on the selected set ``S`` and ``softmax(a)`` over the
    rest (Sec. 2, the paper's ``softmax_i(w, S-bar)``; the book writes the logits ``a``); the logits train with
    the network. In one warm-started run the ``k`` picks are spread over training, each the unselected feature
    with the largest attention weight, after which ``a`` is re-drawn near zero (the official code's
    ``N(0, 1e-5^2)``).

    Parameters
    ----------
    k, hidden, epochs, batch_size, lr, random_state, device
        As :class:`~fscore.features._neural.NeuralSelector` (``lr``: the network's Adam learning rate).
    schedule : {"paper", "official"}, default="paper"
        ``"paper"``: Algorithm 1 read as one pass: ``k`` equal phases from the first step, each ending with a
        pick, so every pick follows a phase of training with the attention on. ``"official"``: the released
        code (``sequential_attention.py``: ``start_percentage=0.1``, ``stop_percentage=1.0``): the first 10% of
        steps train with every feature at weight 1 and no attention, then ``k`` equal phases with the pick at
        the *start* of each, so the first pick is made from logits that have not trained yet, and the last
        phase's attention is never used. See :data:`SCHEDULES` and :func:`~fscore.features.pick_steps`.
    attention_lr : float or None, default=0.1
        Adam learning rate of the logits ``a``. Adam moves every parameter by about its learning rate per step
        whatever the gradient's size, so at ``1e-3`` a logit moves by at most ~0.1 in a phase of 100 steps:
        the softmax stays nearly uniform and the pick is decided by small differences. The official code
        trains everything at one rate tuned per data set (``hyperparams_sa.py``: 0.4 for Fashion-MNIST, 1.0
        for Mice Protein); ``None`` reproduces that single rate with ``lr``.

    Attributes
    ----------
    ranking_ : ndarray of shape (k,)
        The selected features in pick order.
    scores_path_ : ndarray of shape (k, d)
        The attention weights ``s(a, S)`` of the unselected features just before each pick (selected ones
        ``-inf``).
    attention_gaps_ : ndarray of shape (k,)
        At each pick, the relative gap between the two largest attention weights, ``(s_(1) - s_(2)) / s_(1)``
        (:func:`~fscore.features._neural.top_two_gap`): how clearly the winner won. A gap near 0 means the pick
        was decided by noise, not by training.
    pick_steps_ : list of int
        The training steps at which the picks happened.
    seed_, classes_, device_
        As :class:`~fscore.features._neural.NeuralSelector`.

    References
    ----------
    T. Yasuda, M. Bateni, L. Chen, M. Fahrbach, G. Fu, V. Mirrokni, "Sequential Attention for Feature
    Selection", ICLR 2023 (arXiv:2209.14881), Algorithm 1, Sec. 2 and 4; the official code,
    ``sequential_attention/sequential_attention/sequential_attention.py`` in ``google-research/google-research``.
    """

    def __init__(self, k: int = 10, hidden=(67,), epochs: int = 20, batch_size: int = 256, lr: float = 1e-3,
                 schedule: str = "paper", attention_lr: float | None = 0.1, random_state=None, device=None):
        super().__init__(k, hidden, epochs, batch_size, lr, random_state, device)
        self.schedule = schedule
        self.attention_lr = attention_lr

    def _train(self, module, X, y, **kwargs):
        lr = self.lr if self.attention_lr is None else self.attention_lr
        if not lr > 0:
            raise ValueError(f"attention_lr must be positive, got {self.attention_lr!r}")
        groups = [{"params": module.mlp.parameters()}, {"params": [module.logits], "lr": lr}]
        return super()._train(module, X, y, param_groups=groups, **kwargs)

    def _schedule(self):
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {sorted(SCHEDULES)}, got {self.schedule!r}")
        return SCHEDULES[self.schedule]

    def _build(self, d, n_classes, selected):
        generator = torch.Generator().manual_seed(self.seed_ + 1)
        return _AttentionMLP(self._mlp(d, n_classes), selected, generator)

    def _on_step(self, module, step, warmup_steps):
        module.active = step >= warmup_steps

    def _scores(self, module, X, y, selected):
        return module.weights()

    def _after_pick(self, module, j):
        module.all_selected = bool(module.selected.all())
        module.reset_logits()

    def _select(self, X, y):
        picks = super()._select(X, y)
        self.attention_gaps_ = np.array([top_two_gap(weights) for weights in self.scores_path_])
        return picks



class _BatchAttentionMLP(nn.Module):
    """LLY's mask: an attention network's logits, averaged over the batch, through a softmax."""

    def __init__(self, mlp: MLP, attention: MLP):
        super().__init__()
        self.mlp = mlp
        self.attention = attention

    def weights(self, x):
        # The official code's attention net ends in a leaky-ReLU layer too (LiaoLattyYangMask: Dense
        # 128, 64, d, all with LeakyReLU(0.2)); the batch mean of its outputs goes through the softmax.
        logits = nn.functional.leaky_relu(self.attention(x)[0], 0.2)
        return torch.softmax(logits.mean(0), dim=0)

    def forward(self, x):
        return self.mlp(x * self.weights(x))



class OneShotAttentionNet(NeuralSelector):
    """One-shot attention "LLY" (Liao, Latty & Yang, IJCNN 2021), the baseline of Yasuda et al. (ICLR 2023, Sec. 4).

    An attention network maps each example to ``d`` logits; their batch average goes through a softmax to give
    one weight per feature, which multiplies the inputs of the MLP; both train together. The ``k`` features with
    the largest weight, averaged over the training set, are selected at once: the ranking never learns that a
    feature is redundant given those already chosen.

    Parameters
    ----------
    k, hidden, epochs, batch_size, lr, random_state, device
        As :class:`~fscore.features._neural.NeuralSelector`.
    attention_hidden : tuple of int, default=(128, 64)
        Hidden layers of the attention network (leaky ReLU 0.2 on every layer, its output too, as the official
        ``LiaoLattyYangMask``: Dense 128, 64, d).
    attention_lr : float or None, default=None
        Adam learning rate of the attention network; ``None``: ``lr``, as in the official code.

    Attributes
    ----------
    ranking_ : ndarray of shape (k,)
        The ``k`` features with the largest weight, largest first.
    attention_ : ndarray of shape (d,)
        The final softmax weights, averaged over the training set.
    seed_, classes_, device_
        As :class:`~fscore.features._neural.NeuralSelector`.

    References
    ----------
    Y. Liao, R. Latty, B. Yang, "Feature selection using batch-wise attenuation and feature mask
    normalization", IJCNN 2021. Yasuda et al., ICLR 2023, Sec. 4 (the baseline "LLY"); the official code,
    ``sequential_attention/sequential_attention/benchmarks/liao_latty_yang.py`` in ``google-research/google-research``.
    """

    def __init__(self, k: int = 10, hidden=(67,), epochs: int = 20, batch_size: int = 256, lr: float = 1e-3,
                 attention_hidden=(128, 64), attention_lr: float | None = None, random_state=None, device=None):
        super().__init__(k, hidden, epochs, batch_size, lr, random_state, device)
        self.attention_hidden = attention_hidden
        self.attention_lr = attention_lr

    def _train(self, module, X, y, **kwargs):
        lr = self.lr if self.attention_lr is None else self.attention_lr
        if not lr > 0:
            raise ValueError(f"attention_lr must be positive, got {self.attention_lr!r}")
        groups = [{"params": module.mlp.parameters()}, {"params": module.attention.parameters(), "lr": lr}]
        return super()._train(module, X, y, param_groups=groups, **kwargs)

    def _select(self, X, y):
        X, y, n_classes = self._prepare(X, y)
        d = X.shape[1]
        attention = MLP(d, d, self.attention_hidden, negative_slope=0.2, seed=self.seed_ + 1)
        module = self._train(_BatchAttentionMLP(self._mlp(d, n_classes), attention), X, y)
        with torch.no_grad():
            self.attention_ = module.weights(X).cpu().numpy()
        return np.argsort(-self.attention_, kind="stable")[: self.k]

