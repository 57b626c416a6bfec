"""``aladin check``: validate every catalog file and the zoo registry."""

from __future__ import annotations

import argparse

from ..registry import list_methods
from ..repo import Repository
from .common import EXIT_OK, command, load_catalog, out


def cmd_check(args: argparse.Namespace, repo: Repository) -> int:
    catalog = load_catalog(repo)
    out(f"ok: {len(catalog)} papers, {len(catalog.categories)} categories, "
        f"{len(catalog.venue_table.venues)} venues, {len(list_methods())} zoo methods")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    command(sub, "check", cmd_check, "validate every catalog file and the zoo registry")
