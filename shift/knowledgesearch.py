"""Finding a desk-knowledge entry from a few typed letters.

Every word typed must match a word of the entry, in its title, tags or text (contact details
count as text, the kind of entry as a tag). A word matches exactly, as the start of a word
("acces" finds "accessibility"), or, from four letters on, with one slip: a letter missing, extra, wrong or two swapped
("microflim" finds "microfilm"). Where it matches counts: title 3, tags 2, text 1, summed over
the three, so an entry about the thing beats one that mentions it; an exact word counts more
than a start, a start more than a slip.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from shift.knowledge import Entry

_WORD = re.compile(r"[^\W_]+")
FIELD_WEIGHT = (3.0, 2.0, 1.0)  # title, tags, text
EXACT, PREFIX, SLIP = 1.0, 0.8, 0.6
SLIP_FROM = 4  # shorter words are too easily one slip from another ("fine", "find", "fire")


class Hit(NamedTuple):
    entry: Entry
    score: float


def words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def one_slip(a: str, b: str) -> bool:
    """True when a and b differ by at most one insertion, deletion, substitution or swap of
    two neighbouring letters (Damerau-Levenshtein distance at most 1)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1:]


def match(typed: str, word: str) -> float:
    """How well one typed word matches one word of an entry (0 when it does not)."""
    if typed == word:
        return EXACT
    if word.startswith(typed):
        return PREFIX
    if len(typed) >= SLIP_FROM:
        # A slip in the whole word, or in the part typed so far ("acessib" for "accessibility").
        if one_slip(typed, word) or any(one_slip(typed, word[:n]) for n in (len(typed) - 1, len(typed) + 1)
                                        if n >= SLIP_FROM):
            return SLIP
    return 0.0


class _Indexed(NamedTuple):
    entry: Entry
    fields: tuple[frozenset[str], frozenset[str], frozenset[str]]


def index(entries: list[Entry]) -> list[_Indexed]:
    """Each entry's words by field, worked out once per list of entries."""
    out = []
    for e in entries:
        text = " ".join([e.body, e.conditions, *(t for _, t in e.contact)])
        # Its kind counts as a tag, so "notice" lists the notices (knowledge/README.md says to type
        # it) ahead of entries that only mention the word, and "policy" the policies.
        tags = " ".join([*e.tags, e.kind_name])
        out.append(_Indexed(e, (frozenset(words(e.title)), frozenset(words(tags)),
                                frozenset(words(text)))))
    return out


def search(indexed: list[_Indexed], query: str) -> list[Hit]:
    """The entries every typed word matches, best first (ties by title); all of them, by title,
    for an empty query."""
    typed = words(query)
    if not typed:
        return [Hit(i.entry, 0.0) for i in sorted(indexed, key=lambda i: i.entry.title.casefold())]
    hits = []
    for item in indexed:
        total = 0.0
        for word in typed:
            score = sum(weight * max((match(word, w) for w in field), default=0.0)
                        for weight, field in zip(FIELD_WEIGHT, item.fields, strict=True))
            if score == 0:
                break
            total += score
        else:
            if " ".join(typed) == " ".join(words(item.entry.title)):
                total += 10  # the title itself, typed in full
            hits.append(Hit(item.entry, total))
    return sorted(hits, key=lambda h: (-h.score, h.entry.title.casefold()))
