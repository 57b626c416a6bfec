"""Synthetic catalogs for benchmarks and browser tests: N made-up entries beside the real taxonomy.

Entries are plainly fake (titles say "Synthetic", links point at example.org) and are written to a
directory the caller owns, never into the real ``catalog/``. The generator is seeded, so the same
N gives the same catalog, and tests can compute the counts a filter must show.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from collections.abc import Iterable
from pathlib import Path

import yaml

from ..catalog.ids import paper_id, unique_id
from ..catalog.models import Paper
from ..catalog.writer import dump_paper

_ADJECTIVES = (
    "Sparse", "Dynamic", "Efficient", "Adaptive", "Hierarchical", "Structured", "Differentiable",
    "Robust", "Compact", "Latent", "Progressive", "Stochastic", "Hardware-Aware", "Lossless",
    "Federated", "Quantized", "Binary", "Layerwise",
)
_NOUNS = (
    "Pruning", "Quantization", "Distillation", "Search", "Decomposition", "Factorization",
    "Sparsity", "Networks", "Transformers", "Convolutions", "Channels", "Filters", "Attention",
    "Kernels", "Gradients",
)
_TASKS = (
    "Image Classification", "Object Detection", "Semantic Segmentation", "Speech Recognition",
    "Language Modeling", "Edge Devices", "Mobile Inference", "Video Understanding",
)
_TAGS = ("segmentation", "detection", "theory", "transformer", "hardware")


def synthetic_papers(count: int, taxonomy: dict, venues: dict, seed: int = 0) -> list[Paper]:
    """``count`` valid, distinct fake papers placed across the given taxonomy and venues."""
    rng = random.Random(seed)
    extra = random.Random(seed + 1)  # its own stream: the fields above stay as they always were
    places = [
        (c["id"], s["id"]) for c in taxonomy["categories"] for s in c.get("subcategories") or []
    ] + [(c["id"], None) for c in taxonomy["categories"] if not c.get("subcategories")]
    venue_kinds = {v["id"]: v["kind"] for v in venues["venues"]}
    venue_ids = sorted(venue_kinds)
    taken: set[str] = set()
    papers = []
    for i in range(count):
        year = rng.randint(2000, 2025)
        venue = rng.choice(venue_ids)
        title = (
            f"Synthetic {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} for "
            f"{rng.choice(_TASKS)} Number {i}"
        )
        pid = unique_id(paper_id(year, venue, title), taken)
        taken.add(pid)
        category, sub = rng.choice(places)
        also = rng.choice(places) if rng.random() < 0.05 else None
        papers.append(Paper(
            id=pid,
            title=title,
            authors=[f"Author {rng.randint(1, 5000)}" for _ in range(rng.randint(1, 6))],
            year=year,
            month=rng.choice([None, rng.randint(1, 12)]),
            venue=venue,
            workshop="Synthetic Workshop" if venue_kinds[venue] == "workshop" else None,
            presentation=(
                "oral" if venue_kinds[venue] != "preprint" and rng.random() < 0.08 else None
            ),
            category=category,
            subcategory=sub,
            also_in=(
                [{"category": also[0], "subcategory": also[1]}]
                if also and also != (category, sub) else []
            ),
            links={"paper": f"https://example.org/papers/{i}"},
            code=(
                [{"url": f"https://example.org/code/{i}", "official": rng.random() < 0.5}]
                if rng.random() < 0.4 else []
            ),
            tags=sorted(set(rng.sample(_TAGS, rng.randint(1, 2)))) if rng.random() < 0.2 else [],
            added=dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 300)),
            **_imported_fields(extra, i),
        ))
    return papers


def _imported_fields(rng: random.Random, i: int) -> dict:
    """Provenance for most papers, as after importing awesome lists; some need review, a few
    have an award or a project page."""
    fields: dict = {}
    if rng.random() < 0.8:
        fields["sources"] = [{"list": "example/awesome-synthetic", "commit": "0123456789ab",
                              "line": i + 1}]
        if rng.random() < 0.3:
            fields["review"] = f"classified by keyword '{rng.choice(_NOUNS).lower()}'"
    if rng.random() < 0.02:
        fields["award"] = "Best Paper"
    if rng.random() < 0.1:
        fields["resources"] = [{"url": f"https://example.org/project/{i}", "kind": "project"}]
    return fields


def write_catalog(dest: Path, papers: Iterable[Paper], tables_from: Path) -> Path:
    """A catalog directory at ``dest``: taxonomy and venues copied from ``tables_from``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("taxonomy.yaml", "venues.yaml"):
        shutil.copy(tables_from / name, dest / name)
    (dest / "papers").mkdir(exist_ok=True)
    for paper in papers:
        (dest / "papers" / f"{paper.id}.yaml").write_text(dump_paper(paper), encoding="utf-8")
    return dest


def synthetic_catalog(dest: Path, count: int, tables_from: Path, seed: int = 0) -> Path:
    """Write a catalog of ``count`` synthetic papers at ``dest`` (a new ``catalog/`` directory)."""
    taxonomy = yaml.safe_load((tables_from / "taxonomy.yaml").read_text(encoding="utf-8"))
    venues = yaml.safe_load((tables_from / "venues.yaml").read_text(encoding="utf-8"))
    return write_catalog(dest, synthetic_papers(count, taxonomy, venues, seed), tables_from)
