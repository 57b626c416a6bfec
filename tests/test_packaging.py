"""The built distributions: a plain `pip install .` ships the catalog, `twine check` passes, and
the installed wheel works from any directory (scripts/smoke_test.py, as the release workflow)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import zoo

REPO = Path(__file__).resolve().parents[1]
TWINE = shutil.which("twine", path=str(Path(sys.executable).parent)) or shutil.which("twine")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and wheel, built offline by hatchling as `python -m build` would."""
    out = tmp_path_factory.mktemp("dist")
    hatchling = Path(sys.executable).with_name("hatchling")
    subprocess.run([hatchling, "build", "-d", out], cwd=REPO, check=True, capture_output=True)
    return out


@pytest.mark.slow
def test_wheel_carries_the_catalog_and_loads_it_anywhere(dist: Path, tmp_path: Path) -> None:
    wheel = next(dist.glob("aladin_zoo-*.whl"))
    assert wheel.name == f"aladin_zoo-{zoo.__version__}-py3-none-any.whl"  # one version source
    names = zipfile.ZipFile(wheel).namelist()
    assert "zoo/_catalog/taxonomy.yaml" in names
    assert "zoo/_catalog/papers/2019-iclr-snip.yaml" in names
    assert any(n.endswith("entry_points.txt") for n in names)

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet",
                    "install", "--no-deps", "--target", target, wheel], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # The wheel's zoo comes first; its dependencies (and PyTorch) from this environment.
    env = {**os.environ, "PYTHONPATH": str(target),
           "PATH": f"{target / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run([sys.executable, REPO / "scripts" / "smoke_test.py"], cwd=elsewhere,
                            capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"from {target / 'zoo'}" in result.stdout
    count = len(list((REPO / "catalog" / "papers").glob("*.yaml")))
    assert f"{count} papers" in result.stdout


@pytest.mark.skipif(TWINE is None, reason="twine is not installed (it is in the dev extra)")
def test_twine_check_passes_on_sdist_and_wheel(dist: Path) -> None:
    files = sorted(dist.iterdir())
    assert sorted(f.suffix for f in files) == [".gz", ".whl"]
    result = subprocess.run([TWINE, "check", "--strict", *files], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2, result.stdout
