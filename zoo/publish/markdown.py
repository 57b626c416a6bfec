"""Escaping catalog strings for Markdown, so a title can never become markup or a link."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!~])")


def md_text(text: str) -> str:
    """Backslash-escape the characters that would start Markdown or HTML in running text.

    ``aladin import`` undoes this with :func:`md_unescape`, so a README round-trips.
    """
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def md_unescape(text: str) -> str:
    """Inverse of :func:`md_text` for any backslash-escaped ASCII punctuation."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def md_url(url: str) -> str:
    """A URL safe inside ``(...)`` of a Markdown link: brackets, parentheses and spaces encoded.

    Only http(s) URLs reach here (the schema refuses every other scheme)."""
    for char, code in (("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E"), (" ", "%20")):
        url = url.replace(char, code)
    return url
