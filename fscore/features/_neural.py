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

    ``at="end"`` picks after each phase (a phase of training precedes every pick, the last pick comes
    after the last step); ``at="start"`` picks as each phase begins, as the official code does.
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


class NeuralSelector(FeatureSelector):
    """Base of the MLP-based selectors: a classification task, the MLP's size and training budget.

    ``random_state`` fixes the network's initialisation and the batch order (``seed_`` records the
    seed drawn from it); ``device`` defaults to ``fscore.runtime.default_device()``. Inputs are
    z-scored with the training statistics before training.
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

    Subclasses implement ``_build(d, n_classes, selected) -> module``, ``_scores(module, X, y,
    selected) -> tensor (d,)`` (larger is better), and may override ``_schedule() -> (warmup, at)``,
    ``_penalty``, ``_on_step`` and ``_after_pick``. ``scores_path_[t]`` holds the scores before pick t
    (selected features at ``-inf``).
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
