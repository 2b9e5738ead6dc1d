"""Chapter 1 speed, side by side in one process; prints ratios (lower = ours faster).

1. fscore's OMP against scikit-learn's OrthogonalMatchingPursuit on the same problems: time ratio and
   whether both pick the same features.
2. Linear Sequential Attention (k phases, each training the attention to concentration with the coefficients in
   closed form) against greedy forward selection that refits a least-squares model for every candidate at every
   pick (k * d refits, scikit-learn's LinearRegression): time ratio, and whether the picks agree.

The record's note ends with the machine's load average (fscore.results.write_benchmark): on a shared CPU every
ratio moves.

    python benchmarks/bench_linear_selection.py [--repeats 5]
"""
from __future__ import annotations

import argparse

import numpy as np
from sklearn.linear_model import LinearRegression, OrthogonalMatchingPursuit

from fscore.results import write_benchmark
from fscore.datasets import make_sparse_regression
from fscore.features import OMP, LinearSequentialAttention
from fscore.runtime import set_threads
from timing import best_of


def refit_greedy(X, y, k):
    picks = []
    for _ in range(k):
        scores = {j: LinearRegression().fit(X[:, picks + [j]], y).score(X[:, picks + [j]], y)
                  for j in range(X.shape[1]) if j not in picks}
        picks.append(max(scores, key=scores.get))
    return picks


def unit_columns(X):
    Xc = X - X.mean(axis=0)
    return Xc / np.linalg.norm(Xc, axis=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    threads = set_threads()
    print(f"threads={threads}; best of {args.repeats} runs each\n")
    ratios = {}
    print("OMP: fscore vs scikit-learn")
    print(f"{'n':>6} {'d':>6} {'k':>4} {'fscore s':>10} {'sklearn s':>10} {'ratio':>7} {'same picks':>11}")
    for n, d, k in [(500, 100, 10), (2000, 500, 25), (5000, 1000, 50)]:
        X, y, *_ = make_sparse_regression(n, d, k, correlation=0.5, noise=0.5, random_state=0)
        X = unit_columns(X)
        ours_t, ours = best_of(args.repeats, lambda: OMP(k=k).fit(X, y), warm_up=True)
        ref_t, ref = best_of(args.repeats, lambda: OrthogonalMatchingPursuit(n_nonzero_coefs=k).fit(X, y), warm_up=True)
        same = set(ours.ranking_) == set(np.flatnonzero(ref.coef_))
        ratios[f"OMP n={n} d={d} k={k}: fscore / scikit-learn"] = ours_t / ref_t
        print(f"{n:>6} {d:>6} {k:>4} {ours_t:>10.4f} {ref_t:>10.4f} {ours_t / ref_t:>7.2f} {str(same):>11}")

    print("\nSequential Attention (k phases, attention trained to concentration) vs greedy refitting every candidate")
    print(f"{'n':>6} {'d':>6} {'k':>4} {'SA s':>9} {'greedy s':>9} {'ratio':>7} {'SA = OMP':>9} {'SA = greedy':>12}")
    for n, d, k in [(500, 50, 5), (1000, 100, 10), (2000, 200, 10)]:
        X, y, *_ = make_sparse_regression(n, d, k, correlation=0.5, noise=0.5, random_state=1)
        sa_t, sa = best_of(max(1, args.repeats // 2), lambda: LinearSequentialAttention(k=k).fit(X, y), warm_up=True)
        greedy_t, greedy = best_of(1, lambda: refit_greedy(X, y, k), warm_up=False)
        omp = OMP(k=k).fit(X, y).ranking_
        ratios[f"n={n} d={d} k={k}: linear Sequential Attention / refitting greedy"] = sa_t / greedy_t
        print(f"{n:>6} {d:>6} {k:>4} {sa_t:>9.3f} {greedy_t:>9.3f} {sa_t / greedy_t:>7.2f} "
              f"{str(list(sa.ranking_) == list(omp)):>9} {str(list(sa.ranking_) == greedy):>12}")
    note = f"best of {args.repeats} runs"
    print(f"\nrecorded in {write_benchmark('linear_selection', ratios, note=note)}")


if __name__ == "__main__":
    main()
