"""Fixtures shared by the catalog, README and CLI tests."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from zoo.cli import main

REPO = Path(__file__).resolve().parents[1]


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
