"""Writing entries back as YAML the way a person would: schema comment, field order of the
model, empty fields left out, arXiv ids quoted so they stay text."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

from .models import Paper

SCHEMA_COMMENT = "# yaml-language-server: $schema=../../schema/paper.schema.json\n"


def dump_paper(paper: Paper) -> str:
    """The YAML text of one entry."""
    data = paper.model_dump(mode="python", exclude_defaults=True)
    data = {"id": paper.id, **data}  # id is required, so never a default; keep it first
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return SCHEMA_COMMENT + body


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step: readers see the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
