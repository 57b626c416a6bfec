"""``aladin check-links`` and ``aladin enrich``: the catalog's links against the network."""

from __future__ import annotations

import argparse
import json
import time

from ..repo import Repository
from .common import (
    EXIT_INVALID,
    EXIT_OK,
    CommandError,
    command,
    err,
    load_catalog,
    out,
    progress,
    seconds,
)


def cmd_check_links(args: argparse.Namespace, repo: Repository) -> int:
    from ..network.http import HttpSettings
    from ..network.links import PERMANENT, LinkCache, LinkChecker, catalog_links

    catalog = load_catalog(repo)
    if unknown := [p for p in args.papers if p not in catalog]:
        raise CommandError(f"not in the catalog: {', '.join(unknown)}")
    refs = catalog_links(catalog, args.papers or None)
    cache = None if args.no_cache else LinkCache(repo.root / ".aladin-cache" / "links.json")
    settings = HttpSettings(read_timeout=min(args.timeout, HttpSettings.read_timeout),
                            deadline=args.timeout)
    checker = LinkChecker(settings, workers=args.workers, cache=cache)
    start = time.monotonic()
    results = checker.check_all([r.url for r in refs],
                                progress=None if args.json else progress("checking links"))
    elapsed = time.monotonic() - start
    counts = {state: sum(r.state == state for r in results.values())
              for state in ("ok", "moved", "dead", "unverified")}
    cached = sum(r.cached for r in results.values())
    nothing_verified = None
    if results and counts["unverified"] == len(results):
        reason = next(iter(results.values())).message
        nothing_verified = CommandError(f"could not verify any of the {len(results)} links "
                                        f"(first: {reason})")
    if nothing_verified and not args.json:
        raise nothing_verified
    if args.json:
        places: dict[str, list[dict]] = {}
        for ref in refs:
            places.setdefault(ref.url, []).append(
                {"path": ref.path, "line": ref.line, "field": ref.field, "paper": ref.paper})
        out(json.dumps({
            "summary": {"links": len(results), "cached": cached, **counts},
            "links": [{**r.to_json(), "where": places[url]} for url, r in results.items()],
        }, ensure_ascii=False, indent=1))
        if nothing_verified:  # the JSON says which and why; the exit status says it failed
            raise nothing_verified
    else:
        order = {"dead": 0, "moved": 1, "unverified": 2}
        rows = []
        for ref in sorted(refs, key=lambda r: (order.get(results[r.url].state, 3), r.path,
                                               r.line)):
            result = results[ref.url]
            if result.state == "ok":
                continue
            status = next((h.status for h in result.chain if h.status in PERMANENT),
                          result.status) if result.state == "moved" else result.status
            url = f"{ref.url} → {result.final_url}" if result.state == "moved" else ref.url
            note = "" if result.state == "moved" else f"  ({result.message})"
            rows.append((result.state, str(status or "-"), f"{ref.path}:{ref.line} {ref.field}",
                         url + note))
        if rows:
            widths = [max(len(row[i]) for row in rows) for i in range(3)]
            for row in rows:
                out("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False))
                    + "  " + row[3])
    err(f"{len(results)} links checked in {elapsed:.1f} s ({cached} from the cache): "
        + ", ".join(f"{n} {state}" for state, n in counts.items()))
    return EXIT_INVALID if counts["dead"] else EXIT_OK


def cmd_enrich(args: argparse.Namespace, repo: Repository) -> int:
    from ..catalog.writer import write_atomic
    from ..network.enrichment import (
        EnrichmentError,
        dump_enrichment,
        enrichment_path,
        load_enrichment,
    )
    from ..network.github import enrich, merged
    from ..network.links import catalog_links

    catalog = load_catalog(repo)
    refs = [r for r in catalog_links(catalog) if r.field.startswith("code[")]
    try:
        old = load_enrichment(repo.catalog)
    except EnrichmentError as exc:
        err(f"{exc}; starting afresh")
        old = {}
    result = enrich([r.url for r in refs], progress=progress("asking GitHub"))
    path = enrichment_path(repo.catalog)
    if not result.repos and (result.stopped or result.failed or result.gone):
        # Not one repository answered: a wrong GITHUB_API_URL, a proxy, an outage. Calling
        # every repository deleted would wipe the file; keep it and say why.
        reason = result.stopped or next(iter({**result.failed, **result.gone}.values()))
        raise CommandError(f"no repository could be fetched (first: {reason}); "
                           f"{path.relative_to(repo.root)} left as it was")
    first = {r.url: r for r in reversed(refs)}  # the first place each URL is written
    for url, why in sorted({**result.gone, **result.failed}.items(),
                           key=lambda item: (first[item[0]].path, first[item[0]].line)):
        ref = first[url]
        out(f"{ref.path}:{ref.line}: {ref.field}: {why}")
    data = merged(old, result, first)
    text = dump_enrichment(data)
    changed = not path.is_file() or path.read_text(encoding="utf-8") != text
    if args.dry_run:
        out(text.rstrip())
    elif changed:
        write_atomic(path, text)
    fresh = list(result.repos.values())
    err(f"{len({i.full_name for i in fresh})} repositories fetched "
        f"({sum(i.archived for i in fresh)} archived, "
        f"{sum(i.stale and not i.archived for i in fresh)} without a push for two years), "
        f"{len(result.skipped)} code links not on GitHub"
        + ("" if args.dry_run else
           f"; wrote {path.relative_to(repo.root)}, now run `aladin build`" if changed else
           f"; {path.relative_to(repo.root)} unchanged"))
    if result.stopped:
        raise CommandError(f"{result.stopped}; stopped with {len(result.unfetched)} code links "
                           "not asked (their earlier data is kept)")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "check-links", cmd_check_links,
                "check every URL in the catalog; exit 1 when any is dead")
    p.add_argument("papers", nargs="*", metavar="ID", help="only these papers' links")
    p.add_argument("--json", action="store_true", help="every result as JSON on standard output")
    p.add_argument("--no-cache", action="store_true",
                   help="ignore the day-long cache in .aladin-cache/")
    p.add_argument("--workers", type=int, default=8, help="requests in flight (default 8)")
    p.add_argument("--timeout", type=seconds, default=30.0,
                   help="seconds each request may take in all, retries and a slow server's "
                   "dripping included (default 30)")
    p = command(sub, "enrich", cmd_enrich,
                "fetch GitHub stars, last push, archived flag and licence of the code links "
                "into catalog/enrichment/github.json (GITHUB_TOKEN if set)")
    p.add_argument("--dry-run", action="store_true", help="print the data, write nothing")
