"""Small pieces of the site generator, without a build."""

from __future__ import annotations

import pytest

from zoo.site.apidocs import docstring_html, rst_to_markdown
from zoo.site.hook import minify
from zoo.site.model import is_http_url
from zoo.site.render import root_prefix, url_of


@pytest.mark.parametrize(("uri", "directory", "file"), [
    ("index.md", "", "index.html"),
    ("papers/x.md", "papers/x/", "papers/x.html"),
    ("categories/pruning/index.md", "categories/pruning/", "categories/pruning/index.html"),
    ("papers.json", "papers.json", "papers.json"),
])
def test_urls_follow_mkdocs(uri: str, directory: str, file: str) -> None:
    assert url_of(uri, directory_urls=True) == directory
    assert url_of(uri, directory_urls=False) == file


def test_root_prefix_climbs_back_to_the_site_root() -> None:
    assert root_prefix("") == ""
    assert root_prefix("papers/x.html") == "../"
    assert root_prefix("categories/pruning/") == "../../"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "/papers/x", "ftp://h/",
                                 "https//x", "", None])
def test_only_absolute_http_urls_are_links(url: str | None) -> None:
    assert not is_http_url(url)
    assert is_http_url("https://arxiv.org/abs/1811.00250") and is_http_url("http://x.org")


def test_sphinx_docstrings_become_markdown() -> None:
    text = """Title line with :func:`zoo.prune` and ``code``.

The rule::

    y = f(x)

.. math:: s_j = \\sum x

>>> import zoo
>>> zoo.list_methods()
[]

Deviations
----------
* one
"""
    markdown = rst_to_markdown(text)
    assert "``zoo.prune``" in markdown and ":func:" not in markdown
    assert "The rule:\n\n```\ny = f(x)\n```" in markdown
    assert "```\ns_j = \\sum x\n```" in markdown
    assert "```pycon\n>>> import zoo\n>>> zoo.list_methods()\n[]\n```" in markdown
    html = docstring_html(text)
    assert "<blockquote>" not in html and "<h2>Deviations</h2>" in html
    assert "<code>zoo.prune</code>" in html


def test_minify_keeps_preformatted_text() -> None:
    page = "<div>\n    <p>a</p>\n\n    <pre><code>  keep\n\n    this</code></pre>\n  </div>"
    assert minify(page) == "<div>\n<p>a</p>\n<pre><code>  keep\n\n    this</code></pre>\n</div>"


def test_translator_fills_placeholders_and_refuses_missing_strings() -> None:
    from zoo.site.i18n import EXPLORER_STRINGS, ZH, translator

    assert translator("en")("{n} papers", n=3) == "3 papers"
    assert translator("zh")("{n} papers", n=3) == "3 篇论文"
    assert set(EXPLORER_STRINGS) <= set(ZH)
    with pytest.raises(KeyError, match="no zh translation of 'Nonexistent'"):
        translator("zh")("Nonexistent")
    with pytest.raises(ValueError, match="'fr'"):
        translator("fr")


def _literal_keys(node: object) -> list[str]:
    """The string constants a translation call can receive: ``"a"`` or ``"a" if c else "b"``."""
    import ast

    import jinja2.nodes as j

    if isinstance(node, (j.Const, ast.Constant)) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, j.CondExpr):
        return _literal_keys(node.expr1) + _literal_keys(node.expr2)
    if isinstance(node, ast.IfExp):
        return _literal_keys(node.body) + _literal_keys(node.orelse)
    return []


def _interface_strings() -> dict[str, set[str]]:
    """Every literal string the site's templates and Python pass to ``t`` or ``tm``, by file."""
    import ast
    from pathlib import Path

    import jinja2.nodes as j

    from zoo.site.render import environment

    site = Path(__file__).resolve().parents[2] / "zoo" / "site"
    env = environment()
    found: dict[str, set[str]] = {}
    for path in sorted((site / "templates").rglob("*.html")):
        tree = env.parse(path.read_text(encoding="utf-8"))
        # plural(n, one, many) in benchmarks.html passes its two strings on to t
        found[path.name] = {key for call in tree.find_all(j.Call) if isinstance(call.node, j.Name)
                            for arg in ({"t": call.args[:1], "tm": call.args[:1]}
                                        .get(call.node.name) or
                                        (call.args[1:] if call.node.name == "plural" else []))
                            for key in _literal_keys(arg)}
    for path in sorted(site.glob("*.py")):
        calls = [n for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                 if isinstance(n, ast.Call) and n.args
                 and (getattr(n.func, "id", None) == "t" or getattr(n.func, "attr", None) == "t")]
        found[path.name] = {key for call in calls for key in _literal_keys(call.args[0])}
    return found


def test_every_interface_string_has_a_chinese_translation_with_its_placeholders() -> None:
    """A string missing from ZH fails the Chinese build only on a page that shows it; this finds
    the rest (a failed run's row, an unexported model) before a result file does."""
    import string

    from zoo.site.benchmarks import COLUMNS
    from zoo.site.i18n import ZH

    found = _interface_strings()
    assert len(found["benchmarks.html"]) > 80 and {"Two runtimes.", "{n} threads"} <= found[
        "benchmarks.html"]
    assert "not exported: {error}" in found["benchmarks.py"]
    columns = {text for name, title, _ in COLUMNS for text in (name, title)}
    missing = {(name, key) for name, keys in found.items() for key in keys if key not in ZH}
    missing |= {("benchmarks.py COLUMNS", key) for key in columns if key not in ZH}
    assert not missing, sorted(missing)

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    assert [key for key, text in ZH.items() if fields(key) != fields(text)] == []


def test_markup_sentences_escape_their_values_but_keep_the_markup_given() -> None:
    import markupsafe

    from zoo.site.render import markup_translator

    tm = markup_translator(lambda text: {"Run {command} ({note}).": "运行 {command}（{note}）。"}
                           .get(text, text))
    hostile = '<script>alert("x")</script>'
    out = tm("Run {command} ({note}).", command=markupsafe.Markup("<code>aladin bench</code>"),
             note=hostile)
    assert isinstance(out, markupsafe.Markup)
    assert out == ("运行 <code>aladin bench</code>（&lt;script&gt;alert(&#34;x&#34;)"
                   "&lt;/script&gt;）。")
    # An English sentence reads as the template's own text did: quotes stay, & and < do not.
    assert tm("the model's & <b>") == "the model's &amp; &lt;b&gt;"
