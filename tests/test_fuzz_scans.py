"""Fuzzing what a scanner, a paste or a file brings to offline circulation.

A scan is any string at all (control characters, NUL, Unicode digits such as '٣' or '３',
spaces, leading zeros, emoji, a whole paragraph): it never raises anything but BadScan, a
refused scan says in printable words what is wrong and writes nothing, an accepted one is a
barcode of the site's patterns, and a valid barcode is always accepted.

A blocked-patron list is any bytes at all (quotes, NUL, byte-order marks, mixed line ends,
huge fields, not UTF-8): importing it never raises and is all or nothing: the valid cards
of a file read whole, or nothing changed and every problem located.

Small in the suite; large from a command (README, Trust):
    SOLO_SHIFT_FUZZ=large .venv/bin/python -m pytest tests/test_fuzz_scans.py -p no:randomly --timeout 0
"""

from __future__ import annotations

import csv
import io

from hypothesis import event, given, settings
from hypothesis import strategies as st

from fuzzing import HOSTILE, TEXT_CHARS, examples, terminal_unsafe
from shift import circulation
from shift.barcodes import BarcodePattern
from shift.circulation import BadScan, ScanSession, classify, junk
from test_circulation import card, item

# What a scan can be: hostile text, digits of every script, scanner junk around a real code.
DIGITS = st.text(st.characters(categories=("Nd",)), min_size=1, max_size=20)
SCANS = st.one_of(
    HOSTILE,
    st.text(TEXT_CHARS, max_size=30),
    DIGITS,
    st.text(st.sampled_from("0123456789 \t\r\n\x00\x1b-"), max_size=20),
    st.integers(0, 10**14).map(lambda n: f"{n:014d}"),  # leading zeros
    st.tuples(st.sampled_from(["", " ", "\r\n", "\t", "\x00", "\x1b", "\u200b", "٣", "３", "🙂"]),
              st.one_of(st.integers(0, 10**9).map(card), st.integers(0, 10**9).map(item)),
              st.sampled_from(["", " ", "\r\n", "\n", "\x00", "0", "٣", "\ufeff"])).map("".join),
    st.just("3" * 5000),
)
MESSAGES = ("Empty scan", "contains", "must be digits", "characters; expected", "should start with",
            "check digit", "needs a patron")


def refused_well(message: str) -> None:
    assert message.isprintable(), message  # shown on screen: nothing a terminal would obey, no RLO
    assert any(words in message for words in MESSAGES), message


@given(raw=SCANS, expecting_patron=st.booleans())
def test_any_scan_is_classified_by_the_site_patterns_or_refused_with_the_reason(site, raw, expecting_patron):
    config = site.circulation
    try:
        kind = classify(config, raw, expecting_patron)
    except BadScan as exc:
        refused_well(str(exc))
        return
    code = raw.strip()
    pattern = config.patron if kind == "patron" else config.item
    assert pattern.problem(code) is None and junk(code) is None, (raw, kind)


@given(n=st.integers(0, 10**12 - 1), before=st.sampled_from(["", " ", "\t", "\r"]),
       after=st.sampled_from(["", " ", "\r", "\n", "\r\n", "\t"]), expecting_patron=st.booleans())
def test_a_valid_barcode_is_always_accepted(site, n, before, after, expecting_patron):
    assert classify(site.circulation, before + card(n) + after, expecting_patron) == "patron"
    assert classify(site.circulation, before + item(n) + after, expecting_patron) == "item"


PATTERNS = st.builds(
    BarcodePattern, st.sampled_from(["patron card", "item barcode"]), st.integers(-3, 30), st.integers(-3, 90),
    # prefixes as the site loader lets them through (tests/test_site.py: one no scan can have is an error)
    st.lists(st.text(st.sampled_from("0123456789AZaz-"), min_size=1, max_size=3).filter(
        lambda p: p.replace("-", "").isalnum()), max_size=3).map(tuple), st.booleans(),
    st.sampled_from(["none", "luhn"]))


@given(pattern=PATTERNS, code=SCANS)
def test_any_pattern_judges_any_code_without_raising(pattern, code):
    problem = pattern.problem(code)
    assert problem is None or problem.isprintable(), problem


def scan_rows(store) -> int:
    return store.rows("SELECT (SELECT count(*) FROM circ_transactions) + (SELECT count(*) FROM circ_patrons) "
                      "+ (SELECT count(*) FROM circ_voids) AS n")[0]["n"]


@given(raws=st.lists(SCANS, min_size=1, max_size=4), mode=st.sampled_from(circulation.SCAN_MODES),
       with_card=st.booleans())
@settings(max_examples=examples(25, 1500))
def test_a_refused_scan_writes_nothing_and_an_accepted_one_is_a_barcode(store, site, shift, raws, mode,
                                                                        with_card):
    config = site.circulation
    session = ScanSession(mode=mode, patron=card(1) if with_card else None)
    for raw in raws:
        before = scan_rows(store)
        try:
            result = circulation.scan(store, config, site.zone, shift, session, raw)
        except BadScan as exc:
            event("refused")
            refused_well(str(exc))
            assert scan_rows(store) == before, raw
            continue
        code = raw.strip()
        event(result.kind)
        if result.kind == "patron":
            assert config.patron.problem(code) is None and session.patron == code
            assert scan_rows(store) == before
        elif result.kind == "duplicate":
            assert scan_rows(store) == before
        else:
            assert result.transaction is not None and result.transaction.item == code
            assert config.item.problem(code) is None
            assert scan_rows(store) > before


# -- the blocked-patron list ---------------------------------------------------------------

CELLS = st.one_of(
    st.integers(0, 10**6).map(card),
    st.text(st.sampled_from('0123456789"\',;\r\n\x00 \t\ufeffabc'), max_size=16),
    HOSTILE,
    st.just("9" * 5000),
    st.just(""),
)
ENDINGS = st.sampled_from(["\n", "\r\n", "\r", "\n\n", ""])
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"])


@st.composite
def blocked_files(draw) -> bytes:
    header = draw(st.sampled_from(["patron", "card,reason", "Barcode,Reason", "\ufeffcardnumber;why",
                                   "name,note", '"card","reason"', "", "card\x00,reason"]))
    lines = [header]
    for _ in range(draw(st.integers(0, 6))):
        cells = draw(st.lists(CELLS, min_size=0, max_size=3))
        quote = draw(st.booleans())
        if quote:
            lines.append(",".join('"' + c.replace('"', '""') + '"' for c in cells))
        else:
            lines.append(",".join(cells))
    text = "".join(line + draw(ENDINGS) for line in lines)
    data = text.encode(draw(ENCODINGS), errors="replace")
    if draw(st.booleans()):  # some bytes spoiled: cut short, or random bytes spliced in
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=8)) + data[at + draw(st.integers(0, 4)):]
    return data


def list_in_force(store):
    listing = circulation.blocked_list(store)
    rows = store.rows("SELECT count(*) AS n FROM blocked_patrons")[0]["n"]
    return listing, rows


def readable_cards(data: bytes) -> dict[str, str] | None:
    """The cards a careful reader finds in a file that is whole: UTF-8 (a BOM allowed), CSV
    with every quote closed, a card column, every non-blank row a card without junk."""
    try:
        text = data.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except (UnicodeDecodeError, csv.Error):
        return None
    if not rows:
        return None
    names = [h.strip().lower() for h in rows[0]]
    column = next((names.index(c) for c in circulation.CARD_COLUMNS if c in names), None)
    if column is None:
        return None
    cards: dict[str, str] = {}
    for row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        if column >= len(row) or not row[column].strip() or junk(row[column].strip()):
            return None
        cards.setdefault(row[column].strip(), "")
    return cards or None


@given(data=blocked_files())
@settings(max_examples=examples(40, 2000))
def test_a_blocked_list_is_imported_whole_or_changes_nothing(store, tmp_path_factory, data):
    path = tmp_path_factory.mktemp("blocked") / "blocked.csv"
    path.write_bytes(data)
    before = list_in_force(store)
    count, problems = circulation.import_blocked(store, path)
    expected = readable_cards(data)
    for problem in problems:  # printed to the terminal by `import blocked`
        assert not terminal_unsafe(problem), problem
        assert problem.startswith(f"{path}:"), problem  # located: the file, and a line where there is one
    event("refused" if expected is None else "imported")
    if expected is None:
        assert count == 0 and problems, problems
        assert list_in_force(store) == before  # the list in force is unchanged
        return
    assert (count, problems) == (len(expected), [])
    listed = {r["patron"] for r in store.rows(
        "SELECT patron FROM blocked_patrons WHERE list_id = (SELECT id FROM blocked_lists "
        "ORDER BY imported_at DESC, rowid DESC LIMIT 1)")}
    assert listed == set(expected)
    for cardnumber in expected:
        reason = circulation.blocked_reason(store, cardnumber)
        assert reason is not None and reason.isprintable()
