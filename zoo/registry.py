"""The zoo's method registry, timm style: one decorator beside each implementation.

``@register("fpgm", paper="2019-cvpr-filter-pruning-geometric-median", ...)`` marks a function or
class as the reference implementation of a catalog paper. The records are read *statically*
(an AST scan of the package's sources), so ``zoo.list_methods()``, ``aladin check`` and the README
know every implementation without importing PyTorch; the object itself is imported only when a
caller asks for it through :attr:`MethodRecord.obj`.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .catalog import Catalog
    from .catalog.problems import Problem

__all__ = [
    "MethodRecord",
    "MissingExtraError",
    "dispatch",
    "get",
    "implementation",
    "list_methods",
    "load",
    "register",
]

_PACKAGE_DIR = Path(__file__).resolve().parent
_FIELDS = ("paper", "category", "subcategory", "summary")
T = TypeVar("T")


class MissingExtraError(ImportError):
    """Raised when a zoo implementation is used without the optional extra it needs.

    ``needs`` is the message after the name of what was asked for ("needs PyTorch (the zoo
    extra); install it ..."), so an outer import can re-address it to what its caller asked for.
    """

    def __init__(self, message: str, *, needs: str = "") -> None:
        super().__init__(message)
        self.needs = needs


def _needing(what: str, needs: str) -> MissingExtraError:
    return MissingExtraError(f"{what} {needs}", needs=needs)


def register(
    name: str, *, paper: str, category: str, subcategory: str | None, summary: str
) -> Any:
    """Mark the decorated function or class as the implementation of catalog paper ``paper``.

    Arguments must be literals: the registry reads them from the source without importing it.
    """

    def mark(obj: T) -> T:
        obj.__zoo_method__ = name  # type: ignore[attr-defined]
        return obj

    return mark


@dataclass(frozen=True)
class MethodRecord:
    """One registered implementation: what it is, which paper it realises, where it lives."""

    name: str
    category: str
    subcategory: str | None
    paper: str
    summary: str
    module: str
    qualname: str
    source: str  # path relative to the repository root, e.g. "zoo/pruning/fpgm.py"
    line: int

    @property
    def import_line(self) -> str:
        return f"from {self.module} import {self.qualname}"

    @property
    def obj(self) -> Any:
        """The implementation itself (imports its module, which needs PyTorch)."""
        return getattr(import_zoo_module(self.module, f"zoo method {self.name!r}"), self.qualname)


_ZOO_EXTRA = frozenset({"torch", "sklearn", "scipy", "torch_pruning"})
_LLM_EXTRA = frozenset({"transformers", "tokenizers", "safetensors"})
_DEPLOY_EXTRA = frozenset({"onnx", "onnxruntime", "onnxscript"})
_GIT = "git+https://github.com/aladin-zoo/Aladin-Light-Weight-Model-Zoo"
# The README's Install section, in one line: PyTorch's CPU build first (PyPI's torch is the CUDA
# build), then the package from git until its first PyPI release.
INSTALL_ZOO = ("pip install torch --index-url https://download.pytorch.org/whl/cpu && pip install "
               f'"aladin-zoo[zoo] @ {_GIT}"')
INSTALL_LLM = f'pip install "aladin-zoo[zoo,llm] @ {_GIT}"'
INSTALL_DEPLOY = f'pip install "aladin-zoo[zoo,deploy] @ {_GIT}"'
# Ray, for `aladin bench --ray`.
INSTALL_BENCH = f'pip install "aladin-zoo[zoo,bench] @ {_GIT}"'
# The language-model benchmark's peers (llmcompressor, torchao) beside the llm extra.
INSTALL_BENCH_LLM = f'pip install "aladin-zoo[zoo,bench-llm] @ {_GIT}"'


def missing_extra(what: str) -> MissingExtraError:
    return _needing(what, f"needs PyTorch (the zoo extra); install it (CPU build) with: "
                          f"{INSTALL_ZOO}")


def import_zoo_module(module: str, what: str) -> Any:
    """Import a torch-dependent module; without the ``zoo`` (or ``llm``) extra, say which install
    fixes it.

    Each implementation family (``zoo.pruning``, ``zoo.quantization``, ...) calls this for
    ``torch`` first, so ``import zoo.pruning.fpgm`` without PyTorch fails with the same advice.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing_extra_error(exc, what)
        raise
    except MissingExtraError as exc:  # a family's own guard: name what the caller asked for
        raise (_needing(what, exc.needs) if exc.needs else missing_extra(what)) from exc


def load(name: str) -> Any:
    """The implementation of method ``name`` itself, ready to call: ``zoo.get(name).obj``."""
    return get(name).obj


def missing_extra_error(exc: ModuleNotFoundError, what: str) -> None:
    """Raise :class:`MissingExtraError` naming the extra when ``exc`` is a missing extra's
    package (``zoo``: PyTorch and friends; ``llm``: transformers, tokenizers, safetensors;
    ``deploy``: onnx, onnxruntime, onnxscript)."""
    top = (exc.name or "").split(".")[0]
    if top in _ZOO_EXTRA:
        raise missing_extra(what) from exc
    if top in _LLM_EXTRA:
        raise _needing(what, f"needs {top} (the llm extra): {INSTALL_LLM}") from exc
    if top in _DEPLOY_EXTRA:
        raise _needing(what, f"needs {top} (the deploy extra): {INSTALL_DEPLOY}") from exc


def _literal(node: ast.expr, where: str) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError as exc:
        raise ValueError(f"{where}: @register arguments must be literals") from exc


def _records_in(path: Path) -> list[MethodRecord]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    rel = path.relative_to(_PACKAGE_DIR.parent)
    module = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
    records = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.ClassDef):
            continue
        for deco in node.decorator_list:
            if not (isinstance(deco, ast.Call) and getattr(deco.func, "id", None) == "register"):
                continue
            where = f"{rel}:{deco.lineno}"
            kwargs = {kw.arg: _literal(kw.value, where) for kw in deco.keywords}
            missing = [f for f in _FIELDS if f not in kwargs]
            if missing or len(deco.args) != 1:
                raise ValueError(f"{where}: @register needs a name and {', '.join(_FIELDS)}")
            records.append(
                MethodRecord(
                    name=_literal(deco.args[0], where),
                    module=module,
                    qualname=node.name,
                    source=rel.as_posix(),
                    line=node.lineno,
                    **{f: kwargs[f] for f in _FIELDS},
                )
            )
    return records


@cache
def _all_records() -> tuple[MethodRecord, ...]:
    records = [
        record
        for path in sorted(_PACKAGE_DIR.rglob("*.py"))
        if "register(" in path.read_text(encoding="utf-8") and path.name != "registry.py"
        for record in _records_in(path)
    ]
    names = [r.name for r in records]
    if dupes := sorted({n for n in names if names.count(n) > 1}):
        raise ValueError(f"zoo methods registered twice: {', '.join(dupes)}")
    return tuple(sorted(records, key=lambda r: (r.category, r.subcategory or "", r.name)))


def refresh() -> None:
    """Forget the scanned records so the next call re-reads the sources (live preview edits)."""
    _all_records.cache_clear()


def list_methods(category: str | None = None) -> list[MethodRecord]:
    """Every registered implementation, optionally only those of one taxonomy category."""
    return [r for r in _all_records() if category in (None, r.category)]


def get(name: str) -> MethodRecord:
    """The record of method ``name``; ``KeyError`` lists the known names when it does not exist."""
    for record in _all_records():
        if record.name == name:
            return record
    known = ", ".join(r.name for r in _all_records()) or "none yet"
    raise KeyError(f"no zoo method named {name!r} (known: {known})")


def implementation(category: str, method: str) -> Any:
    """The object registered as ``method`` in ``category``; ``ValueError`` listing the choices."""
    by_name = {record.name: record for record in list_methods(category)}
    if method not in by_name:
        raise ValueError(
            f"unknown {category} method {method!r}; choose one of: {', '.join(sorted(by_name))}"
        )
    return by_name[method].obj


def dispatch(category: str, method: str, *args: Any, **kwargs: Any) -> Any:
    """Call the implementation registered as ``method`` in ``category`` — what ``zoo.prune``,
    ``zoo.quantize`` … do. An unknown method, or arguments its signature does not take, raise a
    one-line ``ValueError`` naming the method (and the choices), before anything runs."""
    implementation_ = implementation(category, method)
    try:
        inspect.signature(implementation_).bind(*args, **kwargs)
    except TypeError as exc:
        raise ValueError(f"{category} method {method!r}: {exc}") from None
    return implementation_(*args, **kwargs)


def by_paper() -> dict[str, list[MethodRecord]]:
    """Implementations grouped by the catalog id of the paper they realise."""
    index: dict[str, list[MethodRecord]] = {}
    for record in _all_records():
        index.setdefault(record.paper, []).append(record)
    return index


def check_against_catalog(
    catalog: Catalog, records: Iterable[MethodRecord] | None = None
) -> list[Problem]:
    """Problems where an implementation names a paper or taxonomy position the catalog lacks."""
    from .catalog.problems import Problem

    subs = {c.id: {s.id for s in c.subcategories} for c in catalog.categories}
    problems = []
    for m in list_methods() if records is None else records:
        if m.paper not in catalog:
            problems.append(Problem(m.source, m.line, "paper", f"zoo method '{m.name}' names "
                                    f"'{m.paper}', which is not in the catalog"))
        if m.category not in subs:
            problems.append(Problem(m.source, m.line, "category",
                                    f"unknown category '{m.category}'"))
        elif (m.subcategory or None) not in (subs[m.category] or {None}):
            choices = ", ".join(sorted(subs[m.category])) or "none"
            problems.append(Problem(m.source, m.line, "subcategory", f"'{m.subcategory}' is not "
                                    f"a subcategory of '{m.category}' (known: {choices})"))
    return problems
