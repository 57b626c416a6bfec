"""Cost of the factors Tucker-2 needs: full SVD against the Gram route and randomized SVD.

One 512×4608 float64 matrix — the mode-0 unfolding of a 512×512×3×3 kernel, the shape of a
ResNet-18 ``layer4`` convolution — timed with a full ``torch.linalg.svd`` (what ``tucker.py``
ran about 14 times per convolution before issue 14), the eigendecomposition of its 512×512 Gram
matrix (:func:`zoo.lowrank.gram.gram_svd`, used now), singular values only (rank selection), and
``torch.svd_lowrank`` at a known rank; then the whole rank selection + Tucker-2 of that kernel
as ``zoo.decompose`` does it now. One intra-op thread; on a shared machine the figures are noisy.
Run: ``.venv/bin/python benchmarks/lowrank_factors.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch

from zoo.lowrank.gram import gram_svd, singular_values
from zoo.lowrank.ranks import select_rank
from zoo.lowrank.tucker import tucker2, unfold

RANK = 128


def best_of(run: Callable[[], object], repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(0)
    kernel = torch.randn(512, 512, 3, 3, generator=generator) / 48.0
    matrix = unfold(kernel, 0).to(torch.float64)
    full = best_of(lambda: torch.linalg.svd(matrix, full_matrices=False), repeats=1)
    gram = best_of(lambda: gram_svd(matrix))
    values = best_of(lambda: singular_values(matrix))
    with torch.random.fork_rng():
        torch.manual_seed(0)
        lowrank = best_of(lambda: torch.svd_lowrank(matrix, q=RANK + 10, niter=2))
    u_full = torch.linalg.svd(matrix, full_matrices=False)[0][:, :RANK]
    u_gram = gram_svd(matrix)[1][:, :RANK]
    gap = float(torch.linalg.matrix_norm(u_full @ u_full.T - u_gram @ u_gram.T))
    print(f"512×4608 float64, one thread: full SVD {full:.2f} s, Gram eigh {gram:.3f} s, "
          f"singular values only {values:.3f} s, svd_lowrank(q={RANK + 10}, niter=2) "
          f"{lowrank:.3f} s")
    print(f"  leading-{RANK} subspace, Gram vs full SVD: ‖P_full − P_gram‖_F = {gap:.1e}")
    print(f"  the ~14 full SVDs the old tucker.py ran per such conv: ≈ {14 * full:.0f} s")

    def pipeline() -> None:
        ranks = (select_rank(unfold(kernel, 0)), select_rank(unfold(kernel, 1)))
        tucker2(kernel, ranks)

    print(f"  now: energy ranks + Tucker-2 (HOSVD + 5 HOOI sweeps) of the 512×512×3×3 kernel: "
          f"{best_of(pipeline, repeats=1):.2f} s")


if __name__ == "__main__":
    main()
