"""``aladin import``: awesome-list Markdown → catalog entries, one outcome per line.

>>> from zoo.importer import import_markdown, load_mapping   # doctest: +SKIP
>>> report = import_markdown(Path("list.md"), Path("catalog"), dry_run=True)  # doctest: +SKIP
>>> print(report.summary())                                    # doctest: +SKIP

The list formats read are the parsers of :mod:`zoo.importer.formats` (one module each); how
headings become categories (and the mapping file) is in :mod:`zoo.importer.mapping`, the order of
decisions per line in :mod:`zoo.importer.run`, and when two lines are one paper in
:mod:`zoo.catalog.identity`.
"""

from __future__ import annotations

from .mapping import ImportMapping, MappingError, Position, load_mapping, parse_position
from .report import ImportReport, Outcome
from .run import ImporterError, import_markdown

__all__ = [
    "ImportMapping", "ImportReport", "ImporterError", "MappingError", "Outcome", "Position",
    "import_markdown", "load_mapping", "parse_position",
]
