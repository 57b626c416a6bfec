"""``zoo.site.serve``: a live preview on 127.0.0.1 that rebuilds when a catalog entry changes."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import REPO

PAPER = "2019-cvpr-filter-pruning-geometric-median"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _wait_for(url: str, predicate, seconds: float) -> str | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = _fetch(url)
        if text is not None and predicate(text):
            return text
        time.sleep(0.5)
    return None


@pytest.mark.slow
def test_serve_rebuilds_when_a_catalog_entry_changes(tmp_path: Path, small_catalog: Path) -> None:
    shutil.copytree(small_catalog, tmp_path / "catalog")
    shutil.copytree(REPO / "site", tmp_path / "site")
    port = _free_port()
    code = f"from zoo.site import serve; serve({str(tmp_path)!r}, port={port})"
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        # The preview serves at the root, not under the published site's path.
        url = f"http://127.0.0.1:{port}/papers/{PAPER}.html"
        first = _wait_for(url, lambda text: "Geometric Median" in text, 120)
        assert first is not None, "the preview never served the paper page"

        entry = tmp_path / "catalog" / "papers" / f"{PAPER}.yaml"
        entry.write_text(entry.read_text(encoding="utf-8").replace(
            "title: Filter Pruning via Geometric Median", "title: Filter Pruning via Live Reload"
        ), encoding="utf-8")
        second = _wait_for(url, lambda text: "Live Reload" in text, 120)
        assert second is not None, "editing the entry did not rebuild the page"
        assert "livereload" in second  # the browser is told to reload
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
