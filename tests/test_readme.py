"""The README is rendered from the catalog in the seed's line format, escaped, and kept fresh."""

from __future__ import annotations

import re
from pathlib import Path

from zoo.catalog import load
from zoo.publish.markdown import md_text
from zoo.publish.readme import paper_line, render_readme
from zoo.registry import MethodRecord

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "tests" / "data" / "seed.md"  # a copy of the awesome list the project started from
LINE = re.compile(  # an entry without a paper link shows its title as plain text
    r"^- (?P<label>\d{4}(?:\.\d{2})?(?:-[A-Za-z]+)?)-"
    r"(?:\[(?P<title>.+?)\]\((?P<url>\S+?)\)|(?P<plain>[^\[\s].*))"
)


def sections(text: str) -> dict[str, str]:
    """README body split at its `## ` headings."""
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_committed_readme_is_current() -> None:
    assert (REPO / "README.md").read_text(encoding="utf-8") == render_readme(load())


def test_lines_use_the_seed_format() -> None:
    catalog = load()
    assert paper_line(catalog.paper("2019-cvpr-filter-pruning-geometric-median"), catalog) == (
        "- 2019-CVPRo-[Filter Pruning via Geometric Median for Deep Convolutional Neural Networks "
        "Acceleration](https://arxiv.org/abs/1811.00250) "
        "[[Code](https://github.com/he-y/filter-pruning-geometric-median)]"
    )
    assert paper_line(catalog.paper("2019-arxiv-training-convolutional-neural-networks"),
                      catalog).startswith("- 2019.09-[Training convolutional neural networks")
    assert paper_line(catalog.paper("2019-arxiv-basisconv"), catalog).startswith("- 2019-[Basis")


def test_every_seed_paper_is_listed_under_its_seed_section() -> None:
    readme = sections(render_readme(load()))
    section = None
    for raw in SEED.read_text(encoding="utf-8").splitlines():
        if raw.startswith("## "):
            section = raw[3:].strip()
        elif match := re.match(r"^- [^\[]*\[(.+?)\]\(", raw):
            words = re.findall(r"[a-z0-9]+", match[1].lower())
            body = re.sub(r"[^a-z0-9]+", " ", readme[section].lower())
            assert " ".join(words) in body, (section, match[1])


def test_every_line_is_parseable_and_sections_follow_the_taxonomy() -> None:
    text = render_readme(load())
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    assert headings[1:6] == ["剪枝", "量化", "网络结构再设计/搜索", "低秩分解", "网络蒸馏"]
    bullets = [line for line in text.splitlines() if re.match(r"^- \d{4}", line)]
    assert len(bullets) >= 74
    unparsed = [b for b in bullets if not LINE.match(b) and "A Gift From" not in b]
    assert unparsed == []


def test_hostile_strings_render_as_text(repo: Path) -> None:
    path = repo / "catalog/papers/2019-iclr-snip.yaml"
    text = path.read_text().replace(
        "title: 'SNIP: Single-shot Network Pruning based on Connection Sensitivity'",
        "title: 'SNIP: <img src=x onerror=alert(1)> ](javascript:alert(1)) *x* | y'",
    )
    path.write_text(text.replace("label:", "label: '[x](javascript:alert(1))' #", 1))
    catalog = load(repo / "catalog")
    line = paper_line(catalog.paper("2019-iclr-snip"), catalog)
    assert r"\<img src=x onerror=alert(1)\> \](javascript:alert(1)) \*x\* \| y" in line
    assert "](javascript" not in line.replace(r"\](javascript", "")


def test_zoo_implementations_are_marked() -> None:
    catalog = load()
    record = MethodRecord("fpgm", "pruning", "structured",
                          "2019-cvpr-filter-pruning-geometric-median", "FPGM", "zoo.pruning.fpgm",
                          "fpgm_importance", "zoo/pruning/fpgm.py", 12)
    text = render_readme(catalog, {record.paper: [record]})
    assert "· [zoo: `fpgm`](zoo/pruning/fpgm.py#L12)" in text
    assert "1 with a reference implementation" in text


def test_a_readme_past_its_budget_keeps_the_most_important_papers_and_links_the_rest() -> None:
    catalog = load()
    full = render_readme(catalog)
    assert render_readme(catalog, budget=len(full.encode())) == full
    budget = len(full.encode()) - 3000
    short = render_readme(catalog, budget=budget)
    assert len(short.encode()) <= budget
    limit = int(re.search(r"each section below\s+lists at most (\d+)", short)[1])
    listed = set(re.findall(r"^- \S+?-\[(.+?)\]\(", short, flags=re.M))
    paper_sections = sections(short)
    for category in catalog.categories:  # the paper sections; Quickstart's bullets are prose
        bullets = [b for b in paper_sections[category.zh].splitlines() if b.startswith("- ")]
        assert bullets and all(LINE.match(b) for b in bullets), category.id
    from zoo.registry import by_paper

    implemented = [catalog.paper(pid) for pid in by_paper() if pid in catalog]
    assert implemented and all(md_text(p.title) in listed for p in implemented)
    notes = re.findall(r"^\*(\d+) more of this section's (\d+) papers: \[the complete list on the "
                       r"website\]\((https://\S+/categories/\S+/)\)\.\*$", short, flags=re.M)
    assert notes and all(int(total) - int(hidden) == limit for hidden, total, _ in notes)
