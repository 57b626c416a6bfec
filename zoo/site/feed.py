"""Atom feed of recently added papers, from the entries' ``added`` dates.

Built with ElementTree so every catalog string is XML-escaped by the serializer.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

from ..catalog import Catalog
from .model import is_http_url

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0


def _text(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


def _stamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def atom_feed(
    catalog: Catalog, site_url: str, page_url: Callable[[str], str], *, title: str,
    size: int = FEED_SIZE,
) -> str:
    """The feed text. ``page_url(paper_id)`` gives a paper page's absolute URL."""
    ET.register_namespace("", ATOM)
    newest = catalog.newest(size)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = f"{title}: recently added papers"
    ET.SubElement(feed, f"{{{ATOM}}}id").text = site_url or "urn:aladin-zoo:feed"
    if is_http_url(site_url):
        ET.SubElement(feed, f"{{{ATOM}}}link", href=site_url)
        ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=site_url.rstrip("/") + "/feed.xml")
    updated = max((p.added for p in newest), default=dt.date(1970, 1, 1))
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = _stamp(updated)
    for paper in newest:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}title").text = _text(paper.title)
        url = page_url(paper.id)
        ET.SubElement(entry, f"{{{ATOM}}}id").text = url if is_http_url(url) else (
            f"urn:aladin-zoo:paper:{paper.id}"
        )
        if is_http_url(url):
            ET.SubElement(entry, f"{{{ATOM}}}link", href=url)
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = _stamp(paper.added)
        for name in paper.authors or ["Unknown"]:
            author = ET.SubElement(entry, f"{{{ATOM}}}author")
            ET.SubElement(author, f"{{{ATOM}}}name").text = _text(name)
        venue = catalog.venue(paper.venue)
        category = catalog.category(paper.category)
        ET.SubElement(entry, f"{{{ATOM}}}category", term=category.id, label=_text(category.en))
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = _text(
            f"{catalog.label(paper)} · {venue.name} · {category.en} ({category.zh})"
        )
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"
