"""The id rule, as documented in zoo/catalog/ids.py."""

from __future__ import annotations

import pytest

from zoo.catalog import load
from zoo.catalog.ids import normalise_title, paper_id, unique_id


@pytest.mark.parametrize(
    ("year", "venue", "title", "expected"),
    [
        (2019, "CVPR", "Filter Pruning via Geometric Median for Deep Convolutional Neural "
         "Networks Acceleration", "2019-cvpr-filter-pruning-geometric-median"),
        (2019, "ICLR", "SNIP: Single-shot Network Pruning based on Connection Sensitivity",
         "2019-iclr-snip"),
        (2019, "ICML", "NAS-Bench-101: Towards Reproducible Neural Architecture Search",
         "2019-icml-nas-bench-101"),
        (2019, "CVPRW", "DupNet: Towards Very Tiny Quantized CNN", "2019-cvprw-dupnet"),
        (2019, "arXiv", "A Mean Field Theory of Quantized Deep Networks: The Trade-Off",
         "2019-arxiv-mean-field-theory-quantized"),
        (2019, "ICLR", "Dynamic Channel Pruning: Feature Boosting",
         "2019-iclr-dynamic-channel-pruning-feature"),
        (2024, "NeurIPS", "Łukasz’s Über-Net: naïve", "2024-neurips-lukaszs-uber-net-naive"),
    ],
)
def test_paper_id(year: int, venue: str, title: str, expected: str) -> None:
    assert paper_id(year, venue, title) == expected


def test_unique_id_appends_a_counter() -> None:
    assert unique_id("2019-iclr-snip", set()) == "2019-iclr-snip"
    assert unique_id("2019-iclr-snip", {"2019-iclr-snip", "2019-iclr-snip-2"}) == "2019-iclr-snip-3"


def test_normalised_titles_ignore_case_and_punctuation() -> None:
    assert normalise_title("HetConv Heterogeneous  Kernel-Based") == normalise_title(
        "HetConv: heterogeneous kernel based"
    )


def test_every_catalog_id_follows_the_rule() -> None:
    for paper in load():
        assert paper.id.startswith(paper_id(paper.year, paper.venue, paper.title)), paper.id
