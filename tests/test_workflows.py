"""The GitHub workflows pass zizmor (no medium or high finding) and keep least privilege: a new
workflow or step cannot bring back moving action tags, persisted tokens or broad permissions."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ZIZMOR = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which("zizmor")
needs_zizmor = pytest.mark.skipif(ZIZMOR is None,
                                  reason="zizmor is not installed (it is in the dev extra)")
PINNED = re.compile(r"^\s*(?:- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


def zizmor(directory: Path) -> list[dict]:
    """Findings of medium or high severity, offline, as CI and pre-commit run it."""
    result = subprocess.run([ZIZMOR, "--offline", "--format=json", "--min-severity=medium",
                             directory], capture_output=True, text=True, check=False)
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout)


@needs_zizmor
def test_zizmor_finds_nothing_medium_or_high_in_our_workflows() -> None:
    findings = zizmor(REPO / ".github")
    assert findings == [], "\n".join(
        f"{f['ident']} ({f['determinations']['severity']}): "
        f"{f['locations'][0]['symbolic']['key']['Local']['verbatim_path']} "
        f"line {f['locations'][0]['concrete']['location']['start_point']['row'] + 1}"
        for f in findings)


@needs_zizmor
def test_zizmor_catches_a_moving_tag_and_a_persisted_token(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: actions/checkout@v4\n")
    assert {f["ident"] for f in zizmor(tmp_path / ".github")} >= {"unpinned-uses", "artipacked"}


def test_every_action_is_pinned_to_a_sha_with_its_version() -> None:
    for path in WORKFLOWS:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "uses:" in line:
                assert PINNED.match(line), f"{path.name}:{number}: {line.strip()}"


def test_permissions_are_read_only_by_default_and_widened_per_job() -> None:
    writers = {}
    for path in WORKFLOWS:
        workflow = yaml.safe_load(path.read_text())
        assert workflow["permissions"] == {"contents": "read"}, path.name
        for name, job in workflow["jobs"].items():
            granted = {k for k, v in job.get("permissions", {}).items() if v == "write"}
            if granted:
                writers[f"{path.stem}.{name}"] = granted
            for step in job.get("steps", []):
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, f"{path.name}: {name}"
    assert writers == {
        "links.pull-request": {"contents", "pull-requests"},
        "pages.deploy": {"pages", "id-token"},
        "release.publish": {"id-token"},
    }


def test_release_builds_then_publishes_with_trusted_publishing() -> None:
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "release.yml").read_text())
    assert workflow[True]["push"]["tags"] == ["v*"]  # PyYAML reads the key `on` as True
    build, publish = workflow["jobs"]["build"], workflow["jobs"]["publish"]
    assert publish["needs"] == "build" and "permissions" not in build
    run = "\n".join(s.get("run", "") for s in build["steps"])
    assert "python -m build" in run and "twine check --strict" in run
    assert "scripts/smoke_test.py" in run
    uses = [s["uses"].split("@")[0] for s in publish["steps"]]
    assert uses == ["actions/download-artifact", "pypa/gh-action-pypi-publish"]
    assert "secrets." not in (REPO / ".github" / "workflows" / "release.yml").read_text()
