#!/usr/bin/env python3
"""Chapter 2 speed, side by side in one process; prints a table and records the ratios.

1. Training throughput of Sequential Attention against the same MLP trained without attention: same data
   (Fashion-MNIST), device, batch size, epochs and optimiser, each timed from the raw array to the trained
   network (standardisation included), best of ``--repeats``. The ratio is the attention's overhead: the
   softmax mask over d inputs, its gradient, and the k picks. Goal: at most 1.3x.
2. Sequential Attention's single pass against greedy forward selection (``ForwardSelectionNet``: a fresh
   MLP for every candidate at every pick) at a small k on DNA: time ratio, the picks, and the test
   accuracy of the MLP retrained on each selection.

    python benchmarks/bench_sequential_attention.py [--n 60000] [--epochs 2] [--repeats 3] [--k 3] [--threads N]

The time ratios go to ``results/benchmarks/sequential_attention.json`` (``fscore.results.write_benchmark``;
lower is faster for the first method named).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from fscore.results import write_benchmark
from fscore.datasets import load_dna, load_fashion_mnist
from fscore.features import ForwardSelectionNet, SequentialAttentionNet
from fscore.runtime import default_device, device_description, set_threads
from fscore.features import evaluate_subsets
from fscore.nn import MLP, encode_labels, train, zscore_stats
from timing import best_of


def plain_mlp(X, y, hidden, epochs, batch_size, lr, device, seed=0):
    """The MLP without attention, from the raw array: what SequentialAttentionNet.fit does minus the mask."""
    classes, (codes,) = encode_labels(y)
    mean, std = zscore_stats(X)
    Xt = torch.as_tensor((X - mean) / std, dtype=torch.float32, device=device)
    model = MLP(X.shape[1], len(classes), hidden, seed=seed).to(device)
    return train(model, Xt, torch.as_tensor(codes, device=device), epochs=epochs, batch_size=batch_size, lr=lr,
                 seed=seed)


def throughput(n, epochs, repeats, device):
    X, y = load_fashion_mnist("train", n=n, random_state=0)
    X = X[:, np.ptp(X, axis=0) > 0]
    settings = dict(hidden=(67,), epochs=epochs, batch_size=256, lr=1e-3)
    # warm up both code paths once (allocator, kernels) before timing
    plain_mlp(X, y, device=device, **{**settings, "epochs": 1})
    SequentialAttentionNet(k=10, device=device, random_state=0, **{**settings, "epochs": 1}).fit(X, y)
    rows = {}
    rows["MLP without attention"], _ = best_of(repeats, lambda: plain_mlp(X, y, device=device, **settings))
    for k in (10, 50):
        rows[f"Sequential Attention, k={k}"], _ = best_of(
            repeats, lambda: SequentialAttentionNet(k=k, device=device, random_state=0, **settings).fit(X, y))
    base = rows["MLP without attention"]
    print(f"1. training throughput, Fashion-MNIST {len(y)} x {X.shape[1]}, batch 256, {epochs} epochs, "
          f"best of {repeats}, {device_description(device)}")
    print(f"   {'':30s} {'seconds':>8s} {'examples/s':>11s} {'ratio':>6s}")
    for name, seconds in rows.items():
        print(f"   {name:30s} {seconds:8.2f} {epochs * len(y) / seconds:11.0f} {seconds / base:6.2f}")
    return {f"SA k={k} / MLP without attention (training time, same batch)": rows[f"Sequential Attention, k={k}"] / base
            for k in (10, 50)}


def against_forward_selection(k, epochs, seeds, device):
    X, y = load_dna()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    settings = dict(k=k, hidden=(67,), epochs=epochs, batch_size=128, device=device)
    times, picks, subsets = {"forward selection": [], "Sequential Attention": []}, {}, []
    for seed in seeds:
        for name, make in (("forward selection", ForwardSelectionNet), ("Sequential Attention", SequentialAttentionNet)):
            started = time.perf_counter()
            selector = make(random_state=seed, **settings).fit(X_train, y_train)
            times[name].append(time.perf_counter() - started)
            picks.setdefault(name, selector.ranking_.tolist())
            subsets.append(selector.ranking_)
    accuracy = evaluate_subsets(X_train, y_train, X_test, y_test, subsets, hidden=(67,), epochs=20, batch_size=128,
                                device=device).reshape(len(seeds), 2).mean(axis=0)
    print(f"\n2. one pass against greedy forward selection, DNA {len(y_train)} x {X.shape[1]}, k={k}, {epochs} epochs, "
          f"{len(seeds)} seeds (median seconds; accuracy of the retrained MLP, mean)")
    print(f"   {'':22s} {'seconds':>8s} {'accuracy':>9s}  picks (first seed)")
    for i, name in enumerate(times):
        print(f"   {name:22s} {np.median(times[name]):8.2f} {accuracy[i]:9.3f}  {picks[name]}")
    ratio = np.median(times["forward selection"]) / np.median(times["Sequential Attention"])
    print(f"   forward selection trains {sum(X.shape[1] - t for t in range(k))} networks, Sequential Attention one: "
          f"time ratio {ratio:.0f}x, accuracy gap {100 * (accuracy[0] - accuracy[1]):+.1f} points")
    return {f"SA / forward selection (DNA, k={k}, selection time)": 1 / ratio}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60000, help="Fashion-MNIST training images for the throughput")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--k", type=int, default=3, help="picks in the comparison with forward selection")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    threads = set_threads(args.threads)
    device = default_device()
    print(f"threads={threads} device={device_description(device)}\n")
    ratios = throughput(args.n, args.epochs, args.repeats, device)
    ratios.update(against_forward_selection(args.k, 10, [0, 1, 2], device))
    path = write_benchmark("sequential_attention", ratios, device=device_description(device),
                            note=f"{args.n} Fashion-MNIST images, {args.epochs} epochs, best of {args.repeats}; "
                                 f"DNA k={args.k}; threads={threads}")
    print(f"\nratios recorded in {path}")
    for name, value in ratios.items():
        print(f"   {name}: {value:.3f}")
    return 0


if __name__ == "__main__":
    import os
    import sys

    os.environ.setdefault("FSCORE_PROGRESS", "0")
    sys.exit(main())
