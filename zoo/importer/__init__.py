"""``aladin import``: awesome-list Markdown → catalog entries.

>>> from zoo.importer import import_markdown, load_mapping   # doctest: +SKIP
>>> report = import_markdown(Path("list.md"), Path("catalog"), dry_run=True)  # doctest: +SKIP
>>> print(report.summary())                                    # doctest: +SKIP

The list forms read are described in :mod:`zoo.importer.markdown`, how headings become categories
(and the mapping file, including ``default_subcategory`` for flat sections such as the seed's
``## 剪枝``) in :mod:`zoo.importer.mapping`, and the order of decisions per line in
:mod:`zoo.importer.run`.
"""

from __future__ import annotations

from .mapping import ImportMapping, MappingError, Position, load_mapping, parse_position
from .report import ImportReport, LineProblem
from .run import ImporterError, import_markdown

__all__ = [
    "ImportMapping", "ImportReport", "ImporterError", "LineProblem", "MappingError", "Position",
    "import_markdown", "load_mapping", "parse_position",
]
