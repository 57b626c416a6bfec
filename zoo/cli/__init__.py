"""``aladin``: check, build, serve, import, add, list and export the catalog; check its links,
enrich its code links with GitHub data, and benchmark the zoo.

Every command acts on the repository containing the current directory (or ``--root DIR``), never
on the copy the package was installed from. One module per command family; what they share
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
from ..repo import Repository, RepositoryNotFound, find_repository
from . import bench, build, check, importing, links, new, query
from .common import EXIT_INVALID, EXIT_OK, CommandError, err

__all__ = ["build_parser", "main"]

_COMMANDS = (check, build, importing, new, links, query, bench)  # in the order of --help


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aladin", description="The Aladin Light-Weight-Model-Zoo catalog tools.")
    parser.add_argument("--version", action="version", version=f"aladin {__version__}")
    parser.add_argument("--root", type=Path, help="repository to act on (default: the one "
                        "containing the current directory)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in _COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # as typed, for result provenance
    try:
        repo = Repository(args.root.resolve()) if args.root else find_repository()
        if args.root and not (repo.catalog / "taxonomy.yaml").is_file():
            raise RepositoryNotFound(f"{args.root}: no catalog/taxonomy.yaml there")
        return args.func(args, repo)
    except (RepositoryNotFound, CommandError, MissingExtraError, EnrichmentError,
            NotARegularFile) as exc:
        err(f"aladin: {exc}")
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `aladin list | head`
        sys.stderr.close()
        return EXIT_OK
