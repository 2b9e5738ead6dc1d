#!/usr/bin/env python3
"""DSIR speed and memory, side by side with the official package (data-selection 1.0.3), in one run.

    python benchmarks/bench_dsir.py [--docs 3000] [--pool-multiples 1 10 100] [--jobs 2]

1. Throughput of the featurise-and-weight step (documents per second) on the same corpus documents:
   the official ``HashedNgramDSIR.featurizer`` + ``importance_estimator`` per document against
   ``fscore``'s ``DSIR.weigh`` in ``parity`` and ``fast`` mode, on one core; then the whole pass over
   JSONL shards on ``--jobs`` cores (official ``compute_importance_weights`` against ``weigh_shards``).
   Goals: fast mode at least 5x the official package on one core, parity mode no slower.
2. Memory as the pool grows: pools of 1x, 10x and 100x the book's corpus (drawn with replacement
   into JSONL shards under a temporary folder) are fitted, weighed and resampled by
   ``fit_shards`` + ``resample_shards`` (fast mode) in a fresh child process each; the peak resident
   memory of that process and of its workers is printed per pool size.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fscore.results import write_benchmark  # noqa: E402
from fscore.training_data import DSIR, fit_shards, resample_shards, weigh_shards, write_pool  # noqa: E402
from fscore.datasets.text_corpus import load_text_corpus, split_target_and_pool  # noqa: E402


def write_jsonl(path: Path, texts) -> str:
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    return str(path)


def timed(function, repeats: int = 2) -> float:
    """The best of ``repeats`` wall-clock times of ``function()``."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def throughput(n_docs: int, jobs: int) -> dict:
    """Print documents per second; return fscore's time over the official package's time per comparison."""
    from data_selection import HashedNgramDSIR

    corpus = load_text_corpus()
    target, _, pool = split_target_and_pool(corpus, ["python-docs"], 300, 10, random_state=0)
    texts = pool["text"].tolist()[:n_docs]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shards = [write_jsonl(tmp / f"raw{i}.jsonl", texts[i::jobs]) for i in range(jobs)]
        official = HashedNgramDSIR(shards, [write_jsonl(tmp / "target.jsonl", target["text"])],
                                   cache_dir=str(tmp / "cache"), num_proc=jobs)
        official.fit_importance_estimator(num_tokens_to_fit="all")
        ours = {mode: DSIR(mode=mode).fit(target["text"], texts) for mode in ("parity", "fast")}

        ratios = {}
        print(f"featurise-and-weight, {len(texts)} documents of the book's corpus, one core")
        base = timed(lambda: [official.importance_estimator(official.featurizer(t)) for t in texts])
        print(f"  {'official data-selection 1.0.3':32s} {len(texts) / base:9.0f} docs/s")
        for mode, dsir in ours.items():
            seconds = timed(lambda: dsir.weigh(texts))
            ratios[f"weigh, {mode} mode, 1 core: fscore / official"] = seconds / base
            print(f"  {'fscore DSIR, ' + mode + ' mode':32s} {len(texts) / seconds:9.0f} docs/s   "
                  f"speed-up {base / seconds:5.2f}x")

        print(f"whole pass over {jobs} JSONL shards, {jobs} processes")
        base = timed(official.compute_importance_weights, repeats=1)
        print(f"  {'official data-selection 1.0.3':32s} {len(texts) / base:9.0f} docs/s")
        for mode, dsir in ours.items():
            seconds = timed(lambda: weigh_shards(dsir, shards, tmp / f"w-{mode}", n_jobs=jobs), repeats=1)
            ratios[f"weigh shards, {mode} mode, {jobs} processes: fscore / official"] = seconds / base
            print(f"  {'fscore weigh_shards, ' + mode:32s} {len(texts) / seconds:9.0f} docs/s   "
                  f"speed-up {base / seconds:5.2f}x")
    return ratios


def measure_pool(multiple: int, jobs: int) -> None:
    """Child process: build a pool of ``multiple`` x the corpus, select from it, print one JSON line."""
    corpus = load_text_corpus()
    target, _, _ = split_target_and_pool(corpus, ["python-docs"], 300, 10, random_state=0)
    with tempfile.TemporaryDirectory() as tmp:
        n_docs = multiple * len(corpus)
        shards = write_pool(corpus["text"], Path(tmp) / "pool", n_docs, n_shards=max(jobs, multiple // 5),
                            random_state=0)
        del corpus
        start = time.perf_counter()
        dsir = fit_shards(DSIR(mode="fast"), target["text"], shards, n_jobs=jobs)
        chosen, _ = resample_shards(dsir, shards, Path(tmp) / "selected", k=n_docs // 100, random_state=0,
                                    n_jobs=jobs)
        seconds = time.perf_counter() - start
        size = sum(s.stat().st_size for s in shards)
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"multiple": multiple, "documents": n_docs, "pool_mb": size / 2**20, "selected": len(chosen),
                      "seconds": seconds, "peak_rss_mb": peak_self, "peak_worker_rss_mb": peak_workers}))


def memory(multiples, jobs: int) -> dict:
    """Print time and peak memory per pool size; return the largest pool's peak memory over the smallest's."""
    print(f"memory as the pool grows (fast mode, {jobs} processes, 1% selected, each size in a fresh process)")
    print(f"  {'pool':>6s} {'documents':>10s} {'JSONL MB':>9s} {'seconds':>8s} {'peak RSS MB':>12s} "
          f"{'worker peak MB':>15s}")
    peaks = {}
    for multiple in multiples:
        out = subprocess.run([sys.executable, __file__, "--measure-pool", str(multiple), "--jobs", str(jobs)],
                             capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        r = json.loads(out)
        print(f"  {str(multiple) + 'x':>6s} {r['documents']:10d} {r['pool_mb']:9.0f} {r['seconds']:8.1f} "
              f"{r['peak_rss_mb']:12.0f} {r['peak_worker_rss_mb']:15.0f}", flush=True)
        peaks[multiple] = r["peak_rss_mb"] + r["peak_worker_rss_mb"]
    small, large = min(peaks), max(peaks)
    return {f"peak memory, {large}x pool / {small}x pool (memory, not time)": peaks[large] / peaks[small]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=3000, help="documents in the throughput comparison")
    parser.add_argument("--jobs", type=int, default=2, help="processes for the multi-core passes")
    parser.add_argument("--pool-multiples", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--measure-pool", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure_pool:
        measure_pool(args.measure_pool, args.jobs)
        return 0
    ratios = throughput(args.docs, args.jobs)
    ratios.update(memory(args.pool_multiples, args.jobs))
    print(f"recorded in {write_benchmark('dsir', ratios, note=f'{args.docs} documents, {args.jobs} processes')}")
    return 0


if __name__ == "__main__":
    import os

    os.environ.setdefault("FSCORE_PROGRESS", "0")
    sys.exit(main())
