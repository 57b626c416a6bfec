"""The contribution flow's files stay true to the code: hooks call real commands with the real
dependencies, the issue form offers real categories, CONTRIBUTING documents every field."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from zoo.catalog import Paper, load
from zoo.cli import build_parser
from zoo.network.enrichment import enrichment_path

REPO = Path(__file__).resolve().parents[2]


def test_pre_commit_hooks_run_aladin_check_and_the_staleness_check() -> None:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    hooks = {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}
    assert hooks.pop("zizmor")["entry"] == "zizmor --offline --min-severity=medium .github/"
    assert [h["entry"] for h in hooks.values()] == [
        "python -m zoo.cli check", "python -m zoo.cli build --check"]
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    for hook in hooks.values():
        args = build_parser().parse_args(hook["entry"].split()[3:])
        assert args.func.__name__ in ("cmd_check", "cmd_build")
        assert sorted(hook["additional_dependencies"]) == sorted(dependencies), hook["id"]
        assert re.search(hook["files"], "catalog/papers/2019-iclr-snip.yaml")


def test_issue_form_offers_the_taxonomy() -> None:
    form = yaml.safe_load((REPO / ".github/ISSUE_TEMPLATE/suggest-paper.yml").read_text())
    fields = {f.get("id"): f for f in form["body"]}
    options = fields["category"]["attributes"]["options"]
    offered = {tuple(o.split(" — ")[0].split(" / ")) for o in options if " — " in o}
    catalog = load()
    expected = {(c.id, s.id) for c in catalog.categories for s in c.subcategories}
    expected |= {(c.id,) for c in catalog.categories if not c.subcategories}
    assert offered == expected
    assert fields["link"]["validations"]["required"] is True


def test_links_workflow_checks_links_and_proposes_the_enrichment() -> None:
    flow = yaml.safe_load((REPO / ".github/workflows/links.yml").read_text())
    triggers = flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "schedule" in triggers and "workflow_dispatch" in triggers
    runs = {job: " ".join(str(s.get("run", "")) for s in spec["steps"])
            for job, spec in flow["jobs"].items()}
    assert "aladin check-links" in runs["check-links"]
    assert "aladin enrich" in runs["enrich"] and "aladin build --readme-only" in runs["enrich"]
    # The write token lives only in the pull-request job, which gets enrich's files as an artifact.
    upload = next(s for s in flow["jobs"]["enrich"]["steps"]
                  if "upload-artifact" in s.get("uses", ""))
    pr = next(s for s in flow["jobs"]["pull-request"]["steps"]
              if "create-pull-request" in s.get("uses", ""))
    generated = enrichment_path(REPO / "catalog").relative_to(REPO).as_posix()
    assert pr["with"]["add-paths"].split() == upload["with"]["path"].split() == [
        generated, "README.md"]


def test_contributing_documents_every_field_in_both_languages() -> None:
    text = (REPO / "CONTRIBUTING.md").read_text()
    english, chinese = text.split("\n## 中文\n")
    for half in (english, chinese):
        documented = set(re.findall(r"^\| `([a-z_]+)`(?:(?:, |、)`([a-z_]+)`)?", half, flags=re.M))
        names = {n for pair in documented for n in pair if n}
        assert names == set(Paper.model_fields), set(Paper.model_fields) ^ names
