"""The rule that turns a paper into its catalog id (and so its file name and permanent URL).

``{year}-{venue}-{name}``, all lowercase ASCII, words joined by ``-``:

* ``venue`` is the venue id from ``catalog/venues.yaml`` with everything but letters and digits
  removed (``NeurIPS`` → ``neurips``, ``CVPRW`` → ``cvprw``, ``arXiv`` → ``arxiv``);
* ``name`` is the method name when the title starts with one (a single token before a colon:
  ``SNIP: Single-shot …`` → ``snip``, ``NAS-Bench-101: …`` → ``nas-bench-101``), otherwise the
  first four words of the title that are not stop words
  (``Filter Pruning via Geometric Median …`` → ``filter-pruning-geometric-median``).

Should two papers collide, the later one gets ``-2``, ``-3``… (:func:`unique_id`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "do", "for", "from", "in", "into", "is",
    "it", "its", "of", "on", "or", "the", "to", "toward", "towards", "via", "with",
})
ID_PATTERN = r"^[0-9]{4}-[a-z0-9]+-[a-z0-9]+(?:-[a-z0-9]+)*$"
_NAME_WORDS = 4


# Letters that Unicode does not decompose into an ASCII base letter.
_TRANSLITERATE = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D",
                                "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
                                "'": None, "’": None})


def ascii_words(text: str) -> list[str]:
    """Lowercase ASCII words of ``text`` (accents folded, apostrophes and punctuation dropped)."""
    text = text.translate(_TRANSLITERATE)
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.findall(r"[a-z0-9]+", folded.lower())


def title_name(title: str) -> str:
    """The ``name`` part of an id, derived from the title as the module docstring describes."""
    head, colon, _ = title.partition(":")
    if colon and head.strip() and " " not in head.strip():
        return "-".join(ascii_words(head))
    words = [w for w in ascii_words(title) if w not in STOP_WORDS]
    return "-".join(words[:_NAME_WORDS]) or "untitled"


def paper_id(year: int, venue: str, title: str) -> str:
    """The id the rule gives a paper (before collision handling)."""
    return f"{year}-{''.join(ascii_words(venue))}-{title_name(title)}"


def unique_id(base: str, taken: Collection[str]) -> str:
    """``base`` itself when free, else ``base-2``, ``base-3``… the first not in ``taken``."""
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def normalise_title(title: str) -> str:
    """Titles compared for duplicates: case, accents, punctuation and spacing ignored."""
    return " ".join(ascii_words(title))
