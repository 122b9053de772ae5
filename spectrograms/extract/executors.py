"""Where the shard tasks run: this process, a pool of local processes, or a Dask cluster.

Each executor calls ``on_done(record)`` in the calling process as each shard finishes, in completion
order. The work unit is a whole shard (:func:`.shards.extract_shard`), so a lost process or worker
only costs the shard it held.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable

from .shards import extract_shard, shard_name

__all__ = ["EXECUTORS", "run_dask", "run_processes"]

EXECUTORS = ("processes", "dask")


def run_processes(tasks: list[dict], workers: int, on_done: Callable[[dict], None]) -> None:
    """Runs the tasks on ``workers`` local processes (in this process when 1)."""
    if workers <= 1 or len(tasks) <= 1:
        import torch

        # extract_shard limits its process to one torch thread (right for a worker); here that
        # process is the caller's, which gets its own setting back.
        threads = torch.get_num_threads()
        try:
            for task in tasks:
                on_done(extract_shard(task))
        finally:
            torch.set_num_threads(threads)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn, not fork: the parent's torch thread pool does not survive a fork reliably.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context) as pool:
        for future in as_completed([pool.submit(extract_shard, task) for task in tasks]):
            on_done(future.result())


def run_dask(tasks: list[dict], scheduler: str | None, dask_workers: int | None,
             on_done: Callable[[dict], None]) -> None:
    """Runs the tasks on a Dask cluster: the one at ``scheduler``, or a loopback ``LocalCluster`` of
    ``dask_workers`` single-thread worker processes started (and closed) here."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("executor='dask' needs dask.distributed: pip install 'spectrograms[extract]'") from exc
    cluster = None
    if scheduler is None:
        # Loopback only: a local cluster must not listen on the machine's network interfaces.
        cluster = LocalCluster(n_workers=dask_workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, host="127.0.0.1", dashboard_address=None)
        scheduler = cluster.scheduler_address
    try:
        with Client(scheduler) as client:
            # pure=False and one key per shard: the scheduler reschedules a lost worker's shard
            # (allowed_failures, 3 by default, bounds how many workers one shard may take down).
            futures = [client.submit(extract_shard, task, key=f"extract-{shard_name(task['index'])}-"
                                     f"{uuid.uuid4().hex[:6]}", pure=False, retries=2) for task in tasks]
            for future in as_completed(futures):
                on_done(future.result())
    finally:
        if cluster is not None:
            cluster.close()
