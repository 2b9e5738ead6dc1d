#!/usr/bin/env python3
"""DSIR speed, scaling, memory and equality, side by side with the official package and a ceiling, in one run.

    python benchmarks/bench_dsir.py [--docs 3000] [--scaling-multiple 10] [--pool-multiples 1 10 100] [--jobs 2]

1. Throughput of the featurise-and-weight step on one core (documents per second) on the same corpus
   documents, against the official package (``data-selection`` 1.0.3: its ``featurizer`` and
   ``importance_estimator`` per document) and against a ceiling measured on this machine in the same run:
   lowercasing and splitting the same texts on whitespace, which no featuriser can beat (in memory), and
   reading, parsing and lowercasing-plus-splitting a JSONL shard of them (what a shard task must do at the
   least), against the task itself (:func:`featurise_shard`). Goals: fast mode at least 5x the official
   package, parity mode no slower; fast mode at least 50% of the ceiling. Then the whole pass over JSONL
   shards on ``--jobs`` processes (official ``compute_importance_weights`` against ``weigh_shards``).
2. Scaling: ``select_shards`` on a pool of ``--scaling-multiple`` x the corpus, in this process, on a local
   Dask cluster of 1 worker and of 2 workers (started and warmed up before timing; the runs interleaved, the
   best of two kept): the speed-up from 1 to 2 workers, and the Dask path's overhead over the in-process path
   on one worker (goal: at most 1.2x).
3. Memory and equality as the pool grows (1x, 10x, 100x the corpus, drawn with replacement into JSONL
   shards): each engine (process pool of ``--jobs``, Dask with ``--jobs`` workers, and the in-memory
   estimator) selects 1% of the pool in a fresh child process; the peak resident memory of the driver and
   of its workers is printed, and the three selections must be identical.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib
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
from fscore.training_data import DSIR, read_texts, select_shards, weigh_shards, write_pool  # noqa: E402
from fscore.training_data.distributed import dask_client  # noqa: E402
from fscore.training_data.streaming import featurise_shard  # noqa: E402
from fscore.datasets.text_corpus import load_text_corpus, split_target_and_pool  # noqa: E402
from timing import best_of  # noqa: E402



def write_jsonl(path: Path, texts) -> str:
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    return str(path)


def target_texts():
    corpus = load_text_corpus()
    target, _, pool = split_target_and_pool(corpus, ["python-docs"], 300, 10, random_state=0)
    return corpus, target["text"].tolist(), pool["text"].tolist()


def throughput(n_docs: int, jobs: int) -> tuple[dict, dict]:
    """Print documents per second; return the ratios and which way each is better."""
    from data_selection import HashedNgramDSIR

    _, target, pool = target_texts()
    texts = pool[:n_docs]
    ratios, better = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shards = [write_jsonl(tmp / f"raw{i}.jsonl", texts[i::jobs]) for i in range(jobs)]
        whole = write_jsonl(tmp / "all.jsonl", texts)
        official = HashedNgramDSIR(shards, [write_jsonl(tmp / "target.jsonl", target)],
                                   cache_dir=str(tmp / "cache"), num_proc=jobs)
        official.fit_importance_estimator(num_tokens_to_fit="all")
        ours = {mode: DSIR(mode=mode).fit(target, texts) for mode in ("parity", "fast")}

        def rate(seconds):
            return len(texts) / seconds

        print(f"featurise-and-weight, {len(texts)} documents of the book's corpus, one core")
        ceiling = best_of(3, lambda: [t.lower().split() for t in texts])[0]
        base = best_of(2, lambda: [official.importance_estimator(official.featurizer(t)) for t in texts])[0]
        print(f"  {'ceiling: lower().split() alone':36s} {rate(ceiling):9.0f} docs/s")
        print(f"  {'official data-selection 1.0.3':36s} {rate(base):9.0f} docs/s")
        for mode, dsir in ours.items():
            seconds = best_of(3, lambda: dsir.weigh(texts))[0]
            ratios[f"weigh, {mode} mode, 1 core: fscore / official"] = seconds / base
            ratios[f"weigh, {mode} mode, 1 core: throughput / ceiling (lowercase and split)"] = ceiling / seconds
            better[f"weigh, {mode} mode, 1 core: throughput / ceiling (lowercase and split)"] = "higher"
            print(f"  {'fscore DSIR.weigh, ' + mode + ' mode':36s} {rate(seconds):9.0f} docs/s   "
                  f"{base / seconds:5.2f}x the official, {ceiling / seconds:5.1%} of the ceiling")

        print("one shard task from its JSONL file (read, parse, featurise, weigh), one core")
        ceiling = best_of(3, lambda: [t.lower().split() for t in read_texts(whole)])[0]
        print(f"  {'ceiling: read, parse, lower, split':36s} {rate(ceiling):9.0f} docs/s")
        for mode, dsir in ours.items():
            seconds = best_of(3, lambda: featurise_shard(dsir, whole, "weights"))[0]
            key = f"shard task, {mode} mode, 1 core: throughput / ceiling (read, parse, lowercase, split)"
            ratios[key], better[key] = ceiling / seconds, "higher"
            print(f"  {'fscore featurise_shard, ' + mode:36s} {rate(seconds):9.0f} docs/s   "
                  f"{ceiling / seconds:5.1%} of the ceiling")

        print(f"whole pass over {jobs} JSONL shards, {jobs} processes")
        base = best_of(1, official.compute_importance_weights)[0]
        print(f"  {'official data-selection 1.0.3':36s} {rate(base):9.0f} docs/s")
        for mode, dsir in ours.items():
            seconds = best_of(1, lambda: weigh_shards(dsir, shards, tmp / f"w-{mode}-{time.time_ns()}", n_jobs=jobs))[0]
            ratios[f"weigh shards, {mode} mode, {jobs} processes: fscore / official"] = seconds / base
            print(f"  {'fscore weigh_shards, ' + mode:36s} {rate(seconds):9.0f} docs/s   "
                  f"{base / seconds:5.2f}x the official")
    return ratios, better


def warm(client) -> None:
    """Import the package on every worker, so that a timing does not include it."""
    client.run(importlib.import_module, "fscore.training_data.streaming")


def digest(indices) -> str:
    return hashlib.sha256(np.asarray(indices, dtype=np.int64).tobytes()).hexdigest()[:16]


def scaling(multiple: int, jobs: int, repeats: int = 2) -> tuple[dict, dict]:
    """Time ``select_shards`` in this process and on Dask with 1 and ``jobs`` workers; same selection.

    Both clusters are started (and their workers import the package) before any timing; the three runs are
    interleaved ``repeats`` times, each into a fresh output folder (nothing reused), and the best time of each is
    kept, so that a burst of load from other jobs on a shared CPU does not decide a ratio.
    """
    corpus, target, _ = target_texts()
    n_docs = multiple * len(corpus)
    k = n_docs // 100
    print(f"scaling: select_shards on {n_docs} documents ({multiple}x the corpus, fast mode, 1% selected), "
          f"best of {repeats} interleaved runs")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shards = write_pool(corpus["text"], tmp / "pool", n_docs, n_shards=4 * jobs * max(1, multiple // 5),
                            random_state=0)
        run = dict(target=target, shards=shards, k=k, random_state=0)
        start = time.perf_counter()
        with dask_client(n_workers=1) as one, dask_client(n_workers=jobs) as many:
            warm(one)
            warm(many)
            print(f"  (local clusters of 1 and {jobs} workers started and warmed up in "
                  f"{time.perf_counter() - start:.1f} s, not counted)")
            engines = {"in this process": dict(n_jobs=1), "Dask, 1 worker": dict(executor=one),
                       f"Dask, {jobs} workers": dict(executor=many)}
            seconds, selections = {name: np.inf for name in engines}, {}
            for repeat in range(repeats):
                for i, (name, options) in enumerate(engines.items()):
                    start = time.perf_counter()
                    result = select_shards(out_dir=tmp / f"out-{repeat}-{i}", dsir=DSIR(mode="fast"), **options, **run)
                    seconds[name] = min(seconds[name], time.perf_counter() - start)
                    selections[name] = digest([r["index"] for r in result["selected"]])
    for name, value in seconds.items():
        print(f"  {name:24s} {value:7.1f} s   {n_docs / value:8.0f} docs/s   selection {selections[name]}")
    one, many = seconds["Dask, 1 worker"], seconds[f"Dask, {jobs} workers"]
    print(f"  speed-up from 1 to {jobs} workers: {one / many:.2f}x; Dask on 1 worker / in this process: "
          f"{one / seconds['in this process']:.2f}x")
    same = len(set(selections.values())) == 1
    print(f"  identical selections: {same}")
    ratios = {f"Dask select, {jobs} workers vs 1: speed-up ({multiple}x pool)": one / many,
              f"Dask select on 1 worker / in-process select, time ({multiple}x pool)": one / seconds["in this process"],
              f"scaling runs select identical documents ({multiple}x pool; 1 = yes)": float(same)}
    better = {f"Dask select, {jobs} workers vs 1: speed-up ({multiple}x pool)": "higher",
              f"scaling runs select identical documents ({multiple}x pool; 1 = yes)": "higher"}
    return ratios, better


def measure_pool(pool_dir: str, engine: str, jobs: int) -> None:
    """Child process: select 1% of the pool in ``pool_dir`` with ``engine``; print one JSON line."""
    _, target, _ = target_texts()
    shards = sorted(Path(pool_dir).glob("*.jsonl"))
    n_docs = sum(1 for s in shards for _ in open(s, "rb"))
    k = n_docs // 100
    worker_peak = 0.0
    with tempfile.TemporaryDirectory(dir=pool_dir) as out:
        start = time.perf_counter()
        if engine == "memory":
            texts = [t for s in shards for t in read_texts(s)]
            chosen = DSIR(mode="fast").fit(target, texts).select(texts, k, random_state=0)
        elif engine == "processes":
            manifest = select_shards(target, shards, out, k, dsir=DSIR(mode="fast"), random_state=0, n_jobs=jobs)
            chosen = [r["index"] for r in manifest["selected"]]
        else:
            with dask_client(n_workers=jobs) as client:
                warm(client)
                start = time.perf_counter()
                manifest = select_shards(target, shards, out, k, dsir=DSIR(mode="fast"), random_state=0,
                                         executor=client)
                seconds = time.perf_counter() - start
                chosen = [r["index"] for r in manifest["selected"]]
                peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
                worker_peak = max(peaks.values())
        if engine != "dask":
            seconds = time.perf_counter() - start
            worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"documents": n_docs, "selected": len(chosen), "digest": digest(chosen), "seconds": seconds,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "peak_worker_rss_mb": worker_peak}))


def memory(multiples, jobs: int) -> tuple[dict, dict]:
    """Per pool size and engine: time, peak memory (driver, largest worker) and the selection's digest."""
    corpus = load_text_corpus()
    print(f"memory and equality as the pool grows (fast mode, {jobs} processes or workers, 1% selected, "
          "each run in a fresh process)")
    print(f"  {'pool':>5s} {'documents':>10s} {'JSONL MB':>9s} {'engine':>10s} {'seconds':>8s} {'driver MB':>10s} "
          f"{'worker MB':>10s}  selection")
    peaks, same = {}, {}
    for multiple in multiples:
        with tempfile.TemporaryDirectory() as tmp:
            n_docs = multiple * len(corpus)
            shards = write_pool(corpus["text"], Path(tmp), n_docs, n_shards=max(2 * jobs, multiple // 2),
                                random_state=0)
            size = sum(s.stat().st_size for s in shards) / 2**20
            digests = set()
            for engine in ("processes", "dask", "memory"):
                out = subprocess.run([sys.executable, __file__, "--measure-pool", tmp, "--engine", engine, "--jobs",
                                      str(jobs)], capture_output=True, text=True)
                if out.returncode:
                    raise RuntimeError(f"{engine} on the {multiple}x pool failed:\n{out.stderr[-3000:]}")
                r = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"  {str(multiple) + 'x':>5s} {r['documents']:10d} {size:9.0f} {engine:>10s} {r['seconds']:8.1f} "
                      f"{r['peak_rss_mb']:10.0f} {r['peak_worker_rss_mb']:10.0f}  {r['digest']}", flush=True)
                peaks[multiple, engine] = r["peak_rss_mb"], r["peak_worker_rss_mb"]
                digests.add(r["digest"])
            same[multiple] = len(digests) == 1
    small, large = min(multiples), max(multiples)
    ratios = {
        f"peak memory, process pool (driver + workers), {large}x pool / {small}x pool":
            sum(peaks[large, "processes"]) / sum(peaks[small, "processes"]),
        f"peak memory, Dask largest worker, {large}x pool / {small}x pool":
            peaks[large, "dask"][1] / peaks[small, "dask"][1],
        f"peak memory, Dask driver, {large}x pool / {small}x pool": peaks[large, "dask"][0] / peaks[small, "dask"][0],
        f"Dask, process pool and in-memory select identical documents, pools {'/'.join(f'{m}x' for m in multiples)} "
        "(1 = yes)": float(all(same.values())),
    }
    print(f"  identical selections (Dask, process pool, in memory): {same}")
    return ratios, {key: "higher" for key in ratios if key.startswith("Dask, process pool")}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=3000, help="documents in the throughput comparison")
    parser.add_argument("--jobs", type=int, default=2, help="processes or Dask workers for the multi-core passes")
    parser.add_argument("--scaling-multiple", type=int, default=10, help="pool size of the scaling runs (x corpus)")
    parser.add_argument("--pool-multiples", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--note", default=None, help="anything to add to the record (the machine's load is added)")
    parser.add_argument("--measure-pool", help=argparse.SUPPRESS)
    parser.add_argument("--engine", choices=("processes", "dask", "memory"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure_pool:
        measure_pool(args.measure_pool, args.engine, args.jobs)
        return 0
    ratios, better = throughput(args.docs, args.jobs)
    for part in (scaling(args.scaling_multiple, args.jobs), memory(args.pool_multiples, args.jobs)):
        ratios.update(part[0])
        better.update(part[1])
    note = (f"{args.docs} documents for throughput, {args.jobs} processes/workers, scaling on a "
            f"{args.scaling_multiple}x pool, pools {args.pool_multiples}x" + (f"; {args.note}" if args.note else ""))
    print(f"recorded in {write_benchmark('dsir', ratios, note=note, better=better)}")
    return 0


if __name__ == "__main__":
    import os

    os.environ.setdefault("FSCORE_PROGRESS", "0")
    os.environ.setdefault("TQDM_DISABLE", "1")  # the official package's bars
    sys.exit(main())
