"""Masking for the public diary (offentligt diarium on the web).

What is masked in titles, always with the fixed text ``[personuppgift]``:

- anything shaped like a personal or coordination number: 10 or 12 digits with
  an optional hyphen, plus or space before the last four, whose month is 01–12
  and day 01–31 (61–91 for coordination numbers) — no check-digit test, so a
  mistyped number is masked too;
- the names of the private persons who are parties to the case (passed in):
  the full name in either order, and each name part of three letters or more
  written as a capitalised word;
- as a fallback for persons we were not told about, two or three capitalised
  words after a role word such as "sökande", "klagande", "anmälare" or "från".

Organisations are never masked: spans such as "Byggbolaget Norr AB",
"Exempelby kommun", "Bostadsrättsföreningen Eken", "Region Exempel" or a known
authority are protected before names are looked for. Officials are not parties,
so their names are only masked if they also appear as a case's private party.

Confidential entries get a neutral title and their documents no titles.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from connectors.domain import Case, DocumentDirection

MASK = "[personuppgift]"
CONFIDENTIAL_CASE_TITLE = "Sekretessbelagt ärende"
CONFIDENTIAL_DOCUMENT_TITLE = "Handling omfattas av sekretess"

_PNR = re.compile(
    r"(?<![\d-])(?:19|20)?\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"
    r"[-+ ]?\d{4}(?!\d)"
)
_WORD = r"[A-ZÅÄÖÉÜ][a-zåäöéüA-ZÅÄÖ'-]+"
_ORG = re.compile(
    rf"(?:(?:{_WORD}|&|och|i|\d+)\s+){{0,4}}(?:AB|HB|KB|Aktiebolag|Handelsbolag|Kommanditbolag)\b"
    rf"|(?:{_WORD}\s+)?(?:kommun|kommuns|län|församling|stift|ekonomisk förening)\b"
    rf"|(?:Bostadsrättsföreningen|Brf|Föreningen|Stiftelsen|Region|Länsstyrelsen|Samfällighetsföreningen"
    rf"|Hyresgästföreningen|Idrottsföreningen|Intresseföreningen)(?:\s+{_WORD}){{1,3}}"
    rf"|(?:{_WORD}\s+){{1,3}}(?:förening|föreningen|sällskap|sällskapet|klubb|klubben|IF|IK|FF|BK)\b"
    rf"|\b(?:Trafikverket|Skatteverket|Lantmäteriet|Försäkringskassan|Polismyndigheten|Boverket"
    rf"|Naturvårdsverket|Länsstyrelsen|Kronofogden|Arbetsförmedlingen|Migrationsverket)\b"
)
_ORG_HINT = re.compile(
    r"\b(?:AB|HB|KB|Aktiebolag|Handelsbolag|Kommanditbolag|kommuns?|län|församling|stift"
    r"|förening|Brf|Föreningen|Stiftelsen|Region|Länsstyrelsen|Samfällighetsföreningen"
    r"|Hyresgästföreningen|Idrottsföreningen|Intresseföreningen|föreningen|sällskap|sällskapet"
    r"|klubb|klubben|IF|IK|FF|BK|Trafikverket|Skatteverket|Lantmäteriet|Försäkringskassan"
    r"|Polismyndigheten|Boverket|Naturvårdsverket|Kronofogden|Arbetsförmedlingen"
    r"|Migrationsverket|Bostadsrättsföreningen)\b"
)
_ROLE = re.compile(
    r"(?i:\b(?:sökande[n]?|klagande[n]?|anmälare[n]?|förslagsställare[n]?|fastighetsägare[n]?"
    r"|ägare[n]?|granne[n]?|vårdnadshavare[n]?|ombud(?:et)?|från)\b)[:\s]+"
    rf"({_WORD}(?:\s+{_WORD}){{1,2}})"
)
_NAME_PARTS = re.compile(r"[\s-]+")


def mask_personal_numbers(text: str) -> str:
    return _PNR.sub(MASK, text)


def _protected(text: str) -> list[tuple[int, int]]:
    if not _ORG_HINT.search(text):  # most titles name no organisation: skip the slow scan
        return []
    return [m.span() for m in _ORG.finditer(text)]


def _overlaps(span: tuple[int, int], spans: Iterable[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in spans)


@functools.lru_cache(maxsize=4096)
def _name_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for all the names: full names in any case, longest first; then lone
    name parts of three letters or more written as a name (capitalised)."""
    full: set[str] = set()
    parts: set[str] = set()
    for name in names:
        words = [w for w in _NAME_PARTS.split(name.strip()) if w]
        if not words:
            continue
        full.add(r"\s+".join(re.escape(w) for w in words))
        if len(words) > 1:
            full.add(
                re.escape(words[-1]) + r",?\s+" + r"\s+".join(re.escape(w) for w in words[:-1])
            )
        parts.update(w for w in words if len(w) >= 3)
    options = [f"(?i:{p})" for p in sorted(full, key=len, reverse=True)]
    options += [re.escape(p[0].upper() + p[1:].lower()) for p in sorted(parts, key=len)[::-1]]
    if not options:
        return None
    return re.compile(rf"(?<!\w)(?:{'|'.join(options)})(?!\w)")


def mask_text(text: str, party_names: Iterable[str] = ()) -> str:
    """Mask personal numbers and private persons' names in a diary title."""
    masked = mask_personal_numbers(text)
    pattern = _name_pattern(tuple(sorted(set(party_names))))
    if pattern is not None:
        masked = _sub_outside(pattern, masked, 0)
    return _sub_outside(_ROLE, masked, 1)


def _sub_outside(pattern: re.Pattern[str], text: str, group: int) -> str:
    """Replace `group` of every match with the mask, except inside organisation names."""
    protected = _protected(text)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        span = match.span(group)
        if _overlaps(span, protected):
            continue
        out.append(text[last : span[0]])
        out.append(MASK)
        last = span[1]
    out.append(text[last:])
    return "".join(out)


@dataclass(frozen=True, slots=True)
class DiaryDocument:
    title: str
    direction: DocumentDirection
    registered_at: datetime
    confidential: bool


@dataclass(frozen=True, slots=True)
class DiaryView:
    """What the web may show of one registry entry."""

    case_number: str
    registered_at: datetime
    title: str
    unit_code: str
    confidential: bool
    documents: tuple[DiaryDocument, ...]


def diary_view(case: Case, party_names: Iterable[str]) -> DiaryView:
    """The public-diary form of `case`, given the names of its private parties."""
    names = tuple(party_names)
    title = CONFIDENTIAL_CASE_TITLE if case.confidential else mask_text(case.title, names)
    documents = tuple(
        DiaryDocument(
            title=CONFIDENTIAL_DOCUMENT_TITLE
            if case.confidential or doc.confidential
            else mask_text(doc.title, names),
            direction=doc.direction,
            registered_at=doc.registered_at,
            confidential=case.confidential or doc.confidential,
        )
        for doc in case.documents
    )
    return DiaryView(
        case.case_number, case.opened_at, title, case.unit.code, case.confidential, documents
    )
