"""Annotations lists write around a paper: ``(Spotlight)``, ``[Oral]``, ``**(Best)**``,
``[Best paper!]``, ``Workshop``, ``(OpenAI)``. They become fields or notes, never a rejection.

>>> read("ICLR **(Best)**")
Notes(text='ICLR', presentation=None, award='Best Paper', workshop=False, notes=())
>>> read("(Spotlight) (OpenAI)")
Notes(text='', presentation='spotlight', award=None, workshop=False, notes=('OpenAI',))
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Bounded, unnested patterns only (linear on any input).
_PRESENTATION = re.compile(r"\b(oral|spotlight)(?:\s+presentation)?\b", re.IGNORECASE)
_AWARD = re.compile(r"\bbest(?:\s+(?:student\s+)?paper)?(?:\s+(?:award|honou?rable\s+mention|"
                    r"runner[- ]up))?\b[!]*", re.IGNORECASE)
_WORKSHOP = re.compile(r"\bworkshops?\b", re.IGNORECASE)
_PAREN = re.compile(r"\(([^()]{1,60})\)")
_DECOR = str.maketrans({c: " " for c in "*_`[]()!"})


@dataclass(frozen=True)
class Notes:
    text: str  # what remains (e.g. the venue) once annotations are taken out
    presentation: str | None
    award: str | None
    workshop: bool
    notes: tuple[str, ...]  # lab or affiliation notes such as 'OpenAI'


def _award(found: str) -> str:
    words = found.casefold()
    if "mention" in words:
        return "Best Paper Honorable Mention"
    if "runner" in words:
        return "Best Paper Runner-up"
    return "Best Student Paper" if "student" in words else "Best Paper"


def read(text: str, *, lab_notes: bool = True) -> Notes:
    """Take presentation, award, workshop mark and parenthesised notes out of ``text``."""
    presentation = award = None
    if match := _PRESENTATION.search(text):
        presentation = match.group(1).lower()
        text = text[: match.start()] + text[match.end() :]
    if match := _AWARD.search(text):
        award = _award(match.group(0))
        text = text[: match.start()] + text[match.end() :]
    workshop = bool(_WORKSHOP.search(text))
    notes: list[str] = []
    if lab_notes:
        for match in _PAREN.finditer(text):
            inner = " ".join(match.group(1).translate(_DECOR).split())
            if inner and not re.fullmatch(r"[\d\s.,:;-]*", inner):
                notes.append(inner)
        text = _PAREN.sub(" ", text)
    text = " ".join(text.translate(_DECOR).split()).strip(" ,;:-–—.")
    return Notes(text, presentation, award, workshop, tuple(notes))
