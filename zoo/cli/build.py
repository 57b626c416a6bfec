"""``aladin build`` and ``aladin serve``: render README.md, schema/ and the website; preview it."""

from __future__ import annotations

import argparse
import difflib
from pathlib import Path

from ..catalog import Catalog
from ..publish.readme import render_readme
from ..registry import by_paper
from ..repo import Repository
from .common import EXIT_INVALID, EXIT_OK, CommandError, command, load_catalog, out


def _generated(repo: Repository, catalog: Catalog) -> dict[Path, str]:
    """Every committed generated file and the text it must have."""
    from ..schema import schema_texts

    files = {repo.readme: render_readme(catalog, by_paper())}
    files.update({repo.schema / name: text for name, text in schema_texts().items()})
    return files


def cmd_build(args: argparse.Namespace, repo: Repository) -> int:
    from ..catalog.writer import write_atomic

    catalog = load_catalog(repo)
    files = _generated(repo, catalog)
    if args.check:
        stale = [p for p, text in files.items()
                 if not p.is_file() or p.read_text(encoding="utf-8") != text]
        for path in stale:
            old = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
            diff = list(difflib.unified_diff(old, files[path].splitlines(), "committed",
                                             "rendered", lineterm="", n=0))
            out(f"{path.relative_to(repo.root)}: stale; run `aladin build` and commit it")
            for line in diff[2:22]:
                out(f"  {line}")
        return EXIT_INVALID if stale else EXIT_OK
    for path, text in files.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            write_atomic(path, text)
    out(f"wrote {repo.readme.relative_to(repo.root)} ({len(catalog)} papers) and schema/")
    if args.readme_only:
        return EXIT_OK
    from ..site import SiteBuildError, build_site

    try:
        build_site(catalog, repo.root, repo.site_out)
    except SiteBuildError as exc:  # another build running, or MkDocs' reasons
        raise CommandError(str(exc)) from None
    out(f"wrote the website to {repo.site_out.relative_to(repo.root)}/")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, repo: Repository) -> int:
    from ..site import serve

    load_catalog(repo)  # refuse to serve an invalid catalog; the problems are the useful output
    serve(repo.root, host=args.host, port=args.port)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "build", cmd_build, "render README.md, schema/ and the website (build/site/)")
    p.add_argument("--check", action="store_true",
                   help="only report whether the committed README and schema are stale (exit 1)")
    p.add_argument("--readme-only", action="store_true", help="skip the website")
    p = command(sub, "serve", cmd_serve, "preview the website, reloading when the catalog changes")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
