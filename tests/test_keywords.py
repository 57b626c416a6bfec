"""The keyword classifier: its matching rule, rule order, reject rules, and bad rule files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from zoo.catalog import CatalogError, collect, load
from zoo.catalog.keywords import (
    KeywordFile,
    KeywordRules,
    Match,
    classify,
    load_keywords,
    review_note,
)


def rules(*specs: dict) -> KeywordRules:
    return KeywordRules(tuple(KeywordFile.model_validate({"rules": list(specs)}).rules))


TOY = rules(
    {"reject": "out of scope (federated optimization)", "en": ["federated*"]},
    {"position": "quantization/binary", "en": ["binar*", "1-bit"], "zh": ["二值"]},
    {"position": "quantization/fixed-bit", "en": ["quantiz*", "mixed-precision"]},
    {"position": "pruning/structured", "en": ["prun* + filter*"]},
    {"position": "pruning/unstructured", "en": ["prun*"]},
    {"position": "architecture/nas", "en": ["NAS"]},
)


@pytest.mark.parametrize(("title", "expected"), [
    ("Quantized Neural Networks", ("quantization", "fixed-bit", "quantiz*")),
    ("Unquantized baselines", None),  # a term starts at a word boundary
    ("Bi-Real Net: 1-bit CNNs", ("quantization", "binary", "1-bit")),
    ("Training 1 bit networks", ("quantization", "binary", "1-bit")),  # hyphen = space
    ("Mixed Precision Search", ("quantization", "fixed-bit", "mixed-precision")),
    ("二值神经网络综述", ("quantization", "binary", "二值")),  # Chinese: anywhere
    ("Binary quantization", ("quantization", "binary", "binar*")),  # the first rule wins
    ("Reborn Filters: Pruning CNNs", ("pruning", "structured", "prun* + filter*")),  # both parts
    ("Pruning from Scratch", ("pruning", "unstructured", "prun*")),
    ("Filters that see", None),
    ("NAS-Bench-101", ("architecture", "nas", "NAS")),
    ("Nasal sounds", None),  # whole words: NAS is not a prefix of nasal
])
def test_matching_rule(title: str, expected: tuple | None) -> None:
    found = classify(title, TOY)
    assert (found and (found.category, found.subcategory, found.keyword)) == expected
    assert found is None or found.reject is None


def test_reject_rule_gives_its_reason() -> None:
    assert classify("Federated Dynamic Sparse Training", TOY) == Match(
        None, None, "federated*", "out of scope (federated optimization)")


def test_review_note_names_the_keyword() -> None:
    assert review_note("binar*") == "classified by keyword 'binar*'"


# Titles as the four awesome lists write them, with the position a maintainer gives them.
REAL = [
    ("Sub-Bit Neural Networks: Learning To Compress and Accelerate Binary Neural Networks",
     "quantization/binary"),
    ("HAQ: hardware-aware automated quantization", "quantization/mixed-precision"),
    ("KIVI: A Tuning-Free Asymmetric 2bit Quantization for KV Cache", "quantization/fixed-bit"),
    ("Scalable methods for 8-bit training of neural networks", "quantization/fixed-bit"),
    ("Big-Little Net: An Efficient Multi-Scale Feature Representation for Visual and Speech "
     "Recognition", "architecture/lightweight"),
    ("Channel pruning for accelerating very deep neural networks", "pruning/structured"),
    ("Reborn Filters: Pruning Convolutional Neural Networks with Limited Data",
     "pruning/structured"),
    ("Learning Structured Sparsity in Deep Neural Networks", "pruning/structured"),
    ("Dynamic Channel Pruning: Feature Boosting and Suppression", "pruning/structured"),
    ("Learning both Weights and Connections for Efficient Neural Network", "pruning/unstructured"),
    ("The Lottery Ticket Hypothesis: Finding Sparse, Trainable Neural Networks",
     "pruning/unstructured"),
    ("SNIP: Single-shot Network Pruning based on Connection Sensitivity", "pruning/unstructured"),
    ("SkipNet: Learning Dynamic Routing in Convolutional Networks", "architecture/dynamic"),
    ("Speeding-up convolutional neural networks using fine-tuned cp-decomposition", "low-rank"),
    ("Progressive Differentiable Architecture Search", "architecture/nas"),
    ("ShuffleNet: An Extremely Efficient Convolutional Neural Network for Mobile Devices",
     "architecture/lightweight"),
    ("Born Again Neural Networks", "distillation"),
    ("Distilling the Knowledge in a Neural Network", "distillation"),
]


@pytest.fixture(scope="module")
def real_rules() -> KeywordRules:
    catalog = load()
    return load_keywords(catalog.root, catalog.taxonomy)


@pytest.mark.parametrize(("title", "position"), REAL)
def test_catalog_rules_on_list_titles(real_rules: KeywordRules, title: str, position: str) -> None:
    found = classify(title, real_rules)
    assert found is not None and found.reject is None
    assert "/".join(filter(None, (found.category, found.subcategory))) == position


@pytest.mark.parametrize(("title", "reason"), [
    ("Communication-Efficient Learning of Deep Networks from Decentralized Data", "federated"),
    ("Deep Gradient Compression: Reducing the Communication Bandwidth for Distributed Training",
     "distributed"),
    ("All you need is a good init", "training"),
    ("Methods for interpreting and understanding deep neural networks", "interpretability"),
])
def test_catalog_rules_reject_out_of_scope(
    real_rules: KeywordRules, title: str, reason: str
) -> None:
    found = classify(title, real_rules)
    assert found is not None and reason in (found.reject or "")


BAD = """\
rules:
  - position: pruning
    en: [prun*]
  - position: quantization/fourbit
    en: [quantiz*]
  - position: compression/any
    en: [compress*]
  - position: distillation
    reject: both
    en: [distil*]
  - position: low-rank
    en: ['*']
"""


def test_bad_rules_are_reported_with_lines(tmp_path: Path) -> None:
    repo = tmp_path  # the tables without the papers: only keywords.yaml is under test
    (repo / "catalog").mkdir()
    for name in ("taxonomy.yaml", "venues.yaml"):
        shutil.copy(load().root / name, repo / "catalog" / name)
    (repo / "catalog" / "keywords.yaml").write_text(BAD)
    catalog, problems = collect(repo / "catalog")
    assert catalog is None
    assert [str(p) for p in problems] == [
        "catalog/keywords.yaml:8: rules[3]: give exactly one of position and reject",
        "catalog/keywords.yaml:12: rules[4].en: term '*' would match every title",
    ]
    (repo / "catalog" / "keywords.yaml").write_text("\n".join(BAD.splitlines()[:7]) + "\n")
    with pytest.raises(CatalogError) as error:
        load_keywords(repo / "catalog", load().taxonomy)
    assert [str(p) for p in error.value.problems] == [
        "catalog/keywords.yaml:2: rules[0].position: 'pruning' needs a subcategory "
        "(one of: structured, unstructured)",
        "catalog/keywords.yaml:4: rules[1].position: unknown subcategory 'fourbit' of "
        "'quantization' (known: binary, fixed-bit, mixed-precision)",
        "catalog/keywords.yaml:6: rules[2].position: unknown category 'compression' (known: "
        "pruning, quantization, architecture, low-rank, distillation)",
    ]


def test_no_rule_file_classifies_nothing(tmp_path: Path) -> None:
    catalog = load()
    assert classify("Quantized networks", load_keywords(tmp_path, catalog.taxonomy)) is None
