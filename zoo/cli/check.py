"""``aladin check``: validate every catalog file and the zoo registry."""

from __future__ import annotations

import argparse

from ..registry import list_methods
from ..repo import Repository
from .common import EXIT_OK, command, load_catalog, out


def cmd_check(args: argparse.Namespace, repo: Repository) -> int:
    from ..catalog.identity import near_duplicates

    catalog = load_catalog(repo)
    titles = {p.id: p.title for p in catalog}
    warnings = [
        f"warning: {catalog.sources[a]} and {catalog.sources[b]}: {why}, is it one paper? "
        f"('{titles[a]}' / '{titles[b]}')"
        for a, b, why in near_duplicates(titles.items())
    ]
    for warning in warnings:
        out(warning)
    out(f"ok: {len(catalog)} papers, {len(catalog.categories)} categories, "
        f"{len(catalog.venue_table.venues)} venues, {len(list_methods())} zoo methods"
        + (f"; {len(warnings)} warnings" if warnings else ""))
    return EXIT_OK  # warnings are for a person to look at; only errors fail the check


def register(sub: argparse._SubParsersAction) -> None:
    command(sub, "check", cmd_check, "validate every catalog file and the zoo registry")
