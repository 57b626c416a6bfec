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
