"""A small convolutional network for small grey or colour images, shared by the Parts that need image features.

Two blocks of ``3x3 conv -> batch norm -> ReLU -> 2x2 max pool`` and a linear embedding: on 28x28 inputs this is the
usual "small CNN" of the MNIST-scale literature. :meth:`SmallCNN.embed` gives the ``embed_dim`` features that OOD
scores, filters and probes read; ``forward`` adds a linear head when ``n_out`` is set.
"""
from __future__ import annotations

import torch
from torch import nn


class SmallCNN(nn.Module):
    """A small CNN: ``(B, C, H, W)`` images to ``embed_dim`` features, and to ``n_out`` logits if ``n_out`` is set.

    Parameters
    ----------
    in_channels : int
        Image channels (1 for grey images).
    image_size : int
        Side of the (square) input images; must be divisible by 4.
    widths : tuple of int
        Channels of the two convolutional blocks.
    embed_dim : int
        Width of the embedding (after a ReLU, the features that scores read).
    n_out : int or None
        Number of outputs of the linear head; ``None`` for an encoder without head.
    """

    def __init__(self, in_channels: int = 1, image_size: int = 28, widths=(32, 64), embed_dim: int = 128,
                 n_out: int | None = None):
        super().__init__()
        if image_size % 4:
            raise ValueError(f"image_size must be divisible by 4 (two 2x2 poolings), got {image_size}")
        if len(widths) != 2 or min(widths) < 1 or embed_dim < 1:
            raise ValueError(f"need two positive widths and a positive embed_dim, got {widths}, {embed_dim}")
        a, b = widths
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, a, 3, padding=1), nn.BatchNorm2d(a), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(a, b, 3, padding=1), nn.BatchNorm2d(b), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(b * (image_size // 4) ** 2, embed_dim), nn.ReLU(),
        )
        self.head = nn.Linear(embed_dim, n_out) if n_out else None
        self.in_channels, self.image_size = in_channels, image_size

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The ``(B, embed_dim)`` features of a batch of images."""
        if x.dim() != 4 or x.shape[1:] != (self.in_channels, self.image_size, self.image_size):
            raise ValueError(f"expected images of shape (B, {self.in_channels}, {self.image_size}, "
                             f"{self.image_size}), got {tuple(x.shape)}")
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.embed(x)
        return z if self.head is None else self.head(z)
