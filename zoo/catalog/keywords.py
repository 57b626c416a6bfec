"""The keyword classifier: a transparent rule list that proposes a taxonomy position for a title.

Rules live in ``catalog/keywords.yaml``, in priority order; the first rule with a term in the title
wins, and the term is reported so a maintainer sees why (``review: classified by keyword
'binar*'``). A rule either names a position (``quantization/binary``) or rejects the title with a
reason (federated optimization is outside the catalog's scope). Terms are matched without regard
to case, with hyphens, slashes and underscores read as spaces (``mixed-precision`` = ``mixed
precision``):

* an English term matches whole words, and a trailing ``*`` lets the last word go on
  (``quantiz*`` matches "Quantized" and "quantization"; ``NAS`` does not match "nasal");
* a Chinese term matches anywhere (Chinese has no spaces between words);
* ``a + b`` matches a title that holds both ``a`` and ``b`` (``prun* + filter*``: "Reborn
  Filters: Pruning CNNs with Limited Data").

The importer uses it only for list sections that mix topics; everywhere else the list's heading
decides, which is why an entry placed by a rule carries a ``review`` note.

>>> from zoo.catalog import load
>>> catalog = load()
>>> rules = load_keywords(catalog.root, catalog.taxonomy)
>>> classify("XNOR-Net: ImageNet Classification Using Binary CNNs", rules)
Match(category='quantization', subcategory='binary', keyword='binar*', reject=None)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from .loader import parse_model
from .models import Model, Taxonomy, Text
from .problems import CatalogError, Problem
from .yamlsource import Document, dotted, read_document

FILE_NAME = "keywords.yaml"
_CJK = re.compile(r"[\u3000-\u9fff]")


def normalise(text: str) -> str:
    """Lowercase; hyphens, dashes, slashes and underscores as spaces; single spaces."""
    return " ".join(re.sub(r"[-_/‐–—]", " ", text.casefold()).split())


def _word_pattern(words: str) -> re.Pattern[str]:
    if _CJK.search(words):  # Chinese: a plain substring
        return re.compile(re.escape(words.rstrip("*")))
    stem, open_end = (words[:-1], True) if words.endswith("*") else (words, False)
    return re.compile(r"(?<!\w)" + re.escape(stem) + ("" if open_end else r"(?!\w)"))


def term_matcher(term: str) -> Callable[[str], bool]:
    """Whether a normalised title holds ``term`` (the rules are in the module docstring)."""
    patterns = [_word_pattern(normalise(part)) for part in term.split(" + ")]
    return lambda text: all(p.search(text) for p in patterns)


class KeywordRule(Model):
    """One rule: the words that put a title at a taxonomy position, or reject it."""

    position: Text | None = Field(
        None, description="'category' or 'category/subcategory' from taxonomy.yaml."
    )
    reject: Text | None = Field(
        None, description="Instead of a position: why a matching title is not imported."
    )
    en: list[Text] = Field(
        default_factory=list,
        description="English terms: whole words, case ignored; a trailing * continues the word.",
    )
    zh: list[Text] = Field(default_factory=list, description="Chinese terms, matched anywhere.")

    @field_validator("en", "zh")
    @classmethod
    def _not_only_star(cls, terms: list[str]) -> list[str]:
        for term in terms:
            if any(not normalise(part).rstrip("*").strip() for part in term.split(" + ")):
                raise ValueError(f"term '{term}' would match every title")
        return terms

    @model_validator(mode="after")
    def _one_outcome(self) -> KeywordRule:
        if (self.position is None) == (self.reject is None):
            raise ValueError("give exactly one of position and reject")
        if not (self.en or self.zh):
            raise ValueError("give at least one term in en or zh")
        return self

    @property
    def category(self) -> str | None:
        return self.position.partition("/")[0].strip() if self.position else None

    @property
    def subcategory(self) -> str | None:
        return (self.position.partition("/")[2].strip() or None) if self.position else None


class KeywordFile(Model):
    """``catalog/keywords.yaml``: keyword rules in priority order (the first match wins)."""

    rules: list[KeywordRule] = Field(default_factory=list)


@dataclass(frozen=True)
class Match:
    """What the first matching rule says: a position, or a reason to reject the title."""

    category: str | None
    subcategory: str | None
    keyword: str  # the term as written in keywords.yaml
    reject: str | None = None


@dataclass(frozen=True)
class KeywordRules:
    """Validated rules, compiled on first use."""

    rules: tuple[KeywordRule, ...] = ()

    @cached_property
    def _compiled(self) -> list[tuple[KeywordRule, list[tuple[str, Callable[[str], bool]]]]]:
        return [(r, [(t, term_matcher(t)) for t in (*r.en, *r.zh)]) for r in self.rules]

    def match(self, title: str) -> Match | None:
        """The first rule with a term in ``title``, or None."""
        text = normalise(title)
        for rule, terms in self._compiled:
            for term, holds in terms:
                if holds(text):
                    return Match(rule.category, rule.subcategory, term, rule.reject)
        return None


def classify(title: str, rules: KeywordRules) -> Match | None:
    """The :class:`Match` of the first rule with a term in ``title``, or None."""
    return rules.match(title)


def review_note(keyword: str) -> str:
    """The ``review`` text of an entry placed by the rule with ``keyword``."""
    return f"classified by keyword '{keyword}'"


def keyword_problems(
    doc: Document, rules: KeywordFile, taxonomy: Taxonomy, display: str
) -> list[Problem]:
    """Rules that name positions the taxonomy does not have, or a category without the
    subcategory it requires."""
    subs = {c.id: [s.id for s in c.subcategories] for c in taxonomy.categories}
    problems = []
    for i, rule in enumerate(rules.rules):
        if rule.category is None:
            continue
        known = subs.get(rule.category)
        if known is None:
            message = f"unknown category '{rule.category}' (known: {', '.join(subs)})"
        elif rule.subcategory is None and known:
            message = f"'{rule.category}' needs a subcategory (one of: {', '.join(known)})"
        elif rule.subcategory is not None and rule.subcategory not in known:
            message = (f"unknown subcategory '{rule.subcategory}' of '{rule.category}' "
                       f"(known: {', '.join(known) or 'none'})")
        else:
            continue
        where = ("rules", i, "position")
        problems.append(Problem(display, doc.line_of(where), dotted(where), message))
    return problems


def read_keywords(
    catalog_root: Path, taxonomy: Taxonomy, display: str | None = None
) -> tuple[KeywordRules, list[Problem]]:
    """The rules of ``catalog_root/keywords.yaml`` and every problem found in the file
    (no file: no rules, no problems)."""
    path = catalog_root / FILE_NAME
    display = display or f"{catalog_root.name}/{FILE_NAME}"
    if not path.is_file():
        return KeywordRules(), []
    doc, problems = read_document(path, display)
    if doc is None:
        return KeywordRules(), problems
    data, found = parse_model(KeywordFile, doc, display)
    if data is None:
        return KeywordRules(), problems + found
    problems += keyword_problems(doc, data, taxonomy, display)
    return KeywordRules(tuple(data.rules)), problems


def load_keywords(catalog_root: Path, taxonomy: Taxonomy) -> KeywordRules:
    """The validated rules of ``catalog_root/keywords.yaml``; empty rules when there is no file.

    Raises :class:`CatalogError` listing every problem (file, line, field) otherwise.
    """
    rules, problems = read_keywords(catalog_root, taxonomy)
    if problems:
        raise CatalogError(problems)
    return rules
