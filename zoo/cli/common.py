"""What every command shares: exit codes, output, loading the catalog, argument types.

Library code raises; only the ``zoo.cli`` package prints and chooses exit codes: 0 success,
1 a problem in the user's data or a stale output, 2 bad usage.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence

from ..catalog import Catalog, collect
from ..catalog.loader import partial_files
from ..catalog.problems import Problem
from ..registry import check_against_catalog
from ..repo import Repository

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


def out(text: str = "") -> None:
    print(text)


def err(text: str) -> None:
    print(text, file=sys.stderr)


def load_catalog(repo: Repository) -> Catalog:
    """The valid catalog, or every problem printed and exit 1."""
    for partial in partial_files(repo.catalog):
        err(f"{partial.relative_to(repo.root)}: ignored, left by an interrupted write; delete it")
    catalog, problems = collect(repo.catalog)
    problems += check_against_catalog(catalog) if catalog else []
    if problems or catalog is None:
        report(problems)
        raise SystemExit(EXIT_INVALID)
    return catalog


def report(problems: Sequence[Problem]) -> None:
    for problem in sorted(problems):
        out(str(problem))
    files = len({p.path for p in problems})
    err(f"{len(problems)} problem{'s' * (len(problems) != 1)} in {files} "
        f"file{'s' * (files != 1)}")


def progress(label: str) -> Callable[..., None] | None:
    """A one-line counter on a terminal's stderr; nothing when stderr is a pipe or a log."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int, *_: object) -> None:
        sys.stderr.write(f"\r{label} {done}/{total}" + ("\n" if done == total else ""))
        sys.stderr.flush()

    return show


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(text)


def seconds(text: str) -> float:
    """A duration: a finite number of seconds above zero (not 0, -1, nan or inf)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value


def command(sub: argparse._SubParsersAction, name: str, func: Callable,
            help: str) -> argparse.ArgumentParser:
    """Add subcommand ``name`` that runs ``func(args, repo)``."""
    p = sub.add_parser(name, help=help, description=help)
    p.set_defaults(func=func)
    return p
