"""The MLP shared by the book's chapters: ``n_models`` independent copies evaluated side by side.

Every neural selector of Chapter 2 trains the same network: ``hidden`` fully connected layers with a
(leaky) ReLU and a linear output read as class logits (Yasuda et al., ICLR 2023, App. B; their code's
``MLPModel`` has one hidden layer of 67 units). :class:`MLP` holds ``n_models`` independent copies side
by side (batched matrix products), so that many candidate feature subsets train in one loop.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn


class EnsembleLinear(nn.Module):
    """``n_models`` independent affine maps ``(M, B, n_in) -> (M, B, n_out)``, initialised as ``nn.Linear``."""

    def __init__(self, n_models: int, n_in: int, n_out: int, generator: torch.Generator):
        super().__init__()
        bound = 1.0 / math.sqrt(n_in)
        self.weight = nn.Parameter((torch.rand(n_models, n_in, n_out, generator=generator) * 2 - 1) * bound)
        self.bias = nn.Parameter((torch.rand(n_models, 1, n_out, generator=generator) * 2 - 1) * bound)

    def forward(self, x: torch.Tensor, row_scale: torch.Tensor | None = None) -> torch.Tensor:
        """``x`` is ``(M, B, n_in)``, or ``(B, n_in)`` when every copy sees the same inputs.

        ``row_scale`` (``(n_in,)``) multiplies the inputs: ``(x * s) W = x (diag(s) W)``, applied to the
        ``n_in x n_out`` weight rather than to the ``B x n_in`` batch, which is cheaper when ``B > n_out``.
        """
        weight = self.weight if row_scale is None else self.weight * row_scale[:, None]
        if x.dim() == 2:
            # One GEMM against the copies' weights side by side: far faster than a batched product
            # over an expanded input (whose backward also materialises M copies of the input gradient).
            M, n_in, n_out = weight.shape
            out = x @ weight.permute(1, 0, 2).reshape(n_in, M * n_out)
            return out.view(x.shape[0], M, n_out).transpose(0, 1) + self.bias
        return torch.baddbmm(self.bias, x, weight)



class MLP(nn.Module):
    """``n_models`` MLPs ``d -> hidden... -> n_out`` evaluated side by side.

    ``forward`` takes ``(B, d)`` (every copy sees the same inputs) or ``(M, B, d)`` and returns
    ``(M, B, n_out)``. ``first_layer`` is the ``(M, d, h)`` weight whose row ``j`` holds feature j's
    outgoing weights: the rows that Group LASSO penalises and neural OMP differentiates.
    """

    def __init__(self, n_features: int, n_out: int, hidden=(67,), n_models: int = 1, negative_slope: float = 0.0,
                 seed: int = 0):
        super().__init__()
        hidden = check_hidden(hidden)
        generator = torch.Generator().manual_seed(int(seed))
        sizes = [n_features, *hidden, n_out]
        self.layers = nn.ModuleList(EnsembleLinear(n_models, a, b, generator) for a, b in zip(sizes, sizes[1:]))
        self.n_models = n_models
        self.negative_slope = negative_slope

    @property
    def first_layer(self) -> torch.Tensor:
        return self.layers[0].weight

    def forward(self, x: torch.Tensor, input_scale: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``(M, B, n_out)`` of every copy; ``input_scale`` (``(d,)``) multiplies each input feature."""
        for i, layer in enumerate(self.layers[:-1]):
            x = layer(x, input_scale) if i == 0 else layer(x)
            x = torch.relu(x) if self.negative_slope == 0 else nn.functional.leaky_relu(x, self.negative_slope)
        return self.layers[-1](x)



def check_hidden(hidden) -> tuple[int, ...]:
    hidden = tuple(hidden)
    if not hidden or any(isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1 for h in hidden):
        raise ValueError(f"hidden must be a non-empty sequence of positive layer widths, got {hidden!r}")
    return tuple(int(h) for h in hidden)

