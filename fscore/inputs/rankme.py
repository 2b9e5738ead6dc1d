"""RankMe and its neighbours: scoring a representation by the spread of its singular values, without labels.

Garrido, Balestriero, Najman & LeCun, *RankMe: Assessing the downstream performance of pretrained self-supervised
representations by their rank* (ICML 2023), Eq. (1): for an embedding matrix ``Z`` (``n`` embeddings of ``D``
dimensions; the paper writes ``N x K``) with singular values ``s_1 >= ... >= s_min(n, D)``,

    RankMe(Z) = exp(- sum_k p_k log p_k),   p_k = s_k / ||s||_1 + eps,

the exponential of the Shannon entropy of the normalised singular values: the *effective rank* of Roy & Vetterli
(2007) with a small ``eps`` for numerical safety. It lies between 1 (all mass on one direction) and ``min(n, D)``
(all singular values equal), is unchanged by rotating or rescaling ``Z``, and needs no labels, no training and no
threshold.

Beside it, the scores a reader would try first: the numerical rank at a tolerance (:func:`numerical_rank`), the
participation ratio of the covariance spectrum (:func:`participation_ratio`), and the power-law decay exponent of
that spectrum, alpha-ReQ (Agrawal et al., NeurIPS 2022; :func:`alpha_req`). :func:`spectrum_scores` computes all
four from one decomposition.
"""
from __future__ import annotations

import numpy as np
import torch

#: The ``eps`` of Eq. (1). The paper adds "a small constant"; 1e-7 is the value of common reimplementations.
EPSILON = 1e-7


def check_embeddings(Z, name: str = "Z") -> torch.Tensor:
    """``Z`` as a float64 tensor on its own device, after checks that name what is wrong.

    Raises ``ValueError`` for a 1-D (or 3-D...) input, non-finite entries, or fewer embeddings (rows) than
    dimensions (columns): with ``n < D`` every score here is capped by ``n`` and measures the sample, not the
    representation (reimplementations following the paper score 25,600 embeddings).
    """
    Z = Z.detach() if isinstance(Z, torch.Tensor) else torch.as_tensor(np.asarray(Z, dtype=np.float64))
    if Z.dim() != 2:
        raise ValueError(f"{name} must be a 2-D matrix of embeddings (n rows of D dimensions), got shape "
                         f"{tuple(Z.shape)}; reshape a single embedding dimension with Z.reshape(-1, 1)")
    n, D = Z.shape
    if D < 1 or n < 2:
        raise ValueError(f"{name} has shape {(n, D)}: need at least 2 embeddings of at least 1 dimension")
    if n < D:
        raise ValueError(f"{name} has {n} embeddings of {D} dimensions: need at least as many embeddings as "
                         f"dimensions (n >= D), otherwise the rank is capped by n; score more embeddings")
    Z = Z.to(torch.float64)
    bad = int((~torch.isfinite(Z)).sum())
    if bad:
        raise ValueError(f"{name} has {bad} non-finite entries (NaN or inf): a diverged run has no rank to score")
    return Z


def singular_values(Z, center: bool = False) -> np.ndarray:
    """The ``min(n, D)`` singular values of ``Z`` (float64, descending); a CUDA tensor is decomposed on its GPU.

    For ``n >= D`` they are the square roots of the eigenvalues of the ``D x D`` Gram matrix ``Z^T Z``, many times
    cheaper than an SVD of the tall ``Z`` (``benchmarks/bench_rankme.py``). The Gram matrix squares the condition
    number, so when its smallest eigenvalue is below ``1e-8`` of its largest (singular values spanning more than
    four decades, as in a collapsed representation) the values come from ``torch.linalg.svdvals`` instead: the same
    numbers to rounding, at the SVD's cost. ``center`` subtracts the column means first (the covariance spectrum).
    """
    Z = check_embeddings(Z)
    if center:
        Z = Z - Z.mean(dim=0)
    if Z.is_cuda:
        eigenvalues = torch.linalg.eigvalsh(Z.T @ Z).flip(0).cpu().numpy()
    else:  # NumPy forms A.T @ A with one symmetric rank-k update and has the faster symmetric eigensolver here
        A = Z.numpy()
        eigenvalues = np.linalg.eigvalsh(A.T @ A)[::-1]
    if eigenvalues[-1] > 1e-8 * eigenvalues[0]:
        return np.sqrt(eigenvalues)
    return torch.linalg.svdvals(Z).cpu().numpy()


def default_rtol(Z) -> float:
    """``numpy.linalg.matrix_rank``'s relative tolerance: ``max(n, D)`` times the machine epsilon of ``Z``'s dtype."""
    single = str(getattr(Z, "dtype", "float64")).endswith(("float32", "float16", "bfloat16"))
    return max(np.shape(Z)) * float(np.finfo(np.float32 if single else np.float64).eps)


def rankme_from_singular_values(s, eps: float = EPSILON) -> float:
    """RankMe from singular values ``s`` (Garrido et al., ICML 2023, Eq. 1): ``exp`` of the entropy of ``p``.

    ``p_k = s_k / sum(s) + eps``, with ``0 log 0 = 0`` (only reachable with ``eps = 0``). The zero matrix has no
    normalised spectrum; its RankMe is 0, its rank.
    """
    s = np.asarray(s, dtype=np.float64)
    if s.ndim != 1 or s.size == 0 or not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError("singular values must be a non-empty 1-D array of finite, non-negative numbers")
    if not eps >= 0:
        raise ValueError(f"eps must be non-negative, got {eps}")
    if s.sum() == 0:
        return 0.0
    p = s / s.sum() + eps
    p = p[p > 0]
    return float(np.exp(-np.sum(p * np.log(p))))


def rankme(Z, eps: float = EPSILON) -> float:
    """RankMe of embeddings ``Z`` ``(n, D)``, ``n >= D``: the effective rank of Garrido et al. (ICML 2023), Eq. (1).

    Parameters
    ----------
    Z : array-like or torch.Tensor of shape (n, D)
        One embedding a row, not centred (as in the paper). A tensor is scored on its own device.
    eps : float
        The constant added to the normalised singular values (:data:`EPSILON`).

    Returns
    -------
    float
        Between 1 and ``D`` (0 for the zero matrix).
    """
    return rankme_from_singular_values(singular_values(Z), eps)


def numerical_rank(Z, rtol: float | None = None) -> int:
    """The number of singular values above ``rtol`` times the largest (default :func:`default_rtol`).

    The count jumps as ``rtol`` crosses a singular value, which is why RankMe replaces it with a smooth entropy.
    """
    rtol = default_rtol(Z) if rtol is None else rtol
    if not rtol >= 0:
        raise ValueError(f"rtol must be non-negative, got {rtol}")
    s = singular_values(Z)
    return int(np.sum(s > rtol * s[0])) if s[0] > 0 else 0


def participation_ratio_from_eigenvalues(eigenvalues) -> float:
    """``(sum lambda)^2 / sum lambda^2`` of a covariance spectrum (0 for an all-zero spectrum)."""
    lam = np.asarray(eigenvalues, dtype=np.float64)
    return float(lam.sum() ** 2 / np.sum(lam ** 2)) if np.any(lam > 0) else 0.0


def participation_ratio(Z) -> float:
    """The participation ratio ``(sum_k lambda_k)^2 / sum_k lambda_k^2`` of the covariance eigenvalues of ``Z``.

    Like RankMe it runs from 1 to ``D`` and ignores rotations and scale; it weighs the spectrum by its squares,
    so a few large directions dominate it where RankMe still counts the many small ones.
    """
    return participation_ratio_from_eigenvalues(singular_values(Z, center=True) ** 2)


def alpha_from_eigenvalues(eigenvalues, fit_range: tuple[int, int] | None = None) -> float:
    """The decay exponent ``alpha`` of a power law ``lambda_k ~ k^(-alpha)`` fitted to a covariance spectrum.

    alpha-ReQ (Agrawal, Mondal, Ghosh & Richards, NeurIPS 2022): a least-squares line through
    ``(log k, log lambda_k)`` for the ranks ``k`` in ``fit_range`` (1-based, inclusive), each point weighted by
    ``1 / k`` as in the authors' library (``reptrix.alpha.get_powerlaw``). The default range skips the first rank
    and stops at half the spectrum, ``(2, max(3, D // 2))``. Eigenvalues below ``1e-12`` of the largest count as
    ``1e-12`` of it, so a collapsed spectrum gives a large, finite alpha.
    """
    lam = np.sort(np.asarray(eigenvalues, dtype=np.float64))[::-1]
    D = lam.size
    lo, hi = fit_range if fit_range is not None else (2, max(3, D // 2))
    if not 1 <= lo < hi <= D:
        raise ValueError(f"fit_range must satisfy 1 <= first < last <= {D} (the spectrum's length), got {(lo, hi)}")
    if not lam[0] > 0:
        raise ValueError("the spectrum is all zero: no power law to fit")
    k = np.arange(lo, hi + 1, dtype=np.float64)
    y = np.log(np.maximum(lam[lo - 1:hi], 1e-12 * lam[0]))
    X = np.stack([-np.log(k), np.ones_like(k)], axis=1)
    w = 1.0 / k
    alpha, _ = np.linalg.solve(X.T @ (X * w[:, None]), X.T @ (w * y))
    return float(alpha)


def alpha_req(Z, fit_range: tuple[int, int] | None = None) -> float:
    """alpha-ReQ of embeddings ``Z``: the power-law decay exponent of its covariance spectrum (see
    :func:`alpha_from_eigenvalues`). The authors find representations best near ``alpha = 1``: too fast a decay
    wastes dimensions, too slow a decay spreads noise; unlike RankMe, larger is not simply better."""
    return alpha_from_eigenvalues(singular_values(Z, center=True) ** 2, fit_range)


def spectrum_scores(Z, eps: float = EPSILON) -> dict:
    """RankMe, numerical rank, participation ratio and alpha-ReQ of ``Z``, with the spectra they come from.

    Returns a dict with ``rankme``, ``centred_rankme`` (Eq. 1 on the centred ``Z``: the mean's direction left
    out), ``numerical_rank`` (at :func:`default_rtol`), ``participation_ratio``, ``alpha`` (``nan`` when the
    covariance is zero), ``singular_values`` (of ``Z``) and ``covariance_eigenvalues`` (of the centred ``Z``,
    divided by ``n - 1``).
    """
    tol = default_rtol(Z)
    Z = check_embeddings(Z)
    s = singular_values(Z)
    lam = singular_values(Z, center=True) ** 2 / (Z.shape[0] - 1)
    return {
        "rankme": rankme_from_singular_values(s, eps),
        "centred_rankme": rankme_from_singular_values(np.sqrt(lam), eps),
        "numerical_rank": int(np.sum(s > tol * s[0])) if s[0] > 0 else 0,
        "participation_ratio": participation_ratio_from_eigenvalues(lam),
        "alpha": alpha_from_eigenvalues(lam) if lam[0] > 0 and lam.size >= 3 else float("nan"),
        "singular_values": s,
        "covariance_eigenvalues": lam,
    }
