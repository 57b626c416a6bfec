"""API pages for zoo methods, read from the source without importing it (no PyTorch needed).

The signature and docstrings come from the module's AST. Docstrings are written for Sphinx-style
readers (``.. math::``, ``:func:`x```, ``>>>`` examples, ``::`` literal blocks); the small
conversion here turns those into Markdown so Python-Markdown renders them faithfully.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import markdown

from ..registry import MethodRecord

_ROLE = re.compile(r":(?:[a-z]+:)?[a-z]+:`~?\.?([^`]+)`")
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # holds zoo/, as MethodRecord.source expects


@dataclass(frozen=True)
class MethodDoc:
    signature: str  # "(model, example_inputs, *, pruning_ratio)" or "" when unknown
    summary_html: str  # the object's own docstring
    module_html: str  # the module docstring: the paper, its rule, deviations


def method_doc(record: MethodRecord, root: Path = _PACKAGE_ROOT) -> MethodDoc:
    """The documentation of ``record`` read from ``root / record.source``."""
    path = root / record.source
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    node = next(
        (n for n in tree.body
         if isinstance(n, ast.FunctionDef | ast.ClassDef) and n.name == record.qualname),
        None,
    )
    if node is None:
        raise LookupError(f"{record.source}: no top-level {record.qualname!r} for {record.name!r}")
    return MethodDoc(
        signature=_signature(node),
        summary_html=docstring_html(ast.get_docstring(node) or ""),
        module_html=docstring_html(ast.get_docstring(tree) or ""),
    )


def _signature(node: ast.FunctionDef | ast.ClassDef) -> str:
    if isinstance(node, ast.ClassDef):
        init = next(
            (n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None
        )
        if init is None:
            return ""
        args = init.args  # drop ``self``
        if args.posonlyargs:
            args.posonlyargs = args.posonlyargs[1:]
        else:
            args.args = args.args[1:]
        return f"({ast.unparse(args)})"
    return f"({ast.unparse(node.args)})"


def docstring_html(text: str) -> str:
    """HTML of a Sphinx-flavoured docstring."""
    if not text.strip():
        return ""
    extensions = ["fenced_code", "tables", "sane_lists", "pymdownx.magiclink"]
    return markdown.markdown(rst_to_markdown(text), extensions=extensions)


def rst_to_markdown(text: str) -> str:
    """The few reStructuredText constructs docstrings use, as Markdown."""
    lines = textwrap.dedent(text).splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith(">>>"):  # a doctest example runs until the next blank line
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i].strip())
                i += 1
            out += ["", "```pycon", *block, "```", ""]
            continue
        directive = re.match(r"\s*\.\. (math|code-block|code)::\s*(.*)$", line)
        if directive or (stripped.endswith("::") and not stripped.startswith("..")):
            if directive:
                head, inline = "", directive.group(2)
                if directive.group(1) != "math":
                    inline = ""
            else:
                head, inline = line.rstrip()[:-1].rstrip(), ""  # "The rule::" -> "The rule:"
            block, i = _indented_block(lines, i + 1)
            if head:
                out.append(head)
            out += ["", "```", *([inline] if inline else []), *block, "```", ""]
            continue
        out.append(_ROLE.sub(r"``\1``", line))
        i += 1
    return "\n".join(out)


def _indented_block(lines: list[str], start: int) -> tuple[list[str], int]:
    """The indented block after a ``::`` line (leading blank lines skipped); and where it ends."""
    i = start
    while i < len(lines) and not lines[i].strip():
        i += 1
    block = []
    while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
        block.append(lines[i])
        i += 1
    while block and not block[-1].strip():
        block.pop()
    return textwrap.dedent("\n".join(block)).splitlines(), i
