"""Attention models shared by the book: linear self-attention (LSA) layers and a small causal transformer.

* :class:`LinearSelfAttention` is the attention-only layer of von Oswald et al. (ICML 2023): no
  softmax, no normalisation, one head whose key size is the token size, and a residual update of every
  token from the keys and values of the *context* tokens (the query token is excluded, as in the authors'
  code, ``transformers_learn_icl_by_gd/src/transformer.py``, ``include_query=False``).
* :class:`LinearSelfAttentionStack` is ``K`` such layers, each with its own weights; it returns every
  intermediate state so that layer ``k`` can be compared with step ``k`` of gradient descent.
* :class:`CausalTransformer` is a small pre-LayerNorm decoder (GPT-style) over a sequence of real vectors:
  a linear embedding plus a learned position embedding, ``n_layers`` blocks of causal softmax attention and
  an MLP, and a linear read-out at every position. Chapter 17 meta-trains it as a general-purpose in-context
  learner (Kirsch et al., 2022).
"""
from __future__ import annotations

import math

import torch
from torch import nn


def _check_positive(**values) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


class LinearSelfAttention(nn.Module):
    r"""One linear self-attention layer over tokens of size ``D``.

    For tokens :math:`e_1, \dots, e_T` of which the first ``T - n_query`` are the context,

    .. math:: e_j \leftarrow e_j + P W_V \sum_{i \le T - n_{\text{query}}} e_i \, (W_K e_i)^\top (W_Q e_j)

    (von Oswald et al., ICML 2023, one head). The four ``D x D`` matrices are the parameters; the
    default initialisation is a normal with variance ``init_scale / D`` (the authors' code uses a variance
    scaling of 0.002, ``src/config.py``).

    Parameters
    ----------
    dim : int
        Token size ``D``.
    n_query : int
        How many trailing tokens are queries: they are updated but neither keys nor values.
    init_scale : float
        Variance of the initial weights times ``D``.
    generator : torch.Generator, optional
        Source of the initial weights.
    """

    def __init__(self, dim: int, n_query: int = 1, init_scale: float = 0.002,
                 generator: torch.Generator | None = None):
        super().__init__()
        _check_positive(dim=dim)
        if isinstance(n_query, bool) or not isinstance(n_query, int) or n_query < 0:
            raise ValueError(f"n_query must be a non-negative integer, got {n_query!r}")
        std = math.sqrt(init_scale / dim)
        init = lambda: nn.Parameter(torch.randn(dim, dim, generator=generator) * std)  # noqa: E731
        self.W_Q, self.W_K, self.W_V, self.P = init(), init(), init(), init()
        self.dim, self.n_query = dim, n_query

    def forward(self, E: torch.Tensor) -> torch.Tensor:
        """Tokens ``(B, T, D)`` after the layer's residual update, ``(B, T, D)``."""
        if E.dim() != 3 or E.shape[-1] != self.dim:
            raise ValueError(f"expected tokens of shape (batch, length, {self.dim}), got {tuple(E.shape)}")
        if E.shape[1] <= self.n_query:
            raise ValueError(f"a sequence of {E.shape[1]} tokens has no context before its {self.n_query} queries")
        context = E[:, :E.shape[1] - self.n_query]
        keys, values = context @ self.W_K.T, context @ self.W_V.T   # (B, N, D)
        queries = E @ self.W_Q.T                                    # (B, T, D)
        scores = queries @ keys.transpose(1, 2)                     # (B, T, N): (W_K e_i)^T (W_Q e_j), no softmax
        return E + (scores @ values) @ self.P.T

    @torch.no_grad()
    def set_weights(self, W_Q, W_K, W_V, P) -> "LinearSelfAttention":
        """Load four ``D x D`` matrices (e.g. a hand construction); returns ``self``."""
        for name, value in zip(("W_Q", "W_K", "W_V", "P"), (W_Q, W_K, W_V, P)):
            value = torch.as_tensor(value)
            if value.shape != (self.dim, self.dim):
                raise ValueError(f"{name} must be {self.dim} x {self.dim}, got {tuple(value.shape)}")
            getattr(self, name).copy_(value.to(getattr(self, name)))
        return self


class LinearSelfAttentionStack(nn.Module):
    """``n_layers`` :class:`LinearSelfAttention` layers, each with its own weights.

    ``forward`` returns the tokens after every layer, ``(n_layers, B, T, D)``, so that a read-out can be taken
    after each (the authors' ``stack_h``).
    """

    def __init__(self, dim: int, n_layers: int, n_query: int = 1, init_scale: float = 0.002, seed: int = 0):
        super().__init__()
        _check_positive(n_layers=n_layers)
        generator = torch.Generator().manual_seed(int(seed))
        self.layers = nn.ModuleList(LinearSelfAttention(dim, n_query, init_scale / n_layers, generator)
                                    for _ in range(n_layers))

    def forward(self, E: torch.Tensor) -> torch.Tensor:
        states = []
        for layer in self.layers:
            E = layer(E)
            states.append(E)
        return torch.stack(states)


class CausalBlock(nn.Module):
    """Pre-LayerNorm transformer block: causal multi-head softmax attention, then a GELU MLP, both residual."""

    def __init__(self, d_model: int, n_heads: int, mlp_ratio: int = 4):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        self.n_heads = n_heads
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, mlp_ratio * d_model), nn.GELU(),
                                 nn.Linear(mlp_ratio * d_model, d_model))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        B, T, D = h.shape
        q, k, v = self.qkv(self.norm1(h)).view(B, T, 3, self.n_heads, D // self.n_heads).permute(2, 0, 3, 1, 4)
        attended = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        h = h + self.out(attended.transpose(1, 2).reshape(B, T, D))
        return h + self.mlp(self.norm2(h))


class CausalTransformer(nn.Module):
    """A small decoder-only transformer over real-valued tokens: ``(B, T, n_in) -> (B, T, n_out)``.

    The output at position ``t`` depends only on tokens ``1..t`` (a causal mask), so one forward pass
    predicts every position of a sequence. ``max_len`` bounds the sequence length (learned positions).

    Parameters
    ----------
    n_in, n_out : int
        Token size and number of outputs (class logits) at each position.
    d_model, n_layers, n_heads : int
        Width, depth and heads of the transformer.
    max_len : int
        Longest sequence it accepts.
    seed : int
        Seed of the initial weights.
    """

    def __init__(self, n_in: int, n_out: int, d_model: int = 64, n_layers: int = 2, n_heads: int = 4,
                 max_len: int = 256, seed: int = 0):
        super().__init__()
        _check_positive(n_in=n_in, n_out=n_out, d_model=d_model, n_layers=n_layers, n_heads=n_heads,
                        max_len=max_len)
        state = torch.random.get_rng_state()
        torch.manual_seed(int(seed))
        try:
            self.embed = nn.Linear(n_in, d_model)
            self.position = nn.Parameter(torch.randn(max_len, d_model) * 0.02)
            self.blocks = nn.ModuleList(CausalBlock(d_model, n_heads) for _ in range(n_layers))
            self.norm = nn.LayerNorm(d_model)
            self.head = nn.Linear(d_model, n_out)
        finally:
            torch.random.set_rng_state(state)
        self.n_in, self.max_len = n_in, max_len

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if tokens.dim() != 3 or tokens.shape[-1] != self.n_in:
            raise ValueError(f"expected tokens of shape (batch, length, {self.n_in}), got {tuple(tokens.shape)}")
        if tokens.shape[1] > self.max_len:
            raise ValueError(f"sequence of length {tokens.shape[1]} is longer than max_len={self.max_len}")
        h = self.embed(tokens) + self.position[:tokens.shape[1]]
        for block in self.blocks:
            h = block(h)
        return self.head(self.norm(h))
