"""A plain `pip install .` ships the catalog: zoo.catalog.load() works from any directory."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_carries_the_catalog_and_loads_it_anywhere(tmp_path: Path) -> None:
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", tmp_path / "dist",
                    REPO], check=True)
    wheel = next((tmp_path / "dist").glob("aladin_zoo-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "zoo/_catalog/taxonomy.yaml" in names
    assert "zoo/_catalog/papers/2019-iclr-snip.yaml" in names
    assert any(n.endswith("entry_points.txt") for n in names)

    target = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", target, wheel], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = "import zoo, zoo.catalog as c; print(zoo.__file__); print(len(c.load()))"
    result = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, capture_output=True,
                            text=True, check=True, env={"PYTHONPATH": str(target)})
    location, count = result.stdout.split()
    assert location.startswith(str(target))
    assert int(count) == len(list((REPO / "catalog" / "papers").glob("*.yaml")))
