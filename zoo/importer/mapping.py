"""Where a list's headings (and a table's Type values) go in the taxonomy.

By default a heading is matched, ignoring case, emphasis, numbering (``1.2``) and a trailing colon,
against the taxonomy's ids and Chinese and English names: first among the subcategories of the
enclosing section's category (``**轻量化设计**`` under ``## 网络结构再设计/搜索``), then among the
categories (``## 剪枝`` → pruning), then among all subcategories when the name is unique
(``## Binarization`` → quantization / binary). A mapping file overrides and extends this::

    # catalog positions are 'category' or 'category/subcategory'
    headings:
      Pruning Before Training: pruning/unstructured
      Knowledge Distillation: distillation
    types:                       # values of a table's Type column
      F: pruning/structured
      W: pruning/unstructured
    default_subcategory:         # for sections that name only a category that has subcategories
      pruning: structured

A paper whose position names only a category that has subcategories (the seed's flat ``## 剪枝``)
gets ``default_subcategory`` of that category when one is configured — the entry's ``note`` says so
and the report lists it — and is otherwise reported as needing a subcategory and not written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from ..catalog.models import Taxonomy
from ..catalog.yamlsource import yaml_error
from .markdown import clean_text

Position = tuple[str, str | None]  # (category id, subcategory id or None)
_SECTIONS = ("headings", "types", "default_subcategory")


class MappingError(ValueError):
    """A mapping file (or mapping argument) that cannot be used; the message names the entry."""


@dataclass(frozen=True, eq=False)
class ImportMapping:
    """Heading and type overrides, plus the default subcategory per category."""

    headings: Mapping[str, Position] = field(default_factory=dict)
    types: Mapping[str, Position] = field(default_factory=dict)
    default_subcategory: Mapping[str, str] = field(default_factory=dict)
    source: str = ""  # the mapping file, named in error messages

    def with_defaults(self, defaults: Mapping[str, str]) -> ImportMapping:
        """This mapping with ``defaults`` (category → subcategory) added over its own."""
        return replace(self, default_subcategory={**self.default_subcategory, **defaults})


def parse_position(text: str) -> Position:
    """``'pruning/structured'`` → ``('pruning', 'structured')``; ``'low-rank'`` → ``('low-rank',
    None)``."""
    category, slash, sub = str(text).strip().partition("/")
    if not category.strip() or (slash and not sub.strip()):
        raise MappingError(f"'{text}' is not 'category' or 'category/subcategory'")
    return category.strip(), (sub.strip() or None)


def load_mapping(path: Path) -> ImportMapping:
    """Read a mapping file (format in the module docstring); :class:`MappingError` if malformed."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:  # one line, like the catalog's own reports
        line, reason = yaml_error(exc)
        raise MappingError(f"{path}:{line}: invalid YAML: {reason}") from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise MappingError(f"{path}: cannot read the mapping: {exc}") from exc
    if data is None:
        return ImportMapping()
    if not isinstance(data, dict):
        raise MappingError(f"{path}: expected a mapping with keys {', '.join(_SECTIONS)}")
    unknown = sorted(set(map(str, data)) - set(_SECTIONS))
    if unknown:
        raise MappingError(f"{path}: unknown key {', '.join(unknown)}; allowed: "
                           f"{', '.join(_SECTIONS)}")
    sections = {}
    for name in _SECTIONS:
        section = data.get(name) or {}
        if not isinstance(section, dict):
            raise MappingError(f"{path}: {name}: expected 'text: position' pairs")
        sections[name] = {str(k): str(v) for k, v in section.items() if v is not None}
    try:
        return ImportMapping(
            headings={k: parse_position(v) for k, v in sections["headings"].items()},
            types={k: parse_position(v) for k, v in sections["types"].items()},
            default_subcategory=sections["default_subcategory"],
            source=str(path),
        )
    except MappingError as exc:
        raise MappingError(f"{path}: {exc}") from exc


def heading_key(text: str) -> str:
    """How headings are compared: no emphasis, numbering, trailing colon, case or extra spaces."""
    text = clean_text(re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text))  # '[Pruning](#pruning)'
    text = re.sub(r"[*_`]", "", text)
    text = re.sub(r"^[^\w(]+", "", text)  # leading emoji, bullets or dashes: '## 🔥 Pruning'
    text = re.sub(r"^\s*(?:\d+(?:\.\d+)*\.?|[ivx]+\.)\s+", "", text, flags=re.IGNORECASE)
    return " ".join(text.rstrip(" :：").split()).casefold()


class Resolver:
    """Turns heading and type texts into taxonomy positions."""

    def __init__(self, taxonomy: Taxonomy, mapping: ImportMapping) -> None:
        self.source = f"{mapping.source}: " if mapping.source else ""
        self.subcategories = {c.id: [s.id for s in c.subcategories] for c in taxonomy.categories}
        self.categories: dict[str, str] = {}
        self.within: dict[str, dict[str, str]] = {}
        everywhere: dict[str, list[Position]] = {}
        for category in taxonomy.categories:
            for name in (category.id, category.zh, category.en):
                self.categories.setdefault(heading_key(name), category.id)
            names = self.within.setdefault(category.id, {})
            for sub in category.subcategories:
                for name in (sub.id, sub.zh, sub.en):
                    names.setdefault(heading_key(name), sub.id)
                    everywhere.setdefault(heading_key(name), []).append((category.id, sub.id))
        self.unique_subs = {k: v[0] for k, v in everywhere.items() if len(set(v)) == 1}
        self.headings = {heading_key(k): self._check(v, f"headings: {k}")
                         for k, v in mapping.headings.items()}
        self.types = {heading_key(k): self._check(v, f"types: {k}")
                      for k, v in mapping.types.items()}
        self.defaults = {}
        for category, sub in mapping.default_subcategory.items():
            self.defaults[category] = self._check((category, sub),
                                                  f"default_subcategory: {category}")[1]

    def _check(self, position: Position, where: str) -> Position:
        category, sub = position
        if category not in self.subcategories:
            raise MappingError(f"{self.source}{where}: unknown category '{category}' "
                               f"(known: {', '.join(self.subcategories)})")
        if sub is not None and sub not in self.subcategories[category]:
            known = ", ".join(self.subcategories[category]) or "none"
            raise MappingError(f"{self.source}{where}: unknown subcategory '{sub}' of '{category}' "
                               f"(known: {known})")
        return category, sub

    def heading(self, text: str, within: str | None) -> Position | None:
        """The position a heading names, read inside category ``within`` (the enclosing one)."""
        key = heading_key(text)
        if key in self.headings:
            return self.headings[key]
        if within and key in self.within.get(within, {}):
            return within, self.within[within][key]
        if key in self.categories:
            return self.categories[key], None
        return self.unique_subs.get(key)

    def type_value(self, text: str, within: str | None) -> Position | None:
        """The position a table's Type value names: the ``types`` mapping, then as a heading."""
        key = heading_key(text)
        return self.types[key] if key in self.types else self.heading(text, within)

    def needs_subcategory(self, category: str) -> bool:
        return bool(self.subcategories.get(category))
