"""``aladin``: check, build, serve, import, add, list and export the catalog; check its links,
enrich its code links with GitHub data, and benchmark the zoo.

Every command acts on the repository containing the current directory (or ``--root DIR``, before
or after the command), never on the copy the package was installed from; outside a clone, the
read-only commands (``list``, ``export``, ``schema``) read the catalog installed with the package
and say so on stderr. One module per command family; what they share
(exit codes, output, loading the catalog) is in ``common``. Library code raises; only this
package prints and chooses exit codes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..catalog.writer import NotARegularFile
from ..network.enrichment import EnrichmentError
from ..registry import MissingExtraError
from ..repo import Repository, RepositoryNotFound, find_repository, installed_catalog
from . import bench, build, check, importing, links, new, query
from .common import EXIT_INVALID, EXIT_OK, CommandError, err

__all__ = ["build_parser", "main"]

_COMMANDS = (check, build, importing, new, links, query, bench)  # in the order of --help


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aladin", description="The Aladin Light-Weight-Model-Zoo catalog tools.")
    parser.add_argument("--version", action="version", version=f"aladin {__version__}")
    root_help = "repository to act on (default: the one containing the current directory)"
    parser.add_argument("--root", type=Path, help=root_help)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in _COMMANDS:
        module.register(sub)
    for command in sub.choices.values():  # `aladin list --root DIR` too; SUPPRESS keeps the first
        command.add_argument("--root", type=Path, default=argparse.SUPPRESS, help=root_help)
    return parser


def _repository(args: argparse.Namespace) -> Repository:
    if args.root:
        repo = Repository(args.root.resolve())
        if not (repo.catalog / "taxonomy.yaml").is_file():
            raise RepositoryNotFound(f"{args.root}: no catalog/taxonomy.yaml there")
        return repo
    try:
        return find_repository()
    except RepositoryNotFound:
        if not getattr(args, "read_only", False):
            raise
    repo = installed_catalog()
    err(f"aladin: not inside a clone; reading the catalog installed with aladin-zoo "
        f"{__version__} ({repo.catalog})")
    return repo


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # as typed, for result provenance
    try:
        return args.func(args, _repository(args))
    except (RepositoryNotFound, CommandError, MissingExtraError, EnrichmentError,
            NotARegularFile) as exc:
        err(f"aladin: {exc}")
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `aladin list | head`
        sys.stderr.close()
        return EXIT_OK
