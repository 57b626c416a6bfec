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
    list: he-y/Awesome-Pruning   # provenance written into every created entry's `sources`
    commit: 45ac58b4389a

A heading may also be mapped to ``classify`` (a mixed section: the keyword classifier proposes a
category and the entry carries ``review``), ``not-a-paper`` (implementations, other lists) or
``"reject: <reason>"`` (out of the catalog's scope; every line is rejected with that reason).

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
from ..catalog.yamlsource import read_document, yaml_error
from .inline import clean as clean_text
from .inline import links

Position = tuple[str, str | None]  # (category id, subcategory id or None)
_SECTIONS = ("headings", "types", "default_subcategory")
_SCALARS = ("list", "commit")
MAX_DEPTH = 20  # a mapping file is three levels deep; anything deeper is a mistake or an attack
CLASSIFY, NOT_A_PAPER, REJECT = "classify", "not-a-paper", "reject"


@dataclass(frozen=True)
class Section:
    """What a heading means: a place in the taxonomy, or classify / not-a-paper / reject."""

    kind: str  # "place", CLASSIFY, NOT_A_PAPER or REJECT
    position: Position | None = None
    reason: str = ""


def parse_section(text: str) -> Section:
    """``'pruning/structured'``, ``'classify'``, ``'classify or pruning/structured'`` (the
    keyword rules decide, the position when none matches), ``'not-a-paper'`` or
    ``'reject: reason'``."""
    value = str(text).strip()
    word, colon, reason = value.partition(":")
    if value.casefold() in (CLASSIFY, NOT_A_PAPER):
        return Section(value.casefold())
    head, _, fallback = value.partition(" or ")
    if head.strip().casefold() == CLASSIFY and fallback.strip():
        return Section(CLASSIFY, parse_position(fallback))
    if colon and word.strip().casefold() == REJECT:
        if not reason.strip():
            raise MappingError(f"'{value}': say why after 'reject:'")
        return Section(REJECT, reason=reason.strip())
    return Section("place", parse_position(value))


class MappingError(ValueError):
    """A mapping file (or mapping argument) that cannot be used; the message names the entry."""


@dataclass(frozen=True, eq=False)
class ImportMapping:
    """Heading and type overrides, plus the default subcategory per category."""

    headings: Mapping[str, Position | Section] = field(default_factory=dict)
    types: Mapping[str, Position | Section] = field(default_factory=dict)
    default_subcategory: Mapping[str, str] = field(default_factory=dict)
    source: str = ""  # the mapping file, named in error messages
    list: str | None = None  # 'owner/repo' of the list, for provenance
    commit: str | None = None

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


def _depth_guard(path: Path, text: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` before anything is built (no RecursionError)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise MappingError(f"{path}:{event.start_mark.line + 1}: nested more than "
                                       f"{MAX_DEPTH} levels deep; a mapping file is 'section: "
                                       "{text: position}'")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        line, reason = yaml_error(exc)
        raise MappingError(f"{path}:{line}: invalid YAML: {reason}") from exc


def load_mapping(path: Path) -> ImportMapping:
    """Read a mapping file (format in the module docstring); :class:`MappingError` if malformed.

    The file goes through the catalog reader's guards: no anchors or aliases (no alias bombs),
    no duplicate keys, a size limit, and nesting bounded before it is built."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"{path}: cannot read the mapping: {exc}") from exc
    _depth_guard(path, text)
    try:
        document, problems = read_document(path, str(path))
    except (OSError, RecursionError) as exc:
        raise MappingError(f"{path}: cannot read the mapping: {exc}") from exc
    if problems:
        raise MappingError("; ".join(map(str, problems)))
    data = document.data if document else None
    if data is None:
        return ImportMapping()
    unknown = sorted(set(map(str, data)) - set(_SECTIONS) - set(_SCALARS))
    if unknown:
        raise MappingError(f"{path}:{document.line_of((unknown[0],))}: unknown key "
                           f"{', '.join(unknown)}; allowed: {', '.join(_SECTIONS + _SCALARS)}")
    sections = {}
    for name in _SECTIONS:
        section = data.get(name) or {}
        if not isinstance(section, dict):
            raise MappingError(f"{path}:{document.line_of((name,))}: {name}: expected "
                               "'text: position' pairs")
        for key, value in section.items():
            if value is not None and not isinstance(value, str):
                raise MappingError(f"{path}:{document.line_of((name, key))}: {name}: {key}: "
                                   "expected a position such as 'pruning/structured'")
        sections[name] = {str(k): str(v) for k, v in section.items() if v is not None}
    try:
        return ImportMapping(
            headings={k: parse_section(v) for k, v in sections["headings"].items()},
            types={k: parse_section(v) for k, v in sections["types"].items()},
            default_subcategory=sections["default_subcategory"],
            source=str(path),
            list=data.get("list") if isinstance(data.get("list"), str) else None,
            commit=data.get("commit") if isinstance(data.get("commit"), str) else None,
        )
    except MappingError as exc:
        raise MappingError(f"{path}: {exc}") from exc


def heading_key(text: str) -> str:
    """How headings are compared: no emphasis, numbering, trailing colon, case or extra spaces."""
    parts, at = [], 0
    for link in links(text):  # '[Pruning](#pruning)' reads as 'Pruning'
        parts += [text[at : link.start], link.label]
        at = link.end
    text = clean_text("".join(parts) + text[at:])
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
        self.headings = self._sections(mapping.headings, "headings")
        self.types = self._sections(mapping.types, "types")
        self.defaults = {}
        for category, sub in mapping.default_subcategory.items():
            self.defaults[category] = self._check((category, sub),
                                                  f"default_subcategory: {category}")[1]

    def _sections(self, given: Mapping[str, Position | Section], name: str) -> dict[str, Section]:
        checked = {}
        for text, value in given.items():
            section = value if isinstance(value, Section) else Section("place", value)
            if section.position is not None:
                section = replace(section, position=self._check(section.position,
                                                                f"{name}: {text}"))
            checked[heading_key(text)] = section
        return checked

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

    def section(self, text: str, within: str | None) -> Section | None:
        """What a heading means: the mapping's entry, else the position its name gives."""
        key = heading_key(text)
        if key in self.headings:
            return self.headings[key]
        position = self.heading(text, within)
        return Section("place", position) if position else None

    def heading(self, text: str, within: str | None) -> Position | None:
        """The position a heading names, read inside category ``within`` (the enclosing one)."""
        key = heading_key(text)
        if key in self.headings:
            return self.headings[key].position
        if within and key in self.within.get(within, {}):
            return within, self.within[within][key]
        if key in self.categories:
            return self.categories[key], None
        return self.unique_subs.get(key)

    def type_value(self, text: str, within: str | None) -> Section | None:
        """What a table's Type value means: the ``types`` mapping, then read as a heading."""
        key = heading_key(text)
        return self.types[key] if key in self.types else self.section(text, within)

    def needs_subcategory(self, category: str) -> bool:
        return bool(self.subcategories.get(category))
