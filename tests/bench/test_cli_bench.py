"""`aladin bench` as a user runs it: exit codes, the error without PyTorch, what it writes."""

from __future__ import annotations

import ast
import json
import shlex
import subprocess
import sys
import textwrap
import types
from collections.abc import Callable
from pathlib import Path

import pytest

from zoo.cli import bench as bench_cli
from zoo.registry import INSTALL_BENCH_LLM, INSTALL_LLM, INSTALL_ZOO

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
    assert [r["method"] for r in results["rows"]] == ["baseline", "int8-ptq", "torch-int8",
                                                      "ort-int8"]
    assert results["command"].startswith("aladin ")
    lines = out.splitlines()
    verdict = next(line for line in lines if "int8 post-training quantisation" in line)
    assert verdict.split(":")[0] in {"reached", "MISSED"}
    assert any(line.startswith("  int8-ptq on digits-cnn: batch-64 speed-up over fp32 ")
               for line in lines)
    assert any(line.startswith("    context, peer ort-int8 in onnxruntime: ") for line in lines)
    assert "ETA" in err and err.rstrip().endswith(f"wrote {tmp_path / 'custom.json'}")


def test_language_section_without_the_llm_extra_is_one_line_naming_it() -> None:
    code = textwrap.dedent("""
        import sys
        sys.modules['transformers'] = None  # `import transformers` fails as without the extra
        from zoo.cli import main
        raise SystemExit(main(['--root', sys.argv[1], 'bench', '--section', 'language']))
    """)
    result = subprocess.run([sys.executable, "-c", code, str(REPO)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "aladin: aladin bench --section language needs transformers (the llm extra): "
        + INSTALL_LLM]


def test_options_of_the_other_section_are_usage_errors(aladin: Run, tmp_path: Path) -> None:
    status, out, err = aladin("--root", REPO, "bench", "--section", "language", "--quick",
                              "--methods", "gptq", "--out", tmp_path)
    assert status == 2 and out == ""
    assert err.splitlines() == ["aladin bench: --quick, --methods apply to the vision section "
                                "only, not to --section language"]
    status, _, err = aladin("--root", REPO, "bench", "--lm-recipe", "tiny")
    assert status == 2 and "--lm-recipe applies to the language section only" in err
    status, _, err = aladin("--root", REPO, "bench", "--section", "speech")
    assert status == 2 and "invalid choice: 'speech'" in err
    assert not list(tmp_path.iterdir())


def _fake_entry_points(monkeypatch: pytest.MonkeyPatch, calls: list[tuple[str, list[str]]]
                       ) -> None:
    """Stand-ins for the two language benchmark modules: their ``main`` records its argv."""
    for name in ("zoo.bench.language", "zoo.bench.lm_pruning"):
        module = types.ModuleType(name)
        module.main = (lambda argv, command, name=name:  # type: ignore[attr-defined]
                       calls.append((name, [*argv, command])) or 0)
        monkeypatch.setitem(sys.modules, name, module)


def test_language_section_calls_both_entry_points_with_one_model_folder(
    aladin: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, list[str]]] = []
    _fake_entry_points(monkeypatch, calls)
    monkeypatch.setattr(bench_cli, "_peer_library_installed", lambda: True)
    status, out, err = aladin("--root", REPO, "bench", "--section", "language", "--lm-recipe",
                              "tiny", "--out", tmp_path)
    assert status == 0 and out == "", err
    folder = str(REPO / "build" / "lm-tiny")
    command = shlex.join(["aladin", "--root", str(REPO), "bench", "--section", "language",
                          "--lm-recipe", "tiny", "--out", str(tmp_path)])
    assert calls == [
        ("zoo.bench.language", ["--recipe", "tiny", "--folder", folder,
                                "--out", str(tmp_path / "language.json"), command]),
        ("zoo.bench.lm_pruning", ["--recipe", "tiny", "--folder", folder,
                                  "--out", str(tmp_path / "lm-pruning.json"), command])]
    assert err.splitlines() == [f"wrote {tmp_path / 'language.json'}",
                                f"wrote {tmp_path / 'lm-pruning.json'}"]
    calls.clear()  # the defaults: the small model under build/, the committed files' places
    status, _, _ = aladin("--root", REPO, "bench", "--section", "language")
    assert status == 0
    assert [argv[:-1] for _, argv in calls] == [
        ["--recipe", "small", "--folder", str(REPO / "build" / "lm-small"), "--out",
         str(REPO / "benchmarks" / "results" / name)]
        for name in ("language.json", "lm-pruning.json")]


def test_language_section_without_llmcompressor_says_which_extra(
    aladin: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, list[str]]] = []
    _fake_entry_points(monkeypatch, calls)
    monkeypatch.setattr(bench_cli, "_peer_library_installed", lambda: False)
    status, out, err = aladin("--root", REPO, "bench", "--section", "all", "--quick")
    assert status == 1 and out == "" and calls == []  # nothing ran, not even the vision part
    assert err.splitlines() == ["aladin: aladin bench --section language needs llmcompressor "
                                "for its peer rows (the bench-llm extra): " + INSTALL_BENCH_LLM]


def test_the_stand_ins_match_the_real_entry_points() -> None:
    """The real ``main(argv, *, command)`` of both modules, read from source (importing them
    loads transformers: tens of seconds), so the stand-ins above call what the CLI calls."""
    for path in ("zoo/bench/language.py", "zoo/bench/lm_pruning.py"):
        tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
        main = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main")
        assert [a.arg for a in main.args.args] == ["argv"], path
        assert [a.arg for a in main.args.kwonlyargs] == ["command"], path
