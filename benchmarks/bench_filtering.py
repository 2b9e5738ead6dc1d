#!/usr/bin/env python3
"""Chapter 11's filter and downstream model, timed side by side with plain references of the same model, in one run.

    python benchmarks/bench_filtering.py [--pairs 4096] [--steps 30] [--image-size 28]

1. Scoring throughput (pairs per second): ``fscore.filtering.clip_score`` (batched, no graph, one dot product a
   pair) against a plain reference of the same model that scores pairs one at a time with autograd on, as a first
   loop would, and against scoring the full similarity matrix and reading its diagonal.
2. Downstream training step time: ``fscore.nn.contrastive.train_clip`` against a plain PyTorch loop of the same
   model, loss, optimiser and batches (the reference is written out below in a dozen lines).

Ratios are fscore's time over the reference's (below 1: fscore is faster) and are recorded with
``fscore.results.write_benchmark`` in ``results/benchmarks/filtering.json``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fscore.filtering import clip_score  # noqa: E402
from fscore.nn.contrastive import TwoTower, train_clip  # noqa: E402
from fscore.results import write_benchmark  # noqa: E402
from fscore.runtime import default_device, device_description, set_threads  # noqa: E402
from timing import best_of  # noqa: E402


def score_one_at_a_time(model, images, tokens):
    """Reference: each pair through both towers on its own, autograd on."""
    return np.array([float(F.cosine_similarity(model.encode_images(images[i:i + 1]),
                                               model.encode_texts(tokens[i:i + 1])).detach())
                     for i in range(len(images))])


@torch.no_grad()
def score_from_full_matrix(model, images, tokens):
    """Reference: the n x n similarity matrix of all images and captions, then its diagonal."""
    return torch.diagonal(model.encode_images(images) @ model.encode_texts(tokens).T).cpu().numpy()


def plain_training(model, images, tokens, steps, batch_size, lr, seed):
    """Reference: the same model, loss, optimiser and batch order, written as a plain loop."""
    optimizer = torch.optim.AdamW([{"params": [p for n, p in model.named_parameters() if n != "log_scale"],
                                    "weight_decay": 1e-4}, {"params": [model.log_scale], "weight_decay": 0.0}], lr=lr)
    generator = torch.Generator().manual_seed(seed)
    per_epoch = len(images) // batch_size
    model.train()
    for step in range(steps):
        if step % per_epoch == 0:
            order = torch.randperm(len(images), generator=generator).to(images.device)
        idx = order[(step % per_epoch) * batch_size:][:batch_size]
        u = F.normalize(model.image_projection(model.image_tower.embed(images[idx])), dim=-1)
        v = F.normalize(model.text_projection(model.text_tower(tokens[idx])), dim=-1)
        logits = model.log_scale.exp().clamp(max=100) * u @ v.T
        target = torch.arange(len(idx), device=images.device)
        loss = (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=4096)
    parser.add_argument("--reference-pairs", type=int, default=512, help="pairs the one-at-a-time reference scores")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--image-size", type=int, default=28)
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args(argv)
    device = default_device()
    threads = set_threads()  # FSCORE_THREADS, else every core
    g = torch.Generator().manual_seed(0)
    images = torch.rand(args.pairs, 1, args.image_size, args.image_size, generator=g).to(device)
    tokens = torch.randint(0, 500, (args.pairs, 12), generator=g).to(device)
    torch.manual_seed(0)
    model = TwoTower(500, image_size=args.image_size, widths=(8, 16), width=32, dim=32).to(device).eval()
    print(f"device {device_description(device)}, {threads} threads; {args.pairs} pairs of "
          f"{args.image_size}x{args.image_size} images")

    ours = clip_score(model, images, tokens)
    n_ref = min(args.reference_pairs, args.pairs)
    assert np.allclose(ours[:n_ref], score_one_at_a_time(model, images[:n_ref], tokens[:n_ref]), atol=1e-4)
    assert np.allclose(ours, score_from_full_matrix(model, images, tokens), atol=1e-4)
    t_ours = best_of(3, lambda: clip_score(model, images, tokens), warm_up=True)[0] / args.pairs
    t_single = best_of(1, lambda: score_one_at_a_time(model, images[:n_ref], tokens[:n_ref]), warm_up=True)[0] / n_ref
    t_matrix = best_of(3, lambda: score_from_full_matrix(model, images, tokens), warm_up=True)[0] / args.pairs
    print(f"scoring: fscore {1 / t_ours:,.0f} pairs/s; one pair at a time {1 / t_single:,.0f} pairs/s; "
          f"full matrix then diagonal {1 / t_matrix:,.0f} pairs/s")

    def ours_train():
        torch.manual_seed(1)
        m = TwoTower(500, image_size=args.image_size, widths=(8, 16), width=32, dim=32).to(device)
        train_clip(m, images, tokens, steps=args.steps, batch_size=128, lr=5e-3, seed=0)
        return m

    def plain_train():
        torch.manual_seed(1)
        m = TwoTower(500, image_size=args.image_size, widths=(8, 16), width=32, dim=32).to(device)
        plain_training(m, images, tokens, args.steps, 128, 5e-3, 0)
        return m

    a, b = ours_train(), plain_train()
    assert all(torch.allclose(p, q, atol=1e-5) for p, q in zip(a.parameters(), b.parameters())), \
        "train_clip and the plain loop should take the same steps"
    t_train = best_of(3, ours_train, warm_up=True)[0] / args.steps
    t_plain = best_of(3, plain_train, warm_up=True)[0] / args.steps
    print(f"training step (batch 128): fscore {1000 * t_train:.1f} ms; plain loop {1000 * t_plain:.1f} ms")
    ratios = {"clip_score / one pair at a time, time a pair": t_ours / t_single,
              "clip_score / full similarity matrix, time a pair": t_ours / t_matrix,
              "train_clip / plain PyTorch loop, time a step": t_train / t_plain}
    for key, value in ratios.items():
        print(f"{key}: {value:.3g}")
    if not args.no_record:
        path = write_benchmark("filtering", ratios, device=device_description(device),
                               note=f"{args.pairs} pairs, {args.image_size}x{args.image_size} images, towers of "
                                    f"widths (8, 16) as the chapter's downstream model, {threads} threads")
        print(f"recorded in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
