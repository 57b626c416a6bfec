"""Writing entries back as YAML the way a person would: schema comment, field order of the
model, empty fields left out, arXiv ids quoted so they stay text."""

from __future__ import annotations

import os
import re
import secrets
import stat
from collections.abc import Callable
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


class NotARegularFile(OSError):
    """The target of a write exists and is not a regular file (a directory, symbolic link, FIFO,
    device); it is refused, never replaced. ``str()`` is one line naming the path."""


# Temporary files of write_atomic sit beside their target (os.replace needs the same file
# system) under a name the catalog loader recognises and skips: ".<name>.partial-<hex>".
# ".<name>.<8 chars>" is what earlier versions (tempfile.mkstemp) left behind.
_PARTIAL = re.compile(r"^\..+\.(?:partial-[0-9a-f]{8}|[a-z0-9_]{8})$")


def is_partial(path: Path) -> bool:
    """Whether ``path`` is the temporary file of an interrupted :func:`write_atomic`."""
    return bool(_PARTIAL.match(path.name))


def refuse_special(path: Path) -> None:
    """Raise :class:`NotARegularFile` unless ``path`` is absent or a regular file (links are
    not followed: replacing a symbolic link would silently write somewhere else)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISREG(mode):
        return
    kind = ("a directory" if stat.S_ISDIR(mode) else "a symbolic link" if stat.S_ISLNK(mode)
            else "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode)
            or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a file")
    raise NotARegularFile(f"{path}: is {kind}, not a regular file; refusing to replace it")


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step: readers see the old file or the new one.

    Only a regular file (or nothing) is replaced, see :func:`refuse_special`. The new file keeps
    the old one's permissions; a new file gets the umask's default (0644 under umask 022).
    """
    refuse_special(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial-{secrets.token_hex(4)}")
    # O_EXCL: never follow or reuse anything already there; 0o666 & ~umask like open() does.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            if path.exists():
                os.fchmod(handle.fileno(), stat.S_IMODE(path.stat().st_mode))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def replace_atomic(path: Path, fill: Callable[[Path], None]) -> None:
    """Replace ``path`` with the file ``fill(tmp)`` writes, in one step, for writers that want a
    path rather than text (an ONNX exporter, ONNX Runtime's quantiser).

    ``tmp`` is a fresh empty regular file beside ``path`` (same naming and policy as
    :func:`write_atomic`); ``fill`` overwrites it and may check it. If ``fill`` raises, ``tmp``
    is removed and ``path`` is left as it was.
    """
    refuse_special(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial-{secrets.token_hex(4)}")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # reserve the name
    try:
        fill(tmp)
        if not stat.S_ISREG(tmp.lstat().st_mode):
            raise NotARegularFile(f"{tmp}: the writer left something other than a regular file")
        if path.exists():
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
