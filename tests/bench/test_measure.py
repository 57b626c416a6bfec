"""The steady allocator, in fresh processes: what it changes is process-wide and one-way."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

# Two ResNet-56s of different widths, alternately, as a latency session runs them: by default glibc
# hands the big activation buffers back to the kernel and every pass faults them in again.
_PASSES = """
import resource, sys, torch
from zoo.nets import resnet56
if sys.argv[1] == "steady":
    from zoo.bench.measure import steady_allocator
    steady_allocator()
torch.set_num_threads(1)
models = [resnet56(num_classes=10, in_channels=1, width=w).eval() for w in (16, 8)]
x = torch.randn(64, 1, 32, 32)
def passes():
    with torch.no_grad():
        for model in models:
            model(x)
passes(); passes()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(3):
    passes()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", _PASSES, mode], capture_output=True, text=True,
                          check=True, timeout=120)
    return int(done.stdout.split()[-1])


def test_steady_allocator_stops_repeated_page_faults() -> None:
    if platform.libc_ver()[0] != "glibc":
        pytest.skip("not glibc: steady_allocator leaves the C library alone")
    default, steady = _faults("default"), _faults("steady")
    # measured here over 6 passes: 124 000-138 000 minor faults by default, 0-1 024 steady
    assert default > 20_000 and steady < default / 20
