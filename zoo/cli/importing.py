"""``aladin import``: turn an awesome-list Markdown file into catalog entries."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from ..repo import Repository
from .common import EXIT_INVALID, EXIT_OK, CommandError, command, out, report


def cmd_import(args: argparse.Namespace, repo: Repository) -> int:
    from ..catalog import CatalogError
    from ..importer import ImporterError, ImportMapping, MappingError, import_markdown, load_mapping

    source = Path(args.file)
    if source.is_dir():
        raise CommandError(f"{source}: is a directory; give the list's Markdown file")
    if not source.is_file():
        raise CommandError(f"{source}: no such file")
    if bool(args.source_list) != bool(args.commit):
        raise CommandError("--source-list and --commit go together (the list's owner/repo and "
                           "the commit it was read at)")
    try:
        mapping = load_mapping(Path(args.mapping)) if args.mapping else None
        if args.default_subcategory:
            mapping = (mapping or ImportMapping()).with_defaults(dict(args.default_subcategory))
        provenance = (args.source_list, args.commit) if args.source_list else None
        result = import_markdown(source, repo.catalog, mapping=mapping, dry_run=args.dry_run,
                                 provenance=provenance)
    except CatalogError as exc:
        report(exc.problems)
        raise CommandError("fix the catalog before importing into it") from None
    except (MappingError, ImporterError) as exc:
        raise CommandError(str(exc)) from None
    out(json.dumps(result.as_json(), ensure_ascii=False, indent=1) if args.json
        else result.summary())
    return EXIT_INVALID if result.failed else EXIT_OK


def _pair(text: str) -> tuple[str, str]:
    category, sep, sub = text.partition("=")
    if not (sep and category and sub):
        raise argparse.ArgumentTypeError(f"expected CATEGORY=SUBCATEGORY, got {text!r}")
    return category, sub


def _owner_repo(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", text):
        raise argparse.ArgumentTypeError(f"expected OWNER/REPO, got {text!r}")
    return text


def _commit(text: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{7,40}", text):
        raise argparse.ArgumentTypeError(f"expected a hexadecimal commit, got {text!r}")
    return text


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "import", cmd_import,
                "turn an awesome-list Markdown file into catalog entries")
    p.add_argument("file", metavar="FILE.md")
    p.add_argument("--mapping", metavar="MAP.yaml", help="heading → category mapping (and the "
                   "list's owner/repo and commit for provenance)")
    p.add_argument("--default-subcategory", type=_pair, action="append", default=[],
                   metavar="CAT=SUB", help="subcategory for papers under a heading that names "
                   "only the category, e.g. pruning=structured (repeatable; marked for review)")
    p.add_argument("--source-list", type=_owner_repo, metavar="OWNER/REPO",
                   help="the list's repository, recorded in each entry's sources")
    p.add_argument("--commit", type=_commit, metavar="HASH", help="the list's commit")
    p.add_argument("--json", action="store_true", help="print the per-line report as JSON")
    p.add_argument("--dry-run", action="store_true", help="report, write nothing")
