"""Command line for DSIR on JSONL shards: ``python -m fscore.training_data select ...``.

    python -m fscore.training_data select --target 'target/*.jsonl' --raw 'pool/*.jsonl.gz' --k 100000 \\
        --out selected/ [--scheduler tcp://host:8786 | --workers 2 | --engine processes]

Selects ``k`` documents of the raw shards by DSIR (Xie et al., NeurIPS 2023) and writes them under ``--out``
as shards (the same file names), with ``manifest.json`` (each selected document's index, id, source shard and
line, and log-weight). An interrupted run started again with the same arguments reuses every shard it had
finished (``--out/.work``). By default the tasks run on a local Dask cluster; ``--scheduler`` names an
existing one; ``--engine processes`` uses a process pool instead (no Dask needed).
"""
from __future__ import annotations

import argparse
import glob
import sys
import time
from pathlib import Path

from fscore.training_data.dsir import DSIR
from fscore.training_data.streaming import MANIFEST, WORK, read_texts, select_shards


def expand(patterns, option: str) -> list[Path]:
    """The files matched by each glob pattern, sorted within a pattern, in the patterns' order."""
    paths = []
    for pattern in patterns:
        matched = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matched:
            raise FileNotFoundError(f"no file matches {option} {pattern!r}")
        paths += [Path(p) for p in matched]
    return paths


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m fscore.training_data", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = main.add_subparsers(dest="command", required=True)
    select = commands.add_parser("select", help="select k raw documents like the target (DSIR)")
    data = select.add_argument_group("data")
    data.add_argument("--target", nargs="+", required=True, metavar="GLOB", help="target JSONL(.gz) files")
    data.add_argument("--raw", nargs="+", required=True, metavar="GLOB", help="raw pool JSONL(.gz) shards")
    data.add_argument("--k", type=int, required=True, help="how many documents to select")
    data.add_argument("--out", required=True, type=Path, help="output folder (shards, manifest.json, .work/)")
    data.add_argument("--text-key", default="text", help="the JSON field holding the text (default: text)")
    data.add_argument("--id-key", default="id", help="the JSON field copied to the manifest as id (default: id)")
    data.add_argument("--skip-bad-lines", action="store_true",
                      help="count and skip malformed lines (default: stop, naming the shard and line)")
    method = select.add_argument_group("DSIR")
    method.add_argument("--seed", type=int, default=0, help="the Gumbel noise's seed (default: 0)")
    method.add_argument("--mode", choices=("parity", "fast"), default="parity",
                        help="hashing: the official package's buckets (parity) or faster ones (fast)")
    method.add_argument("--num-buckets", type=int, default=10000)
    method.add_argument("--ngrams", type=int, default=2)
    method.add_argument("--min-length", type=int, default=100, help="shorter documents are never selected")
    method.add_argument("--temperature", type=float, default=1.0)
    method.add_argument("--top-k", action="store_true", help="no Gumbel noise: the k largest weights")
    method.add_argument("--separate-targets", action="store_true",
                        help="one importance model per --target file (the official separate_targets)")
    engine = select.add_argument_group("where the tasks run")
    engine.add_argument("--engine", choices=("dask", "processes"), default="dask",
                        help="a Dask cluster (default) or a process pool on this machine")
    engine.add_argument("--scheduler", metavar="ADDRESS",
                        help="an existing Dask scheduler, e.g. tcp://host:8786 (default: start a LocalCluster)")
    engine.add_argument("--workers", type=int, help="local workers (Dask) or processes (default: one a core)")
    engine.add_argument("--dashboard", metavar="ADDRESS",
                        help="serve the local cluster's dashboard there, e.g. :8787 (needs bokeh)")
    return main


def select(args) -> dict:
    """Run ``select`` from parsed arguments; returns the manifest."""
    raw = expand(args.raw, "--raw")
    target_files = expand(args.target, "--target")
    target, groups = [], []
    for i, path in enumerate(target_files):
        texts = list(read_texts(path, args.text_key, args.skip_bad_lines))
        target += texts
        groups += [i] * len(texts)
    dsir = DSIR(num_buckets=args.num_buckets, ngrams=args.ngrams, mode=args.mode, min_length=args.min_length,
                temperature=args.temperature)
    options = dict(dsir=dsir, target_groups=groups if args.separate_targets else None, random_state=args.seed,
                   noise=not args.top_k, text_key=args.text_key, skip_bad_lines=args.skip_bad_lines,
                   id_key=args.id_key)
    if args.engine == "processes":
        if args.scheduler:
            raise ValueError("--scheduler needs --engine dask")
        return select_shards(target, raw, args.out, args.k, n_jobs=args.workers, **options)
    from fscore.training_data.distributed import dask_client

    with dask_client(args.scheduler, args.workers, dashboard_address=args.dashboard) as client:
        print(f"Dask: {client.scheduler.address}, {len(client.scheduler_info()['workers'])} workers"
              + (f", dashboard {client.dashboard_link}" if args.dashboard else ""))
        return select_shards(target, raw, args.out, args.k, executor=client, **options)


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    start = time.perf_counter()
    try:
        manifest = select(args)
    except (ValueError, TypeError, FileNotFoundError, ImportError) as error:
        print(f"python -m fscore.training_data {args.command}: error: {error}", file=sys.stderr)
        return 2
    reused = sum(s["weights_reused"] for s in manifest["shards"])
    print(f"selected {len(manifest['selected'])} of {manifest['documents']} documents "
          f"({manifest['valid_documents']} long enough) from {len(manifest['shards'])} shards in "
          f"{time.perf_counter() - start:.1f} s; {manifest['bad_lines']} bad lines skipped; "
          f"{reused} shards' weights reused from {args.out / WORK}; manifest: {args.out / MANIFEST}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
