"""``aladin import``: the seed round trip, the generated README read back, and tricky lines.

The papers in the hand-written lists below are fictional (example.org links); they live only in
temporary catalogs.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from zoo.catalog import collect, load
from zoo.importer import ImportMapping, MappingError, import_markdown, load_mapping
from zoo.publish.markdown import md_text, md_url
from zoo.publish.readme import render_readme

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
from bench_import import scratch_catalog  # noqa: E402

SEED = REPO / "tests" / "data" / "seed.md"  # a copy of the awesome list the project started from
ADDED = dt.date(2024, 1, 2)
HAND_WRITTEN = "2026-11-26"  # the 'added' date of the entries written by hand, not imported
# The seed's 剪枝 and 量化 sections name no subcategory; the round trip files them here.
SEED_DEFAULTS = {"pruning": "structured", "quantization": "fixed-bit"}


def seed_path() -> Path:
    return SEED


@pytest.fixture
def empty_catalog(tmp_path: Path) -> Path:
    """The repository's taxonomy and venues with an empty papers/ directory."""
    return scratch_catalog(tmp_path)


def write_list(tmp_path: Path, text: str, name: str = "list.md") -> Path:
    path = tmp_path / name
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


def entries(catalog_root: Path) -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))
            for p in sorted((catalog_root / "papers").glob("*.yaml"))}


def outcomes(report, kind: str | None = None) -> dict[int, str]:
    """Line -> outcome (or, for one ``kind``, line -> reason) of a report."""
    return {o.line: (o.reason if kind else o.outcome) for o in report.lines.values()
            if kind in (None, o.outcome)}


def assert_valid(catalog_root: Path) -> None:
    catalog, problems = collect(catalog_root)
    assert problems == [] and catalog is not None


def sections(readme: str) -> dict[str, list[str]]:
    """README paper lines under each '## ' heading (sub-headings and blank lines dropped)."""
    found: dict[str, list[str]] = {}
    current = None
    for line in readme.splitlines():
        if line.startswith("## "):
            current = found.setdefault(line[3:].strip(), [])
        elif current is not None and line.startswith("- "):
            current.append(line)
    return found


# --- the seed ----------------------------------------------------------------------------------

# Written independently of the importer: the seed's own line format.
SEED_LINE = re.compile(
    r"^- (?P<year>\d{4}(?:\.\d{2})?)-(?:(?P<venue>[A-Za-z]+?)(?P<mark>[os]?)-)?"
    r"\[(?P<title>.+)\]\((?P<link>[^()\s]+)\)"
    r"(?P<code>(?:\s*\[\[[^\]]+\]\([^()\s]+\)\])*)\s*$"
)
CODE_LINK = re.compile(r"\[\[(?P<label>[^\]]+)\]\((?P<url>[^()\s]+)\)\]")


def seed_lines() -> list[tuple[str, dict[str, str], list[tuple[str, str]]]]:
    """(section, fields, code links) of every paper line of the seed."""
    venues = yaml.safe_load((REPO / "catalog" / "venues.yaml").read_text(encoding="utf-8"))
    canonical = {name.casefold(): v["id"] for v in venues["venues"]
                 for name in (v["id"], *v.get("aliases", []))}
    found, section = [], None
    for line in seed_path().read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        elif section and (match := SEED_LINE.match(line)):
            fields = match.groupdict()
            venue = fields["venue"]
            fields["label"] = (f"{fields['year']}-{canonical[venue.casefold()]}{fields['mark']}"
                               if venue else fields["year"])
            found.append((section, fields, CODE_LINK.findall(fields["code"])))
    return found


def test_seed_round_trip_every_line_shows_in_its_section(empty_catalog: Path) -> None:
    mapping = ImportMapping(default_subcategory=SEED_DEFAULTS)
    report = import_markdown(seed_path(), empty_catalog, mapping=mapping, added=ADDED)

    assert not report.failed, report.summary()
    counts = report.counts
    assert (counts["created"], counts["merged"]) == (50, 1)  # one paper is listed twice
    assert report.entries == 51
    defaulted = [p for p in entries(empty_catalog).values() if "configured default" in
                 p.get("note", "")]
    assert len(defaulted) == 18 + 10  # the flat 剪枝 and 量化 sections
    assert_valid(empty_catalog)

    readme = sections(render_readme(load(empty_catalog), {}))
    lines = seed_lines()
    assert len(lines) == 51  # guards the test's own reading of the seed
    for section, seed, code in lines:
        head = f"- {seed['label']}-[{md_text(seed['title'])}]({md_url(seed['link'])})"
        shown = [line for line in readme[section] if line.casefold().startswith(head.casefold())]
        assert shown, f"{head} missing from ## {section}"
        for label, url in code:
            assert f" [[{md_text(label)}]({md_url(url)})]" in shown[0], (label, url)


def test_seed_without_defaults_reports_the_flat_sections_and_writes_nothing(
    empty_catalog: Path,
) -> None:
    report = import_markdown(seed_path(), empty_catalog, dry_run=True)

    text = seed_path().read_text(encoding="utf-8").splitlines()
    flat = [n for n, line in enumerate(text, 1) if SEED_LINE.match(line)
            and any(h in ("## 剪枝", "## 量化") for h in _headings_above(text, n))]
    rejected = outcomes(report, "rejected")
    assert sorted(rejected) == flat and len(flat) == 28
    assert all("default_subcategory" in reason for reason in rejected.values())
    assert report.failed and report.counts["created"] == 22  # subcategorised sections
    assert list((empty_catalog / "papers").iterdir()) == []


def _headings_above(lines: list[str], number: int) -> list[str]:
    return [line.strip() for line in lines[: number - 1] if line.startswith("## ")][-1:]


def hand_written_catalog(tmp_path: Path) -> Path:
    """The repository's catalog without the entries imported from lists (fast to read)."""
    root = tmp_path / "catalog"
    shutil.copytree(REPO / "catalog", root, ignore=shutil.ignore_patterns("papers"))
    (root / "papers").mkdir()
    for path in (REPO / "catalog" / "papers").glob("*.yaml"):
        if f"added: {HAND_WRITTEN}" in path.read_text(encoding="utf-8"):
            shutil.copy(path, root / "papers")
    return root


def test_seed_into_the_real_catalog_skips_every_paper(tmp_path: Path) -> None:
    root = hand_written_catalog(tmp_path)
    before = entries(root)
    report = import_markdown(seed_path(), root)

    assert report.counts["duplicate"] == 51 and report.entries == 51, report.summary()
    skipped = {o.id for o in report.lines.values()}
    assert {"2019-cvpr-filter-pruning-geometric-median", "2019-cvprw-dupnet"} <= skipped
    assert entries(root) == before


def test_generated_readme_imports_back_to_the_same_lines(
    tmp_path: Path, empty_catalog: Path
) -> None:
    readme = render_readme(load(hand_written_catalog(tmp_path / "real")), {})
    report = import_markdown(write_list(tmp_path, readme, "README.md"), empty_catalog)

    assert not report.failed, report.summary()
    assert sections(render_readme(load(empty_catalog), {})) == sections(readme)


# --- tricky bullet lines -----------------------------------------------------------------------

TRICKY = """
# Example list

- [剪枝](#剪枝)

## 剪枝
**结构化剪枝**
-   2019 - CVPRo - [Example Pruning Paper One](https://arxiv.org/abs/1811.00001)   [[Code](https://github.com/example/one)]   \n\
- 2019-NIPS-[Learning [Binary] Nets (BNN) for Example](https://example.org/p/bnn_(v2).html) [[Code](https://github.com/example/bnn)] [[Pytorch Code](https://github.com/example/bnn-pt)]
- 2019-CVPR-[Unclosed title(https://example.org/x)
- 2019-ICLR-[Example With Junk](https://openreview.net/forum?id=AbCdEf123) trailing words
2019-ICLR-[Not A List Item](https://example.org/nolist)
- 2019-FOOCONF-[Example Unknown Venue Paper](https://example.org/foo)
- 1800-ICLR-[Example Too Old](https://example.org/old)
- 2019-ICLR-[Example \\*Escaped\\* Title](https://openreview.net/pdf?id=XyZ123abc)

**非结构化剪枝**
- 2019-ICLRs-[example pruning paper ONE](https://example.org/other) [[Code](https://github.com/example/one-more)] [[Code](https://github.com/example/one)]
- 2020-[An Example Preprint](https://arxiv.org/pdf/2001.00002v3.pdf)
- 2020.07-[Another Example Preprint](https://arxiv.org/abs/2007.00003)
"""  # noqa: E501


@pytest.fixture
def tricky(tmp_path: Path, empty_catalog: Path):
    return import_markdown(write_list(tmp_path, TRICKY), empty_catalog, added=ADDED)


def test_bad_lines_are_reported_with_their_line_numbers(tricky) -> None:
    problems = outcomes(tricky, "rejected")
    assert sorted(problems) == [9, 11, 12, 13]
    assert "no title link after the year label" in problems[9]
    assert "list item" in problems[11]
    assert "venue 'FOOCONF' is not in catalog/venues.yaml" in problems[12]
    assert problems[13].startswith("invalid entry: year:")
    assert f"{tricky.source}:12: rejected: venue 'FOOCONF'" in tricky.summary()
    assert outcomes(tricky)[10] == "created"  # trailing words are read as annotations
    assert tricky.failed


def test_spacing_brackets_and_parentheses_are_read(tricky, empty_catalog: Path) -> None:
    papers = entries(empty_catalog)
    one = papers["2019-cvpr-example-pruning-paper-one"]
    assert one["presentation"] == "oral" and one["links"]["arxiv"] == "1811.00001"
    bnn = papers["2019-neurips-learning-binary-nets-bnn"]
    assert bnn["title"] == "Learning [Binary] Nets (BNN) for Example"
    assert bnn["links"]["paper"] == "https://example.org/p/bnn_(v2).html"
    assert [c["url"] for c in bnn["code"]] == ["https://github.com/example/bnn",
                                               "https://github.com/example/bnn-pt"]
    assert bnn["code"][1]["label"] == "Pytorch Code"
    escaped = papers["2019-iclr-example-escaped-title"]
    assert escaped["title"] == "Example *Escaped* Title"
    assert escaped["links"]["openreview"] == "XyZ123abc" and "code" not in escaped
    assert_valid(empty_catalog)


def test_preprint_labels_give_arxiv_entries(tricky, empty_catalog: Path) -> None:
    papers = entries(empty_catalog)
    first = papers["2020-arxiv-example-preprint"]
    assert first["venue"] == "arXiv" and "month" not in first
    assert first["links"]["arxiv"] == "2001.00002"  # version dropped
    assert first["links"]["pdf"] == "https://arxiv.org/pdf/2001.00002v3.pdf"
    assert papers["2020-arxiv-another-example-preprint"]["month"] == 7


def test_same_title_at_two_venues_is_a_conflict_not_a_merge(tricky, empty_catalog: Path) -> None:
    conflict = outcomes(tricky, "conflict")
    assert list(conflict) == [17]
    assert "same paper as line 7" in conflict[17] and "CVPR 2019" in conflict[17]
    assert "ICLR 2019" in conflict[17]
    one = entries(empty_catalog)["2019-cvpr-example-pruning-paper-one"]
    assert "also_in" not in one and len(one["code"]) == 1
    assert tricky.created_ids.count("2019-cvpr-example-pruning-paper-one") == 1


def test_papers_already_in_the_catalog_are_duplicates(tricky, tmp_path: Path,
                                                   empty_catalog: Path) -> None:
    before = entries(empty_catalog)
    again = write_list(tmp_path, """
## 低秩分解
- 2019-CVPR-[EXAMPLE PRUNING PAPER ONE](https://example.org/elsewhere)
- 2018-ICML-[A Renamed Example](https://arxiv.org/abs/2001.00002v1)
- 2019-AAAI-[A New Example Paper](https://example.org/new)
""", "again.md")
    report = import_markdown(again, empty_catalog, added=ADDED)

    assert [(o.line, o.id) for o in report.lines.values() if o.outcome == "duplicate"] == [
        (2, "2019-cvpr-example-pruning-paper-one")]
    # an unrelated title behind an entry's arXiv id is a conflict for a person, never a merge
    (renamed,) = [o for o in report.lines.values() if o.outcome == "conflict"]
    assert renamed.line == 3 and "same arxiv id 2001.00002 as 2020-arxiv-example-preprint" in (
        renamed.reason)
    assert report.created_ids == ["2019-aaai-new-example-paper"]
    after = entries(empty_catalog)
    assert {k: after[k] for k in before} == before
    assert_valid(empty_catalog)


def test_dry_run_reports_the_same_and_writes_nothing(tmp_path: Path, empty_catalog: Path) -> None:
    dry = import_markdown(write_list(tmp_path, TRICKY), empty_catalog, dry_run=True, added=ADDED)
    assert list((empty_catalog / "papers").iterdir()) == []
    wet = import_markdown(write_list(tmp_path, TRICKY), empty_catalog, added=ADDED)
    assert dry.lines == wet.lines
    assert "(dry run: nothing written)" in dry.summary()


# --- headings, mapping and subcategories -------------------------------------------------------

SECTIONS = """
## Quantization
### Binarization
- 2019-ICML-[Example Binary Paper](https://example.org/b)
### Post-training tricks
- 2019-ICML-[Example Post Training Paper](https://example.org/pt)

## Misc
- 2019-CVPR-[Example Misc Paper](https://example.org/misc)
- [a link that is no paper](https://example.org/about)

## Low-rank decomposition
**Tensor methods**
- 2019-AAAI-[Example Tensor Paper](https://example.org/t)
"""


def test_headings_map_by_taxonomy_names_and_unmapped_ones_are_reported(
    tmp_path: Path, empty_catalog: Path
) -> None:
    report = import_markdown(write_list(tmp_path, SECTIONS), empty_catalog, added=ADDED)
    papers = entries(empty_catalog)

    binary = papers["2019-icml-example-binary-paper"]
    assert (binary["category"], binary["subcategory"]) == ("quantization", "binary")
    assert papers["2019-aaai-example-tensor-paper"]["category"] == "low-rank"
    assert "2019-cvpr-example-misc-paper" not in papers
    rejected = outcomes(report, "rejected")
    # line 5: quantization needs a subcategory; line 8: under the unmapped '## Misc';
    # line 9: a link in a list, but without a year: no paper line the importer can read
    assert sorted(rejected) == [5, 8, 9] and "no year" in rejected[9]
    assert "'quantization' has subcategories" in rejected[5]
    assert "no category: the line is under '## Misc' (line 7)" in rejected[8]


def test_mapping_file_overrides_and_default_subcategory_is_noted(
    tmp_path: Path, empty_catalog: Path
) -> None:
    mapping_file = tmp_path / "map.yaml"
    mapping_file.write_text(
        "headings:\n  Misc: architecture/nas\n  Post-training tricks: quantization\n"
        "default_subcategory:\n  quantization: fixed-bit\n", encoding="utf-8")
    report = import_markdown(write_list(tmp_path, SECTIONS), empty_catalog,
                             mapping=load_mapping(mapping_file), added=ADDED)
    papers = entries(empty_catalog)

    # a bullet with a link but no year is reported, not skipped
    assert list(outcomes(report, "rejected")) == [9]
    assert papers["2019-cvpr-example-misc-paper"]["subcategory"] == "nas"
    post = papers["2019-icml-example-post-training-paper"]
    assert post["subcategory"] == "fixed-bit" and "configured default" in post["note"]
    assert "default" in post["review"]
    assert_valid(empty_catalog)


@pytest.mark.parametrize(("text", "message"), [
    ("headings:\n  Misc: nonsense\n", "headings: Misc: unknown category 'nonsense'"),
    ("headings:\n  Misc: pruning/leaves\n", "unknown subcategory 'leaves' of 'pruning'"),
    ("default_subcategory:\n  pruning: wrong\n", "unknown subcategory 'wrong'"),
    ("heading:\n  Misc: pruning\n", "unknown key heading"),
    ("- a list\n", "expected a mapping"),
    ("headings:\n  Misc: 'reject:'\n", "say why after 'reject:'"),
])
def test_bad_mapping_is_refused_with_the_entry_named(
    tmp_path: Path, empty_catalog: Path, text: str, message: str
) -> None:
    mapping_file = tmp_path / "map.yaml"
    mapping_file.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError, match=re.escape(message)) as raised:
        import_markdown(write_list(tmp_path, SECTIONS), empty_catalog,
                        mapping=load_mapping(mapping_file))
    assert str(raised.value).startswith(f"{mapping_file}:")
    assert list((empty_catalog / "papers").iterdir()) == []


def test_a_mapping_that_is_not_yaml_is_reported_on_one_line_with_its_line(
    tmp_path: Path
) -> None:
    mapping_file = tmp_path / "map.yaml"
    mapping_file.write_text("headings:\n  Misc: pruning\n  Other: [unclosed\n", encoding="utf-8")
    with pytest.raises(MappingError) as raised:
        load_mapping(mapping_file)
    message = str(raised.value)
    assert message.startswith(f"{mapping_file}:4: invalid YAML: ") and "\n" not in message


# --- tables ------------------------------------------------------------------------------------

TABLE = """
# Example pruning list

| Type | `F` | `W` |
|:-----|:---:|:---:|
| Explanation | Filter pruning | Weight pruning |

## Pruning
### 2019
| Title | Venue | Type | Code |
|:------|:-----:|:----:|:----:|
| [Example Table Paper W](https://arxiv.org/abs/1901.00004) | ICLR **(Spotlight)** | `W` | [PyTorch(Author)](https://github.com/example/w) |
| [Example Table Paper F](https://example.org/f) | CVPR 2020 | `F`&`W` | - |
| [Example Table Paper Q](https://example.org/q) | NeurIPS | `Q` | |
| Example Plain Title | arXiv | `F` | https://github.com/example/plain [TF](https://github.com/example/tf) |
| [Example No Venue](https://example.org/nv) | | `F` | |

## Quantization
| Title | Year | Venue | Code |
|---|---|---|---|
| [Example Binary \\| Ternary Net](https://example.org/bt) | 2018 | NIPS | [Code](https://github.com/example/bt) |
| [Example Bad Year](https://example.org/by) | 20x9 | ICML | |
"""  # noqa: E501


def test_table_format(tmp_path: Path, empty_catalog: Path) -> None:
    mapping = ImportMapping(
        headings={"Quantization": ("quantization", "binary")},
        types={"F": ("pruning", "structured"), "W": ("pruning", "unstructured")},
    )
    report = import_markdown(write_list(tmp_path, TABLE), empty_catalog, mapping=mapping,
                             added=ADDED)
    papers = entries(empty_catalog)

    w = papers["2019-iclr-example-table-paper-w"]  # year from the '### 2019' heading
    assert (w["presentation"], w["subcategory"], w["links"]["arxiv"]) == (
        "spotlight", "unstructured", "1901.00004")
    assert w["code"] == [{"url": "https://github.com/example/w", "label": "PyTorch(Author)",
                          "official": True}]
    f = papers["2020-cvpr-example-table-paper-f"]  # the venue cell's year wins over the heading
    assert f["subcategory"] == "structured" and f["also_in"] == [
        {"category": "pruning", "subcategory": "unstructured"}]
    plain = papers["2019-arxiv-example-plain-title"]
    assert "links" not in plain and [c["url"] for c in plain["code"]] == [
        "https://github.com/example/plain", "https://github.com/example/tf"]
    bt = papers["2018-neurips-example-binary-ternary-net"]
    assert bt["title"] == "Example Binary | Ternary Net" and bt["subcategory"] == "binary"

    # 'Q' is no type the mapping knows, and pruning alone needs a subcategory
    problems = outcomes(report, "rejected")
    assert sorted(problems) == [13, 15, 21]
    assert "'pruning' has subcategories" in problems[13]
    assert "no venue" in problems[15] and "'20x9' is not a year" in problems[21]
    assert len(papers) == 4
    assert_valid(empty_catalog)


# --- the command line ---------------------------------------------------------------------------

def test_cli_import_exit_codes(tmp_path: Path, empty_catalog: Path, aladin) -> None:
    root = empty_catalog.parent
    good = write_list(tmp_path, "## 低秩分解\n- 2019-CVPR-[Example Good Paper](https://example.org/g)\n",
                      "good.md")
    bad = write_list(tmp_path, "## 低秩分解\n- 2019-CVPR-[Example Bad Paper(https://example.org/b)\n",
                     "bad.md")

    status, out, _ = aladin("--root", root, "import", bad)
    assert status == 1 and f"{bad}:2: rejected: " in out
    assert "1 lines read as entries" in out
    status, out, _ = aladin("--root", root, "import", good, "--dry-run")
    assert status == 0 and list((empty_catalog / "papers").iterdir()) == []
    status, out, _ = aladin("--root", root, "import", good)
    assert status == 0 and (empty_catalog / "papers" / "2019-cvpr-example-good-paper.yaml").exists()
    assert_valid(empty_catalog)


def test_comments_code_blocks_ordered_lists_and_decorated_headings(
    tmp_path: Path, empty_catalog: Path
) -> None:
    source = write_list(tmp_path, """
## 🔥 Low-rank decomposition:
<!-- - 2019-CVPR-[Example Hidden Paper](https://example.org/hidden) -->
<!--
- 2019-CVPR-[Example Hidden Paper Two](https://example.org/hidden2)
-->
```
- 2019-CVPR-[Example Quoted Paper](https://example.org/quoted)
```
1. 2019-CVPR-[Example Ordered Paper](https://example.org/ordered) <!-- a remark -->
""")
    report = import_markdown(source, empty_catalog, added=ADDED)

    assert report.created_ids == ["2019-cvpr-example-ordered-paper"]
    assert not report.failed
    # the hidden and quoted lines carry links: each is reported as no entry, never imported
    assert set(outcomes(report, "not-a-paper")) == {2, 4, 7}


def test_a_paper_without_a_link_keeps_its_code_links(tmp_path: Path, empty_catalog: Path) -> None:
    # the generated README shows an entry without a paper link as a plain title
    source = write_list(tmp_path, "## 低秩分解\n- 2021-AAAI-Example Linkless Paper "
                        "[[Code](https://github.com/example/linkless)]\n")
    report = import_markdown(source, empty_catalog, added=ADDED)
    paper = entries(empty_catalog)["2021-aaai-example-linkless-paper"]
    assert report.created_ids == ["2021-aaai-example-linkless-paper"] and "links" not in paper
    assert paper["code"][0]["url"] == "https://github.com/example/linkless"
