"""When two mentions are one paper: the identity and merging rules, in one place.

Two mentions are the same paper when they share an arXiv id, a DOI, an OpenReview id, or a
title key. The title key
ignores case, accents, punctuation and parenthesised words (``Do Deep (Neural) Nets …``). Titles
that differ only in "neural"/"deep"/"network" words are the same paper only if the close-match
check agrees (:func:`close_titles`), so "Do deep nets really need to be deep?" and "Do deep
convolutional nets really need to be deep and convolutional?" stay two papers.

A shared paper URL alone never makes two mentions one paper: two different titles behind one URL
(with no shared id) is a conflict in the list (:meth:`Index.url_clash`).

>>> title_key("Do Deep (Neural) Nets Really Need to be Deep?")
'do deep nets really need to be deep'
>>> same_title("Do deep nets really need to be deep", "Do deep neural nets really need to be deep")
True
>>> same_title("Do deep nets really need to be deep?",
...            "Do deep convolutional nets really need to be deep and convolutional?")
False
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Generic, TypeVar
from urllib.parse import unquote, urlsplit

from .ids import ascii_words

_PARENS = re.compile(r"\([^()]{0,80}\)")  # bounded, unnested: linear
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s?#]+)")
_LOOSE_WORDS = frozenset({"neural", "deep", "network", "networks", "net", "nets"})
CLOSE_RATIO = 0.9  # difflib ratio above which two loose-equal titles are one paper


@lru_cache(maxsize=65536)
def title_key(title: str) -> str:
    """Case, accents, punctuation, spacing and parenthesised words ignored."""
    words = ascii_words(_PARENS.sub(" ", title)) or ascii_words(title)
    return " ".join(words) or " ".join(title.casefold().split())


def loose_key(title: str) -> str:
    """The title key without "neural"/"deep"/"network(s)"/"net(s)": candidates for a close match."""
    words = title_key(title).split()
    return " ".join(w for w in words if w not in _LOOSE_WORDS) or " ".join(words)


def close_titles(a: str, b: str, ratio: float = CLOSE_RATIO) -> bool:
    """Whether two title keys are within a few edits of each other."""
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return matcher.real_quick_ratio() >= ratio and matcher.quick_ratio() >= ratio and (
        matcher.ratio() >= ratio)


def same_title(a: str, b: str) -> bool:
    """Exact title keys, or loose keys equal and the close-match check passing."""
    ka, kb = title_key(a), title_key(b)
    return ka == kb or (loose_key(a) == loose_key(b) and close_titles(ka, kb))


def related_titles(a: str, b: str) -> bool:
    """Whether two titles sharing an id can be one paper: one title, or one a shortening of the
    other, or the same method name before a colon, or a few typos apart. A list that links a
    paper's arXiv page under another paper's title fails this and is a conflict, not a merge."""
    ka, kb = title_key(a), title_key(b)
    if same_title(a, b) or ka.startswith(kb) or kb.startswith(ka):
        return True
    head_a, head_b = a.partition(":")[0].strip().casefold(), b.partition(":")[0].strip().casefold()
    if ":" in a and ":" in b and head_a == head_b and len(head_a) >= 2:
        return True
    return close_titles(ka, kb, 0.85)


def doi(url: str | None) -> str | None:
    """The DOI a link names (doi.org, dl.acm.org/doi/…, IEEE/Springer links that embed one)."""
    if not url:
        return None
    match = _DOI.search(unquote(urlsplit(url).path))
    return match.group(1).rstrip(".").lower() if match else None


def url_key(url: str) -> str:
    """How paper URLs are compared: scheme, ``www.``, trailing slash and fragment ignored."""
    parts = urlsplit(url)
    return f"{parts.netloc.lower().removeprefix('www.')}{parts.path.rstrip('/')}?{parts.query}"


@dataclass(frozen=True)
class Mention:
    """What identifies one mention of a paper."""

    title: str
    arxiv: str | None = None
    doi: str | None = None
    openreview: str | None = None

    def identity_keys(self) -> list[tuple[str, str]]:
        keys = [("title", title_key(self.title))]
        keys += [("arxiv", self.arxiv)] if self.arxiv else []
        keys += [("doi", self.doi)] if self.doi else []
        keys += [("openreview", self.openreview)] if self.openreview else []
        return keys


T = TypeVar("T")


class Index(Generic[T]):
    """Things (catalog entries, import candidates) findable by the identity of a mention.

    Lookups are dictionary hits (title key, loose key, arXiv id, DOI), so indexing n papers is
    linear; the close-match check only runs on the few titles sharing a loose key."""

    def __init__(self) -> None:
        self._exact: dict[tuple[str, str], tuple[str, T]] = {}
        self._loose: dict[str, list[tuple[str, T]]] = {}
        self._urls: dict[str, tuple[str, T]] = {}

    def add(self, mention: Mention, item: T, urls: Iterable[str] = ()) -> None:
        for key in mention.identity_keys():
            self._exact.setdefault(key, (mention.title, item))
        entry = (title_key(mention.title), item)
        self._loose.setdefault(loose_key(mention.title), []).append(entry)
        for url in urls:
            self._urls.setdefault(url_key(url), (mention.title, item))

    def find(self, mention: Mention) -> T | None:
        """The item that is the same paper as ``mention``, if any: same title key, or a shared
        id (arXiv, DOI, OpenReview) with a related title, or a close title."""
        for key in mention.identity_keys():
            if key in self._exact and related_titles(self._exact[key][0], mention.title):
                return self._exact[key][1]
        key = title_key(mention.title)
        for other, item in self._loose.get(loose_key(mention.title), ()):
            if close_titles(key, other):
                return item
        return None

    def clash(self, mention: Mention, url: str | None) -> tuple[str, str, T] | None:
        """``(what, title, item)`` of a different paper with the same link or id, if any."""
        found = self._urls.get(url_key(url)) if url else None
        if found and not same_title(found[0], mention.title):
            return "link", *found
        for key in mention.identity_keys()[1:]:
            if key in self._exact:
                return f"{key[0]} id {key[1]}", *self._exact[key]
        return None


def near_duplicates(titles: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str, str]]:
    """Pairs ``(name_a, name_b, why)`` of entries whose titles are close but not equal.

    ``titles`` is ``(name, title)``. Titles are bucketed by their loose key and by the first and
    the last three words of it, so only titles sharing one of those are compared."""
    buckets: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for name, title in titles:
        loose = loose_key(title)
        buckets.setdefault(("loose", loose), []).append((name, title_key(title)))
        words = loose.split()
        for side, part in (("head", words[:3]), ("tail", words[-3:])):
            buckets.setdefault((side, " ".join(part)), []).append((name, title_key(title)))
    seen: set[tuple[str, str]] = set()
    for members in buckets.values():
        if len(members) > 200:  # a generic prefix ('a survey of'): too broad to compare pairwise
            continue
        for i, (name_a, key_a) in enumerate(members):
            for name_b, key_b in members[i + 1 :]:
                pair = (min(name_a, name_b), max(name_a, name_b))
                if key_a == key_b or pair in seen or name_a == name_b:
                    continue
                if loose_key(key_a) == loose_key(key_b):
                    seen.add(pair)
                    yield (*pair, "titles differ only in 'deep', 'neural' or 'network' words")
                elif close_titles(key_a, key_b, 0.92):
                    seen.add(pair)
                    yield (*pair, "titles differ by a few characters")
