"""Generated pages handed to MkDocs already rendered, so they skip Markdown.

A :class:`PrebuiltPage` behaves like any MkDocs page for the theme and the plugins (search, tags,
sitemap): it has front-matter style ``meta`` and HTML ``content``; only the Markdown step is
replaced by our Jinja2 rendering, which runs lazily when MkDocs reads the page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from .render import Rendered

RenderFn = Callable[[], Rendered]


class Stopwatch:
    """Seconds spent in our own rendering, reported apart from MkDocs' time."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds += time.perf_counter() - self._start


class PrebuiltPage(Page):
    """A page whose HTML comes from ``render`` instead of a Markdown source."""

    def __init__(
        self, file: File, config: MkDocsConfig, *, meta: dict[str, Any], render: RenderFn,
        stopwatch: Stopwatch,
    ) -> None:
        super().__init__(None, file, config)
        self._prebuilt_meta = meta
        self._render = render
        self._stopwatch = stopwatch
        self.edit_url = None  # generated: the page itself links to the entry it comes from
        self.search_html: str | None = None  # what search indexes instead of content, if set

    def read_source(self, config: MkDocsConfig) -> None:
        self.markdown = ""
        self.meta = dict(self._prebuilt_meta)

    def render(self, config: MkDocsConfig, files: Files) -> None:
        with self._stopwatch:
            rendered = self._render()
        self.content = rendered.html
        self.search_html = rendered.search_html
        self.toc = get_toc(rendered.toc)
        self.present_anchor_ids = {"title", *rendered.anchors, *(t["id"] for t in rendered.toc)}
        self.links_to_anchors = {}


def add_page(
    files: Files, config: MkDocsConfig, uri: str, *, meta: dict[str, Any], render: RenderFn,
    stopwatch: Stopwatch, in_nav: bool = False,
) -> None:
    """Add a generated page at ``uri`` (a docs-relative ``.md`` path)."""
    inclusion = InclusionLevel.INCLUDED if in_nav else InclusionLevel.NOT_IN_NAV
    file = File.generated(config, uri, content="", inclusion=inclusion)
    if files.get_file_from_path(uri) is not None:
        raise ValueError(f"generated page {uri} collides with a file in site/docs")
    files.append(file)
    PrebuiltPage(file, config, meta=meta, render=render, stopwatch=stopwatch)


def add_static(files: Files, config: MkDocsConfig, uri: str, content: str) -> None:
    """Add a generated download (``papers.json``, ``feed.xml`` …) at the site root."""
    if files.get_file_from_path(uri) is not None:
        raise ValueError(f"generated file {uri} collides with a file in site/docs")
    files.append(File.generated(config, uri, content=content))
