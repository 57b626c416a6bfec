"""The importer on short excerpts of the four real lists (``tests/data/lists/``, one per format,
traps included) and on one line of each further format the issue names.

The catalog under test has the repository's taxonomy, a small venue table written here (so the
outcomes do not depend on how far ``catalog/venues.yaml`` has grown) and two seed entries.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from zoo.catalog import collect
from zoo.importer import ImportMapping, import_markdown
from zoo.importer.mapping import Section

REPO = Path(__file__).resolve().parents[1]
LISTS = REPO / "tests" / "data" / "lists"
ADDED = dt.date(2024, 1, 2)
SEED = ("2019-cvpr-filter-pruning-geometric-median",
        "2015-arxiv-distilling-knowledge-neural-network")
VENUES = """
venues:
  - {id: AAAI, name: AAAI Conference on Artificial Intelligence, kind: conference}
  - {id: CVPR, name: Conference on Computer Vision and Pattern Recognition, kind: conference}
  - {id: ECCV, name: European Conference on Computer Vision, kind: conference}
  - {id: ICCV, name: International Conference on Computer Vision, kind: conference}
  - {id: ICLR, name: International Conference on Learning Representations, kind: conference}
  - {id: ICML, name: International Conference on Machine Learning, kind: conference}
  - {id: NeurIPS, name: Neural Information Processing Systems, kind: conference, aliases: [NIPS]}
  - {id: NeurIPSW, name: NeurIPS Workshops, kind: workshop, parent: NeurIPS, aliases: [NIPSW]}
  - {id: arXiv, name: arXiv preprint, kind: preprint}
"""


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    (root / "papers").mkdir(parents=True)
    shutil.copy(REPO / "catalog" / "taxonomy.yaml", root / "taxonomy.yaml")
    (root / "venues.yaml").write_text(VENUES, encoding="utf-8")
    for paper_id in SEED:
        shutil.copy(REPO / "catalog" / "papers" / f"{paper_id}.yaml", root / "papers")
    return root


def run(catalog: Path, name: str, headings: dict, **mapping):
    report = import_markdown(LISTS / name, catalog, added=ADDED,
                             provenance=("owner/list", "abc1234"),
                             mapping=ImportMapping(headings=headings, **mapping))
    _, problems = collect(catalog)
    assert problems == [], problems  # whatever the import did, `aladin check` still passes
    return report, {o.line: o for o in report.lines.values()}


def entry(catalog: Path, paper_id: str) -> dict:
    return yaml.safe_load((catalog / "papers" / f"{paper_id}.yaml").read_text(encoding="utf-8"))


def test_label_bullets_with_their_traps(catalog: Path) -> None:
    report, lines = run(catalog, "labelled.md", {
        "Books": Section("not-a-paper"), "Surveys": ("pruning", "structured"),
        "Papers [Pruning and Quantization]": ("pruning", "unstructured"),
        "Workshops": Section("not-a-paper"), "Lightweight DNN Engines/APIs": Section("not-a-paper"),
    })
    outcome = {n: o.outcome for n, o in lines.items()}
    # unknown venues are rejected lines naming the venue, with the fix
    for number, venue in ((7, "TNN"), (8, "Proceedings of the IEEE"), (12, "INTERSPEECH"),
                          (19, "FPGA")):
        assert outcome[number] == "rejected"
        assert f"venue '{venue}' is not in" in lines[number].reason
    # 'Do deep neural nets…' and '… nets really need to be deep?' are one paper; the
    # 'convolutional' one is another
    assert (outcome[14], outcome[32], outcome[33]) == ("created", "merged", "created")
    assert lines[32].id == lines[14].id
    # preprint line + published line: one entry with the published venue, arXiv id kept
    assert (outcome[22], outcome[23]) == ("created", "merged")
    scratch = entry(catalog, lines[22].id)
    assert lines[22].id == "2020-aaai-pruning-scratch"
    assert (scratch["venue"], scratch["year"]) == ("AAAI", 2020)
    assert scratch["links"]["arxiv"] == "1909.12579"
    assert [s["line"] for s in scratch["sources"]] == [22, 23]
    # annotations are fields or notes, never a rejection
    assert entry(catalog, lines[16].id)["award"] == "Best Paper"
    assert entry(catalog, lines[24].id)["presentation"] == "spotlight"
    zaq = entry(catalog, lines[25].id)
    assert zaq["presentation"] == "oral" and zaq["code"][0]["url"].endswith("ZAQ-code")
    openai = entry(catalog, lines[20].id)
    assert "OpenAI" in openai["note"] and (openai["venue"], openai["month"]) == ("arXiv", 11)
    # links that are not code are typed resources; links to other papers are dropped
    soft = entry(catalog, lines[18].id)
    assert [r["kind"] for r in soft["resources"]] == ["discussion"]
    assert [c["url"] for c in soft["code"]] == [
        "https://github.com/KarenUllrich/Tutorial-SoftWeightSharingForNNCompression"]
    assert entry(catalog, lines[26].id)["resources"][0]["kind"] == "project"
    nm = entry(catalog, lines[27].id)
    assert [r["kind"] for r in nm["resources"]] == ["slides"] and len(nm["code"]) == 1
    kdgan = entry(catalog, lines[34].id)
    assert kdgan["resources"][0]["kind"] == "other-version" and "code" not in kdgan
    prune = entry(catalog, lines[21].id)
    assert "workshop" in prune["note"] and "resources" not in prune and "code" not in prune
    # '[Title]()' is a paper without a link; an unclosed title is rejected
    assert outcome[35] == "created" and "links" not in entry(catalog, lines[35].id)
    assert outcome[36] == "rejected" and "title link" in lines[36].reason
    assert {outcome[n] for n in (3, 39, 40, 41, 43)} == {"not-a-paper"}
    assert report.failed and report.entries == sum(o != "not-a-paper" for o in outcome.values())


def test_tables_with_their_traps(catalog: Path) -> None:
    seed_before = entry(catalog, SEED[0])
    report, lines = run(catalog, "table.md", {}, types={
        "F": ("pruning", "structured"), "W": ("pruning", "unstructured"),
        "Other": ("pruning", "structured")})
    outcome = {n: o.outcome for n, o in lines.items()}
    assert outcome[4] == outcome[6] == "not-a-paper"  # the table of contents
    assert outcome[15] == "created" and "code" not in entry(catalog, lines[15].id)  # Code Deleted
    # line 21 shares line 20's link and line 25 line 22's: conflicts, never merged
    assert outcome[21] == "conflict" and "same link as line 20" in lines[21].reason
    assert outcome[25] == "conflict" and "same link as line 22" in lines[25].reason
    assert "code" in entry(catalog, lines[20].id)
    assert entry(catalog, lines[30].id)["presentation"] == "oral"
    lottery = entry(catalog, lines[38].id)
    assert lottery["award"] == "Best Paper" and lottery["code"][0]["official"] is True
    assert entry(catalog, lines[42].id)["award"] == "Best Paper"
    # the seed's paper keeps its verified facts: the list only adds what the entry lacks
    assert lines[37].id == SEED[0] and outcome[37] in ("duplicate", "merged")
    after = entry(catalog, SEED[0])
    assert {k: after[k] for k in seed_before} == seed_before
    assert report.counts["created"] == 10


def test_link_first_bullets(catalog: Path) -> None:
    report, lines = run(catalog, "linkfirst.md", {"Papers": ("quantization", "fixed-bit"),
                                                  "Benchmark": ("quantization", "binary")})
    outcome = {n: o.outcome for n, o in lines.items()}
    assert {outcome[n] for n in (4, 5, 6, 10)} == {"not-a-paper"}
    llama = entry(catalog, lines[16].id)
    assert (llama["venue"], llama["year"], llama["links"]["arxiv"]) == ("arXiv", 2024, "2404.14047")
    assert llama["title"] == "How Good Are Low-bit Quantized LLaMA3 Models? An Empirical Study"
    gptq = entry(catalog, lines[22].id)
    assert (gptq["venue"], gptq["year"]) == ("ICLR", 2023) and gptq["code"]
    assert entry(catalog, lines[24].id)["code"][0]["url"] == "https://github.com/htqin/BiBERT"
    assert entry(catalog, lines[25].id)["venue"] == "NeurIPS"  # '[[NeurIPS]](url)'
    scalable = entry(catalog, lines[27].id)  # '[91:fire:]' before the title is stepped over
    assert scalable["title"] == "Scalable methods for 8-bit training of neural networks"
    assert not report.failed


def test_title_first_bullets(catalog: Path) -> None:
    seed_before = entry(catalog, SEED[1])
    _, lines = run(catalog, "titlefirst.md", {
        "Papers": ("distillation", None), "Videos": Section("not-a-paper"),
        "Implementations": Section("not-a-paper")})
    outcome = {n: o.outcome for n, o in lines.items()}
    # the list gives no venue: arXiv links are preprints, proceedings links name their venue,
    # other lines are rejected saying so
    for number in (6, 8, 9, 10, 11, 19):
        assert outcome[number] == "rejected" and "no venue" in lines[number].reason
    for number in (7, 17):
        nips = entry(catalog, lines[number].id)
        assert nips["venue"] == "NeurIPS" and "proceedings link" in nips["note"]
    pseudo = entry(catalog, lines[12].id)
    assert pseudo["authors"] == ["Philip Bachman", "Ouais Alsharif", "Doina Precup"]
    assert (pseudo["venue"], pseudo["year"]) == ("arXiv", 2014)
    assert outcome[13] == "duplicate" and lines[13].id == SEED[1]
    assert entry(catalog, SEED[1]) == seed_before
    assert entry(catalog, lines[18].id)["authors"] == ["Taegyeong Lee"]
    notes = entry(catalog, lines[15].id)
    assert "code" not in notes and notes["resources"][0]["kind"] == "blog"
    assert {outcome[n] for n in (21, 22, 26, 27, 28)} == {"not-a-paper"}


FURTHER = """
## Low-rank decomposition
1. "Example Quoted Title Paper", CVPR, 2019. [[paper](https://example.org/quoted)]
2. Example Break Title Paper <br> ICCV 2019 [[Paper]](https://example.org/break) [[Code]](https://github.com/example/break)
- [Example Dash Authors Paper](https://example.org/dash) - Ada Lovelace, Alan Turing, NeurIPS 2019
- [Example Reference Paper](https://example.org/ref), 2018 [[code]][1.26] arXiv:2004.03281
- [Example Unknown Venue Paper](https://example.org/unknown) - Ada Lovelace, FOOCONF 2019
- a bullet in no format [at all](https://example.org/none) really
- [[Spotlight]] not a list format either [link](https://example.org/x)

[1.26]: https://github.com/example/ref
"""


def test_further_formats_numbered_quoted_br_dash_and_reference_links(
    catalog: Path, tmp_path: Path
) -> None:
    source = tmp_path / "further.md"
    source.write_text(FURTHER.lstrip("\n"), encoding="utf-8")
    report = import_markdown(source, catalog, added=ADDED)
    lines = {o.line: o for o in report.lines.values()}

    quoted = entry(catalog, lines[2].id)
    assert (quoted["title"], quoted["venue"], quoted["year"]) == (
        "Example Quoted Title Paper", "CVPR", 2019)
    broken = entry(catalog, lines[3].id)
    assert (broken["venue"], broken["links"]["paper"]) == ("ICCV", "https://example.org/break")
    assert broken["code"][0]["url"] == "https://github.com/example/break"
    dash = entry(catalog, lines[4].id)
    assert dash["authors"] == ["Ada Lovelace", "Alan Turing"] and dash["venue"] == "NeurIPS"
    ref = entry(catalog, lines[5].id)  # no venue, but the arXiv id written as text is a link
    assert ref["code"][0]["url"] == "https://github.com/example/ref"
    assert ref["links"]["arxiv"] == "2004.03281" and ref["venue"] == "arXiv"
    assert lines[6].outcome == "rejected" and "venue 'FOOCONF'" in lines[6].reason
    assert lines[7].outcome == "rejected" and lines[8].outcome == "rejected"
    assert report.failed


def test_a_list_in_no_known_format_is_never_silent(catalog: Path, tmp_path: Path, aladin) -> None:
    source = tmp_path / "other.md"
    source.write_text("# Things\n\n* Example thing one: see https://example.org/one\n"
                      "* Example thing two ~ https://example.org/two\n", encoding="utf-8")
    status, out, _ = aladin("--root", catalog.parent, "import", source, "--json")
    data = yaml.safe_load(out)
    assert status == 1
    assert [(row["line"], row["outcome"]) for row in data["lines"]] == [
        (3, "rejected"), (4, "rejected")]
    assert data["entries"] == 2 and data["counts"]["rejected"] == 2

    empty = tmp_path / "empty.md"
    empty.write_text("# Nothing here\n\nJust prose.\n", encoding="utf-8")
    status, out, _ = aladin("--root", catalog.parent, "import", empty)
    assert status == 1 and "no line was read as an entry" in out and "0 lines read" in out
    status, out, err = aladin("--root", catalog.parent, "import", tmp_path)
    assert status != 0 and "is a directory" in (out + err)


def test_a_hand_written_entry_keeps_its_facts_however_often_lists_disagree(
    catalog: Path, tmp_path: Path
) -> None:
    before = entry(catalog, SEED[1])
    source = tmp_path / "kd.md"
    source.write_text("## Knowledge distillation\n- 2014-NIPSw-[Distilling the Knowledge in a "
                      "Neural Network](https://arxiv.org/abs/1503.02531) "
                      "[[Code](https://github.com/example/kd)]\n", encoding="utf-8")
    first = import_markdown(source, catalog, added=ADDED, provenance=("owner/list", "abc1234"))
    again = import_markdown(source, catalog, added=ADDED, provenance=("owner/list", "abc1234"))

    (line,) = first.lines.values()
    assert (line.outcome, line.id) == ("merged", SEED[1]) and "code" in line.reason
    after = entry(catalog, SEED[1])
    kept = [k for k in before if k != "code"]
    assert {k: after[k] for k in kept} == {k: before[k] for k in kept}  # venue, year, note…
    assert after["code"] == [*before.get("code", []), {"url": "https://github.com/example/kd"}]
    assert "sources" not in after  # never looks imported, so no later list can 'upgrade' it
    assert [(o.outcome, o.id) for o in again.lines.values()] == [("duplicate", SEED[1])]
    assert sorted(p.stem for p in (catalog / "papers").glob("*.yaml")) == sorted(SEED)
