"""The Benchmarks page in real Chromium: headers sort the table, the plots draw, no script errors.
Requests to anything but 127.0.0.1 are aborted. Skips without /usr/bin/chromium (fails in CI)."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def base_url(bench_site: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(bench_site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def page(base_url: str, browser: object) -> Iterator[object]:
    """The Benchmarks page in the session's Chromium (tests/conftest.py), local requests only."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", lambda route: route.continue_()
                  if urlsplit(route.request.url).hostname == "127.0.0.1" else route.abort())
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    tab.goto(base_url + "benchmarks.html")
    yield tab
    context.close()


def _column(page: object, header: str) -> list[float | None]:
    """The data-sort values of one column of the results table, top to bottom."""
    return page.evaluate("""(header) => {
        const table = document.querySelector("table[data-sortable]");
        const index = [...table.tHead.rows[0].cells].findIndex(
            (th) => th.textContent.trim().startsWith(header));
        return [...table.tBodies[0].rows].map((row) => {
            const value = row.cells[index] && row.cells[index].dataset.sort;
            return value === undefined ? null : Number(value);
        });
    }""", header)


def test_a_header_click_sorts_numerically_both_ways(page: object) -> None:
    header = page.locator("table[data-sortable] th", has_text="MFLOPs")
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    values = [v for v in _column(page, "MFLOPs") if v is not None]
    assert values == sorted(values) and values[0] < values[-1]  # 0.3 before 1.2, not "1" < "0"
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    assert [v for v in _column(page, "MFLOPs") if v is not None] == sorted(values, reverse=True)
    page.locator("table[data-sortable] th", has_text="Method").locator("button").click()
    assert header.get_attribute("aria-sort") == "none"
    assert page.errors == []


def test_the_plots_are_drawn_with_a_point_per_row(page: object, tiny) -> None:
    results, _ = tiny
    figures = page.locator("figure.aladin-plot")
    assert figures.count() >= 2
    plot = figures.first.locator("svg").first  # the legend's swatches are svgs of their own
    box = plot.bounding_box()
    assert box["width"] > 300 and box["height"] > 150  # drawn, not collapsed
    ok = sum(r["status"] == "ok" for r in results["rows"])
    assert plot.locator("circle").count() == ok
