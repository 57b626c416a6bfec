"""What a result depends on besides the code: the machine, the library versions, the commit.

Latency figures mean little without the CPU they were measured on, and accuracy figures shift
with PyTorch releases, so every result file records both. Everything is read locally (``platform``,
``/proc/cpuinfo``, installed distributions, ``git``); nothing is sent anywhere.
"""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["git_state", "library_versions", "machine_info"]

_DISTRIBUTIONS = {  # key in the result file → distribution name
    "torch": "torch",
    "torch_pruning": "torch-pruning",
    "numpy": "numpy",
    "scikit_learn": "scikit-learn",
    "aladin_zoo": "aladin-zoo",
    "onnxruntime": "onnxruntime",  # the ONNX Runtime rows and --ort (the deploy extra)
    "onnx": "onnx",
}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict[str, Any]:
    """CPU model, logical CPUs usable by this process, OS, and the load average right now."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "logical_cpus": usable,
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
    }
    if hasattr(os, "getloadavg"):
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return info


def library_versions() -> dict[str, str | None]:
    """Python and the installed versions of the libraries the figures depend on."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for key, dist in _DISTRIBUTIONS.items():
        try:
            versions[key] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[key] = None
    try:
        import torch

        versions["torch_quantized_engines"] = ",".join(torch.backends.quantized.supported_engines)
    except ModuleNotFoundError:
        pass
    return versions


def git_state(root: Path) -> dict[str, Any]:
    """The commit the code was at and whether the working tree differed from it."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                                  timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    dirty = git("status", "--porcelain", "--", "zoo")
    return {"commit": commit, "zoo_tree_modified": bool(dirty) if dirty is not None else None}
