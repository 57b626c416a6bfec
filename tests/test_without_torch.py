"""`import zoo` and the catalog tools work without PyTorch; zoo calls then name the extra."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import zoo
import zoo.catalog
from zoo.registry import INSTALL_ZOO

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
        for attempt in (lambda: zoo.prune, lambda: zoo.decompose, lambda: zoo.get("fpgm").obj,
                        lambda: zoo.load("fpgm")):
            try:
                attempt()
            except zoo.MissingExtraError as exc:
                print(exc)
    """)
    install = f"needs PyTorch (the zoo extra); install it (CPU build) with: {INSTALL_ZOO}"
    assert result.stdout.splitlines() == [
        f"zoo.prune {install}", f"zoo.decompose {install}", f"zoo method 'fpgm' {install}",
        f"zoo method 'fpgm' {install}",
    ], result.stderr


def test_importing_any_implementation_module_without_torch_names_the_extra() -> None:
    families = sorted(p.parent.name for p in (REPO / "zoo").glob("*/__init__.py")
                      if "import_zoo_module(\"torch\", __name__)" in p.read_text())
    assert {"pruning", "quantization", "lowrank", "distillation", "lightweight", "nas"} <= set(
        families)
    modules = [".".join(p.relative_to(REPO).with_suffix("").parts)
               for family in families for p in sorted((REPO / "zoo" / family).glob("*.py"))]
    # The shared torch pieces beside the families: models, data, training, metrics.
    modules += [f"zoo.{name}" for name in ("data", "nets", "training", "metrics", "submodules")]
    result = run(f"""
        import importlib, zoo
        for module in {modules!r}:
            try:
                importlib.import_module(module)
            except zoo.MissingExtraError as exc:
                print(module, "|", exc)
            else:
                print(module, "| imported without PyTorch")
    """)
    lines = result.stdout.splitlines()
    assert len(lines) == len(modules), result.stderr
    for line in lines:
        module, message = line.split(" | ")
        family = ".".join(module.split(".")[:2])
        assert message == f"{family} needs PyTorch (the zoo extra); install it (CPU build) with: "\
            f"{INSTALL_ZOO}", line


def test_install_line_uses_the_projects_homepage() -> None:
    homepage = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["urls"]["Homepage"]
    assert f'"aladin-zoo[zoo] @ git+{homepage}"' in INSTALL_ZOO
    assert INSTALL_ZOO in (REPO / "README.md").read_text()
