"""The catalog schema: the single definition of what an entry may hold.

Validation, the JSON Schema for editors (``aladin schema``) and the field table in the docs are all
derived from these models. Unknown keys are forbidden everywhere so a typo never passes silently.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from .ids import ID_PATTERN

ARXIV_PATTERN = r"^(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})$"  # new style or old style
OPENREVIEW_PATTERN = r"^[A-Za-z0-9_-]{6,}$"
FIRST_YEAR = 1943  # McCulloch & Pitts; anything earlier is a typo


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("must be an http(s) URL")
    if re.search(r"\s", value):
        raise ValueError("must not contain spaces")
    return value


def _year(value: int) -> int:
    latest = dt.date.today().year + 1  # accepted papers are announced before their year starts
    if not FIRST_YEAR <= value <= latest:
        raise ValueError(f"must be between {FIRST_YEAR} and {latest}")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
HttpUrl = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_http_url)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Links(Model):
    """Where to read the paper. ``paper`` is the canonical page (proceedings, OpenReview, arXiv)."""

    paper: HttpUrl | None = Field(None, description="Canonical page of the paper.")
    arxiv: Annotated[str, StringConstraints(pattern=ARXIV_PATTERN)] | None = Field(
        None, description="arXiv identifier without version, e.g. 1811.00250."
    )
    openreview: Annotated[str, StringConstraints(pattern=OPENREVIEW_PATTERN)] | None = Field(
        None, description="OpenReview forum id, e.g. BJxh2j0qYm."
    )
    pdf: HttpUrl | None = Field(None, description="Direct link to the PDF.")

    @property
    def arxiv_url(self) -> str | None:
        return f"https://arxiv.org/abs/{self.arxiv}" if self.arxiv else None

    @property
    def openreview_url(self) -> str | None:
        return f"https://openreview.net/forum?id={self.openreview}" if self.openreview else None

    @property
    def best(self) -> str | None:
        """The link a reader should follow first."""
        return self.paper or self.arxiv_url or self.openreview_url or self.pdf


class CodeRepo(Model):
    url: HttpUrl
    label: Text = Field("Code", description="Link text, e.g. 'Code' or 'PyTorch Code'.")
    official: bool | None = Field(
        None, description="true: the authors' code; false: a third-party port; empty: unknown."
    )


ResourceKind = Literal[
    "project", "slides", "video", "poster", "talk", "discussion", "blog", "other-version",
    "supplement", "dataset", "other",
]
# What a reader is shown for each kind when the entry gives no label.
RESOURCE_NAMES: dict[str, str] = {
    "project": "Project page", "slides": "Slides", "video": "Video", "poster": "Poster",
    "talk": "Talk", "discussion": "Discussion", "blog": "Blog post",
    "other-version": "Other version", "supplement": "Supplementary material",
    "dataset": "Dataset", "other": "Link",
}


class Resource(Model):
    """A link about the paper that is neither the paper nor its code: a project page, slides, a
    talk, a discussion thread, another version of the paper."""

    url: HttpUrl
    kind: ResourceKind = Field(
        description="What the link is: project, slides, video, poster, talk, discussion, blog, "
        "other-version (e.g. the journal version), supplement, dataset or other."
    )
    label: Text | None = Field(
        None,
        description="Link text when the kind alone does not say it, e.g. '2018 TPAMI version'.",
    )

    @property
    def name(self) -> str:
        """The link text to show: the label, else the kind's name."""
        return self.label or RESOURCE_NAMES[self.kind]


class Source(Model):
    """Where an imported entry was read: one line of an awesome list at a frozen commit."""

    list: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")] = Field(
        description="The list's GitHub repository, 'owner/repo'."
    )
    commit: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{7,40}$")] = Field(
        description="The list's commit the line was read at (hexadecimal)."
    )
    line: Annotated[int, Field(ge=1)] = Field(
        description="Line number in the list's README (1-based)."
    )

    @property
    def url(self) -> str:
        """The line on GitHub, at the commit it was read at."""
        return f"https://github.com/{self.list}/blob/{self.commit}/README.md#L{self.line}"


class Placement(Model):
    """A (category, subcategory) position in the taxonomy."""

    category: Slug
    subcategory: Slug | None = None


class Paper(Model):
    """One paper; stored in ``catalog/papers/<id>.yaml``."""

    id: Annotated[str, StringConstraints(pattern=ID_PATTERN)] = Field(
        description="Equals the file name; see docs for the rule (year-venue-name)."
    )
    title: Text = Field(description="Official title, as in the proceedings.")
    aliases: list[Text] = Field(
        default_factory=list,
        description="Short names the paper itself gives its method, in its title or abstract "
        "(e.g. FPGM); search finds the paper by them.",
    )
    authors: list[Text] = Field(default_factory=list, description="In paper order.")
    year: Annotated[int, AfterValidator(_year)] = Field(description="Year of publication.")
    month: Annotated[int, Field(ge=1, le=12)] | None = Field(
        None, description="Month (1-12); shown for preprints, whose label is year.month."
    )
    venue: Text = Field(description="A venue id from catalog/venues.yaml, e.g. NeurIPS.")
    workshop: Text | None = Field(None, description="Workshop name, for workshop venues.")
    presentation: Literal["oral", "spotlight"] | None = Field(
        None, description="Set only when verified."
    )
    award: Text | None = Field(
        None, description="A prize the venue gave the paper, e.g. 'Best Paper' or "
        "'Best Paper Honorable Mention'."
    )
    category: Slug = Field(description="A category id from catalog/taxonomy.yaml.")
    subcategory: Slug | None = Field(None, description="Required when the category has any.")
    also_in: list[Placement] = Field(
        default_factory=list,
        description="Further positions (category, subcategory) the paper is listed under.",
    )
    links: Links = Field(
        default_factory=Links, description="Keys paper, arxiv, openreview, pdf."
    )
    code: list[CodeRepo] = Field(
        default_factory=list, description="Repositories: url, label, official (true/false)."
    )
    resources: list[Resource] = Field(
        default_factory=list,
        description="Other links (not the paper, not code): url, kind (project, slides, video, "
        "poster, talk, discussion, blog, other-version, supplement, dataset, other), label.",
    )
    tags: list[Slug] = Field(
        default_factory=list, description="Lowercase keywords, e.g. segmentation."
    )
    note: Text | None = Field(None, description="Editorial note, e.g. where sources disagree.")
    review: Text | None = Field(
        None, description="Why a maintainer should check the entry, e.g. \"classified by "
        "keyword 'quantiz'\"; remove it once checked.",
    )
    sources: list[Source] = Field(
        default_factory=list,
        description="Provenance of an imported entry: list ('owner/repo'), commit and line.",
    )
    added: dt.date = Field(description="Date the entry joined the catalog (YYYY-MM-DD).")

    @property
    def placements(self) -> tuple[Placement, ...]:
        return (Placement(category=self.category, subcategory=self.subcategory), *self.also_in)


class Subcategory(Model):
    id: Slug
    zh: Text
    en: Text
    description: Text
    aliases: list[Text] = Field(
        default_factory=list,
        description="Other names readers search for, English or Chinese (e.g. 知识蒸馏, KD).",
    )


class Category(Model):
    id: Slug
    zh: Text
    en: Text
    description: Text
    aliases: list[Text] = Field(
        default_factory=list,
        description="Other names readers search for, English or Chinese (e.g. 知识蒸馏, KD).",
    )
    subcategories: list[Subcategory] = Field(default_factory=list)


class Taxonomy(Model):
    """``catalog/taxonomy.yaml``: the category tree, in display order."""

    title: Text
    intro_zh: Text
    intro_en: Text
    categories: list[Category]


class Venue(Model):
    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9]*$")]
    name: Text
    kind: Literal["conference", "journal", "workshop", "preprint"]
    aliases: list[Text] = Field(default_factory=list)
    parent: str | None = Field(None, description="For workshops: the host conference's id.")


class Venues(Model):
    """``catalog/venues.yaml``."""

    venues: list[Venue]
