"""What every neural selector of Chapter 2 shares: parameters, data preparation, and the pick schedule.

A selector trains the MLP of :mod:`fscore.nn` once and makes its ``k`` picks during that run, at
steps laid out by :func:`pick_steps` (Yasuda et al., ICLR 2023, Sec. 4 and App. B; the official code's
``SequentialAttention(start_percentage=0.1, stop_percentage=1.0)``).
"""
from __future__ import annotations

import numpy as np
import torch
from sklearn.utils import check_random_state

from fscore.features._base import FeatureSelector
from fscore.runtime import default_device
from fscore.nn import MLP, check_hidden, check_training, encode_labels, n_steps, train, zscore_stats


def pick_steps(total_steps: int, k: int, warmup: float, at: str) -> list[int]:
    """The training steps at which ``k`` picks happen: a warm-up, then ``k`` equal phases.

    Parameters
    ----------
    total_steps : int
        Optimiser steps of the whole run (:func:`fscore.nn.n_steps`).
    k : int
        Number of picks, one per phase.
    warmup : float in [0, 1)
        Fraction of the run before the first phase (the official code's ``start_percentage``).
    at : {"start", "end"}
        ``"end"`` picks after each phase (a phase of training precedes every pick, the last pick comes after
        the last step: the paper's Algorithm 1 in one pass); ``"start"`` picks as each phase begins, as the
        official code does.

    Returns
    -------
    list of int
        ``k`` increasing steps in ``[round(warmup * total_steps), total_steps]``; a pick at step ``s`` happens
        before optimiser step ``s`` (step ``total_steps``: after the last).

    Raises
    ------
    ValueError
        If ``warmup`` or ``at`` is out of range, or the run is too short for ``k`` phases of at least one step.

    References
    ----------
    Yasuda et al., "Sequential Attention for Feature Selection", ICLR 2023, Algorithm 1 and Sec. 4; the official
    ``sequential_attention.py`` (``SequentialAttention(start_percentage=0.1, stop_percentage=1.0)``).
    """
    if not 0 <= warmup < 1:
        raise ValueError(f"warmup must lie in [0, 1), got {warmup!r}")
    if at not in ("start", "end"):
        raise ValueError(f"at must be 'start' or 'end', got {at!r}")
    start = warmup * total_steps
    length = (total_steps - start) / k
    if length < 1:
        raise ValueError(f"{total_steps} training steps cannot hold {k} selection phases after a {warmup:.0%} "
                         f"warm-up: raise epochs or lower batch_size")
    offsets = range(k) if at == "start" else range(1, k + 1)
    return [int(round(start + i * length)) for i in offsets]


def top_two_gap(scores) -> float:
    """Relative gap between the two largest finite scores, ``(s_(1) - s_(2)) / s_(1)``: how clearly a pick won.

    Selected features (score ``-inf``) are ignored; with a single candidate left the gap is 1 (nothing to
    compete with). 0 means a tie, decided by position rather than by the scores.

    Parameters
    ----------
    scores : array-like of shape (d,)
        Non-negative scores, larger is better (attention weights, gradient norms).

    Returns
    -------
    float
    """
    scores = np.asarray(scores, dtype=np.float64)
    finite = np.sort(scores[np.isfinite(scores)])
    if finite.size == 0:
        raise ValueError("no finite score to compare: every feature is already selected")
    if finite[-1] <= 0:
        return 0.0
    second = finite[-2] if finite.size > 1 else 0.0
    return float((finite[-1] - second) / finite[-1])


class NeuralSelector(FeatureSelector):
    """Base of the MLP-based selectors: a classification task, the MLP's size and training budget.

    Inputs are z-scored with the training statistics before training (the official code puts batch
    normalisation on the inputs).

    Parameters
    ----------
    k : int, default=10
        Features to select.
    hidden : tuple of int, default=(67,)
        Hidden layer widths of the MLP (:class:`fscore.nn.MLP`; the official code's one layer of 67 units).
    epochs : int, default=20
        Training epochs of the selection run.
    batch_size : int, default=256
        Mini-batch size of Adam.
    lr : float, default=1e-3
        Adam's learning rate for the network.
    random_state : int, RandomState or None
        Fixes the network's initialisation and the batch order.
    device : str or torch.device, optional
        Defaults to :func:`fscore.runtime.default_device`.

    Attributes
    ----------
    ranking_ : ndarray of int
        The selected features in pick order.
    classes_ : ndarray
        The class labels seen in ``fit``.
    seed_ : int
        The seed drawn from ``random_state``.
    device_ : torch.device
        Where the network trained.
    """

    _task = "classification"

    def __init__(self, k: int = 10, hidden=(67,), epochs: int = 20, batch_size: int = 256, lr: float = 1e-3,
                 random_state=None, device=None):
        super().__init__(k)
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.random_state = random_state
        self.device = device

    def _setup(self, y) -> np.ndarray:
        """Check the settings, draw ``seed_``, choose ``device_``; return the label codes ``0..C-1``."""
        check_hidden(self.hidden)
        check_training(self.epochs, self.batch_size, self.lr)
        self.classes_, (codes,) = encode_labels(y)
        self.seed_ = int(check_random_state(self.random_state).randint(2**31 - 1))
        self.device_ = torch.device(self.device) if self.device else default_device()
        return codes

    def _prepare(self, X, y):
        """:meth:`_setup`; return z-scored ``X`` and label codes as tensors on the device, and the class count."""
        codes = self._setup(y)
        mean, std = zscore_stats(X)
        Xt = torch.as_tensor((X - mean) / std, dtype=torch.float32, device=self.device_)
        return Xt, torch.as_tensor(codes, device=self.device_), len(self.classes_)

    def _mlp(self, n_features: int, n_classes: int) -> MLP:
        return MLP(n_features, n_classes, self.hidden, seed=self.seed_)

    def _train(self, module, X, y, **kwargs):
        return train(module.to(self.device_), X, y, epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                     seed=self.seed_, **kwargs)


class PhasedSelector(NeuralSelector):
    """One training run with ``k`` picks spread over it; subclasses say how a feature is scored.

    Subclasses implement ``_build(d, n_classes, selected) -> module`` and ``_scores(module, X, y, selected) ->
    tensor (d,)`` (larger is better), and may override ``_schedule() -> (warmup, at)`` (:func:`pick_steps`),
    ``_penalty``, ``_on_step`` and ``_after_pick``. Parameters as :class:`NeuralSelector`.

    Attributes
    ----------
    scores_path_ : ndarray of shape (k, d)
        The scores before each pick (selected features at ``-inf``).
    pick_steps_ : list of int
        The training steps at which the picks happened.
    """

    def _schedule(self):
        return 0.1, "end"

    def _penalty(self, module, selected):
        return None

    def _on_step(self, module, step: int, warmup_steps: int) -> None:
        pass

    def _after_pick(self, module, j: int) -> None:
        pass

    def _select(self, X, y):
        check_training(self.epochs, self.batch_size, self.lr)
        warmup, at = self._schedule()  # a bad schedule fails before any work
        total = n_steps(X.shape[0], self.batch_size, self.epochs)
        steps = pick_steps(total, self.k, warmup, at)
        X, y, n_classes = self._prepare(X, y)
        d = X.shape[1]
        selected = torch.zeros(d, dtype=torch.bool, device=self.device_)
        module = self._build(d, n_classes, selected).to(self.device_)
        self.pick_steps_ = steps
        picks, path = [], []

        def callback(step):
            self._on_step(module, step, int(round(warmup * total)))
            while len(picks) < self.k and steps[len(picks)] == step:
                with torch.enable_grad():
                    scores = self._scores(module, X, y, selected).detach().masked_fill(selected, -np.inf)
                j = int(torch.argmax(scores))
                picks.append(j)
                path.append(scores.cpu().numpy())
                selected[j] = True
                self._after_pick(module, j)

        self._train(module, X, y, penalty=self._penalty(module, selected), callback=callback)
        self.scores_path_ = np.array(path)
        return picks
