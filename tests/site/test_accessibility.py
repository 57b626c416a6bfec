"""Accessibility of the built site: axe-core (from npm, installed by ``scripts/setup.sh test``)
injected into real Chromium finds no serious or critical violation on the main kinds of page,
in English and in the Chinese interface (zh/)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import REPO

pytestmark = pytest.mark.browser

AXE = REPO / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
PAGES = ("index.html", "explorer.html", "papers/2019-cvpr-filter-pruning-geometric-median.html",
         "benchmarks.html")
PAGES += tuple(f"zh/{path}" for path in PAGES)


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{AXE} is missing: run scripts/setup.sh test")
        pytest.skip(f"axe-core is not installed ({AXE}); run scripts/setup.sh test")
    return AXE.read_text(encoding="utf-8")


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("path", PAGES)
def test_no_serious_or_critical_axe_violations(
    site: Path, serve_dir: Callable[[Path], str], new_page: Callable[..., object],
    axe_source: str, path: str, width: int,
) -> None:
    page = new_page(width=width, height=900 if width > 1000 else 844)
    page.goto(serve_dir(site) + path)
    if path.endswith("explorer.html"):
        page.wait_for_function(
            "() => document.getElementById('aladin-explorer').dataset.ready === 'true'")
    page.add_script_tag(content=axe_source)
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => `${v.impact} ${v.id}: ${v.help} — ` + v.nodes.slice(0, 3)"
        ".map(n => n.target.join(' ')).join(' | '))"
    )
    assert violations == [], "\n".join(violations)
