"""Fixtures shared by the catalog, README and CLI tests."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# No test may reach the network: transformers (and llmcompressor through it) read this once, when
# they are first imported, and then never look up the Hugging Face Hub.
os.environ["HF_HUB_OFFLINE"] = "1"

from zoo.cli import main

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A scratch copy of the repository's catalog (and README), safe to break."""
    shutil.copytree(REPO / "catalog", tmp_path / "catalog")
    shutil.copy(REPO / "README.md", tmp_path / "README.md")
    shutil.copytree(REPO / "schema", tmp_path / "schema")
    return tmp_path


@pytest.fixture(scope="session")
def small_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The catalog's hand-written entries (the seed's and the modern papers', none imported from a
    list) and every paper a zoo method realises, with the real taxonomy and venues: about 90
    papers, for tests of how a build or a check behaves rather than of the catalog's size.
    Shared by the session: copy it before changing it."""
    from zoo.registry import by_paper

    dest = tmp_path_factory.mktemp("small") / "catalog"
    # Everything but the entries, then the chosen entries.
    shutil.copytree(REPO / "catalog", dest,
                    ignore=lambda folder, names: names if Path(folder).name == "papers" else [])
    implemented = set(by_paper())
    for path in (REPO / "catalog" / "papers").glob("*.yaml"):
        imported = re.search(r"^sources:", path.read_text(encoding="utf-8"), re.MULTILINE)
        if path.stem in implemented or not imported:
            shutil.copy(path, dest / "papers" / path.name)
    return dest


@pytest.fixture
def aladin(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run the CLI in-process: ``aladin("--root", dir, "check") -> (status, stdout, stderr)``."""

    def run(*argv: object) -> tuple[int, str, str]:
        try:
            status = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse usage errors and _load's invalid catalog
            status = int(exc.code or 0)
        out, err = capsys.readouterr()
        return status, out, err

    return run


# --- the browser (one Playwright session per test process: a second sync_playwright() inside
# the first fails) ----------------------------------------------------------------------------

def chromium_executable() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    message = f"{CHROMIUM} is missing: apt-get install chromium (scripts/setup.sh test does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = chromium_executable()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _local_only(route: object) -> None:
    """Nothing leaves the machine: requests to anything but 127.0.0.1 are aborted."""
    if urlsplit(route.request.url).hostname == "127.0.0.1":
        route.continue_()
    else:
        route.abort()


@pytest.fixture
def new_page(browser: object) -> Iterator[Callable[..., object]]:
    """``new_page(width=1280, height=900)`` -> a page in a fresh context; dialogs are recorded in
    ``page.dialogs`` and dismissed, uncaught errors in ``page.errors``."""
    contexts = []

    def make(width: int = 1280, height: int = 900, **options: object) -> object:
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        context.route("**/*", _local_only)
        contexts.append(context)
        page = context.new_page()
        page.dialogs = []
        page.errors = []

        def on_dialog(dialog: object) -> None:
            page.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()
