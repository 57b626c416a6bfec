"""The README's first screen serves a newcomer: what the project is, what `make test` needs, the
test command before the endless site server, and install lines that work before a PyPI release."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def section(title: str, level: str = "##") -> str:
    return README.split(f"\n{level} {title}\n", 1)[1].split(f"\n{level} ", 1)[0]


def test_readme_opens_with_the_english_sentence_saying_what_it_is() -> None:
    first = next(line for line in README.splitlines()[1:] if line.strip())
    assert first.startswith("A catalog of neural-network compression research"), first


def test_quickstart_states_the_needs_and_runs_the_tests_before_the_site() -> None:
    quickstart = section("Quickstart").split("\n### ")[0]
    python = PROJECT["requires-python"].removeprefix(">=")
    for need in (f"Python ≥ {python}", "Debian or Ubuntu", "root or sudo", "apt-get",
                 "about 15 minutes", "1.5 GB"):
        assert need in " ".join(quickstart.split()), need
    commands = re.findall(r"^make (\w+)", quickstart, re.M)
    assert commands == ["test", "site"]  # `make site` serves until Ctrl-C: it must come last


def test_install_lines_use_the_git_url_and_pytorchs_cpu_index() -> None:
    install = section("Install", "###")
    homepage = PROJECT["urls"]["Homepage"]
    lines = [line for line in install.splitlines() if line.startswith("pip install")]
    assert f'pip install "aladin-zoo @ git+{homepage}"' in lines
    assert (f'pip install torch --index-url {CPU_INDEX} && '
            f'pip install "aladin-zoo[zoo] @ git+{homepage}"') in lines
    assert 'pip install "aladin-zoo[zoo]"' not in README  # not on PyPI yet: it would fail


def test_setup_shows_progress_and_installs_the_cpu_torch() -> None:
    setup = (REPO / "scripts" / "setup.sh").read_text()
    assert "--quiet" not in setup and "-qq" not in setup
    assert f"TORCH_INDEX_URL:-{CPU_INDEX}" in setup
