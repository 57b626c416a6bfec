"""The `aladin` commands as a user runs them: exit codes, messages, and what they write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from zoo.catalog import load
from zoo.registry import by_paper

Run = Callable[..., tuple[int, str, str]]


def test_check_ok(repo: Path, aladin: Run) -> None:
    status, out, _ = aladin("--root", repo, "check")
    assert status == 0 and out.startswith("ok: ")


def test_check_reports_every_problem_and_exits_1(repo: Path, aladin: Run) -> None:
    papers = repo / "catalog" / "papers"
    snip = papers / "2019-iclr-snip.yaml"
    snip.write_text(snip.read_text().replace("venue: ICLR", "venue: ICRL"))
    (papers / "2019-iclr-bad.yaml").write_text("- not a mapping\n")
    status, out, err = aladin("--root", repo, "check")
    assert status == 1
    assert out.splitlines() == [
        "catalog/papers/2019-iclr-bad.yaml:1: -: expected a mapping of fields, found a list",
        "catalog/papers/2019-iclr-snip.yaml:9: venue: unknown venue 'ICRL'; "
        "add it to catalog/venues.yaml",
    ]
    assert err.strip() == "2 problems in 2 files"


def test_commands_act_on_the_repository_containing_the_cwd(repo: Path) -> None:
    snip = repo / "catalog" / "papers" / "2019-iclr-snip.yaml"
    snip.write_text(snip.read_text().replace("year: 2019", "year: 3019"))
    result = subprocess.run(
        [sys.executable, "-m", "zoo.cli", "check"], cwd=repo / "catalog" / "papers",
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 1
    assert "catalog/papers/2019-iclr-snip.yaml:" in result.stdout
    assert "year: must be between" in result.stdout


def test_outside_a_repository_is_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "zoo.cli", "check"], cwd=tmp_path,
                            capture_output=True, text=True, check=False,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert result.returncode == 1
    assert result.stderr.startswith("aladin: no catalog found in ")
    assert "Traceback" not in result.stderr


def test_read_only_commands_outside_a_clone_read_the_installed_catalog(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    result = subprocess.run([sys.executable, "-m", "zoo.cli", "list", "--format", "ids"],
                            cwd=tmp_path, capture_output=True, text=True, check=False, env=env)
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.split()) == sorted(p.id for p in load())
    assert result.stderr.startswith("aladin: not inside a clone; reading the catalog installed "
                                    "with aladin-zoo ")


def test_global_options_are_accepted_after_the_command(repo: Path, aladin: Run) -> None:
    papers = sorted((repo / "catalog" / "papers").glob("*.yaml"))
    next(p for p in papers if p.stem not in by_paper()).unlink()  # differs from the installed
    expected = sorted(p.stem for p in (repo / "catalog" / "papers").glob("*.yaml"))
    for argv in (("--root", repo, "list"), ("list", "--root", repo)):
        status, out, _ = aladin(*argv, "--format", "ids")
        assert status == 0 and sorted(out.split()) == expected, argv
    status, _, err = aladin("check", "--root", repo / "missing")
    assert status == 1 and err.strip().endswith("missing: no catalog/taxonomy.yaml there")


def test_usage_error_exits_2(aladin: Run) -> None:
    status, _, err = aladin("export", "--format", "yaml")
    assert status == 2 and "invalid choice" in err


def test_build_writes_readme_and_check_detects_staleness(repo: Path, aladin: Run) -> None:
    assert aladin("--root", repo, "build", "--readme-only")[0] == 0
    assert aladin("--root", repo, "build", "--check")[0] == 0
    snip = repo / "catalog" / "papers" / "2019-iclr-snip.yaml"
    snip.write_text(snip.read_text().replace("Single-shot", "One-shot"))
    status, out, _ = aladin("--root", repo, "build", "--check")
    assert status == 1
    assert out.startswith("README.md: stale; run `aladin build` and commit it")
    assert "+- 2019-ICLR-[SNIP: One-shot" in out
    aladin("--root", repo, "build", "--readme-only")
    assert "SNIP: One-shot" in (repo / "README.md").read_text()


def test_failed_build_leaves_the_readme_untouched(repo: Path, aladin: Run) -> None:
    before = (repo / "README.md").read_bytes()
    (repo / "catalog" / "papers" / "2019-iclr-snip.yaml").write_text("title: [\n")
    status, out, _ = aladin("--root", repo, "build")
    assert status == 1 and "invalid YAML" in out
    assert (repo / "README.md").read_bytes() == before
    assert not list(repo.glob(".README.md.*"))


def test_new_writes_a_valid_entry_with_the_right_file_name(repo: Path, aladin: Run) -> None:
    status, out, _ = aladin(
        "--root", repo, "new", "--title", "Tiny: Pruning Small Things", "--authors",
        "Ada Lovelace; Alan Turing", "--year", "2024", "--venue", "NIPS", "--category", "pruning",
        "--subcategory", "structured", "--arxiv", "2401.00001", "--code",
        "https://github.com/example/tiny",
    )
    assert status == 0, out
    path = repo / "catalog" / "papers" / "2024-neurips-tiny.yaml"
    assert out.strip() == ("wrote catalog/papers/2024-neurips-tiny.yaml; now run `aladin check` "
                           "and `aladin build`")
    assert "venue: NeurIPS" in path.read_text()
    assert aladin("--root", repo, "check")[0] == 0


def test_new_refuses_a_duplicate_and_names_it(repo: Path, aladin: Run) -> None:
    status, out, _ = aladin(
        "--root", repo, "new", "--title", "Different words", "--authors", "X", "--year", "2019",
        "--venue", "CVPR", "--category", "pruning", "--subcategory", "structured",
        "--arxiv", "1811.00250",
    )
    assert status == 1
    assert out.strip() == ("links.arxiv: duplicate paper: same arXiv id as "
                           "catalog/papers/2019-cvpr-filter-pruning-geometric-median.yaml")
    assert not (repo / "catalog/papers/2019-cvpr-different-words.yaml").exists()


def test_new_without_a_terminal_lists_missing_flags(repo: Path, aladin: Run,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", open(os.devnull))  # noqa: SIM115 - closed by pytest
    status, _, err = aladin("--root", repo, "new", "--title", "X")
    assert status == 1
    assert err.strip() == ("aladin: missing --authors --year --venue --category "
                           "(or run interactively to be asked)")


def test_list_filters(repo: Path, aladin: Run) -> None:
    status, out, err = aladin("--root", repo, "list", "--venue", "NIPS", "--year", "2019",
                              "--category", "pruning", "--format", "ids")
    assert status == 0
    # NIPS is NeurIPS's alias; the oracle is a plain scan of the entries.
    expected = sorted(p.id for p in load(repo / "catalog")
                      if p.venue == "NeurIPS" and p.year == 2019 and p.category == "pruning")
    assert out.split() == expected
    assert {"2019-neurips-autoprune", "2019-neurips-gate-decorator-global-filter"} <= set(expected)
    _, out, err = aladin("--root", repo, "list", "--has-code", "--search", "geometric median")
    total = len(load(repo / "catalog"))
    assert "Filter Pruning via Geometric Median" in out and err.strip() == f"1 of {total} papers"


def test_export_formats(repo: Path, aladin: Run, tmp_path: Path) -> None:
    status, out, _ = aladin("--root", repo, "export", "--format", "json")
    assert status == 0 and json.loads(out)["count"] == len(load(repo / "catalog"))
    target = tmp_path / "papers.bib"
    assert aladin("--root", repo, "export", "--format", "bibtex", "-o", target)[0] == 0
    # every entry but the first starts a line with @
    assert target.read_text().count("\n@") == len(load(repo / "catalog")) - 1


def test_schema_is_generated_from_the_models(aladin: Run) -> None:
    status, out, _ = aladin("schema")
    schema = json.loads(out)
    assert status == 0 and schema["additionalProperties"] is False
    assert {"id", "title", "year", "venue", "category", "added"} <= set(schema["required"])


def test_zoo_records_must_name_catalog_papers() -> None:
    from zoo.catalog import load
    from zoo.registry import MethodRecord, check_against_catalog

    def record(paper: str, category: str, sub: str | None) -> MethodRecord:
        return MethodRecord("m", category, sub, paper, "s", "zoo.x", "f", "zoo/x.py", 7)

    catalog = load()
    assert check_against_catalog(catalog, [record("2019-iclr-snip", "pruning", "unstructured"),
                                           record("2015-iclr-fitnets", "distillation", None)]) == []
    problems = check_against_catalog(catalog, [
        record("2019-iclr-nope", "pruning", "structured"),
        record("2019-iclr-snip", "pruning", None),
        record("2015-iclr-fitnets", "distillation", "kd"),
    ])
    assert [str(p) for p in problems] == [
        "zoo/x.py:7: paper: zoo method 'm' names '2019-iclr-nope', which is not in the catalog",
        "zoo/x.py:7: subcategory: 'None' is not a subcategory of 'pruning' "
        "(known: structured, unstructured)",
        "zoo/x.py:7: subcategory: 'kd' is not a subcategory of 'distillation' (known: none)",
    ]
