"""Smoke test of an installed aladin-zoo, run from a directory outside any clone.

The release workflow runs it in a clean venv holding only the built wheel (no zoo extra);
tests/test_packaging.py runs it against the wheel installed beside this checkout's PyTorch.
Exit status 0 when every check passes; an AssertionError names the first that does not.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import zoo
import zoo.catalog


def aladin(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("aladin")
    assert exe, "the aladin console script is not on PATH"
    return subprocess.run([exe, *args], capture_output=True, text=True, check=True)


def main() -> None:
    assert not any((d / "catalog" / "taxonomy.yaml").is_file()
                   for d in (Path.cwd(), *Path.cwd().parents)), "run me outside a clone"
    catalog = zoo.catalog.load()
    ids = sorted(p.id for p in catalog)
    assert ids, "the packaged catalog is empty"

    assert aladin("--version").stdout.split() == ["aladin", zoo.__version__]
    listed = aladin("list", "--format", "ids")
    assert sorted(listed.stdout.split()) == ids
    assert "reading the catalog installed with aladin-zoo" in listed.stderr, listed.stderr
    exported = json.loads(aladin("export", "--format", "json").stdout)
    assert sorted(p["id"] for p in exported["papers"]) == ids

    record = zoo.get("fpgm")
    assert record.paper in catalog
    try:
        import torch  # noqa: F401
    except ImportError:
        try:
            zoo.load("fpgm")
        except zoo.MissingExtraError as exc:
            assert "download.pytorch.org/whl/cpu" in str(exc), exc
        else:
            raise AssertionError("zoo.load without PyTorch did not raise MissingExtraError")
    else:
        assert callable(zoo.load("fpgm"))
    print(f"smoke test passed: aladin-zoo {zoo.__version__}, {len(ids)} papers, "
          f"{len(zoo.list_methods())} zoo methods, from {Path(zoo.__file__).parent}")


if __name__ == "__main__":
    main()
