"""Where the shard tasks run: this process, this process plus spawned local processes, a
``concurrent.futures`` executor the caller keeps, or a Dask cluster.

Each executor calls ``on_done(record)`` in the calling process as each shard finishes, in completion
order. The work unit is a whole shard (:func:`.shards.extract_shard`), so a lost process or worker
only costs the shard it held.
"""

from __future__ import annotations

import os
import pickle
import queue
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import Executor

from ..errors import SpectrogramError
from .shards import extract_shard, shard_name

__all__ = ["EXECUTORS", "ExtractionWorkerError", "run_dask", "run_executor", "run_processes"]

EXECUTORS = ("processes", "dask")
# How often the parent, waiting for the last shards, checks that its worker processes are alive.
_POLL_SECONDS = 0.5


class ExtractionWorkerError(SpectrogramError, RuntimeError):
    """A worker process died or failed outside the per-file error handling; finished shards are kept,
    so a rerun resumes from them."""


def _in_process(tasks: list[dict], on_done: Callable[[dict], None]) -> None:
    import torch

    # extract_shard limits its process to one torch thread (right for a worker); here that process
    # is the caller's, which gets its own setting back.
    threads = torch.get_num_threads()
    try:
        for task in tasks:
            on_done(extract_shard(task))
    finally:
        torch.set_num_threads(threads)


def _worker(tasks, results) -> None:
    """A spawned process: shards from the shared queue until its end marker (None)."""
    for task in iter(tasks.get, None):
        try:
            results.put((extract_shard(task), None))
        except BaseException as exc:  # reported to the parent, which raises it; never a silent loss
            try:
                pickle.dumps(exc)
                error = exc
            except Exception:  # an exception that does not pickle would be dropped by the queue
                error = ExtractionWorkerError(traceback.format_exc())
            results.put((None, error))
            if not isinstance(exc, Exception):
                raise


def run_processes(tasks: list[dict], workers: int, on_done: Callable[[dict], None]) -> None:
    """Runs the tasks on ``workers`` local processes: this one and ``workers - 1`` spawned ones.

    This process starts on the first shard at once, while the spawned ones import torch (about 3 s
    each here, longer under load: as long as extracting an hour of audio), and every process takes
    the next shard from one shared queue when it is free, so start-up costs one core a few seconds
    instead of stalling the run, a small corpus finishes before the workers are even up (they are
    then stopped), and no shard waits behind a process that is still starting.
    """
    if workers <= 1 or len(tasks) <= 1:
        _in_process(tasks, on_done)
        return
    import multiprocessing

    import torch

    # spawn, not fork: the parent's torch thread pool does not survive a fork reliably.
    context = multiprocessing.get_context("spawn")
    task_queue, results = context.Queue(), context.Queue()
    children = [context.Process(target=_worker, args=(task_queue, results), daemon=True,
                                name=f"spectrograms-extract-{k}") for k in range(min(workers, len(tasks)) - 1)]
    for task in tasks:
        task_queue.put(task)
    for _ in children:
        task_queue.put(None)
    for child in children:
        child.start()
    threads = torch.get_num_threads()

    done: set[int] = set()

    def collect(block: bool) -> None:
        """Takes the children's finished shards; with ``block``, until all are in or no child is left."""
        quiet_polls = 0
        while len(done) < len(tasks):
            try:
                record, error = results.get(timeout=_POLL_SECONDS) if block else results.get_nowait()
            except queue.Empty:
                if not block:
                    return
                # A child's last result can reach the pipe just after a poll timed out and before
                # the child exits: one more poll after the last child is gone.
                quiet_polls = quiet_polls + 1 if not any(c.is_alive() for c in children) else 0
                if quiet_polls >= 2:
                    return
                continue
            if error is not None:
                raise error
            on_done(record)
            done.add(record["index"])

    try:
        while True:
            task = task_queue.get()
            if task is None:  # every shard is taken; the marker belongs to a child
                task_queue.put(None)
                break
            record = extract_shard(task)
            on_done(record)
            done.add(record["index"])
            collect(block=False)  # keep the progress current between this process's shards
        collect(block=True)
        lost = [shard_name(t["index"]) for t in tasks if t["index"] not in done]
        if lost:
            # Not redone here: a shard that killed its process (a crash in a decoder, the OOM killer)
            # would kill this one too. Everything else is finished and kept; a rerun redoes the rest.
            codes = ", ".join(f"{c.name}: exit code {c.exitcode}" for c in children if c.exitcode)
            raise ExtractionWorkerError(
                f"{len(lost)} shard(s) lost with their worker process ({codes}): {', '.join(lost)}; the "
                "other shards are finished and kept: run the same extraction again to redo these")
    finally:
        torch.set_num_threads(threads)
        # A child still alive here holds no shard (all are done) or the run failed: stop it rather
        # than wait for a torch import that has nothing left to do.
        for child in children:
            if child.is_alive():
                child.terminate()
        for child in children:
            child.join()
        for q in (task_queue, results):
            q.cancel_join_thread()  # unread end markers or tasks must not block this process's exit
            q.close()


def run_executor(tasks: list[dict], executor: Executor, on_done: Callable[[dict], None]) -> None:
    """Runs the tasks on a ``concurrent.futures`` executor the caller owns (e.g. a process pool kept
    warm across several extractions); it is not shut down here."""
    from concurrent.futures import as_completed

    for future in as_completed([executor.submit(extract_shard, task) for task in tasks]):
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
