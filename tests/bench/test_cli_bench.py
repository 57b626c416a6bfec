"""`aladin bench` as a user runs it: exit codes, the error without PyTorch, what it writes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

from zoo.registry import INSTALL_ZOO

REPO = Path(__file__).resolve().parents[2]
Run = Callable[..., tuple[int, str, str]]


def test_without_torch_the_error_is_one_line_naming_the_extra() -> None:
    code = textwrap.dedent("""
        import sys
        for name in ('torch', 'sklearn', 'torch_pruning'):
            sys.modules[name] = None  # `import torch` now fails as on a machine without it
        from zoo.cli import main
        raise SystemExit(main(['--root', sys.argv[1], 'bench', '--quick']))
    """)
    result = subprocess.run([sys.executable, "-c", code, str(REPO)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "aladin: aladin bench needs PyTorch (the zoo extra); install it (CPU build) with: "
        + INSTALL_ZOO]


def test_unknown_method_or_bad_seed_count_is_a_usage_error(aladin: Run, tmp_path: Path) -> None:
    status, out, err = aladin("--root", REPO, "bench", "--methods", "nope", "--out", tmp_path)
    assert status == 2 and out == ""
    assert err.startswith("aladin bench: no benchmark for nope (known: ")
    status, _, err = aladin("--root", REPO, "bench", "--seeds", "0")
    assert status == 2 and "expected a positive whole number, got '0'" in err
    assert not list(tmp_path.iterdir())  # nothing written


def test_a_narrowed_run_writes_custom_json_and_reports_the_int8_target(
    aladin: Run, tmp_path: Path
) -> None:
    status, out, err = aladin("--root", REPO, "bench", "--quick", "--methods", "int8-ptq",
                              "--models", "digits-cnn", "--seeds", "1", "--out", tmp_path)
    assert status == 0, err
    results = json.loads((tmp_path / "custom.json").read_text(encoding="utf-8"))
    assert [r["method"] for r in results["rows"]] == ["baseline", "int8-ptq", "torch-int8"]
    assert results["command"].startswith("aladin ")
    lines = out.splitlines()
    verdict = next(line for line in lines if "int8 post-training quantisation" in line)
    assert verdict.split(":")[0] in {"reached", "MISSED"}
    assert any(line.startswith("  int8-ptq on digits-cnn: batch-64 speed-up over fp32 ")
               for line in lines)
    assert "ETA" in err and err.rstrip().endswith(f"wrote {tmp_path / 'custom.json'}")
