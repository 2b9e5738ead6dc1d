"""DSIR on a pool of JSONL shards larger than memory, across processes, with bounded memory.

The official package's pipeline (``data_selection/base.py``) in three passes, each streaming:

1. :func:`fit_shards`: the raw pool's bucket counts, one worker per shard, summed;
2. :func:`resample_shards`: each worker writes its shard's log-weights and lengths to ``.npy``
   files; the parent then reads them one shard at a time, adds Gumbel noise and keeps a running
   top-k (memory ``O(k + shard)``), which equals in-memory resampling of the concatenated pool;
3. each worker copies its shard's selected lines to ``out_dir``, in their original order.

A document's global index is its position in the concatenation of the shards in the order given.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from sklearn.utils import check_random_state

from fscore.training_data.dsir import DSIR, batches
from fscore.training_data.resampling import gumbel_top_k, gumbel_top_k_per_target
from fscore.progress import progress
from fscore.validation import check_documents


def check_shards(shards) -> list[Path]:
    """The shard paths, each an existing file; a clear error otherwise. A single path is one shard."""
    if isinstance(shards, (str, bytes, os.PathLike)):
        shards = [shards]  # not its characters
    shards = [Path(s) for s in shards]
    if not shards:
        raise ValueError("no shards given: the pool is empty")
    missing = [str(s) for s in shards if not s.is_file()]
    if missing:
        raise FileNotFoundError(f"{len(missing)} shard(s) not found: {', '.join(missing[:5])}")
    return shards


def read_texts(path, text_key: str = "text"):
    """The ``text_key`` field of every non-empty line of a JSONL file, one at a time."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    yield json.loads(line)[text_key]
                except (json.JSONDecodeError, KeyError) as error:
                    raise ValueError(f"{path}:{number}: not a JSON object with a {text_key!r} field "
                                     f"({error})") from None


def write_pool(texts, folder, n_docs: int, n_shards: int, random_state=None) -> list[Path]:
    """Write ``n_docs`` documents drawn with replacement from ``texts`` into ``n_shards`` JSONL shards.

    A pool of any size from a small corpus (benchmarks, tests); memory stays that of ``texts``.
    """
    texts = list(check_documents(texts))
    if not texts:
        raise ValueError("no documents to draw the pool from")
    rng, folder = check_random_state(random_state), Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, n_docs, n_shards + 1).astype(int)
    paths = []
    for shard in range(n_shards):
        path = folder / f"shard-{shard:05d}.jsonl"
        with open(path, "w", encoding="utf-8") as handle:
            for start in range(bounds[shard], bounds[shard + 1], 10_000):
                for i in rng.randint(len(texts), size=min(10_000, bounds[shard + 1] - start)):
                    handle.write(json.dumps({"text": texts[i]}, ensure_ascii=False) + "\n")
        paths.append(path)
    return paths


def _map(function, jobs, n_jobs, desc):
    """``function`` over ``jobs`` in ``n_jobs`` processes (in this one when 1), with a progress bar."""
    n_jobs = min(n_jobs or mp.cpu_count(), len(jobs))
    if n_jobs <= 1:
        return [function(job) for job in progress(jobs, desc=desc)]
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    with mp.get_context(method).Pool(n_jobs) as pool:
        return list(progress(pool.imap(function, jobs), total=len(jobs), desc=desc))


def _shard_counts(job):
    dsir, path, text_key = job
    return dsir.count(read_texts(path, text_key))


def fit_shards(dsir: DSIR, target, shards, target_groups=None, target_proportions=None, n_jobs=None,
               text_key: str = "text") -> DSIR:
    """Fit ``dsir`` on in-memory ``target`` documents and a raw pool of JSONL ``shards`` (one process per shard)."""
    shards = check_shards(shards)
    raw = sum(_map(_shard_counts, [(dsir, s, text_key) for s in shards], n_jobs, "raw n-grams"))
    target_counts, labels = dsir.target_counts(target, target_groups)
    return dsir.fit_counts(target_counts, raw, target_proportions, labels)


def _shard_weights(job):
    dsir, path, text_key, out = job
    logw, lengths = [], []
    for batch in batches(read_texts(path, text_key), dsir.batch_size):
        w, n = dsir.weigh(batch)
        logw.append(w)
        lengths.append(n)
    if not logw:
        raise ValueError(f"shard {path} has no documents")
    np.save(f"{out}.logw.npy", np.concatenate(logw))
    np.save(f"{out}.len.npy", np.concatenate(lengths))
    return out


def _write_selected(job):
    path, out, chosen = job
    chosen = set(chosen.tolist())
    with open(path, encoding="utf-8") as source, open(out, "w", encoding="utf-8") as sink:
        for i, line in enumerate(line for line in source if line.strip()):
            if i in chosen:
                sink.write(line if line.endswith("\n") else line + "\n")
    return out


def weigh_shards(dsir: DSIR, shards, work_dir, n_jobs=None, text_key: str = "text") -> list[Path]:
    """Write each shard's log-weights and lengths to ``work_dir/<i>.logw.npy`` and ``<i>.len.npy``.

    One process per shard, each streaming its file in batches; returns the stems of the written files.
    """
    shards, work_dir = check_shards(shards), Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    stems = [work_dir / f"{i:05d}" for i in range(len(shards))]
    _map(_shard_weights, [(dsir, s, text_key, stem) for s, stem in zip(shards, stems)], n_jobs, "log-weights")
    return stems


def resample_shards(dsir: DSIR, shards, out_dir, k: int, random_state=None, noise: bool = True, n_jobs=None,
                    text_key: str = "text"):
    """Resample ``k`` documents from JSONL ``shards`` with a fitted ``dsir``; write them under ``out_dir``.

    Returns the sorted global indices of the selected documents and the written shard paths (same
    file names as the input shards). The same ``random_state`` gives the same selection as
    ``dsir.select`` on the concatenated pool in memory.
    """
    shards, out_dir = check_shards(shards), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="dsir-weights-", dir=out_dir))
    try:
        stems = weigh_shards(dsir, shards, work, n_jobs, text_key)
        sizes = [len(np.load(f"{stem}.len.npy", mmap_mode="r")) for stem in stems]
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)

        def chunks():
            for stem, offset in zip(stems, offsets):
                yield np.load(f"{stem}.logw.npy"), np.load(f"{stem}.len.npy") >= dsir.min_length, offset

        if len(dsir.target_proportions_) == 1:
            chosen = gumbel_top_k(((w[:, 0], v, o) for w, v, o in chunks()), k, random_state, noise)
        else:
            chosen = gumbel_top_k_per_target(chunks, k, dsir.target_proportions_, random_state, noise)
        jobs = [(s, out_dir / s.name, chosen[(chosen >= lo) & (chosen < hi)] - lo)
                for s, lo, hi in zip(shards, offsets[:-1], offsets[1:])]
        written = _map(_write_selected, jobs, n_jobs, "writing")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return chosen, written
