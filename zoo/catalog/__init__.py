"""The paper catalog: ``zoo.catalog.load()`` returns it validated.

>>> from zoo import catalog
>>> papers = catalog.load()
>>> papers.paper("2019-cvpr-filter-pruning-geometric-median").links.arxiv
'1811.00250'
"""

from __future__ import annotations

from pathlib import Path

from .catalog import Catalog, reading_order
from .loader import collect, load_dir
from .models import (
    CodeRepo,
    Links,
    Paper,
    Placement,
    Resource,
    Source,
    Taxonomy,
    Venue,
    Venues,
)
from .problems import CatalogError, Problem

__all__ = [
    "Catalog", "CatalogError", "CodeRepo", "Links", "Paper", "Placement", "Problem", "Resource",
    "Source", "Taxonomy", "Venue", "Venues", "collect", "data_dir", "load", "reading_order",
]

_PACKAGE = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The catalog shipped with this installation: inside the wheel, or the source checkout's."""
    bundled = _PACKAGE / "_catalog"
    return bundled if bundled.is_dir() else _PACKAGE.parent / "catalog"


def load(root: str | Path | None = None) -> Catalog:
    """The validated catalog at ``root`` (a ``catalog/`` directory), by default the installed one.

    Raises :class:`CatalogError` listing every problem when the catalog is invalid.
    """
    return load_dir(Path(root) if root is not None else data_dir())
