"""Every zoo implementation is documented the way the project promises (labml style).

Its module docstring names the catalog paper, carries a runnable example (collected as a doctest,
since pytest runs with --doctest-modules over zoo/) and ends with "Deviations from the paper".
The README and the website show each implementation on its paper's line and page.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import zoo
from zoo.catalog import load
from zoo.publish.readme import render_readme

REPO = Path(__file__).resolve().parents[1]
METHODS = zoo.list_methods()


def module_doc(source: str) -> str:
    return ast.get_docstring(ast.parse((REPO / source).read_text(encoding="utf-8"))) or ""


def test_every_subcategory_has_an_implementation() -> None:
    covered = {(m.category, m.subcategory) for m in METHODS}
    for category in load().categories:
        for sub in category.subcategories or [None]:
            assert (category.id, getattr(sub, "id", None)) in covered


@pytest.mark.parametrize("method", METHODS, ids=[m.name for m in METHODS])
def test_module_docstring_names_paper_example_and_deviations(method: zoo.MethodRecord) -> None:
    doc = module_doc(method.source)
    assert method.paper in doc, f"{method.source} does not name {method.paper}"
    assert ">>> " in doc, f"{method.source} has no runnable usage example"
    assert "Deviations from the paper" in doc
    assert method.summary.strip()


def test_readme_lines_show_the_implementations() -> None:
    readme = render_readme(load())
    for method in METHODS:
        assert f"[zoo: `{method.name}`]({method.source}#L{method.line})" in readme
