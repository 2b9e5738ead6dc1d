"""DSIR on a Dask cluster: the same selection as the process pool and the in-memory estimator, a killed worker
and an interrupted run changing nothing. One LocalCluster (2 worker processes, 1 thread each) for the module."""
import json
import os

import distributed  # fscore[dask], part of the dev extra: a missing Dask fails here rather than skipping
import numpy as np
import pytest

from fscore.training_data import DSIR, read_texts, write_pool
from fscore.training_data import __main__ as cli
from fscore.training_data.distributed import WORKER_ENVIRONMENT, dask_client
from fscore.training_data.streaming import select_shards
from fscore.datasets import text_corpus



@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") \
            as cluster, distributed.Client(cluster) as dask_client:
        yield dask_client


@pytest.fixture(scope="module")
def task():
    corpus = text_corpus.load_text_corpus()
    target, _, pool = text_corpus.split_target_and_pool(corpus, ["python-docs"], 60, 10, n_pool=300, random_state=0)
    return target["text"].tolist(), pool["text"].tolist()


async def exit_now():
    """Kills the worker process it runs on, at once (``client.run`` without waiting needs a coroutine)."""
    os._exit(1)


def indices(manifest):
    return [row["index"] for row in manifest["selected"]]


@pytest.mark.parametrize("pool_size, n_shards, grouped", [(1, 3, False), (1, 3, True), (100, 10, False)])
def test_dask_process_pool_and_in_memory_select_the_same(client, task, tmp_path, pool_size, n_shards, grouped):
    """On the corpus's pool, and on a pool 100x a small base (40 documents), at quick size."""
    target, raw = task
    base = raw if pool_size == 1 else raw[:40]
    shards = write_pool(base, tmp_path / "pool", n_docs=pool_size * len(base), n_shards=n_shards, random_state=0)
    groups = [i % 2 for i in range(len(target))] if grouped else None
    run = dict(target=target, shards=shards, k=30, target_groups=groups, random_state=7)
    on_dask = select_shards(out_dir=tmp_path / "dask", dsir=DSIR(mode="fast"), executor=client, **run)
    on_processes = select_shards(out_dir=tmp_path / "processes", dsir=DSIR(mode="fast"), n_jobs=2, **run)
    texts = [t for s in shards for t in read_texts(s)]
    in_memory = DSIR(mode="fast").fit(target, texts, target_groups=groups).select(texts, 30, random_state=7)
    assert indices(on_dask) == indices(on_processes) == in_memory.tolist()
    assert on_dask["selected"] == on_processes["selected"]
    written = [t for shard in on_dask["shards"] for t in read_texts(shard["output"])]
    assert written == [texts[i] for i in in_memory]


def test_a_killed_worker_does_not_change_the_selection(client, task, tmp_path):
    target, raw = task
    shards = write_pool(raw, tmp_path / "pool", n_docs=24 * 100, n_shards=24, random_state=3)
    run = dict(target=target, shards=shards, k=40, random_state=1, dsir=DSIR())  # parity hashing: slower tasks
    before = set(client.scheduler_info()["workers"])
    killed = []

    def kill_a_busy_worker(phase, done, total):
        if phase == "raw n-grams" and not killed:
            busy = [worker for worker, keys in client.processing().items() if keys]
            if busy:
                killed.append(busy[0])
                client.run(exit_now, workers=busy[:1], wait=False)

    on_dask = select_shards(out_dir=tmp_path / "dask", executor=client, callback=kill_a_busy_worker, **run)
    assert killed, "no worker had a task in flight to kill"
    client.wait_for_workers(2, timeout=60)
    assert set(client.scheduler_info()["workers"]) != before  # the nanny restarted the killed worker
    uninterrupted = select_shards(out_dir=tmp_path / "here", n_jobs=1, **{**run, "dsir": DSIR()})
    assert on_dask["selected"] == uninterrupted["selected"]


def test_an_interrupted_dask_run_resumes_with_the_same_selection(client, task, tmp_path):
    target, raw = task
    shards = write_pool(raw, tmp_path / "pool", n_docs=1200, n_shards=8, random_state=4)
    run = dict(target=target, shards=shards, out_dir=tmp_path / "out", k=25, random_state=2, executor=client)

    def interrupt(phase, done, total):
        if phase == "log-weights" and done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        select_shards(dsir=DSIR(mode="fast"), callback=interrupt, **run)
    resumed = select_shards(dsir=DSIR(mode="fast"), **run)
    assert all(s["counts_reused"] for s in resumed["shards"])
    assert 3 <= sum(s["weights_reused"] for s in resumed["shards"]) <= 8
    fresh = select_shards(dsir=DSIR(mode="fast"), **{**run, "out_dir": tmp_path / "fresh"})
    assert resumed["selected"] == fresh["selected"]


def test_the_command_line_runs_on_an_existing_scheduler(client, task, tmp_path):
    target, raw = task
    write_pool(raw, tmp_path / "pool", n_docs=300, n_shards=3, random_state=0)
    (tmp_path / "t.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in target))
    args = ["select", "--target", str(tmp_path / "t.jsonl"), "--raw", str(tmp_path / "pool" / "*.jsonl"),
            "--k", "20", "--mode", "fast", "--seed", "3"]
    assert cli.main(args + ["--out", str(tmp_path / "dask"), "--scheduler", client.scheduler.address]) == 0
    assert cli.main(args + ["--out", str(tmp_path / "local"), "--engine", "processes", "--workers", "2"]) == 0
    manifests = [json.loads((tmp_path / name / "manifest.json").read_text()) for name in ("dask", "local")]
    assert manifests[0]["selected"] == manifests[1]["selected"] and len(manifests[0]["selected"]) == 20
    assert np.all(np.diff(indices(manifests[0])) > 0)


def _environment(names):
    return {name: os.environ.get(name) for name in names}


def test_the_local_cluster_starts_workers_with_the_heap_settings():
    """Without them Dask's default trimming makes every featurising temporary page-fault (2-3x slower tasks)."""
    with dask_client(n_workers=1) as local:
        (seen,) = local.run(_environment, list(WORKER_ENVIRONMENT)).values()
    assert seen == {name: str(value) for name, value in WORKER_ENVIRONMENT.items()}
