"""`import zoo` and the catalog tools work without PyTorch; zoo calls then name the extra."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import zoo
import zoo.catalog

REPO = Path(__file__).resolve().parents[1]

# A None entry in sys.modules makes `import torch` fail exactly as on a machine without it.
BLOCK = (
    "import sys\n"
    "for name in ('torch', 'sklearn', 'torch_pruning'):\n"
    "    sys.modules[name] = None\n"
)


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BLOCK + textwrap.dedent(code)], cwd=REPO,
                          capture_output=True, text=True, check=False)


def test_catalog_registry_and_cli_need_no_torch() -> None:
    result = run("""
        import zoo, zoo.catalog
        from zoo.cli import main
        from zoo.publish.readme import render_readme
        print(len(zoo.catalog.load()), len(zoo.list_methods()), zoo.get("fpgm").paper)
        assert "[zoo: `fpgm`]" in render_readme(zoo.catalog.load())
        raise SystemExit(main(["check"]))
    """)
    assert result.returncode == 0, result.stdout + result.stderr
    count, methods, paper = result.stdout.split()[:3]
    assert int(count) == len(zoo.catalog.load()) and int(methods) == len(zoo.list_methods())
    assert paper == "2019-cvpr-filter-pruning-geometric-median"


def test_zoo_calls_without_torch_name_the_extra() -> None:
    result = run("""
        import zoo
        for attempt in (lambda: zoo.prune, lambda: zoo.decompose, lambda: zoo.get("fpgm").obj):
            try:
                attempt()
            except zoo.MissingExtraError as exc:
                print(exc)
    """)
    assert result.stdout.splitlines() == [
        "zoo.prune needs PyTorch: pip install 'aladin-zoo[zoo]'",
        "zoo.decompose needs PyTorch: pip install 'aladin-zoo[zoo]'",
        "zoo method 'fpgm' needs PyTorch: pip install 'aladin-zoo[zoo]'",
    ], result.stderr
