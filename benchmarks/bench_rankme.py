"""RankMe at the paper's size, side by side with a direct SVD in one process; prints ratios (lower = ours faster).

Garrido et al. (ICML 2023) score 25,600 embeddings; 2,048 is a ResNet-50's representation width. Two matrices of
that size (float32, as a network returns them):

* *healthy*: a power-law spectrum (k^-1/2 singular values), which ``fscore.inputs.rankme`` scores from the
  2,048 x 2,048 Gram matrix;
* *collapsed*: 64 strong directions and faint noise (singular values over five decades), where the Gram matrix
  would lose precision and ``fscore`` falls back to ``torch.linalg.svdvals``.

The reference is Eq. (1) written out over ``numpy.linalg.svd(Z, compute_uv=False)`` in float64. For each matrix:
the time ratio fscore / numpy, and whether the two values agree to 1e-9 (relative).

    python benchmarks/bench_rankme.py [--n 25600] [--d 2048] [--repeats 1]
"""
from __future__ import annotations

import argparse

import numpy as np
import torch

from fscore.inputs import rankme
from fscore.results import write_benchmark
from fscore.runtime import set_threads
from timing import best_of


def direct_rankme(Z, eps=1e-7):
    s = np.linalg.svd(np.asarray(Z, dtype=np.float64), compute_uv=False)
    p = s / s.sum() + eps
    return float(np.exp(-np.sum(p * np.log(p))))


def matrices(n, d, seed=0):
    rng = np.random.default_rng(seed)
    healthy = (rng.standard_normal((n, d), dtype=np.float32) * np.arange(1, d + 1, dtype=np.float32) ** -0.5)
    basis = np.linalg.qr(rng.standard_normal((d, 64)))[0].T.astype(np.float32)
    collapsed = rng.standard_normal((n, 64), dtype=np.float32) @ basis
    collapsed += 1e-5 * rng.standard_normal((n, d), dtype=np.float32)
    return {"healthy (power-law spectrum)": healthy, "collapsed (64 directions + noise)": collapsed}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=25_600)
    parser.add_argument("--d", type=int, default=2_048)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    threads = set_threads()
    print(f"threads={threads}; Z is {args.n} x {args.d} float32; best of {args.repeats} run(s) each\n")
    rankme(np.random.default_rng(1).standard_normal((256, 16)))  # warm-up: BLAS and LAPACK set-up
    ratios, better = {}, {}
    print(f"{'matrix':<36} {'fscore s':>9} {'numpy s':>9} {'ratio':>7} {'RankMe':>10} {'rel. diff':>10}")
    for name, Z in matrices(args.n, args.d).items():
        ours_t, ours = best_of(args.repeats, lambda: rankme(torch.from_numpy(Z)))
        ref_t, ref = best_of(args.repeats, lambda: direct_rankme(Z))
        diff = abs(ours - ref) / ref
        ratios[f"RankMe {args.n}x{args.d}, {name}: fscore / numpy SVD, time"] = ours_t / ref_t
        ratios[f"RankMe {args.n}x{args.d}, {name}: equal values (relative difference <= 1e-9)"] = float(diff <= 1e-9)
        better[f"RankMe {args.n}x{args.d}, {name}: equal values (relative difference <= 1e-9)"] = "higher"
        print(f"{name:<36} {ours_t:>9.2f} {ref_t:>9.2f} {ours_t / ref_t:>7.3f} {ours:>10.3f} {diff:>10.1e}")
    note = f"best of {args.repeats} run(s); {threads} threads; equal values: 1 when fscore matches numpy to 1e-9"
    print(f"\nrecorded in {write_benchmark('rankme', ratios, note=note, better=better)}")


if __name__ == "__main__":
    main()
