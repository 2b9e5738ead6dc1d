"""DSIR on a Dask cluster: the streaming pipeline's per-shard tasks run by a ``distributed.Client``.

The work itself is :mod:`fscore.training_data.streaming`'s (one function per shard pass, whichever executor
runs it); this module only provides the cluster: an existing one given its scheduler's address
(``tcp://host:8786``), or a ``LocalCluster`` of worker processes on this machine. Dask reschedules the
tasks of a worker that dies, and every task is a pure function of its files (results written atomically),
so a lost worker does not change the selection.

On a cluster of several machines the shards, the output folder and ``fscore`` itself must be reachable from
every worker at the same paths (a shared file system, the same environment).
"""
from __future__ import annotations

import logging
import os
from contextlib import contextmanager


# Dask's nannies start workers with MALLOC_TRIM_THRESHOLD_=65536, which also turns off glibc's adaptive mmap
# threshold: every array above 128 KiB is then mapped and unmapped afresh, and the featuriser's per-batch
# temporaries (a few MB) cost page faults that made a task 2-3x slower than the same call in this process
# (measured). Serving allocations below 32 MiB from the heap again, and returning freed heap to the system only
# above 32 MiB (not after every free of 64 KiB), brings a task's compute time to the in-process one (measured: about
# 7% less compute than with the mmap threshold alone); memory stays bounded by those 32 MiB. Workers of an existing
# cluster get the same by being started with both variables (WORKER_ENVIRONMENT) in their environment.
MMAP_THRESHOLD = 32 * 2**20
WORKER_ENVIRONMENT = {"MALLOC_MMAP_THRESHOLD_": MMAP_THRESHOLD, "MALLOC_TRIM_THRESHOLD_": MMAP_THRESHOLD}


@contextmanager
def _worker_environment(dask):
    """:data:`WORKER_ENVIRONMENT` for the workers a nanny spawns in this block, and this process's environment after.

    A nanny takes its workers' variables from Dask's ``pre-spawn-environ`` configuration, except where this process
    has the variable set: and a nanny leaves its workers' values set in this process. Both are set here, so that a
    cluster started earlier in the same process (with Dask's defaults) cannot override them.
    """
    saved = {name: os.environ.get(name) for name in WORKER_ENVIRONMENT}
    os.environ.update({name: str(value) for name, value in WORKER_ENVIRONMENT.items()})
    try:
        with dask.config.set({f"distributed.nanny.pre-spawn-environ.{name}": value
                              for name, value in WORKER_ENVIRONMENT.items()}):
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def dask_client(scheduler: str | None = None, n_workers: int | None = None, threads_per_worker: int = 1,
                dashboard_address: str | None = None):
    """A ``distributed.Client``: connected to ``scheduler``, or to a new ``LocalCluster`` closed on exit.

    Parameters
    ----------
    scheduler : str, optional
        The address of a running scheduler (``tcp://host:8786``); ``None`` starts a local cluster.
    n_workers : int, optional
        Worker processes of the local cluster (default: one a core).
    threads_per_worker : int, default 1
        Threads of each local worker (featurising holds the GIL: processes, not threads, scale it).
    dashboard_address : str, optional
        Where the local cluster serves its dashboard (``":8787"``; the pages need ``bokeh``); ``None``: a free port.

    The local cluster logs only errors (not, e.g., the nanny's warning when a worker is slow to stop at the end).
    """
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - the message is the point
        raise ImportError("the Dask backend needs dask and distributed: pip install 'fscore[dask]' "
                          "(or use the process pool: --engine processes)") from None
    if scheduler is not None:
        with Client(scheduler) as client:
            yield client
        return
    with _worker_environment(dask), \
            LocalCluster(n_workers=n_workers, threads_per_worker=threads_per_worker, processes=True,
                         dashboard_address=dashboard_address or ":0", silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        yield client
