"""Hostile files against the catalog tools (issue 14): special files as outputs, killed writes,
file modes, links leaving the repository, absurd nesting, a directory given as a file."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


# --- item 1: export -o writes only regular files ---------------------------------------------

def test_export_refuses_links_fifos_devices_and_directories(
    repo: Path, aladin: Run, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    link = tmp_path / "link.csv"
    link.symlink_to(victim)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    folder = tmp_path / "folder"
    folder.mkdir()
    for target, kind in ((link, "symbolic link"), (fifo, "FIFO"), (Path("/dev/null"), "device"),
                         (folder, "directory")):
        status, out, err = aladin("--root", repo, "export", "--format", "csv", "-o", target)
        assert status == 2 and out == "", (target, err)
        assert kind in _one_line(err) and str(target) in err
    assert link.is_symlink() and victim.read_text() == "keep me\n"
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert list(folder.iterdir()) == [] and not list(tmp_path.glob(".*partial*"))


def test_build_refuses_to_replace_a_linked_readme(repo: Path, aladin: Run) -> None:
    elsewhere = repo / "docs-readme.md"
    elsewhere.write_text("a stale README\n")
    (repo / "README.md").unlink()
    (repo / "README.md").symlink_to(elsewhere)
    status, _, err = aladin("--root", repo, "build", "--readme-only")
    assert status == 1 and elsewhere.read_text() == "a stale README\n"
    assert _one_line(err) == (f"aladin: {repo / 'README.md'}: is a symbolic link, not a regular "
                              "file; refusing to replace it")


# --- item 2: a killed write leaves nothing the loader trips over -----------------------------

def test_a_killed_new_leaves_a_partial_file_that_check_ignores_and_reports(
    repo: Path, aladin: Run
) -> None:
    # A real `aladin new` killed (SIGKILL) between writing its temporary file and renaming it.
    script = textwrap.dedent(f"""
        import os, signal
        os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
        from zoo.cli import main
        main(["--root", {str(repo)!r}, "new", "--title", "Tiny: Pruning Small Things",
              "--authors", "Ada Lovelace", "--year", "2024", "--venue", "NeurIPS",
              "--category", "pruning", "--subcategory", "structured"])
    """)
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert killed.returncode == -9, killed.stderr
    [partial] = [p for p in (repo / "catalog" / "papers").iterdir() if p.name.startswith(".")]
    older = repo / "catalog" / "papers" / ".2019-iclr-snip.yaml.k2x_9qzw"  # mkstemp's names
    older.write_text(partial.read_text())
    status, out, err = aladin("--root", repo, "check")
    assert status == 0, out
    for left in (partial, older):
        assert f"catalog/papers/{left.name}: ignored, left by an interrupted write" in err


# --- item 4: atomic writes keep the mode ----------------------------------------------------

def test_atomic_writes_keep_the_mode_or_follow_the_umask(
    repo: Path, aladin: Run, tmp_path: Path, umask_022: None
) -> None:
    readme = repo / "README.md"
    readme.write_text("stale\n")
    readme.chmod(0o664)
    assert aladin("--root", repo, "build", "--readme-only")[0] == 0
    assert readme.read_text() != "stale\n"
    assert stat.S_IMODE(readme.stat().st_mode) == 0o664
    fresh = tmp_path / "papers.csv"
    assert aladin("--root", repo, "export", "--format", "csv", "-o", fresh)[0] == 0
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644


# --- item 5: links out of the repository ----------------------------------------------------

def test_a_link_leaving_the_repository_is_refused_and_never_read(
    repo: Path, aladin: Run, tmp_path_factory: pytest.TempPathFactory
) -> None:
    secret = tmp_path_factory.mktemp("elsewhere") / "credentials"
    secret.write_text("aws_secret_access_key: AKIAHARDENINGTEST\n")
    entry = repo / "catalog" / "papers" / "2019-cvpr-leak.yaml"
    entry.symlink_to(secret)
    for command in (("check",), ("build", "--readme-only")):
        status, out, err = aladin("--root", repo, *command)
        assert status == 1
        assert _one_line(out) == ("catalog/papers/2019-cvpr-leak.yaml:1: -: symbolic link to a "
                                  "file outside the repository; refused (copy the file in "
                                  "instead)")
        for leak in ("aws_secret_access_key", "AKIA", str(secret.parent)):
            assert leak not in out + err
    entry.unlink()
    secret.write_text('{"repos": {"AKIAHARDENINGTEST": {}}}')
    data = repo / "catalog" / "enrichment" / "github.json"
    data.parent.mkdir(exist_ok=True)
    data.unlink(missing_ok=True)
    data.symlink_to(secret)
    status, out, err = aladin("--root", repo, "build", "--readme-only")
    assert status == 1 and "AKIA" not in out + err
    assert _one_line(err) == (f"aladin: {data}: symbolic link to a file outside the repository; "
                              "refused (delete it and run `aladin enrich`)")
    data.unlink()
    # a link that stays inside the repository is an ordinary entry
    snip = repo / "catalog" / "papers" / "2019-iclr-snip.yaml"
    moved = repo / "elsewhere-in-repo.yaml"
    snip.rename(moved)
    snip.symlink_to(moved)
    assert aladin("--root", repo, "check")[0] == 0


# --- item 9: one line instead of a traceback ------------------------------------------------

@pytest.mark.parametrize("depth", [990, 999])
def test_an_entry_nested_a_thousand_deep_is_one_problem(
    repo: Path, aladin: Run, depth: int
) -> None:
    entry = repo / "catalog" / "papers" / "2019-cvpr-deep.yaml"
    entry.write_text("id: 2019-cvpr-deep\ntitle: " + "[" * depth + "]" * depth + "\n")
    status, out, err = aladin("--root", repo, "check")
    assert status == 1 and "Traceback" not in err
    assert "catalog/papers/2019-cvpr-deep.yaml:2: title: nested more than 32 levels deep" in out


def test_import_of_a_directory_says_so(repo: Path, aladin: Run, tmp_path: Path) -> None:
    (tmp_path / "lists").mkdir()
    status, _, err = aladin("--root", repo, "import", tmp_path / "lists")
    assert status == 1
    assert _one_line(err) == (f"aladin: {tmp_path / 'lists'}: is a directory; "
                              "give the list's Markdown file")
