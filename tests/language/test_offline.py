"""The library leaves the user's Hugging Face settings alone; the benchmarks go offline."""

from __future__ import annotations

import os
import subprocess
import sys

READ = "import os, {module}; print(os.environ.get('HF_HUB_OFFLINE'))"


def _after_import(module: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    result = subprocess.run([sys.executable, "-c", READ.format(module=module)], env=env,
                            capture_output=True, text=True, check=True)
    return result.stdout.strip()


def test_importing_the_language_pieces_does_not_switch_the_hub_off() -> None:
    assert _after_import("zoo.language.train") == "None"  # a user may download models after


def test_the_language_benchmarks_never_ask_the_hub() -> None:
    assert _after_import("zoo.bench.language") == "1"
    assert _after_import("zoo.bench.lm_pruning") == "1"
