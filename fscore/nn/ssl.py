"""Joint-embedding self-supervised learning: augmentations of small images, SimCLR and VICReg losses, an encoder.

A joint-embedding method shows a network two random augmentations ("views") of each image and trains it so that
the two views land close together in an embedding space, while a second term keeps the embeddings from
collapsing to a single point:

* SimCLR (Chen et al., ICML 2020, Eq. 1) uses the InfoNCE / NT-Xent loss: each view must pick out its partner
  among the ``2B - 1`` other views of the batch by cosine similarity at a temperature ``tau``
  (:func:`info_nce_loss`);
* VICReg (Bardes, Ponce & LeCun, ICLR 2022, Eqs. 1-6) adds three terms: *invariance* (mean squared distance of
  the two views), *variance* (a hinge keeping each dimension's standard deviation above 1) and *covariance*
  (the squared off-diagonal covariances, pushing dimensions apart) (:func:`vicreg_loss`).

The network (:class:`JointEmbedding`) is a backbone, whose output (the *representation*) a downstream probe
reads, and a small projector, whose output (the *embedding*) the loss sees. The backbone is the book's shared
:class:`fscore.nn.SmallCNN` for 28x28 images or an :class:`MLPBackbone` (one copy of :class:`fscore.nn.MLP`) for
8x8 digits. :func:`train_ssl` runs the shared loop :func:`fscore.nn.fit_classifier` with the chosen loss.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from fscore.nn.mlp import MLP, check_hidden
from fscore.nn.training import fit_classifier


@dataclass(frozen=True)
class ImageAugment:
    """Random views of a batch of small grey images ``(B, C, H, W)``, drawn from a torch ``Generator``.

    Each view is a random affine crop (zoom by a factor in ``[1, 1 / min_scale]``, rotation up to
    ``max_rotation`` degrees, shift up to ``max_shift`` of the image side), an optional horizontal flip, a random
    contrast and brightness change, additive Gaussian pixel noise, and a randomly erased square: the small-image
    counterparts of SimCLR's crop, flip, colour jitter and blur (Chen et al., 2020, Sec. 3 and App. A).
    """

    min_scale: float = 0.7
    max_rotation: float = 15.0
    max_shift: float = 0.15
    flip: bool = False
    contrast: float = 0.3
    brightness: float = 0.2
    noise: float = 0.1
    erase: float = 0.25

    def __post_init__(self):
        if not 0 < self.min_scale <= 1:
            raise ValueError(f"min_scale must lie in (0, 1], got {self.min_scale}")
        for name in ("max_rotation", "max_shift", "contrast", "brightness", "noise"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be non-negative, got {getattr(self, name)}")
        if not 0 <= self.erase < 1:
            raise ValueError(f"erase (the side of the erased square, a fraction of the image) must lie in [0, 1), "
                             f"got {self.erase}")

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if x.dim() != 4:
            raise ValueError(f"expected images of shape (B, C, H, W), got {tuple(x.shape)}")
        B, _, H, W = x.shape

        def uniform(low, high, *shape):
            return low + (high - low) * torch.rand(B, *shape, generator=generator).to(x.device)

        scale = uniform(self.min_scale, 1.0)
        angle = uniform(-self.max_rotation, self.max_rotation) * math.pi / 180
        cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
        sign = torch.where(uniform(0, 1) < 0.5, -1.0, 1.0) if self.flip else torch.ones_like(scale)
        shift = uniform(-self.max_shift, self.max_shift, 2) * 2  # affine_grid's coordinates run over [-1, 1]
        theta = torch.stack([torch.stack([cos * sign, -sin, shift[:, 0]], 1),
                             torch.stack([sin * sign, cos, shift[:, 1]], 1)], 1)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        out = F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)
        out = out * uniform(1 - self.contrast, 1 + self.contrast)[:, None, None, None] \
            + uniform(-self.brightness, self.brightness)[:, None, None, None]
        out = out + self.noise * torch.randn(out.shape, generator=generator).to(x.device)
        if self.erase > 0:
            side = max(1, round(self.erase * min(H, W)))
            top = (uniform(0, 1) * (H - side + 1)).long()
            left = (uniform(0, 1) * (W - side + 1)).long()
            rows = torch.arange(H, device=x.device)[None, :, None]
            cols = torch.arange(W, device=x.device)[None, None, :]
            inside = ((rows >= top[:, None, None]) & (rows < (top + side)[:, None, None])
                      & (cols >= left[:, None, None]) & (cols < (left + side)[:, None, None]))
            out = out.masked_fill(inside[:, None], 0.0)
        return out


def info_nce_loss(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """SimCLR's NT-Xent (InfoNCE) loss of two views ``(B, D)`` (Chen et al., ICML 2020, Eq. 1 and Alg. 1).

    The ``2B`` embeddings are normalised to the unit sphere; view ``i``'s logits are its cosine similarities
    with the other ``2B - 1`` views divided by ``temperature``, and the loss is the cross-entropy of picking its
    partner, averaged over all ``2B`` views.
    """
    if z1.shape != z2.shape or z1.dim() != 2 or z1.shape[0] < 2:
        raise ValueError(f"need two views of the same shape (B, D) with B >= 2, got {tuple(z1.shape)} and "
                         f"{tuple(z2.shape)}")
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    B = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = (z @ z.T) / temperature
    logits = logits.masked_fill(torch.eye(2 * B, dtype=torch.bool, device=z.device), float("-inf"))
    partner = torch.cat([torch.arange(B, 2 * B), torch.arange(B)]).to(z.device)
    return F.cross_entropy(logits, partner)


def vicreg_terms(z1: torch.Tensor, z2: torch.Tensor, eps: float = 1e-4) -> tuple[torch.Tensor, ...]:
    """VICReg's invariance, variance and covariance terms of two views ``(B, D)`` (Bardes et al., 2022, Eqs. 1-5).

    invariance: mean over the batch and dimensions of the squared difference of the views (``F.mse_loss``);
    variance: for each view, the mean over dimensions of ``max(0, 1 - sqrt(Var(z_d) + eps))``, summed over views;
    covariance: for each view, the sum of squared off-diagonal entries of the covariance matrix divided by ``D``,
    summed over views.
    """
    if z1.shape != z2.shape or z1.dim() != 2 or z1.shape[0] < 2:
        raise ValueError(f"need two views of the same shape (B, D) with B >= 2, got {tuple(z1.shape)} and "
                         f"{tuple(z2.shape)}")
    B, D = z1.shape
    invariance = F.mse_loss(z1, z2)
    variance = z1.new_zeros(())
    covariance = z1.new_zeros(())
    for z in (z1, z2):
        z = z - z.mean(dim=0)
        variance = variance + F.relu(1 - torch.sqrt(z.var(dim=0) + eps)).mean()
        cov = (z.T @ z) / (B - 1)
        covariance = covariance + (cov.pow(2).sum() - cov.diagonal().pow(2).sum()) / D
    return invariance, variance, covariance


def vicreg_loss(z1: torch.Tensor, z2: torch.Tensor, invariance: float = 25.0, variance: float = 25.0,
                covariance: float = 1.0) -> torch.Tensor:
    """VICReg's loss ``lambda * s + mu * (v(Z) + v(Z')) + nu * (c(Z) + c(Z'))`` (Bardes et al., 2022, Eq. 6).

    The paper's weights are ``lambda = mu = 25`` and ``nu = 1``. ``variance = 0`` removes the term that prevents
    complete collapse; ``covariance = 0`` the one that prevents dimensional collapse (the paper's ablations).
    """
    if min(invariance, variance, covariance) < 0:
        raise ValueError(f"VICReg's weights must be non-negative, got {invariance}, {variance}, {covariance}")
    s, v, c = vicreg_terms(z1, z2)
    return invariance * s + variance * v + covariance * c


class MLPBackbone(nn.Module):
    """One copy of :class:`fscore.nn.MLP` as an image encoder: flattened images to ``embed_dim`` ReLU features."""

    def __init__(self, n_features: int, embed_dim: int = 64, hidden=(256,), seed: int = 0):
        super().__init__()
        self.mlp = MLP(n_features, embed_dim, hidden=check_hidden(hidden), n_models=1, seed=seed)
        self.n_features = n_features

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)
        if x.shape[1] != self.n_features:
            raise ValueError(f"expected images with {self.n_features} pixels, got {x.shape[1]}")
        return torch.relu(self.mlp(x)[0])


class JointEmbedding(nn.Module):
    """A backbone (``.embed(x)`` gives the representation) and a projector ``Linear-BN-ReLU-Linear`` of ``width``.

    ``represent(x)`` is the backbone's output, which probes and :func:`fscore.inputs.rankme` read;
    ``forward(x)`` is the projector's output, the embedding the self-supervised loss sees.
    """

    def __init__(self, backbone: nn.Module, embed_dim: int, width: int):
        super().__init__()
        if width < 1 or embed_dim < 1:
            raise ValueError(f"embed_dim and the projector's width must be positive, got {embed_dim}, {width}")
        self.backbone = backbone
        self.projector = nn.Sequential(nn.Linear(embed_dim, width), nn.BatchNorm1d(width), nn.ReLU(),
                                       nn.Linear(width, width))

    def represent(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone.embed(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.projector(self.represent(x))


def ssl_loss(method: str, **params):
    """The loss of two views' embeddings for ``method`` ``"simclr"`` (``temperature``) or ``"vicreg"`` (weights)."""
    if method == "simclr":
        return lambda z1, z2: info_nce_loss(z1, z2, **params)
    if method == "vicreg":
        return lambda z1, z2: vicreg_loss(z1, z2, **params)
    raise ValueError(f"method must be 'simclr' or 'vicreg', got {method!r}")


def train_ssl(model: JointEmbedding, images: torch.Tensor, loss, augment: ImageAugment, *, epochs: int,
              batch_size: int, lr: float, weight_decay: float = 0.0, seed: int = 0,
              desc: str | None = None) -> list[float]:
    """Train ``model`` on unlabelled ``images`` ``(n, C, H, W)``: two augmented views a batch, ``loss(z1, z2)``.

    Runs the shared loop :func:`fscore.nn.fit_classifier` with this loss (the labels it passes are ignored);
    ``seed`` fixes the batch order and the augmentations. Returns the mean loss of each epoch; a loss that stops
    being finite raises ``FloatingPointError`` (the run diverged).
    """
    if images.shape[0] % batch_size == 1 or images.shape[0] < 2:
        raise ValueError(f"{images.shape[0]} images in batches of {batch_size} leave a batch of one image, which "
                         f"has no negatives and no variance: choose another batch_size")
    generator = torch.Generator().manual_seed(int(seed) + 1)

    def views_loss(m, xb, _):
        value = loss(m(augment(xb, generator)), m(augment(xb, generator)))
        if not torch.isfinite(value):
            raise FloatingPointError(f"the self-supervised loss is {float(value.detach())}: the run diverged "
                                     "(lower lr)")
        return value

    unlabelled = torch.zeros(images.shape[0], dtype=torch.long, device=images.device)
    return fit_classifier(model, images, unlabelled, epochs=epochs, batch_size=batch_size, lr=lr,
                          weight_decay=weight_decay, seed=seed, loss_fn=views_loss, desc=desc)
