"""Finished training tasks kept on disk, so that ``aladin bench --resume`` picks up a run that was
stopped where it stopped.

A full run trains for an hour or more, and on a Ray cluster it writes nothing until all of its
training is done. The executors therefore save every task's result as it arrives, under a key
made of the task's function, its arguments and a fingerprint of the zoo's code, PyTorch's version
and Python's. A task is a pure function of those (:mod:`zoo.bench.execution`), so a result found
under its key is the result the task would compute again; a change to any ``zoo/`` source file
changes every key, and nothing computed by other code is ever reused. A baseline passed to an
adapter's task is left out of its key: it is itself a function of the model, recipe, seed and
threads that the key already holds.

Results live in ``$XDG_CACHE_HOME/aladin/bench/<fingerprint>/<run>/`` (default ``~/.cache``; the
run is named by its mode and results file), one file per task, written to a temporary name and
renamed, so a run killed mid-write leaves no half-file. A run that completes deletes its
directory; one that starts without ``--resume`` empties it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

__all__ = ["TaskStore", "code_fingerprint", "default_root"]

_ZOO = Path(__file__).resolve().parents[1]


def code_fingerprint() -> str:
    """A digest of every ``zoo/`` source file, PyTorch's version and Python's."""
    digest = hashlib.sha256(f"{torch.__version__} {platform.python_version()}".encode())
    for path in sorted(_ZOO.rglob("*.py")):
        digest.update(path.relative_to(_ZOO).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def default_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "aladin" / "bench"


class TaskStore:
    """Task results by key, in ``root/<fingerprint>/<run>/``; :meth:`load` gives ``None`` for a
    task that has not finished (or whose file cannot be read: it is simply run again)."""

    def __init__(self, run: str, *, resume: bool, root: Path | None = None) -> None:
        self.path = (root or default_root()) / code_fingerprint() / run
        if not resume:
            shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True, exist_ok=True)
        self.reused = 0

    @staticmethod
    def key(fn: Callable[..., Any], args: tuple[Any, ...], *, skip: tuple[type, ...]) -> str:
        """The key of ``fn(*args)``; arguments of the ``skip`` types (baselines and their
        handles) are left out."""
        kept = [repr(a) for a in args if not isinstance(a, skip)]
        text = "\0".join([f"{fn.__module__}.{fn.__qualname__}", *kept])
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def load(self, key: str) -> Any | None:
        path = self.path / f"{key}.pt"
        try:
            value = torch.load(path, weights_only=False)
        except Exception:  # missing, truncated, foreign: whatever it is, the task runs again
            return None
        self.reused += 1
        return value

    def save(self, key: str, value: Any) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path, suffix=".tmp")
        os.close(fd)
        try:
            torch.save(value, tmp)
            os.replace(tmp, self.path / f"{key}.pt")
        finally:
            Path(tmp).unlink(missing_ok=True)

    def clear(self) -> None:
        """Forget this run's tasks (it completed)."""
        shutil.rmtree(self.path, ignore_errors=True)
        with contextlib.suppress(OSError):  # the fingerprint's directory, once no run is left
            self.path.parent.rmdir()
