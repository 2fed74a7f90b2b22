"""The domain of Solo Shift: hours, storage, shifts, desk statistics.

Pure Python: nothing here imports Textual or Rich, so every rule can be used
from a test, a script or another interface.

Records that the desk builds on its way to the first screen (the site's
configuration, shifts, statistics entries, log lines...) are `NamedTuple`s:
immutable like a frozen dataclass, but Python 3.11 builds one about five times
faster (a frozen dataclass compiles six methods when its module is imported):
that was about a third of what the desk's start-up took over a bare Textual app. Records used
only later stay dataclasses. A changed copy is `record._replace(field=value)`.
The modules that define them do without `from __future__ import annotations`:
NamedTuple would compile every field's annotation from its string.
"""
