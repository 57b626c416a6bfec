"""Finding the repository a command acts on: the one containing the current directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class RepositoryNotFound(Exception):
    """No catalog above the starting directory."""


@dataclass(frozen=True)
class Repository:
    """A checkout (clone, fork or scratch copy) and the places commands read and write."""

    root: Path
    catalog_dir: Path | None = None  # only for the catalog installed with the package

    @property
    def catalog(self) -> Path:
        return self.catalog_dir or self.root / "catalog"

    @property
    def papers(self) -> Path:
        return self.catalog / "papers"

    @property
    def readme(self) -> Path:
        return self.root / "README.md"

    @property
    def schema(self) -> Path:
        return self.root / "schema"

    @property
    def site_out(self) -> Path:
        return self.root / "build" / "site"


def find_repository(start: Path | None = None) -> Repository:
    """The nearest directory at or above ``start`` (default: cwd) holding catalog/taxonomy.yaml."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / "catalog" / "taxonomy.yaml").is_file():
            return Repository(directory)
    raise RepositoryNotFound(
        f"no catalog found in {here} or its parents (looked for catalog/taxonomy.yaml); "
        "run inside a clone of the repository or pass --root DIR"
    )


def installed_catalog() -> Repository:
    """The catalog shipped with the package, for read-only commands run outside a clone."""
    from .catalog import data_dir

    path = data_dir()
    return Repository(path.parent, catalog_dir=path)
