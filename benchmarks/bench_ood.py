#!/usr/bin/env python3
"""Chapter 14: scoring throughput (inputs per second) of the OOD scores on the same features, same device.

    python benchmarks/bench_ood.py [--train 20000] [--test 20000] [--dim 64] [--classes 10] [--threads 1]

Features are drawn from a class-conditional Gaussian (the shape of a network's penultimate layer); every score is
fitted on the same training features and then scores the same test features. Printed: inputs per second of each
score; recorded (``results/benchmarks/ood.json``): the time per input of the mixture score and of the grouped score
over the shared-covariance Mahalanobis score (what the extra modelling costs), and of fscore's scores over
pytorch-ood's implementations of the same post-hoc scores (``Mahalanobis``, ``GMM`` = one Gaussian per class,
``KNN``), when it is installed. Ratios below 1: fscore's side is faster.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fscore.inputs import ClassMixtureScore, GroupedGaussianScore, KNNScore, MahalanobisScore  # noqa: E402
from fscore.inputs.reference import load_pytorch_ood  # noqa: E402
from fscore.results import write_benchmark  # noqa: E402
from timing import best_of  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=20000)
    parser.add_argument("--test", type=int, default=20000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    y = rng.integers(0, args.classes, args.train)
    centres = 3 * rng.normal(size=(args.classes, args.dim))
    mixing = rng.normal(size=(args.dim, args.dim)) / np.sqrt(args.dim)
    Z = rng.normal(size=(args.train, args.dim)) @ mixing + centres[y]
    Zt = rng.normal(size=(args.test, args.dim)) @ mixing + centres[rng.integers(0, args.classes, args.test)]

    ours = {"Mahalanobis (shared)": MahalanobisScore(1e-3).fit(Z, y),
            "Gaussian per class": ClassMixtureScore(1, reg=1e-3).fit(Z, y),
            "mixture K=4": ClassMixtureScore(4, reg=1e-3).fit(Z, y),
            "grouped (8 groups)": GroupedGaussianScore(8, 1e-3).fit(Z, y),
            "kNN (k=50)": KNNScore(50).fit(Z)}
    seconds = {name: best_of(3, lambda s=s: s.score(Zt))[0] for name, s in ours.items()}
    for name, t in seconds.items():
        print(f"fscore {name:22s} {args.test / t:12,.0f} inputs/s")
    ratios = {
        "fscore mixture K=4 / fscore Mahalanobis, time per input":
            seconds["mixture K=4"] / seconds["Mahalanobis (shared)"],
        "fscore grouped score / fscore Mahalanobis, time per input":
            seconds["grouped (8 groups)"] / seconds["Mahalanobis (shared)"],
    }
    detector, _, note = load_pytorch_ood()
    print(note)
    if detector is not None:
        labels = torch.as_tensor(y)
        theirs = {"Mahalanobis (shared)": (detector.Mahalanobis(None).fit_features(
                      torch.as_tensor(Z, dtype=torch.float32), labels), torch.as_tensor(Zt, dtype=torch.float32)),
                  "Gaussian per class": (detector.GMM(None, reg=1e-3 * Z.var(0).mean()).fit_features(
                      torch.as_tensor(Z), labels), torch.as_tensor(Zt)),
                  "kNN (k=50)": (detector.KNN(None, k=50).fit_features(torch.as_tensor(Z), labels), torch.as_tensor(Zt))}
        for name, (det, features) in theirs.items():
            t = best_of(3, lambda d=det, f=features: d.predict_features(f))[0]
            print(f"pytorch-ood {name:17s} {args.test / t:12,.0f} inputs/s")
            ratios[f"fscore {name} / pytorch-ood, time per input"] = seconds[name] / t
    for key, value in ratios.items():
        print(f"{key}: {value:.3g}")
    write_benchmark("ood", ratios, better={key: "lower" for key in ratios}, note=f"{args.train} training and {args.test} test features, d={args.dim}, "
                                        f"{args.classes} classes, {args.threads} torch thread(s); {note}")


if __name__ == "__main__":
    main()
