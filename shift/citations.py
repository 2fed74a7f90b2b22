"""Where what the desk tells a worker comes from: one form for every source, in the
procedures and in the jurisdiction's rules alike, so anyone can check it."""

from __future__ import annotations

import re
from typing import NamedTuple

from shift.tomlsrc import Section

_URL = re.compile(r"https://[^\s/]+\.[^\s]+")


class Citation(NamedTuple):
    """A title and publisher, and a page (url) or a law (statute and section), or both."""

    title: str
    publisher: str
    url: str = ""
    statute: str = ""
    section: str = ""

    @property
    def short(self) -> str:
        """For a line on screen: the title (before any colon) and the section."""
        name = self.title.split(":")[0]
        return f"{name}, {self.section}" if self.section else name

    def __str__(self) -> str:
        law = ", ".join(part for part in (self.statute, self.section) if part)
        return ", ".join(part for part in (f"{self.title} ({self.publisher})", law, self.url) if part)


def read_citation(sec: Section, checkable: bool = True) -> Citation | None:
    """One source table; None (with located errors) when it is not one. `checkable`: a url or a
    statute and section is required (an internal document by title and publisher alone is not)."""
    cite = Citation(sec.line("title", "", required=True), sec.line("publisher", "", required=True),
                    sec.line("url", ""), sec.line("statute", ""), sec.line("section", ""))
    sec.finish()
    if cite.url and not _URL.fullmatch(cite.url):
        sec.error("url", f"'{cite.url}' is not a web address starting with https://")
        return None
    if bool(cite.statute) != bool(cite.section):
        sec.error("section" if cite.statute else "statute",
                  "a law is cited with both its statute (e.g. R.S.O. 1990, c. O.1) and the section (e.g. s. 51)")
        return None
    if checkable and not cite.url and not cite.statute:
        sec.error(None, "give a url (https://...) or a statute and section, so anyone can check what the "
                        "worker is told")
        return None
    return cite if cite.title and cite.publisher else None
