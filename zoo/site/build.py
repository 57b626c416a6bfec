"""Building the site atomically and serving it with live reload (MkDocs' own machinery)."""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..catalog import Catalog
from ..registry import MissingExtraError

CONFIG = Path("site") / "mkdocs.yml"
# The Chinese interface (same catalog, same templates, zoo/site/i18n.py's strings), built into zh/.
TRANSLATIONS = {"zh": Path("site") / "mkdocs.zh.yml"}
INSTALL_HINT = 'pip install "aladin-zoo[site]"'


class SiteBuildError(RuntimeError):
    """The site did not build (or built with warnings); the previous output is untouched."""


@dataclass(frozen=True)
class SiteStats:
    """Figures of one build: pages, our generation time, MkDocs' time, output size."""

    pages: int
    generated_pages: int
    generation_seconds: float  # in zoo.site's own code (rendering, exports, minifying)
    total_seconds: float  # the whole build, MkDocs included
    output_bytes: int  # sum of file sizes

    @property
    def mkdocs_seconds(self) -> float:
        return self.total_seconds - self.generation_seconds


def _require_mkdocs() -> None:
    try:
        import material  # noqa: F401
        import mkdocs  # noqa: F401
    except ModuleNotFoundError as exc:
        raise MissingExtraError(f"the website needs MkDocs Material: {INSTALL_HINT}") from exc


class _Collect(logging.Handler):
    """Keeps MkDocs' warnings and errors so a failed build can say why."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.levelname}: {record.getMessage()}")


def config_file(repo_root: Path) -> Path:
    path = Path(repo_root) / CONFIG
    if not path.is_file():
        raise SiteBuildError(f"{path}: no MkDocs configuration (is {repo_root} the repository?)")
    return path


def build_site(catalog: Catalog, repo_root: Path, out_dir: Path, *,
               translations: bool = True) -> SiteStats:
    """Render the site for ``catalog`` into ``out_dir``, replacing it only on success.

    The build goes into a temporary directory beside ``out_dir`` and is swapped in at the end;
    any MkDocs warning fails the build (``mkdocs build --strict``) with :class:`SiteBuildError`.
    ``translations=False`` builds the English site only (each translation costs a second build).
    """
    _require_mkdocs()
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(out_dir):
        return _build_locked(catalog, repo_root, out_dir, translations)


class SiteBusy(SiteBuildError):
    """Another build of the same output directory is running."""


@contextmanager
def _exclusive(out_dir: Path) -> Iterator[None]:
    """Lock the directory holding ``out_dir`` for the build (``flock``, released by the kernel
    even when the process is killed); a second build at the same time gets :class:`SiteBusy`.
    Holding it, the staging and old trees of killed builds (no ``finally`` runs on SIGKILL) are
    deleted: no running build owns them."""
    fd = os.open(out_dir.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SiteBusy(f"another build into {out_dir.parent} is running; wait for it to "
                           "finish") from None
        for kind in ("new", "old"):
            for stale in out_dir.parent.glob(f".{out_dir.name}.{kind}-*"):
                shutil.rmtree(stale, ignore_errors=True)
        yield
    finally:
        os.close(fd)  # releases the lock


def _build_locked(catalog: Catalog, repo_root: Path, out_dir: Path,
                  translations: bool) -> SiteStats:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    from . import hook

    # os.mkdir's mode is filtered by the umask like any new directory (mkdtemp would give 0700,
    # which a web server running as another user cannot read).
    staging = out_dir.parent / f".{out_dir.name}.new-{secrets.token_hex(4)}"
    staging.mkdir()
    collect = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(collect)
    start = time.perf_counter()
    built = False
    try:
        with hook.pinned(catalog=catalog):
            config = load_config(str(config_file(repo_root)), site_dir=str(staging), strict=True)
            build(config)
            for lang, path in TRANSLATIONS.items() if translations else ():
                if (Path(repo_root) / path).is_file():
                    build(load_config(str(Path(repo_root) / path), site_dir=str(staging / lang),
                                      strict=True))
        total = time.perf_counter() - start
        built = True
    except Exception as exc:  # MkDocs' Abort, a plugin's error, or a bug in our templates
        detail = "\n".join(collect.messages[-20:])
        raise SiteBuildError(f"the website did not build: {exc}\n{detail}".rstrip()) from exc
    finally:
        logger.removeHandler(collect)
        if not built:  # failed or interrupted: the old site stays as it was
            shutil.rmtree(staging, ignore_errors=True)
    _swap(staging, out_dir)
    stats = hook.last_stats
    return SiteStats(
        pages=sum(1 for _ in out_dir.rglob("*.html")),
        generated_pages=stats.pages,
        generation_seconds=stats.generation_seconds,
        total_seconds=total,
        output_bytes=sum(p.stat().st_size for p in out_dir.rglob("*") if p.is_file()),
    )


def _swap(new: Path, target: Path) -> None:
    """Put ``new`` where ``target`` is: two renames, the old tree deleted afterwards."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}-{time.monotonic_ns()}")
        target.rename(old)
    new.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def serve(
    repo_root: Path, host: str = "127.0.0.1", port: int = 8000, catalog_root: Path | None = None
) -> None:
    """Preview the site at http://host:port/, rebuilding when site/, catalog/ or zoo/ change.

    Blocks until interrupted. An invalid catalog keeps the last good build on screen and logs
    the problems.
    """
    _require_mkdocs()
    from mkdocs.commands.serve import serve as mkdocs_serve

    from . import hook

    repo_root = Path(repo_root).resolve()
    catalog_root = Path(catalog_root or repo_root / "catalog").resolve()
    watch = [str(catalog_root)]
    if (repo_root / "zoo").is_dir():
        watch.append(str(repo_root / "zoo"))
    with hook.pinned(catalog_root=catalog_root), _console_log():
        mkdocs_serve(
            config_file=str(config_file(repo_root)), livereload=True, watch=watch,
            dev_addr=f"{host}:{port}", strict=False,
            # Serve at the root, not under the published site's path (/<repo name>/).
            site_url=f"http://{host}:{port}/",
        )


@contextmanager
def _console_log() -> Iterator[None]:
    """An interactive preview shows MkDocs' progress ("Serving on http://…", rebuilds, problems)
    the way ``mkdocs serve`` does, unless the application configured logging itself."""
    logger = logging.getLogger("mkdocs")
    if logger.handlers:
        yield
        return
    from mkdocs.__main__ import ColorFormatter

    handler = logging.StreamHandler()
    handler.setFormatter(ColorFormatter())
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
