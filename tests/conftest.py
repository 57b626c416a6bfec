"""Fixtures shared by the catalog, README and CLI tests."""

from __future__ import annotations

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
