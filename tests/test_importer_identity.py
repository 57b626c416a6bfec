"""When two mentions are one paper (zoo/catalog/identity.py), on titles the real lists use."""

from __future__ import annotations

import pytest

from zoo.catalog.identity import Index, Mention, doi, near_duplicates, related_titles, same_title


@pytest.mark.parametrize(("a", "b", "same"), [
    ("Do deep neural nets really need to be deep", "Do Deep Nets Really Need to be Deep?", True),
    ("Do deep (neural) nets really need to be deep", "Do deep nets really need to be deep", True),
    ("Do deep nets really need to be deep?",
     "Do deep convolutional nets really need to be deep and convolutional?", False),
    ("Pruning from Scratch", "PRUNING FROM SCRATCH.", True),
    ("Deep Residual Learning", "Residual Learning for Speech", False),
])
def test_same_title(a: str, b: str, same: bool) -> None:
    assert same_title(a, b) is same


@pytest.mark.parametrize(("a", "b", "related"), [
    ("DARB: A Density-Aware Regular-Block Pruning for Deep Neural Networks",
     "DARB: A Density-Adaptive Regular-Block Pruning for Deep Neural Networks", True),
    ("HAQ: hardware-aware automated quantization",
     "HAQ: Hardware-Aware Automated Quantization With Mixed Precision", True),
    ("Optimal ANN-SNN Conversion for High-accuracy and Ultra-low-latency Spiking Neural Networks",
     "QDrop: Randomly Dropping Quantization for Extremely Low-bit Post-Training Quantization",
     False),
])
def test_titles_sharing_an_id_must_be_related(a: str, b: str, related: bool) -> None:
    assert related_titles(a, b) is related


def test_index_merges_by_title_or_related_id_and_reports_clashes() -> None:
    index: Index[str] = Index()
    index.add(Mention("QDrop: Randomly Dropping Quantization", openreview="ySQH0oDyp7"), "qdrop",
              ["https://openreview.net/forum?id=ySQH0oDyp7"])
    index.add(Mention("Pruning from Scratch", arxiv="1909.12579"), "scratch")
    assert index.find(Mention("pruning from scratch")) == "scratch"
    assert index.find(Mention("Pruning from Scratch (AAAI)", arxiv="1909.12579")) == "scratch"
    other = Mention("Optimal ANN-SNN Conversion for Spiking Neural Networks",
                    openreview="ySQH0oDyp7")
    assert index.find(other) is None
    what, title, item = index.clash(other, "https://openreview.net/forum?id=ySQH0oDyp7")
    assert (what, item) == ("link", "qdrop") and title.startswith("QDrop")
    assert index.clash(other, None)[0] == "openreview id ySQH0oDyp7"


def test_doi_from_links() -> None:
    assert doi("https://dl.acm.org/doi/abs/10.1145/3503221.3508408") == "10.1145/3503221.3508408"
    assert doi("https://arxiv.org/abs/1909.12579") is None


def test_near_duplicates_name_both_entries() -> None:
    found = list(near_duplicates([
        ("a.yaml", "Learning Efficient Convolutional Networks through Network Slimming"),
        ("b.yaml", "Learning Efficient Convolutional Networks Through Network Slimmming"),
        ("c.yaml", "Learning Efficient Object Detection Models"),
        ("d.yaml", "Learning efficient convolutional networks through network slimming"),
    ]))
    assert [(a, b) for a, b, _ in found] == [("a.yaml", "b.yaml"), ("b.yaml", "d.yaml")]


def test_aladin_check_warns_about_near_duplicates_naming_both_files(
        tmp_path, aladin, small_catalog) -> None:
    import datetime as dt
    import shutil

    from zoo.catalog import Paper
    from zoo.catalog.writer import dump_paper

    root = tmp_path / "catalog"
    shutil.copytree(small_catalog, root)
    for paper_id, title, year in (
        ("2014-neurips-deep-nets-really-need", "Do Deep Nets Really Need to be Deep?", 2014),
        ("2015-iclr-deep-neural-nets-really", "Do deep neural nets really need to be deep", 2015),
        ("2017-iclr-slimming", "Learning Efficient Convolutional Networks through Slimming", 2017),
        ("2017-iccv-slimming", "Learning Efficient Convolutional Networks through Slimmming", 2017),
    ):
        paper = Paper(id=paper_id, title=title, year=year, venue=paper_id.split("-")[1].upper()
                      .replace("NEURIPS", "NeurIPS"), category="low-rank",
                      added=dt.date(2024, 1, 2))
        (root / "papers" / f"{paper_id}.yaml").write_text(dump_paper(paper), encoding="utf-8")

    status, out, err = aladin("--root", tmp_path, "check")
    warnings = [line for line in out.splitlines() if line.startswith("warning: ")]
    assert status == 0 and "warnings" in out, err
    assert any("2014-neurips-deep-nets-really-need.yaml" in w
               and "2015-iclr-deep-neural-nets-really.yaml" in w and "'neural'" in w
               for w in warnings)
    assert any("2017-iccv-slimming.yaml" in w and "2017-iclr-slimming.yaml" in w
               for w in warnings)
