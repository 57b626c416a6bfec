"""Fixtures for the website tests: real MkDocs builds, a real HTTP server, real Chromium.

Builds are session-scoped (the real catalog, the small catalog with hostile strings, and 3,000
synthetic papers), each served by ``http.server`` on 127.0.0.1 from a thread. Browser tests drive
Debian's Chromium through Playwright; without /usr/bin/chromium they skip, except in CI, where they
fail.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from zoo.catalog import Catalog, load
from zoo.site import build_site
from zoo.site.synthetic import synthetic_catalog

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
# The explorer's correctness past the real catalog's size; its speed at 10,000 papers is measured
# by scripts/bench_explorer.py (a 10,000-paper build alone took 100 s of the suite).
SYNTHETIC_PAPERS = 3_000

# A title, authors and other free-text fields that would run script if any of them reached the
# page unescaped: as HTML, inside an attribute, as a Markdown link, as a Jinja expression.
HOSTILE_TITLE = (
    '<img src=x onerror=alert("title")>](javascript:alert("md")) '
    '<script>alert("script")</script> {{ 7*7 }} "quoted" \'single\' & more'
)
HOSTILE_ID = "2019-cvpr-hostile-title-test"
HOSTILE_ENTRY = {
    "id": HOSTILE_ID,
    "title": HOSTILE_TITLE,
    "authors": ['<b onmouseover=alert("author")>Eve</b>', '"><svg onload=alert("attr")>'],
    "year": 2019,
    "venue": "CVPRW",
    "workshop": "<iframe src=javascript:alert('workshop')></iframe>",
    "category": "pruning",
    "subcategory": "structured",
    "links": {"paper": "https://example.org/hostile?a=1&b=<2>"},
    "code": [{"url": "https://example.org/code", "label": "<script>alert('label')</script>"}],
    "note": "</textarea><script>alert('note')</script>",
    "award": "<script>alert('award')</script>",
    "resources": [
        {"url": "https://example.org/slides", "kind": "slides"},
        {"url": "https://example.org/v2", "kind": "other-version",
         "label": "<script>alert('resource')</script>"},
    ],
    "review": "classified by keyword '<script>alert(\"review\")</script>'",
    "sources": [{"list": "owner/awesome-list", "commit": "0123456789ab", "line": 42}],
    "added": "2030-01-01",
}
HOSTILE_SUBCATEGORY_ZH = '<img src=y onerror=alert("taxonomy")>'


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def serve_dir() -> Iterator[Callable[[Path], str]]:
    """``serve_dir(path)`` -> base URL of an HTTP server on 127.0.0.1 serving ``path``."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def serve(path: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(path))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load(REPO / "catalog")


@pytest.fixture(scope="session")
def site(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The website of the real catalog, built once with ``mkdocs build --strict`` semantics."""
    out = tmp_path_factory.mktemp("site") / "site"
    build_site(catalog, REPO, out)
    return out


def hostile_catalog_dir(source: Path, dest: Path) -> Path:
    """The catalog ``source`` plus one entry (and one taxonomy name) full of script injections."""
    shutil.copytree(source, dest)
    taxonomy = yaml.safe_load((dest / "taxonomy.yaml").read_text(encoding="utf-8"))
    taxonomy["categories"][0]["subcategories"][1]["zh"] = HOSTILE_SUBCATEGORY_ZH
    (dest / "taxonomy.yaml").write_text(yaml.safe_dump(taxonomy, allow_unicode=True))
    (dest / "papers" / f"{HOSTILE_ID}.yaml").write_text(
        yaml.safe_dump(HOSTILE_ENTRY, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return dest


@pytest.fixture(scope="session")
def hostile_site(tmp_path_factory: pytest.TempPathFactory,
                 small_catalog: Path) -> tuple[Catalog, Path]:
    """The small catalog with the hostile entry, built in both languages."""
    root = tmp_path_factory.mktemp("hostile")
    catalog = load(hostile_catalog_dir(small_catalog, root / "catalog"))
    build_site(catalog, REPO, root / "site")
    return catalog, root / "site"


@pytest.fixture(scope="session")
def synthetic_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Catalog, Path]:
    """3,000 synthetic papers (outside the real catalog), built into an English site (the
    explorer's scale does not depend on the language; a translation doubles the build)."""
    root = tmp_path_factory.mktemp("synthetic")
    catalog = load(synthetic_catalog(root / "catalog", SYNTHETIC_PAPERS, REPO / "catalog"))
    build_site(catalog, REPO, root / "site", translations=False)
    return catalog, root / "site"


# --- the browser --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
