"""One small parser per list format; :data:`BULLET_FORMATS` are tried in order on each bullet.

A new format is a module with ``NAME`` and ``parse(line) -> Listing | None`` added to the tuple
(and a test of its own in ``tests/test_importer_formats.py``).
"""

from __future__ import annotations

from . import labelled, linkfirst, table, titlefirst
from .base import Line, Listing, Malformed, NotAPaper

BULLET_FORMATS = (labelled, linkfirst, titlefirst)

__all__ = ["BULLET_FORMATS", "Line", "Listing", "Malformed", "NotAPaper", "table"]
