"""DSIR on a pool of JSONL shards larger than memory, on any executor: this process, a process pool or Dask.

The official package's pipeline (``data_selection/base.py``) in four passes over the shards, each a map of
one per-shard function over the shards, run by whichever executor is given (:func:`map_shards`: ``None``
runs in this process, a :class:`concurrent.futures.ProcessPoolExecutor` or a ``distributed.Client`` runs
one task per shard; the per-shard work is the same function in every case):

1. :func:`featurise_shard` with ``what="counts"``: each shard's raw bucket counts, summed by the driver
   into ``q_hat`` (:func:`fit_shards`);
2. :func:`featurise_shard` with ``what="weights"``: each shard's log importance weights, lengths and line
   numbers, saved next to the output (``.npz``); only a summary goes back to the driver;
3. :func:`shard_top_k`: each shard's ``k`` largest Gumbel-perturbed keys with their global indices; the
   driver merges them (exact: the top ``k`` of a union is the top ``k`` of the shards' top ``k``).
   The noise of shard ``j`` is the slice of one ``RandomState`` stream that an in-memory run would draw
   for it: the driver walks the stream (drawing and discarding, ``O(shard)`` memory) to hand each task
   its generator's state, so the selection is :meth:`DSIR.select`'s on the concatenated pool for the same
   seed, however the shards are spread over workers (and the official package's, in ``parity`` mode);
4. :func:`write_shard_selection`: each shard's selected lines, copied in their original order, and
   their manifest rows.

Passes 1 and 2 are cached per shard under a work folder, written atomically and named by a hash of
everything they depend on (the featuriser, the text field, the shard's path, size and modification
time, and for weights the fitted log-ratio vector): an interrupted run resumed with the same arguments
recomputes only the shards it had not finished, and changed arguments never reuse stale results.

A document's global index is its position among the documents (non-empty, well-formed lines) of the
shards in the order given.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import multiprocessing as mp
import os
import shutil
import tempfile
import uuid
import zlib
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import as_completed as _completed_locally
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sklearn.utils import check_random_state

from fscore.training_data.dsir import DSIR, batches
from fscore.training_data.resampling import _largest, per_target_sizes
from fscore.progress import progress
from fscore.validation import check_documents, check_k

MANIFEST = "manifest.json"
WORK = ".work"


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


def _open(path, mode: str = "rb", name=None):
    """A shard's file, through gzip when its name (``name``, default ``path``'s) ends in ``.gz``."""
    return gzip.open(path, mode) if str(name or path).endswith(".gz") else open(path, mode)


def read_records(path, text_key: str = "text", skip_bad_lines: bool = False):
    """``(line number, text)`` for every non-empty line of a JSONL (or JSONL.gz) shard, one at a time.

    A line that is not a JSON object with a string ``text_key`` field raises a ``ValueError`` naming the shard
    and the line, unless ``skip_bad_lines``: then it yields ``(line number, None)`` (the caller counts it).
    A shard that cannot be read (permissions, a corrupt or truncated gzip) raises a ``ValueError`` naming it.
    """
    number = 0
    try:
        with _open(path) as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    text = json.loads(line)[text_key]
                    if not isinstance(text, str):
                        raise TypeError(f"the field is a {type(text).__name__}, not a string")
                except (ValueError, KeyError, TypeError, IndexError) as error:
                    if skip_bad_lines:
                        yield number, None
                        continue
                    raise ValueError(f"{path}:{number}: not a JSON object with a string {text_key!r} field "
                                     f"({type(error).__name__}: {error}); skip_bad_lines=True "
                                     "(--skip-bad-lines) counts and skips such lines") from None
                yield number, text
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{path}: cannot read the shard after line {number} ({type(error).__name__}: "
                         f"{error})") from None


def read_texts(path, text_key: str = "text", skip_bad_lines: bool = False):
    """The ``text_key`` field of every non-empty line of a JSONL (or JSONL.gz) file, one at a time."""
    return (text for _, text in read_records(path, text_key, skip_bad_lines) if text is not None)


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


# --- executors ---------------------------------------------------------------------------------------------

def _is_dask(executor) -> bool:
    return type(executor).__module__.split(".")[0] == "distributed"


def map_shards(function, jobs, executor=None, desc: str | None = None, callback=None) -> list:
    """``function(*job)`` for every job, in the jobs' order, on ``executor``, with a progress bar.

    Parameters
    ----------
    function : callable
        A module-level function (it is pickled to the workers).
    jobs : list of tuple
        The arguments of each call.
    executor : None, concurrent.futures.Executor or distributed.Client
        ``None`` runs the calls here, one after the other; otherwise each call is a task submitted with
        ``executor.submit`` (both interfaces have it) and collected as it completes.
    desc : str, optional
        The progress bar's label, also passed to ``callback``.
    callback : callable, optional
        ``callback(desc, done, total)`` after each completed call (a hook for progress reports and tests).
    """
    results = [None] * len(jobs)
    bar = progress(total=len(jobs), desc=desc)
    try:
        if executor is None:
            for i, job in enumerate(jobs):
                results[i] = function(*job)
                bar.update()
                if callback is not None:
                    callback(desc, i + 1, len(jobs))
            return results
        if _is_dask(executor):  # tasks named by their pass, as the dashboard's task stream shows them
            from distributed import as_completed

            run = uuid.uuid4().hex[:12]
            futures = [executor.submit(function, *job, key=f"dsir {desc}-{run}-{i}") for i, job in enumerate(jobs)]
        else:
            as_completed = _completed_locally
            futures = [executor.submit(function, *job) for job in jobs]
        position = {id(future): i for i, future in enumerate(futures)}
        try:
            for done, future in enumerate(as_completed(futures), 1):
                results[position[id(future)]] = future.result()
                bar.update()
                if callback is not None:
                    callback(desc, done, len(jobs))
        finally:
            for future in futures:
                future.cancel()  # after an error: drop what has not run (a no-op on finished ones)
        return results
    finally:
        bar.close()


@contextmanager
def process_pool(n_jobs, n_tasks: int):
    """A process pool of ``n_jobs`` workers (every core when ``None``), or ``None`` (this process) for one."""
    n_jobs = min(n_jobs or mp.cpu_count(), n_tasks)
    if n_jobs <= 1:
        yield None
        return
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(n_jobs, mp_context=mp.get_context(method)) as pool:
        yield pool


@contextmanager
def _executor(executor, n_jobs, n_tasks: int):
    """``executor`` itself when given, else a process pool of ``n_jobs``."""
    if executor is not None:
        yield executor
    else:
        with process_pool(n_jobs, n_tasks) as pool:
            yield pool


# --- the per-shard work ------------------------------------------------------------------------------------

def _digest(*parts) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part if isinstance(part, bytes) else json.dumps(part, default=str).encode())
        hasher.update(b"\0")
    return hasher.hexdigest()[:20]


def shard_cache(work_dir, what: str, dsir: DSIR, path, text_key: str, skip_bad_lines: bool) -> Path:
    """The cache file of one shard's pass ``what`` ("counts" or "weights"): named by all it depends on."""
    path = Path(path)
    stat = path.stat()
    parts = [what, [dsir.num_buckets, dsir.ngrams, dsir.mode], text_key, bool(skip_bad_lines),
             str(path.resolve()), stat.st_size, stat.st_mtime_ns]
    if what == "weights":
        parts += [np.ascontiguousarray(dsir.log_ratio_).tobytes(), float(dsir.temperature)]
    return Path(work_dir) / f"{what}-{path.name}-{_digest(*parts)}.npz"


def _save_atomically(path: Path, **arrays) -> None:
    """``np.savez`` to a temporary name, then renamed: a killed worker never leaves a partial file."""
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
    with open(partial, "wb") as handle:
        np.savez(handle, **arrays)
    os.replace(partial, path)


def featurise_shard(dsir: DSIR, path, what: str, cache=None, text_key: str = "text",
                    skip_bad_lines: bool = False) -> dict:
    """One shard's pass: read -> featurise -> bucket counts (``what="counts"``) or log-weights (``"weights"``).

    The one implementation of the per-shard work, whichever executor runs it. The documents are read and
    featurised ``dsir.batch_size`` at a time, so memory is that of a batch plus the shard's weights.

    Parameters
    ----------
    dsir : DSIR
        Its featuriser (and, for weights, its fitted :attr:`DSIR.log_ratio_` and temperature).
    path : path-like
        A JSONL or JSONL.gz shard.
    what : {"counts", "weights"}
    cache : path-like, optional
        Where the result is kept (``.npz``): reused when it exists, written atomically otherwise.
    text_key, skip_bad_lines
        As in :func:`read_records`.

    Returns
    -------
    dict
        ``documents`` and ``bad_lines`` (how many were skipped), ``cached`` (whether the result was reused),
        and ``counts`` (the shard's total bucket counts) for counts; for weights ``valid`` (documents of at
        least ``dsir.min_length`` tokens) and ``cache``, the file with ``log_weights`` ``(n, n_targets)``,
        ``lengths`` and ``lines`` (each document's line number in the shard).
    """
    if what not in ("counts", "weights"):
        raise ValueError(f"what must be 'counts' or 'weights', got {what!r}")
    if cache is not None and Path(cache).exists():
        with np.load(cache) as saved:
            arrays, cached = {name: saved[name] for name in saved.files}, True
    else:
        counts, log_weights, lengths, lines, n_bad = np.zeros(dsir.featurizer.num_buckets, np.int64), [], [], [], 0
        for batch in batches(read_records(path, text_key, skip_bad_lines), dsir.batch_size):
            good = [(number, text) for number, text in batch if text is not None]
            n_bad += len(batch) - len(good)
            if not good:
                continue
            texts = [text for _, text in good]
            lines.append(np.fromiter((number for number, _ in good), dtype=np.int64, count=len(good)))
            if what == "counts":
                counts += np.bincount(dsir.featurizer.pairs(texts)[1], minlength=len(counts))
            else:
                w, n = dsir.weigh(texts)
                log_weights.append(w)
                lengths.append(n)
        if not lines:
            raise ValueError(f"shard {path} has no documents" + (f" ({n_bad} bad lines skipped)" if n_bad else ""))
        arrays = {"documents": np.int64(sum(map(len, lines))), "bad_lines": np.int64(n_bad)}
        if what == "counts":
            arrays["counts"] = counts
        else:
            arrays.update(log_weights=np.concatenate(log_weights), lengths=np.concatenate(lengths),
                          lines=np.concatenate(lines))
        cached = False
        if cache is not None:
            _save_atomically(Path(cache), **arrays)
    summary = {"documents": int(arrays["documents"]), "bad_lines": int(arrays["bad_lines"]), "cached": cached}
    if what == "counts":
        summary["counts"] = arrays["counts"]
    else:
        summary.update(valid=int((arrays["lengths"] >= dsir.min_length).sum()), cache=str(cache))
    return summary


def shard_top_k(cache, column: int, offset: int, min_length: int, excluded, state, k: int):
    """One shard's ``k`` largest keys ``log w_i + G_i`` among its valid documents, and their global indices.

    ``state`` is the ``RandomState`` state an in-memory run would have when it reaches this shard's first
    valid document (``None``: no noise, plain top-k); ``excluded`` are local indices already chosen (for
    the per-target rounds). Xie et al. (NeurIPS 2023), Sec. 3, "Resampling"; ties go to the smaller index.
    """
    with np.load(cache) as saved:
        scores, lengths = saved["log_weights"][:, column], saved["lengths"]
    valid = lengths >= min_length
    valid[np.asarray(excluded, dtype=np.int64)] = False
    where = np.flatnonzero(valid)
    keys = scores[where]
    if state is not None:
        rng = np.random.RandomState()
        rng.set_state(state)
        keys = keys + rng.gumbel(size=len(where))
    index = where + offset
    keep = _largest(keys, index, k)
    return keys[keep], index[keep]


def write_shard_selection(path, cache, chosen, out, id_key: str = "id") -> list[dict]:
    """Copy one shard's ``chosen`` documents (local indices) to ``out`` in their order; their manifest rows."""
    with np.load(cache) as saved:
        lines, log_weights = saved["lines"][chosen], saved["log_weights"][chosen]
    wanted = {int(line): i for i, line in enumerate(lines)}
    rows = []
    partial = Path(out).with_name(f".{Path(out).name}.{uuid.uuid4().hex}.partial")
    with _open(path) as source, _open(partial, "wb", name=out) as sink:
        for number, line in enumerate(source, 1):
            if number in wanted:
                sink.write(line if line.endswith(b"\n") else line + b"\n")
                record = json.loads(line)
                rows.append({"id": record.get(id_key), "shard": str(path), "line": number,
                             "log_weight": log_weights[wanted[number]].tolist()})
    os.replace(partial, out)
    return rows


# --- the passes --------------------------------------------------------------------------------------------

def _fit(dsir, target, shards, target_groups, target_proportions, executor, text_key, skip_bad_lines, work_dir,
         callback):
    jobs = [(dsir, s, "counts", None if work_dir is None else shard_cache(work_dir, "counts", dsir, s, text_key,
                                                                          skip_bad_lines), text_key, skip_bad_lines)
            for s in shards]
    summaries = map_shards(featurise_shard, jobs, executor, "raw n-grams", callback)
    target_counts, labels = dsir.target_counts(target, target_groups)
    dsir.fit_counts(target_counts, sum(s.pop("counts") for s in summaries), target_proportions, labels)
    return summaries


def fit_shards(dsir: DSIR, target, shards, target_groups=None, target_proportions=None, n_jobs=None,
               text_key: str = "text", executor=None, skip_bad_lines: bool = False) -> DSIR:
    """Fit ``dsir`` on in-memory ``target`` documents and a raw pool of JSONL ``shards`` (one task per shard).

    ``executor`` (a ``concurrent.futures`` executor or a ``distributed.Client``) runs the tasks; without one,
    a pool of ``n_jobs`` processes (this process when 1). Returns ``dsir``, fitted.
    """
    shards = check_shards(shards)
    with _executor(executor, n_jobs, len(shards)) as pool:
        _fit(dsir, target, shards, target_groups, target_proportions, pool, text_key, skip_bad_lines, None, None)
    return dsir


def _weigh(dsir, shards, work_dir, executor, text_key, skip_bad_lines, callback):
    Path(work_dir).mkdir(parents=True, exist_ok=True)
    jobs = [(dsir, s, "weights", shard_cache(work_dir, "weights", dsir, s, text_key, skip_bad_lines), text_key,
             skip_bad_lines) for s in shards]
    return map_shards(featurise_shard, jobs, executor, "log-weights", callback)


def weigh_shards(dsir: DSIR, shards, work_dir, n_jobs=None, text_key: str = "text", executor=None,
                 skip_bad_lines: bool = False) -> list[dict]:
    """Each shard's log-weights, lengths and line numbers, saved under ``work_dir`` (one ``.npz`` a shard).

    One task per shard, each streaming its file in batches; returns each shard's summary (its ``cache`` file,
    ``documents``, ``valid``, ``bad_lines``), see :func:`featurise_shard`.
    """
    shards = check_shards(shards)
    with _executor(executor, n_jobs, len(shards)) as pool:
        return _weigh(dsir, shards, work_dir, pool, text_key, skip_bad_lines, None)


def _resample(dsir, summaries, k, random_state, noise, executor, callback):
    """Distributed Gumbel top-k over the shards' saved weights: the in-memory selection, exactly."""
    sizes = np.array([s["documents"] for s in summaries], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    valid = np.array([s["valid"] for s in summaries], dtype=np.int64)
    rng = check_random_state(random_state)
    chosen = np.zeros(0, dtype=np.int64)
    for column, size in enumerate(per_target_sizes(check_k(k, what="documents"), dsir.target_proportions_)):
        if size == 0:
            continue
        excluded = [chosen[(chosen >= lo) & (chosen < hi)] - lo for lo, hi in zip(offsets[:-1], offsets[1:])]
        available = valid - np.array([len(e) for e in excluded], dtype=np.int64)
        check_k(size, int(available.sum()), what="documents that pass the length filter")
        states = []
        for n in available:  # walk the stream as an in-memory run draws it, shard after shard
            states.append(rng.get_state() if noise else None)
            if noise:
                rng.gumbel(size=int(n))
        jobs = [(s["cache"], column, offset, dsir.min_length, e, state, size)
                for s, offset, e, state in zip(summaries, offsets[:-1], excluded, states)]
        parts = map_shards(shard_top_k, jobs, executor, "top-k", callback)
        keys = np.concatenate([p[0] for p in parts])
        index = np.concatenate([p[1] for p in parts])
        chosen = np.union1d(chosen, index[_largest(keys, index, size)])
    return chosen, offsets


def _output_names(shards) -> list[str]:
    names = [s.name for s in shards]
    return names if len(set(names)) == len(names) else [f"{i:05d}-{name}" for i, name in enumerate(names)]


def _write(shards, summaries, chosen, offsets, out_dir, executor, id_key, callback):
    jobs = [(s, summary["cache"], chosen[(chosen >= lo) & (chosen < hi)] - lo, Path(out_dir) / name, id_key)
            for s, summary, name, lo, hi in zip(shards, summaries, _output_names(shards), offsets[:-1], offsets[1:])]
    rows = map_shards(write_shard_selection, jobs, executor, "writing", callback)
    return [job[3] for job in jobs], [dict(index=int(i), **row) for i, row in zip(chosen, (r for p in rows for r in p))]


def resample_shards(dsir: DSIR, shards, out_dir, k: int, random_state=None, noise: bool = True, n_jobs=None,
                    text_key: str = "text", executor=None, skip_bad_lines: bool = False):
    """Resample ``k`` documents from JSONL ``shards`` with a fitted ``dsir``; write them under ``out_dir``.

    Returns the sorted global indices of the selected documents and the written shard paths (the input
    shards' file names). The same ``random_state`` gives the same selection as ``dsir.select`` on the
    concatenated pool in memory, whatever the executor (see the module's docstring).
    """
    shards, out_dir = check_shards(shards), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="dsir-weights-", dir=out_dir))
    try:
        with _executor(executor, n_jobs, len(shards)) as pool:
            summaries = _weigh(dsir, shards, work, pool, text_key, skip_bad_lines, None)
            chosen, offsets = _resample(dsir, summaries, k, random_state, noise, pool, None)
            written, _ = _write(shards, summaries, chosen, offsets, out_dir, pool, "id", None)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return chosen, written


def select_shards(target, shards, out_dir, k: int, dsir: DSIR | None = None, target_groups=None,
                  target_proportions=None, random_state=0, noise: bool = True, executor=None, n_jobs=None,
                  text_key: str = "text", skip_bad_lines: bool = False, id_key: str = "id", callback=None) -> dict:
    """DSIR end to end on a pool of shards, resumable: fit, weigh, resample, write the selection and a manifest.

    The command line's ``select`` (``python -m fscore.training_data select``) calls this, on a Dask client from
    :func:`fscore.training_data.distributed.dask_client` or a process pool; the selection equals ``dsir.select`` on
    the concatenated pool for the same ``random_state``.

    Parameters
    ----------
    target : iterable of str
        The target documents (in memory).
    shards : list of path-like
        The raw pool, JSONL or JSONL.gz files, in order.
    out_dir : path-like
        Receives one output shard per input shard (the selected lines, as they were), ``manifest.json``, and
        ``.work/``, the per-shard cache that makes a rerun with the same arguments skip finished shards
        (remove it to free the space).
    k : int
        How many documents to select.
    dsir : DSIR, optional
        The (unfitted) estimator with its settings; default ``DSIR()``.
    target_groups, target_proportions
        As in :meth:`DSIR.fit` (per-target DSIR).
    random_state : int, RandomState or None, default 0
    noise : bool, default True
        ``False``: plain top-k.
    executor : concurrent.futures.Executor or distributed.Client, optional
        Runs the per-shard tasks; default a pool of ``n_jobs`` processes (this process when 1).
    text_key, skip_bad_lines, id_key : str, bool, str
        The JSON field holding the text; whether bad lines are counted and skipped (else they raise, naming
        shard and line); the field copied into the manifest as each document's ``id`` (``None`` if absent).
    callback : callable, optional
        ``callback(phase, done, total)`` after every finished task.

    Returns
    -------
    dict
        The manifest also written to ``out_dir/manifest.json``: the parameters, the pool's size, the bad lines
        skipped, which shards were reused from an earlier run, and ``selected``: for each selected document its
        global ``index``, ``id``, source ``shard`` and ``line``, and ``log_weight``.
    """
    dsir = DSIR() if dsir is None else dsir
    shards, out_dir = check_shards(shards), Path(out_dir)
    work = out_dir / WORK
    work.mkdir(parents=True, exist_ok=True)
    with _executor(executor, n_jobs, len(shards)) as pool:
        counted = _fit(dsir, target, shards, target_groups, target_proportions, pool, text_key, skip_bad_lines,
                       work, callback)
        summaries = _weigh(dsir, shards, work, pool, text_key, skip_bad_lines, callback)
        chosen, offsets = _resample(dsir, summaries, k, random_state, noise, pool, callback)
        written, selected = _write(shards, summaries, chosen, offsets, out_dir, pool, id_key, callback)
    manifest = {
        "parameters": {**dsir.get_params(), "k": int(k), "seed": random_state if isinstance(random_state, int)
                       else None, "noise": noise, "text_key": text_key, "skip_bad_lines": skip_bad_lines,
                       "target_labels": None if dsir.target_labels_ is None else list(map(str, dsir.target_labels_)),
                       "target_proportions": dsir.target_proportions_.tolist()},
        "documents": int(offsets[-1]),
        "valid_documents": int(sum(s["valid"] for s in summaries)),
        "bad_lines": int(sum(s["bad_lines"] for s in summaries)),
        "shards": [{"path": str(s), "output": str(w), "documents": c["documents"], "bad_lines": c["bad_lines"],
                    "counts_reused": c["cached"], "weights_reused": m["cached"]}
                   for s, w, c, m in zip(shards, written, counted, summaries)],
        "selected": selected,
    }
    partial = out_dir / f".{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, indent=1) + "\n")
    os.replace(partial, out_dir / MANIFEST)
    return manifest
