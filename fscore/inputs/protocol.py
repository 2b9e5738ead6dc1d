"""Chapter 14's protocol: in-distribution classes, near out-of-distribution classes, and far out-of-distribution sets.

*Near* OOD follows Li et al. (ICCV 2023), who split ImageNet's classes into folds, train on one fold and treat the
others as OOD, here on Fashion-MNIST: either by folds of its ten classes (:func:`class_folds`), or by superclasses
(:data:`SUPERCLASS_SPLIT`) in which an in-distribution class joins two garments (T-shirts and coats are "tops";
sandals and ankle boots are "footwear"), so a single Gaussian fits it badly, and the held-out garments of the same
kinds (pullovers, dresses, shirts, sneakers) are the near OOD. *Far* OOD comes from other sources
(:func:`far_ood_sets`): scikit-learn's digits upscaled to 28x28, Twemoji pictures in grey, Gaussian and uniform
noise, and Fashion-MNIST images inverted, rotated or blurred.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.ndimage import gaussian_filter
from torch.nn import functional as F

from fscore.datasets import load_digits_data, load_fashion_mnist
from fscore.datasets.fashion_mnist import CLASSES


@dataclass(frozen=True)
class Split:
    """In-distribution classes (each a tuple of Fashion-MNIST classes) and the held-out (near OOD) classes."""

    names: tuple[str, ...]
    groups: tuple[tuple[int, ...], ...]
    near: tuple[int, ...]

    def __post_init__(self):
        used = [c for g in self.groups for c in g] + list(self.near)
        if len(used) != len(set(used)) or not set(used) <= set(range(10)) or len(self.names) != len(self.groups):
            raise ValueError(f"a split needs disjoint Fashion-MNIST classes 0..9 and a name per group: {self}")

    def describe(self) -> str:
        inside = "; ".join(f"{n} = {' + '.join(CLASSES[c] for c in g)}" for n, g in zip(self.names, self.groups))
        return f"in: {inside}. near OOD: {', '.join(CLASSES[c] for c in self.near)}"


SUPERCLASS_SPLIT = Split(names=("tops", "bottoms", "footwear", "bags"), groups=((0, 4), (1,), (5, 9), (8,)),
                         near=(2, 3, 6, 7))


def class_folds(n_folds: int = 2, seed: int = 0) -> list[Split]:
    """The ten classes in ``n_folds`` random folds; split ``f`` trains on fold ``f``, the other folds are near OOD."""
    if not 2 <= n_folds <= 5:
        raise ValueError(f"n_folds must be between 2 and 5 (each fold needs two classes), got {n_folds}")
    folds = np.array_split(np.random.default_rng(seed).permutation(10), n_folds)
    return [Split(names=tuple(CLASSES[c] for c in sorted(fold)), groups=tuple((int(c),) for c in sorted(fold)),
                  near=tuple(sorted(int(c) for c in np.concatenate([g for j, g in enumerate(folds) if j != f]))))
            for f, fold in enumerate(folds)]


def _images(X: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(X, dtype=np.float32)).view(-1, 1, 28, 28)


def load_split(split: Split, n_train: int | None, n_test_in: int | None, n_near: int | None, n_transformed: int,
               seed: int = 0) -> dict:
    """Images ``(n, 1, 28, 28)`` and labels for one split.

    Returns ``train`` (images, in-distribution class codes ``0..C-1``, fine Fashion-MNIST class), ``test_in`` and
    ``near`` (test images), and ``spare_in``: ``n_transformed`` in-distribution test images not in ``test_in``, the
    sources of the transformed far-OOD sets. ``None`` sizes take every image available.
    """
    rng = np.random.default_rng(seed)
    code = {c: i for i, g in enumerate(split.groups) for c in g}

    def pick(X, y, classes, n):
        idx = np.flatnonzero(np.isin(y, classes))
        idx = rng.permutation(idx)[: len(idx) if n is None else n]
        return np.sort(idx)

    Xtr, ytr = load_fashion_mnist("train")
    Xte, yte = load_fashion_mnist("test")
    inside = sorted(code)
    tr = pick(Xtr, ytr, inside, n_train)
    te_all = rng.permutation(np.flatnonzero(np.isin(yte, inside)))
    if n_test_in is None:
        n_test_in = len(te_all) - n_transformed
    if n_test_in + n_transformed > len(te_all):
        raise ValueError(f"{n_test_in} + {n_transformed} test images asked for, {len(te_all)} available")
    te, spare = np.sort(te_all[:n_test_in]), np.sort(te_all[n_test_in:n_test_in + n_transformed])
    near = pick(Xte, yte, list(split.near), n_near)
    return {
        "train": (_images(Xtr[tr]), torch.as_tensor([code[c] for c in ytr[tr]]), ytr[tr]),
        "test_in": (_images(Xte[te]), torch.as_tensor([code[c] for c in yte[te]]), yte[te]),
        "near": (_images(Xte[near]), yte[near]),
        "spare_in": _images(Xte[spare]),
        "pixel_mean_std": (float(Xtr[tr].mean()), float(Xtr[tr].std())),
    }


def far_ood_sets(spare_in: torch.Tensor, n: int, pixel_mean_std: tuple[float, float], seed: int = 0,
                 twemoji=True) -> dict[str, torch.Tensor]:
    """Far out-of-distribution images ``(n, 1, 28, 28)`` in [0, 1], by name.

    ``digits``: scikit-learn's 8x8 digits, bilinearly upscaled (at most its 1,797 images); ``twemoji``: the
    Twemoji pictures in grey on black, 28x28 (at most 1,911; pass ``twemoji=False`` to leave them out);
    ``gaussian noise`` with the in-distribution pixels' mean and standard deviation, clipped to [0, 1];
    ``uniform noise``; and ``spare_in`` (in-distribution test images never scored as such) ``inverted``
    (``1 - x``), ``rotated`` by 90 degrees, and ``blurred`` (Gaussian, 2 pixels).
    """
    rng = np.random.default_rng(seed)
    digits, _ = load_digits_data()
    digits = F.interpolate(torch.as_tensor(digits, dtype=torch.float32).view(-1, 1, 8, 8), size=(28, 28),
                           mode="bilinear", align_corners=False).clamp(0, 1)
    sets = {"digits": digits[np.sort(rng.permutation(len(digits))[:n])]}
    if twemoji:
        from fscore.datasets.twemoji import load_twemoji

        emoji = torch.as_tensor(load_twemoji(size=28, grey=True, background=0.0).images, dtype=torch.float32)
        sets["twemoji"] = emoji[np.sort(rng.permutation(len(emoji))[:n])].view(-1, 1, 28, 28)
    mean, std = pixel_mean_std
    sets["gaussian noise"] = torch.as_tensor(np.clip(rng.normal(mean, std, (n, 1, 28, 28)), 0, 1), dtype=torch.float32)
    sets["uniform noise"] = torch.as_tensor(rng.uniform(0, 1, (n, 1, 28, 28)), dtype=torch.float32)
    base = spare_in[:n]
    sets["inverted"] = 1.0 - base
    sets["rotated"] = torch.rot90(base, 1, dims=(2, 3)).contiguous()
    sets["blurred"] = torch.as_tensor(gaussian_filter(base.numpy(), sigma=(0, 0, 2, 2)), dtype=torch.float32)
    return sets
