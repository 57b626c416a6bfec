"""Where the benchmark's training runs: in this process, or as tasks on a Ray cluster.

The training part of a run — one baseline per (model, seed), then every adapter per (model, seed),
each adapter starting from its seed's baseline — is a graph of independent *tasks*
(:func:`train_task`, :func:`apply_task`). Each task is a pure function of its arguments: it builds
its own data split and loaders, fixes the thread count and seeds the generators before it starts,
so it computes the same figures wherever and in whatever order it runs. That is what lets
``aladin bench --ray ADDRESS`` (:class:`RayExecutor`) spread the tasks over a cluster and still
write the same accuracies as a local run (:class:`LocalExecutor`) for the same seeds.

Latency is never measured here: the runner times every model afterwards in one process on one
node (:func:`~zoo.bench.measure.latency_session`), after the cluster's work is done, so that no
training competes with the timing.
"""

from __future__ import annotations

import contextlib
import functools
import pickle
import re
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import torch
from torch import nn
from torch.utils.data import DataLoader

from ..data import DigitsSplit
from ..registry import MissingExtraError
from ..training import seed_everything
from .adapters import load_adapters
from .checkpoint import TaskStore
from .measure import static_figures
from .models import MODELS, Context, Recipe, make_loaders, split_for, train_baseline
from .progress import Progress

__all__ = ["Executor", "ExecutorError", "LocalExecutor", "Outcome", "RayExecutor", "Trained",
           "apply_task", "connect", "train_task"]

LOCAL = "local"


class ExecutorError(RuntimeError):
    """The cluster cannot be reached or started; the message says what to change."""


@dataclass
class Trained:
    """A baseline: the trained model, its training time and its test accuracy."""

    model: nn.Module
    seconds: float
    accuracy: float


@dataclass
class Outcome:
    """One adapter on one seed: its figures and model, or the error it raised.

    Sent back from a worker, an outcome whose model does not pickle (an FX-converted int8 model:
    ``torch.fx`` cannot name one of its graph's globals) arrives without it and says why in
    ``unsent``; the executor then runs the task again where the model is needed.
    """

    figures: dict[str, Any] | None = None
    model: nn.Module | None = None
    error: str | None = None
    skipped: str | None = None  # a missing extra's install line: an optional peer, not a failure
    unsent: str | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if self.model is not None:
            try:
                pickle.dumps(self.model)
            except Exception as exc:
                state.update(model=None, unsent=f"{type(exc).__name__}: {exc}")
        return state


@functools.cache
def _data(model: str, recipe: Recipe) -> tuple[DigitsSplit, DataLoader, DataLoader]:
    split = split_for(MODELS[model])
    return (split, *make_loaders(split, recipe))


def _context(model: str, recipe: Recipe, seed: int, baseline: nn.Module) -> Context:
    split, train_data, test_data = _data(model, recipe)
    return Context(MODELS[model], recipe, seed, split, train_data, test_data, baseline)


def train_task(model: str, recipe: Recipe, seed: int, threads: int) -> Trained:
    """Train ``model``'s baseline for ``seed`` with ``recipe`` on ``threads`` intra-op threads."""
    torch.set_num_threads(threads)
    _, train_data, _ = _data(model, recipe)
    start = time.perf_counter()
    trained, _ = train_baseline(MODELS[model], recipe, seed, train_data)
    seconds = time.perf_counter() - start
    return Trained(trained, seconds, _context(model, recipe, seed, trained).accuracy(trained))


def apply_task(adapter: str, model: str, recipe: Recipe, seed: int, baseline: Trained,
               threads: int, keep_model: bool) -> Outcome:
    """Apply ``adapter`` to a copy of ``baseline`` and measure accuracy, size and FLOPs.

    The generators are seeded first, so what the adapter draws (shuffles, calibration batches)
    does not depend on which tasks ran before it in the same process. An adapter that raises
    gives an :class:`Outcome` with the error: one broken method must not lose the whole run.
    """
    torch.set_num_threads(threads)
    seed_everything(seed)
    ctx = _context(model, recipe, seed, baseline.model)
    try:
        start = time.perf_counter()
        applied = load_adapters()[adapter].apply(ctx)
        seconds = time.perf_counter() - start
        figures = static_figures(applied.model, ctx.example_inputs,
                                 float_model=applied.float_model, weight_bits=applied.weight_bits)
        figures = {
            "seed": seed,
            "accuracy": ctx.accuracy(applied.model),
            "before_recovery": applied.before_recovery,
            "seconds": round(seconds, 2),
            "details": applied.details,
            **figures,
        }
    except MissingExtraError as exc:
        return Outcome(skipped=str(exc))
    except Exception as exc:
        return Outcome(error=f"{type(exc).__name__}: {exc}")
    return Outcome(figures, applied.model if keep_model else None)


class Executor(Protocol):
    """Runs tasks: :meth:`submit` returns a handle, :meth:`gather` the results of handles.

    A handle may be passed as an argument of a later :meth:`submit` (an adapter's task takes its
    baseline's handle); the executor hands the task the result.
    """

    def submit(self, fn: Callable[..., Any], *args: Any, label: str, units: float) -> Any: ...

    def gather(self, handles: Sequence[Any]) -> list[Any]: ...

    def close(self) -> None: ...

    def describe(self) -> dict[str, Any]: ...


class _Resumable:
    """What both executors do with a :class:`~zoo.bench.checkpoint.TaskStore`: look a task up
    before running it, and keep its result once it has one."""

    progress: Progress
    store: TaskStore | None
    handles: tuple[type, ...] = (Trained,)  # arguments a task's key leaves out

    def _lookup(self, fn: Callable[..., Any], args: tuple[Any, ...],
                label: str, units: float) -> tuple[str | None, Any]:
        """The task's key and its stored result (``None``: not run yet, or to run again)."""
        if self.store is None:
            return None, None
        key = self.store.key(fn, args, skip=self.handles)
        done = self.store.load(key)
        if done is not None:
            self.progress.skip(f"{label} (resumed)", units)
        return key, done

    def _keep(self, key: str | None, result: Any) -> None:
        # An error may be passing (a worker killed, an extra installed since): run it again.
        failed = isinstance(result, Outcome) and (result.error or result.skipped or result.unsent)
        if key is not None and self.store is not None and not failed:
            self.store.save(key, result)


class LocalExecutor(_Resumable):
    """Runs each task at once, in this process, in the order submitted."""

    def __init__(self, progress: Progress, store: TaskStore | None = None) -> None:
        self.progress, self.store = progress, store

    def submit(self, fn: Callable[..., Any], *args: Any, label: str, units: float) -> Any:
        key, done = self._lookup(fn, args, label, units)
        if done is not None:
            return done
        with self.progress.task(label, units):
            result = fn(*args)
            self._keep(key, result)
        return result

    def gather(self, handles: Sequence[Any]) -> list[Any]:
        return list(handles)

    def close(self) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        return {"ray": None}


class RayExecutor(_Resumable):
    """Submits tasks to a Ray cluster (one CPU each) and collects them as they finish.

    A task that dies with its worker (killed, out of memory) comes back as an :class:`Outcome`
    with the error, like an adapter that raised; a baseline that cannot be trained stops the run.
    """

    def __init__(self, progress: Progress, ray: Any, address: str,
                 store: TaskStore | None = None) -> None:
        self.progress, self.ray, self.store = progress, ray, store
        self.handles = (Trained, ray.ObjectRef)
        self.labels: dict[Any, tuple[str, float]] = {}
        self.calls: dict[Any, tuple[Callable[..., Any], tuple[Any, ...]]] = {}
        self.keys: dict[Any, str | None] = {}
        self.remote: dict[Callable[..., Any], Any] = {}
        self.cluster = {"ray": address, "ray_version": ray.__version__,
                        "nodes": sum(n["Alive"] for n in ray.nodes()),
                        "cpus": ray.cluster_resources().get("CPU")}

    def describe(self) -> dict[str, Any]:
        return self.cluster

    def submit(self, fn: Callable[..., Any], *args: Any, label: str, units: float) -> Any:
        key, done = self._lookup(fn, args, label, units)
        if done is not None:
            return self.ray.put(done)
        if fn not in self.remote:
            self.remote[fn] = self.ray.remote(num_cpus=1, max_retries=0)(fn)
        ref = self.remote[fn].remote(*args)
        self.labels[ref] = (label, units)
        self.calls[ref] = (fn, args)
        self.keys[ref] = key
        return ref

    def gather(self, handles: Sequence[Any]) -> list[Any]:
        wanted = {h for h in handles if h in self.labels}
        while self.labels:  # the bar counts every task that finished, whichever model's it is
            refs = list(self.labels)
            # The next to finish while one asked for runs; then whatever else is done by now.
            ready, _ = (self.ray.wait(refs, num_returns=1) if wanted
                        else self.ray.wait(refs, num_returns=len(refs), timeout=0))
            if not ready:
                break
            for ref in ready:
                label, units = self.labels.pop(ref)
                wanted.discard(ref)
                self.progress.advance(f"{label} (Ray)", units)
                if self.keys.get(ref) is not None:  # kept as it arrives: a stop loses no more
                    with contextlib.suppress(self.ray.exceptions.RayError):
                        self._keep(self.keys[ref], self.ray.get(ref))
        results = []
        for handle in handles:
            try:
                result = self.ray.get(handle)
            except self.ray.exceptions.RayError as exc:
                result = Outcome(error=f"Ray task failed: {_last_line(exc)}")
            if isinstance(result, Outcome) and result.unsent:  # deterministic: run it again here
                fn, args = self.calls[handle]
                args = tuple(self.ray.get(a) if isinstance(a, self.ray.ObjectRef) else a
                             for a in args)
                result = fn(*args)
            results.append(result)
        return results

    def close(self) -> None:
        self.ray.shutdown()  # a local cluster stops with it, before the latency session starts


def _last_line(exc: Exception) -> str:
    """The error a task raised, without Ray's traceback and terminal colours around it."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return re.sub(r"\x1b\[[0-9;]*m", "", lines[-1] if lines else type(exc).__name__)


def _reachable(address: str) -> None:
    """Refuse an address whose head node does not answer, in seconds rather than Ray's minute
    of retries."""
    parts = urlsplit(address if "://" in address else f"ray://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if not host or not port:
        raise ExecutorError(f"--ray {address}: not an address; give HOST:PORT of the cluster's "
                            f"head node (e.g. 10.0.0.5:6379) or '{LOCAL}' to start one here")
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ExecutorError(f"--ray {address}: no Ray head node answers there ({reason}); start "
                            f"one with `ray start --head` or use --ray {LOCAL}") from exc


def connect(address: str | None, progress: Progress, *, cpus: int | None = None,
            store: TaskStore | None = None) -> Executor:
    """The executor for ``address``: ``None`` runs here; ``"local"`` starts a Ray cluster on this
    machine (``cpus`` CPUs, default all); anything else joins the cluster at that address, with
    this checkout of ``zoo`` shipped to its workers (they need PyTorch and the zoo extra).
    With a ``store``, finished tasks are kept there and tasks found there are not run again."""
    if address is None:
        return LocalExecutor(progress, store)
    from ..registry import INSTALL_BENCH
    try:
        import ray
    except ModuleNotFoundError as exc:
        raise MissingExtraError(f"aladin bench --ray needs Ray (the bench extra): "
                                f"{INSTALL_BENCH}") from exc
    options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
    if address == LOCAL:
        options.update(num_cpus=cpus)
    else:
        _reachable(address)
        options.update(address=address,
                       runtime_env={"py_modules": [str(Path(__file__).resolve().parents[1])]})
    try:
        ray.init(**options)
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError...
        raise ExecutorError(f"--ray {address}: Ray did not start: "
                            f"{str(exc).splitlines()[0]}") from exc
    return RayExecutor(progress, ray, address, store)
