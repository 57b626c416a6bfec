"""A text corpus every machine has without a download: the running Python's standard library.

The ``.py`` sources of the standard library (``sysconfig.get_paths()["stdlib"]``; test suites and
``site-packages`` left out) are split **by file** into train and validation, so no function is
seen half in training and half in validation. The split is a hash of each file's path relative to
the library root (``crc32 % 10 == 0`` → validation, about 10 %), the same on every machine with the
same Python version, independent of file-system order.

The corpus depends on the Python version (3.11's standard library is ~730 files, ~12 MB); every
figure measured on it says which Python it came from (:func:`corpus_id`).

>>> corpus = load_corpus(max_files=20)
>>> len(corpus.train) + len(corpus.validation) == 20
True
>>> set(corpus.train).isdisjoint(corpus.validation)
True
"""

from __future__ import annotations

import platform
import sysconfig
import zlib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Corpus", "corpus_id", "load_corpus", "stdlib_files"]

_SKIPPED_DIRS = frozenset({"test", "tests", "idle_test", "site-packages", "__pycache__"})


@dataclass(frozen=True)
class Corpus:
    """File name → source text, for the training and the validation files (disjoint)."""

    train: dict[str, str]
    validation: dict[str, str]

    @property
    def train_text(self) -> list[str]:
        return list(self.train.values())

    @property
    def validation_text(self) -> list[str]:
        return list(self.validation.values())


def corpus_id() -> str:
    """Which corpus this machine has, e.g. ``"python-3.11.7-stdlib"``."""
    return f"python-{platform.python_version()}-stdlib"


def stdlib_files(root: Path | None = None) -> list[Path]:
    """The standard library's ``.py`` files, sorted by relative path, tests left out."""
    root = Path(root or sysconfig.get_paths()["stdlib"])
    files = (
        p for p in root.rglob("*.py")
        if not _SKIPPED_DIRS.intersection(p.relative_to(root).parts[:-1])
    )
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def _is_validation(relative: str) -> bool:
    return zlib.crc32(relative.encode()) % 10 == 0


def load_corpus(root: Path | None = None, *, max_files: int | None = None) -> Corpus:
    """The corpus split by file; ``max_files`` keeps the first files (sorted) for quick runs."""
    root = Path(root or sysconfig.get_paths()["stdlib"])
    files = stdlib_files(root)[:max_files]
    if not files:
        raise ValueError(f"no Python sources under {root}")
    train: dict[str, str] = {}
    validation: dict[str, str] = {}
    for path in files:
        relative = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        (validation if _is_validation(relative) else train)[relative] = text
    if not validation:  # a tiny max_files may hash nothing into validation: take the last file
        last = next(reversed(train))
        validation[last] = train.pop(last)
    return Corpus(train=train, validation=validation)
