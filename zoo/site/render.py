"""HTML for the generated pages, from Jinja2 templates with autoescaping.

Generated pages skip Markdown entirely: every catalog string reaches the page through Jinja2's
HTML autoescape (titles, names, attributes) or ``tojson`` (data in ``<script>`` elements), and
links come only from :func:`zoo.site.model.is_http_url`-checked URLs or from the site's own
paths. That keeps one escaping rule for the whole site and makes a 10,000-page build cheap.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from ..catalog import Paper
from ..publish.exports import bibtex_entry
from ..registry import MethodRecord
from .apidocs import MethodDoc
from .benchmarks import PAGE_URI as BENCH_PAGE
from .benchmarks import BenchView
from .i18n import translator
from .lm_benchmarks import LanguageView
from .model import (
    Section,
    SiteModel,
    category_uri,
    is_http_url,
    method_uri,
    paper_uri,
    venue_uri,
    year_uri,
)

_TEMPLATES = Path(__file__).parent / "templates"
TocToken = dict[str, Any]


@dataclass(frozen=True)
class Rendered:
    """A generated page: its HTML, TOC tokens and, optionally, the HTML search should index."""

    html: str
    toc: list[TocToken]
    search_html: str | None = None
    anchors: frozenset[str] = frozenset()  # ids other pages may link to, beyond the TOC's


def url_of(uri: str, directory_urls: bool = True) -> str:
    """The site URL MkDocs gives ``uri``: ``papers/x.md`` -> ``papers/x/``; other files keep it."""
    if not uri.endswith(".md"):
        return uri
    stem = uri.removesuffix(".md")
    if stem == "index" or stem.endswith("/index"):
        stem = stem.removesuffix("index")
        return stem if directory_urls else f"{stem}index.html"
    return f"{stem}/" if directory_urls else f"{stem}.html"


def root_prefix(page_url: str) -> str:
    """Relative path from the page at ``page_url`` back to the site root."""
    return "../" * page_url.count("/")


_CJK = re.compile(r"[\u4e00-\u9fff]")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        paper_uri=paper_uri, category_uri=category_uri, venue_uri=venue_uri, year_uri=year_uri,
        method_uri=method_uri, is_http_url=is_http_url,
    )
    env.filters.update(authors=short_authors, bibtex=bibtex_entry)
    env.tests["cjk"] = lambda text: bool(_CJK.search(text))  # {% if name is cjk %}: lang="zh"
    return env


def markup_translator(t: Callable[..., str]) -> Callable[..., markupsafe.Markup]:
    """``tm(text, **values)``: ``t(text)`` as element content, for sentences holding markup.

    The sentence is escaped as a template's own text is (``&``, ``<``, ``>``; quotes stay, so an
    English page reads byte for byte as before), then its ``{name}`` placeholders are filled:
    a value is escaped unless it is :class:`~markupsafe.Markup` the template built (a ``<code>``
    element, a link). Not for attribute values: there ``t`` and autoescape are the rule.

    >>> tm = markup_translator(lambda text: text)
    >>> str(tm("Run {command} & wait <{n}>'s", command=markupsafe.Markup("<i>x</i>"), n="<b>"))
    "Run <i>x</i> &amp; wait &lt;&lt;b&gt;&gt;'s"
    """
    def tm(text: str, **values: object) -> markupsafe.Markup:
        sentence = t(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return markupsafe.Markup(sentence).format(**values)

    return tm


def short_authors(authors: list[str], limit: int = 3) -> str:
    if len(authors) <= limit:
        return ", ".join(authors)
    return ", ".join(authors[:limit]) + " et al."


# "GhostNet: More Features from Cheap Operations" → GhostNet; at most two words before the colon.
_TITLE_NAME = re.compile(r"^([A-Za-z][\w+.-]*(?: [\w+.-]+)?):\s")


def short_names(paper: Paper, methods: Sequence[MethodRecord] = ()) -> list[str]:
    """Names a reader may search the paper by: its own ``aliases``, a short name that opens its
    title ("HAQ: ..."), and the zoo methods implementing it; each once, case-insensitively."""
    names = [*paper.aliases]
    if match := _TITLE_NAME.match(paper.title):
        names.append(match[1])
    names += [m.name for m in methods]
    seen: set[str] = set()
    return [n for n in names if not (n.casefold() in seen or seen.add(n.casefold()))]


def paper_links(paper: Paper) -> list[tuple[str, str]]:
    """(label, url) for every place to read the paper; http(s) only."""
    links = paper.links
    candidates = [
        ("Paper", links.paper), ("arXiv", links.arxiv_url), ("OpenReview", links.openreview_url),
        ("PDF", links.pdf),
    ]
    seen: set[str] = set()
    out = []
    for label, url in candidates:
        if url and is_http_url(url) and url not in seen:
            seen.add(url)
            out.append((label, url))
    return out


@dataclass
class Renderer:
    """Renders generated pages for one build; ``directory_urls`` mirrors MkDocs' setting."""

    model: SiteModel
    directory_urls: bool = True
    bench: BenchView | None = None  # the committed benchmark results, if any
    lang: str = "en"  # the interface's language (zoo.site.i18n)
    lm: LanguageView | None = None  # the committed language-model results (either may be absent)

    def __post_init__(self) -> None:
        self.t = translator(self.lang)
        self.tm = markup_translator(self.t)
        if self.bench is not None:  # the Benchmarks page's columns and plots in its language
            self.bench = self.bench.in_language(self.lang)
        # On a Chinese page, catalog text (titles, authors, reports) is marked as English.
        self.lang_en = markupsafe.Markup(' lang="en"' if self.lang != "en" else "")

    def _href_factory(self, page_uri: str) -> Callable[[str], str]:
        base = root_prefix(url_of(page_uri, self.directory_urls))

        def href(uri: str) -> str:
            return (base + url_of(uri, self.directory_urls)) or "./"

        return href

    def render(self, template: str, page_uri: str, **context: Any) -> str:
        href = self._href_factory(page_uri)
        return environment().get_template(template).render(
            model=self.model, catalog=self.model.catalog, href=href, t=self.t, tm=self.tm,
            lang=self.lang, lang_en=self.lang_en, **context,
        )

    # --- generated pages ----------------------------------------------------------------------

    def paper(self, paper: Paper) -> Rendered:
        methods = self.model.methods(paper)
        related = self.model.related(paper)
        context = dict(
            paper=paper, names=self.model.names(paper), methods=methods,
            venue=self.model.catalog.venue(paper.venue), label=self.model.catalog.label(paper),
        )
        # Language-model methods are measured by their own runs (zoo.bench.language, lm_pruning).
        lm_methods = [(m.name, tables) for m in methods
                      if self.lm and (tables := self.lm.tables_for(m.name))]
        measured = {name for name, _ in lm_methods}
        # The benchmark block of a paper page is English (on Chinese pages too, marked as such).
        bench = self.bench.english if self.bench else None
        bench_methods = [bench.for_method(m.name) for m in methods
                         if m.name not in measured] if bench else []
        resources = [r for r in paper.resources if is_http_url(r.url)]
        html = self.render(
            "paper.html", paper_uri(paper.id), links=paper_links(paper), related=related,
            resources=resources,
            edit_url=self.model.repo_link("edit", self.model.entry_path(paper)),
            bench=bench, bench_methods=bench_methods, lm_methods=lm_methods,
            bench_page=BENCH_PAGE, **context,
        )
        # Search indexes a digest of the page (title, authors, venue, categories, zoo), not the
        # BibTeX and related-paper lists: a smaller index with fewer false hits, parsed 10x faster.
        search_html = self.render("paper_search.html", paper_uri(paper.id),
                                  short_names=short_names(paper, methods), **context)
        # A table of contents of the sections present, in page order: BibTeX sits far down a
        # page with a zoo implementation and benchmarks.
        t = self.t
        sections = [("links", t("Links"), True), ("resources", t("More links"), bool(resources)),
                    ("code", t("Code"), bool(paper.code)),
                    ("zoo", t("Zoo implementation"), bool(methods)),
                    ("benchmarks", t("Benchmarks"), bool(bench_methods or lm_methods)),
                    ("bibtex", t("BibTeX"), True), ("related", t("Related papers"), bool(related))]
        toc = [(anchor, name) for anchor, name, present in sections if present]
        anchors = ["authors"] + (["sources"] if paper.sources else [])
        return Rendered(html, tokens(toc), search_html, anchors=frozenset(anchors))

    def section(self, section: Section) -> Rendered:
        cat = section.category
        subs = [self.model.section(cat.id, s.id) for s in cat.subcategories]
        methods = [
            m for m in self.model.all_methods
            if m.category == section.category.id
            and (section.sub is None or m.subcategory == section.sub.id)
        ]
        html = self.render(
            "section.html", section.uri, section=section, subs=subs if not section.sub else [],
            methods=methods,
        )
        toc = [("zoo", self.t("Zoo implementations"))] if methods else []
        if section.sub is None and subs:
            toc += [(s.sub.id, s.sub.zh if self.lang == "zh" else s.sub.en)
                    for s in subs if s.papers]
        else:
            toc += [("papers", self.t("Papers"))]
        return Rendered(html, tokens(toc))

    def categories(self) -> Rendered:
        uri = "categories/index.md"
        return Rendered(self.render("categories.html", uri, sections=self.model.sections), [])

    def venues(self) -> Rendered:
        return Rendered(self.render("venues.html", "venues/index.md"), [])

    def venue(self, venue_id: str) -> Rendered:
        venue, papers = next((v, ps) for v, ps in self.model.by_venue if v.id == venue_id)
        html = self.render("venue.html", venue_uri(venue.id), venue=venue, papers=papers)
        return Rendered(html, [])

    def years(self) -> Rendered:
        return Rendered(self.render("years.html", "years/index.md"), [])

    def year(self, year: int) -> Rendered:
        papers = next(ps for y, ps in self.model.by_year if y == year)
        return Rendered(self.render("year.html", year_uri(year), year=year, papers=papers), [])

    def benchmarks(self) -> Rendered:
        lm = self.lm or LanguageView(None, None, {})
        # The page speaks the interface's language; what the result files record (target texts,
        # settings, model descriptions) stays as written and is marked as English.
        html = self.render("benchmarks.html", BENCH_PAGE, bench=self.bench, lm=lm)
        t = self.t
        toc: list[TocToken] = []
        anchors: set[str] = set(lm.anchors)
        if self.bench is not None:
            results, bench = self.bench.results, self.bench
            sections = [("run", t("The run")), ("targets", t("Targets")),
                        ("results", t("Results")), ("sweep", t("Pruning sweep")),
                        ("plots", t("Plots")), ("models", t("Models")), ("peers", t("Peers")),
                        ("settings", t("Own settings and methods not in this run")),
                        ("reproduce", t("Reproduce"))]
            present = {"targets": bool(results.get("targets")), "peers": bool(bench.peers),
                       "sweep": bool(bench.sweep),
                       "settings": bool(bench.own_settings or bench.not_benchmarked)}
            toc = tokens([(i, n) for i, n in sections if present.get(i, True)])
            anchors |= {f"bench-{r['method']}-{r['model']}" for r in bench.rows}
            anchors |= {"runtimes"} if bench.has_ort else set()  # paper pages link to it
        parts = [("lm-run", t("The language-model runs"), bool(lm.quantization or lm.pruning)),
                 ("lm-targets", t("Language-model targets"), bool(lm.targets)),
                 ("lm-quantization", t("Quantisation"), True),
                 *((table.id, t(heading), True) for heading, table in lm.pruning_tables),
                 ("lm-pruning", t("Pruning and distillation"), lm.pruning is None),
                 ("lm-reproduce", t("Reproduce the language-model benchmarks"), True)]
        [language] = tokens([("language", t("Language models"))])
        language["children"] = [{**token, "level": 3} for token in
                                tokens([(i, n) for i, n, present in parts if present])]
        return Rendered(html, [*toc, language], anchors=frozenset(anchors))

    def api_index(self) -> Rendered:
        return Rendered(self._in_english(self.render("api_index.html", "api/index.md")), [])

    def method(self, record: MethodRecord, doc: MethodDoc) -> Rendered:
        catalog = self.model.catalog
        paper = catalog.paper(record.paper) if record.paper in catalog else None
        html = self.render(
            "api_method.html", method_uri(record.name), record=record, doc=doc, paper=paper,
            source_url=self.model.repo_link("blob", record.source, record.line),
        )
        return Rendered(self._in_english(html), [])

    def _in_english(self, html: str) -> str:
        """Pages whose prose is English only (the API docs), marked as such."""
        return f"<div{self.lang_en}>{html}</div>" if self.lang_en else html

    # --- blocks placed into hand-written pages at <!-- aladin:NAME --> markers -----------------

    def block(self, name: str, page_uri: str, **context: Any) -> str:
        return self.render(f"blocks/{name}.html", page_uri, **context)


def tokens(entries: list[tuple[str, str]]) -> list[TocToken]:
    """MkDocs TOC tokens for level-2 headings; names are HTML (Material prints them raw)."""
    escape = markupsafe.escape
    return [{"level": 2, "id": i, "name": str(escape(n)), "children": []} for i, n in entries]
