"""Solo Shift: the desk terminal for a library service desk run alone.

    python main.py                 open the desk
    python main.py check           validate site.toml, the procedure and desk knowledge files
    python main.py demo --days N   write a synthetic history into --db
    python main.py export circ --format alma|koha|evergreen|csv --output FILE [--all]
    python main.py export incidents --format text|csv --output FILE [--from DATE] [--to DATE] [--category C]
    python main.py import blocked FILE
    python main.py report [--last | --shift ID | --date YYYY-MM-DD] [--format md|html|txt] [--output FILE | --email]
    python main.py report --list
    python main.py backup | restore FILE [--force]
    python main.py verify [--db PATH]    check every record's chain (tamper evidence)
    python main.py purge [--dry-run]     remove what the site's retention keeps no longer (the desk closed)
    python main.py pin set NAME | pin remove NAME | pin list
    python main.py notice new --incident ID   draft a notice (knowledge/notices/) from an incident, to finish by hand
    python main.py stats [--from DATE] [--to DATE] [--desk D] [--format txt|csv|html] [--output FILE] [--db A --db B]

Thin by design: parse arguments, then call shift/ or start tui/.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()  # logged by the app as its start-up time

HERE = Path(__file__).resolve().parent


def _global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    # On subcommands the defaults are suppressed so `main.py --db X check`
    # and `main.py check --db X` both work.
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--db", default=default, help="desk database (default: $SOLO_SHIFT_DB or data/desk.db)")
    parser.add_argument("--site", default=default, help="site file (default: data/site.toml)")
    parser.add_argument("--procedures", default=default, help="procedures folder (default: procedures/)")
    parser.add_argument("--knowledge", default=default, help="desk knowledge folder (default: knowledge/)")


def _day(text: str):
    from datetime import date

    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date: write YYYY-MM-DD") from None
    # A desk's records lie well inside these; the ends of the calendar only overflow (date.max + 1 day).
    if not 1900 <= day.year <= 9998:
        raise argparse.ArgumentTypeError(f"'{text}' is out of range: give a date between 1900 and 9998")
    return day


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="main.py", description="Solo Shift: the library service desk, alone.")
    _global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command")
    check = sub.add_parser("check", help="validate the site file and every procedure file")
    _global_options(check, suppress=True)
    demo = sub.add_parser("demo", help="write a realistic synthetic history for trying the app")
    _global_options(demo, suppress=True)
    demo.add_argument("--days", type=int, default=60, help="how many days of history (default 60)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (same seed, same history)")
    backup = sub.add_parser("backup", help="copy the desk database into the backup folders now (runs beside a desk)")
    _global_options(backup, suppress=True)
    restore = sub.add_parser("restore", help="put a backup in place of the desk database (the desk must be closed)")
    _global_options(restore, suppress=True)
    restore.add_argument("file", help="the backup to restore (see the [backup] folder)")
    restore.add_argument("--force", action="store_true",
                         help="replace an existing database (it is kept beside as <name>.before-restore-<time>)")
    export = sub.add_parser("export", help="write offline circulation or incident reports to a new file")
    _global_options(export, suppress=True)
    export.add_argument("what", choices=["circ", "incidents"],
                        help="circ: offline circulation; incidents: incident reports")
    export.add_argument("--format", required=True, choices=["alma", "koha", "evergreen", "csv", "text"],
                        help="circ: alma, koha, evergreen or csv; incidents: text or csv")
    export.add_argument("--output", required=True, help="the file to write (never overwritten)")
    export.add_argument("--all", action="store_true",
                        help="circ: every live transaction, also those already exported in this format")
    export.add_argument("--from", dest="since", type=_day, help="incidents: from this local date (YYYY-MM-DD)")
    export.add_argument("--to", dest="until", type=_day, help="incidents: up to this local date, inclusive")
    export.add_argument("--category", help="incidents: only this category")
    imports = sub.add_parser("import", help="read a file into the desk database")
    _global_options(imports, suppress=True)
    imports.add_argument("what", choices=["blocked"], help="blocked: the blocked-patron list (CSV)")
    imports.add_argument("file", help="CSV with a patron/card/cardnumber/barcode column, optional reason")
    report = sub.add_parser("report", help="the end-of-shift report (the last shift unless --shift or --date)")
    _global_options(report, suppress=True)
    which = report.add_mutually_exclusive_group()
    which.add_argument("--last", action="store_true", help="the most recently started shift (the default)")
    which.add_argument("--shift", help="the shift's id (report --list shows them)")
    which.add_argument("--date", type=_day,
                       help="every shift that started on this local date (YYYY-MM-DD), in one document, in order")
    report.add_argument("--format", choices=["txt", "md", "html"], default="txt",
                        help="txt (default), md (Markdown) or html (one printable page)")
    report.add_argument("--output",
                        help="write it to this new file (UTF-8, exactly as recorded, readable by you only) "
                             "instead of printing it")
    report.add_argument("--email", action="store_true",
                        help="email it now to [email.recipients] reports, as text and HTML (the desk also sends "
                             "each one itself)")
    report.add_argument("--list", action="store_true", help="list every shift, newest first, with its id")
    report.add_argument("--redact", action="store_true",
                        help="without names of people and free text (for readers beyond the manager)")
    pin = sub.add_parser("pin", help="staff PINs for the lock screen (kept as scrypt hashes in [lock] pins_file)")
    _global_options(pin, suppress=True)
    pin.add_argument("action", choices=["set", "remove", "list"],
                     help="set: ask for a PIN twice (not shown) and keep it; remove: forget it; list: whose are set")
    pin.add_argument("name", nargs="?", help="the person's name (as it is recorded when they unlock)")
    stats = sub.add_parser("stats", help="the desk statistics over a period (reads only: runs beside an open desk)")
    stats.add_argument("--db", dest="dbs", action="append", metavar="PATH",
                       help="a desk database; give --db several times to count several desks together "
                            "(default: $SOLO_SHIFT_DB or data/desk.db)")
    stats.add_argument("--site", default=argparse.SUPPRESS, help="site file (default: data/site.toml)")
    stats.add_argument("--from", dest="since", type=_day, help="first local date, YYYY-MM-DD "
                       "(default: four weeks up to --to)")
    stats.add_argument("--to", dest="until", type=_day, help="last local date, inclusive (default: today)")
    stats.add_argument("--desk", help="only this desk's shifts (a [[desks]] id)")
    stats.add_argument("--format", default="txt", choices=["txt", "csv", "html"],
                       help="txt (default), csv (one row per transaction) or html (a printable page)")
    stats.add_argument("--output", help="write to this new file instead of printing")
    verify = sub.add_parser("verify", help="check that no record was changed, deleted or inserted out of order "
                                           "(reads only: runs beside an open desk)")
    _global_options(verify, suppress=True)
    purge = sub.add_parser("purge", help="remove personal data kept longer than site.toml's retention, and say "
                                         "what (the desk must be closed)")
    _global_options(purge, suppress=True)
    purge.add_argument("--dry-run", action="store_true", help="say exactly what would be removed; change nothing")
    notice = sub.add_parser("notice", help="draft a notice (someone suspended or trespassed) from an incident, "
                                           "for the manager to finish (reads only: runs beside an open desk)")
    _global_options(notice, suppress=True)
    notice.add_argument("action", choices=["new"], help="new: write a draft into the knowledge folder's notices/")
    notice.add_argument("--incident", required=True,
                        help="the incident's id (export incidents shows it; its first 8 characters are enough)")
    args = parser.parse_args(argv)
    args.site = Path(args.site) if args.site else HERE / "data" / "site.toml"
    args.procedures = Path(args.procedures) if args.procedures else HERE / "procedures"
    args.knowledge = Path(args.knowledge) if args.knowledge else HERE / "knowledge"
    return args


def cmd_check(args: argparse.Namespace) -> int:
    from datetime import date

    from shift.check import run_check

    problems, status = run_check(args.site, args.procedures, today=date.today(), knowledge_dir=args.knowledge)
    for problem in problems:
        print(problem)
    errors = sum(p.is_error for p in problems)
    print(f"{errors} error(s), {len(problems) - errors} warning(s)", file=sys.stderr)
    return status


def cmd_backup(args: argparse.Namespace) -> int:
    from shift.backup import make_backup
    from shift.site import load_site
    from shift.store import resolve_db_path

    site, _ = load_site(args.site)  # a broken [backup] section falls back to the defaults
    path = resolve_db_path(args.db)
    if not path.is_file():
        print(f"{path} does not exist: there is no desk database there. Check the --db path.", file=sys.stderr)
        return 1
    outcome = make_backup(path, site.backup)
    print(outcome.summary(), file=sys.stdout if outcome.ok else sys.stderr)
    return 0 if outcome.ok else 1


def cmd_restore(args: argparse.Namespace) -> int:
    from shift.backup import RestoreRefused, restore
    from shift.store import resolve_db_path

    try:
        print(restore(Path(args.file), resolve_db_path(args.db), force=args.force))
    except RestoreRefused as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from shift.demo import write_demo
    from shift.procedures import load_procedures
    from shift.site import load_site
    from shift.store import Store, StoreError, resolve_db_path

    site, problems = load_site(args.site)
    if any(p.is_error for p in problems):
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    try:
        store = Store.open(resolve_db_path(args.db))
    except StoreError as exc:
        print(exc, file=sys.stderr)
        return 1
    procedures, _ = load_procedures(args.procedures)  # a broken file is left out, as at the desk
    with store:
        summary = write_demo(store, site, days=args.days, seed=args.seed, procedures=procedures)
    print(summary)
    return 0


def _open_store(args: argparse.Namespace, must_exist: bool, read_only: bool = False, busy: str = ""):
    """The site and the store for a command-line tool, or None after printing why not.

    `read_only`: for a command that only reads, which runs beside an open desk (no lock, no
    migration, nothing written). Otherwise the command holds the desk's single-instance lock,
    waiting a few seconds for another command to let go of it; `busy` says why it cannot run
    beside an open desk.
    """
    from shift.site import load_site
    from shift.store import LOCK_WAIT_SECONDS, DatabaseBusy, Store, StoreError, resolve_db_path

    site, problems = load_site(args.site)
    if any(p.is_error for p in problems):
        for problem in problems:
            print(problem, file=sys.stderr)
        print("Fix the site file first (python main.py check).", file=sys.stderr)
        return None
    path = resolve_db_path(args.db)
    if must_exist and not path.exists():
        print(f"{path} does not exist: there is no desk database there. Check the --db path.", file=sys.stderr)
        return None
    try:
        if read_only:
            store = Store.open_read_only(path)
            _warn_if_damaged(args, store)
            return site, store
        return site, Store.open(path, lock_wait=LOCK_WAIT_SECONDS)
    except DatabaseBusy as exc:  # e.g. the desk is open on this file in another window
        print(exc, file=sys.stderr)
        if busy and not read_only:
            print(busy, file=sys.stderr)
        return None
    except StoreError as exc:
        print(exc, file=sys.stderr)
        return None


def _warn_if_damaged(args: argparse.Namespace, store) -> None:
    """A command reading a damaged file says so before what it read, and exits 1 after it."""
    found = store.damage()
    if found:
        print(f"WARNING: {found}. What follows may be incomplete or wrong; the file has not been changed. "
              "Keep a copy of it for recovery and tell whoever looks after the desk.", file=sys.stderr)
        args.damaged = True


# Why the commands that write wait for the desk to close (each runs on its own when it is closed).
CIRC_EXPORT_BUSY = (
    "An export of offline circulation records which transactions it wrote, so that the next file "
    "holds only new ones and nothing is uploaded twice: it runs in one place at a time. Export from "
    "the desk itself (F7, then Ctrl+X), or close the desk first. Reports and incident exports run "
    "beside an open desk.")
EMAIL_BUSY = (
    "The open desk emails each ended shift's report itself and retries a refused one every 5 minutes "
    "(it records every attempt): --email runs when the desk is closed. The report itself prints "
    "beside an open desk (python main.py report).")
PURGE_BUSY = (
    "A purge changes the record in one go, which the open desk holds: close the desk first (Ctrl+Q; "
    "the shift stays open), purge, then open it again. --dry-run runs beside an open desk.")
IMPORT_BUSY = (
    "Importing the blocked list writes to the database, which the open desk holds: close the desk "
    "first (Ctrl+Q; the shift stays open), import, then open it again.")


def cmd_export(args: argparse.Namespace) -> int:
    import sqlite3

    from shift import incidentexport
    from shift.circexport import ExportError, export
    from shift.store import StoreError, write_refused

    # Incident reports are only read; a circulation export records what it wrote.
    reading = args.what == "incidents"
    opened = _open_store(args, must_exist=True, read_only=reading, busy=CIRC_EXPORT_BUSY)
    if opened is None:
        return 1
    site, store = opened
    with store:
        try:
            if reading:
                count = incidentexport.export(store, site, args.format, Path(args.output),
                                              args.since, args.until, args.category)
                print(f"Wrote {count} incident report(s) to {args.output}")
                return 0
            result = export(store, site, args.format, Path(args.output), include_all=args.all)
        except (ExportError, StoreError) as exc:
            print(exc, file=sys.stderr)
            return 1
        except sqlite3.Error as exc:
            print(write_refused(store.path, exc), file=sys.stderr)
            return 1
    for line in result.summary():
        print(line)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    import sqlite3

    from shift.circulation import import_blocked
    from shift.store import StoreError, write_refused

    opened = _open_store(args, must_exist=False, busy=IMPORT_BUSY)
    if opened is None:
        return 1
    site, store = opened
    with store:
        try:
            count, problems = import_blocked(store, Path(args.file), site.circulation.patron)
        except StoreError as exc:
            print(f"Not imported: {exc}", file=sys.stderr)
            return 1
        except sqlite3.Error as exc:
            print(f"Not imported: {write_refused(store.path, exc)}", file=sys.stderr)
            return 1
    for problem in problems:
        print(problem, file=sys.stderr)
    if not count:
        return 1
    print(f"Imported {count} blocked card(s) from {args.file}: this list is now in force.")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    import sqlite3

    from shift import report, reportpage
    from shift.text import printable

    # Printing a report only reads (also beside an open desk); emailing one records the attempt.
    opened = _open_store(args, must_exist=True, read_only=not args.email, busy=EMAIL_BUSY)
    if opened is None:
        return 1
    site, store = opened
    with store:
        if args.list:
            listed = report.shift_list(store, site)
            for line in listed:
                print(printable(line))
            if not listed:
                print("No shifts recorded yet.")
            return 0
        if args.date is not None:
            shift_ids = report.shifts_on(store, site, args.date)
            if not shift_ids:
                print(f"No shift started on {report.day_text(args.date)} (report --list shows every shift).",
                      file=sys.stderr)
                return 2
        else:
            last = args.shift or report.last_shift_id(store)
            if last is None:
                print("No shift has been recorded in this database yet.", file=sys.stderr)
                return 1
            shift_ids = [last]
        if args.email and args.redact:
            print("--redact is for a report printed or written to a file: the emailed report is the "
                  "manager's, in full.", file=sys.stderr)
            return 2
        if args.email:
            status = 0
            for shift_id in shift_ids:
                status = max(status, _email_report(store, site, shift_id))
            return status
        try:
            text = reportpage.render([report.build(store, site, s, redact=args.redact) for s in shift_ids],
                                     args.format)
        except (ValueError, sqlite3.Error) as exc:
            print(f"No report: {exc}", file=sys.stderr)
            return 1
    return _deliver(text, args.output, "the report")


def cmd_pin(args: argparse.Namespace) -> int:
    """Exit 2 for a refused name or PIN, 1 for a site or pins file that cannot be used."""
    import getpass
    from datetime import datetime, timezone

    from shift import lock
    from shift.files import FileRefused
    from shift.site import load_site

    site, problems = load_site(args.site)
    # Only [lock]'s own problems stop this: a pins file open to others is fixed with chmod, said here.
    refused = [p for p in problems if p.is_error and p.where.startswith("lock")]
    if refused or not site.lock.pins_file:
        for problem in refused or problems:
            print(problem, file=sys.stderr)
        return 1
    path = Path(site.lock.pins_file)
    try:
        if args.action == "list":
            names = [p.name for p in lock.read_pins(path)]
            print("\n".join(names) if names else f"No staff PIN is set in {path}.")
            return 0
        if not args.name:
            print(f"pin {args.action}: give the person's name", file=sys.stderr)
            return 2
        if args.action == "remove":
            if lock.remove_pin(path, args.name):
                print(f"{args.name}'s PIN is removed.")
                return 0
            print(f"{args.name} has no PIN in {path}.", file=sys.stderr)
            return 2
        problem = lock.name_problem(args.name)
        if problem:
            print(f"Not set: {problem}.", file=sys.stderr)
            return 2
        pin = getpass.getpass(f"New PIN for {args.name} ({lock.PIN_DIGITS[0]}-{lock.PIN_DIGITS[1]} digits): ")
        problem = lock.pin_problem(pin)
        if problem:
            print(f"Not set: {problem}.", file=sys.stderr)
            return 2
        if getpass.getpass("The same PIN again: ") != pin:
            print("Not set: the two PINs differ.", file=sys.stderr)
            return 2
        replaced = lock.set_pin(path, args.name, pin, datetime.now(timezone.utc))
    except ValueError as exc:
        print(f"Not set: {exc}.", file=sys.stderr)
        return 2
    except FileRefused as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{args.name}'s PIN is {'changed' if replaced else 'set'} (in {path}, readable by this user only). "
          "The desk takes it at the next try: no restart needed.")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    """Exit 2 for what the person asked wrongly (dates, files); 1 for a broken site file or output."""
    import sqlite3
    from datetime import date

    from shift import stats, statspage
    from shift.site import load_site
    from shift.store import StoreError, resolve_db_path

    site, problems = load_site(args.site)
    if any(p.is_error for p in problems):
        for problem in problems:
            print(problem, file=sys.stderr)
        print("Fix the site file first (python main.py check).", file=sys.stderr)
        return 1
    if args.since and args.until and args.until < args.since:
        print(f"--from {args.since} is after --to {args.until}: the period would be empty.", file=sys.stderr)
        return 2
    try:
        first, last = stats.default_period(args.since, args.until, date.today())
    except ValueError as exc:
        print(f"No statistics: {exc}.", file=sys.stderr)
        return 2
    paths = [Path(p) for p in args.dbs] if args.dbs else [resolve_db_path(args.db)]
    try:
        sources = stats.Sources.open(paths)
    except StoreError as exc:
        print(exc, file=sys.stderr)
        return 2
    for store in sources.stores:
        _warn_if_damaged(args, store)
    if args.desk is not None and args.desk not in (found := stats.desks_recorded(sources)):
        print(f"No shift at desk '{args.desk}' in {', '.join(str(p) for p in paths)}: the desks found are "
              f"{', '.join(found) or 'none (no shift recorded)'}.", file=sys.stderr)
        sources.close()
        return 2
    if args.desk is not None and args.desk not in {d.id for d in site.desks}:
        print(f"note: '{args.desk}' is not a desk in {args.site} ({', '.join(d.id for d in site.desks)}); "
              "counting its shifts anyway", file=sys.stderr)
    try:
        if args.format == "csv":
            text = statspage.render_csv(stats.transactions(sources, site, first, last, args.desk))
        else:
            figures = stats.build(sources, site, first, last, args.desk)
            text = statspage.render_html(figures) if args.format == "html" else statspage.render_text(figures)
    except ValueError as exc:  # a period the statistics cannot count
        print(f"No statistics: {exc}.", file=sys.stderr)
        return 2
    except sqlite3.Error as exc:
        print(f"No statistics: {exc}", file=sys.stderr)
        return 1
    finally:
        sources.close()
    return _deliver(text, args.output, f"the statistics for {first} to {last}")


def cmd_verify(args: argparse.Namespace) -> int:
    """Exit 0 when every table's chain holds, 1 when one does not (or the file cannot be read)."""
    import sqlite3

    from shift import chain
    from shift.store import Store, StoreError, resolve_db_path

    try:
        # A copy kept for an inquiry may be from an earlier version: walked as it stands.
        store = Store.open_read_only(resolve_db_path(args.db), older=True)
    except StoreError as exc:
        print(exc, file=sys.stderr)
        return 1
    _warn_if_damaged(args, store)
    try:
        text, ok = chain.verify_text(store.conn, store.path)
    except sqlite3.DatabaseError as exc:  # a damaged file: said, not a traceback
        print(f"{store.path} could not be read to the end ({exc}). It has not been changed.", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(text)
    return 0 if ok and not getattr(args, "damaged", False) else 1


def cmd_notice(args: argparse.Namespace) -> int:
    """Write a notice's draft; exit 1 when the incident is not found or nothing could be written."""
    from datetime import date

    from shift.files import FileRefused
    from shift.noticedraft import NotFound, find, write_draft

    opened = _open_store(args, must_exist=True, read_only=True)
    if opened is None:
        return 1
    site, store = opened
    with store:
        try:
            incident = find(store, args.incident)
            path = write_draft(args.knowledge / "notices", incident, site, date.today())
        except NotFound as exc:
            print(f"{exc}. Nothing was written.", file=sys.stderr)
            return 1
        except FileRefused as exc:
            print(exc, file=sys.stderr)
            return 1
    print(f"Wrote {path}: a draft. Open it in a text editor, describe the person in neutral words (title), "
          "check the dates and conditions, then run python main.py check. It is not shown at the desk until "
          "the description is written.")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    """Exit 0 when done (or nothing to do), 1 when refused or failed (nothing changed)."""
    import sqlite3

    from shift import purge
    from shift.store import StoreError, write_refused

    opened = _open_store(args, must_exist=True, read_only=args.dry_run, busy=PURGE_BUSY)
    if opened is None:
        return 1
    site, store = opened
    store.clock = trial_clock(site.zone) or store.clock  # SOLO_SHIFT_NOW: as the desk, for trying it
    with store:
        try:
            if not args.dry_run:
                store.verify()  # its integrity check: a damaged file is not purged
            # It lifts and puts back the append-only rules itself: never over rules changed by hand.
            changed = store.rules_changed()
            if changed:
                print(f"Nothing purged: {changed}", file=sys.stderr)
                return 1
            found = purge.plan(store, site)
            if not args.dry_run:
                purge.apply(store, found)
        except (StoreError, OSError) as exc:
            print(f"Nothing purged: {exc}", file=sys.stderr)
            return 1
        except sqlite3.Error as exc:
            print(f"Nothing purged: {write_refused(store.path, exc)}", file=sys.stderr)
            return 1
    print("\n".join(found.lines(site.zone, done=not args.dry_run)))
    return 0


def _deliver(text: str, output: str | None, what: str) -> int:
    """Print it, or write it to a new file (0600, exactly as built)."""
    from shift.files import FileRefused, write_new_file
    from shift.text import printable

    if not output:
        # A terminal must not obey escapes someone typed into a note; a file keeps them exactly.
        print(printable(text, keep_newlines=True).replace("\r\n", "\n"), end="")
        return 0
    try:
        write_new_file(Path(output), text.encode("utf-8"))
    except FileRefused as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Wrote {what} to {output}")
    return 0


def _email_report(store, site, shift_id: str) -> int:
    import sqlite3

    from shift import reportmail
    from shift.alertconfig import AlertError

    try:
        print(f"The report was {reportmail.send_now(store, site, shift_id)}.")
    except (ValueError, sqlite3.Error) as exc:  # no such shift, or the database refused
        print(f"No report: {exc}", file=sys.stderr)
        return 1
    except AlertError as exc:
        print(f"The report was not emailed: {exc}", file=sys.stderr)
        return 1
    return 0


def open_desk(args: argparse.Namespace):
    """The store and the app, not yet running (the benchmarks start it the same way).

    The cyclic garbage collector is paused from here until the desk's first
    paint (the app then freezes what exists and resumes it): loading Textual
    and the desk allocates a great many objects and frees almost none, so each
    collection on the way would only rescan them (a few percent of the
    start-up time).
    """
    gc.disable()
    try:
        from shift.site import load_site
        from shift.store import Store, resolve_db_path

        site, problems = load_site(args.site)
        # raises StoreError with a message for people
        # The integrity check starts once the first screen is shown (SoloShiftApp._first_paint_done).
        store = Store.open(resolve_db_path(args.db), clock=trial_clock(site.zone), defer_check=True)
        store.write_saved_waiting()  # what an earlier run could not write, if any
        from tui.app import SoloShiftApp

        app = SoloShiftApp(store, site, problems, started=STARTED, site_path=args.site,
                           procedures_dir=args.procedures, knowledge_dir=args.knowledge)
    except BaseException:
        gc.enable()
        raise
    return store, app


NOW_ENV = "SOLO_SHIFT_NOW"


def trial_clock(zone):
    """With SOLO_SHIFT_NOW="2026-11-24 22:40" the desk's time runs from that local moment:
    for trying a closing night or a DST change with the real scheduler (and for tests)."""
    from datetime import datetime

    from shift.clock import OffsetClock

    text = os.environ.get(NOW_ENV, "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"{NOW_ENV}={text!r} is not a date and time (write e.g. 2026-11-24 22:40)") from None
    return OffsetClock(moment if moment.tzinfo else moment.replace(tzinfo=zone))


def follow_the_terminal_size() -> None:
    """Let the desk take its size from the terminal itself.

    Textual asks `shutil.get_terminal_size()`, which prefers the COLUMNS and
    LINES variables when they are set; a shell that exported them at another
    size (some do, e.g. when started before its window was sized) would pin
    the desk to that size and make it deaf to every resize. In a terminal the
    terminal's own size is the truth, so the variables are dropped.
    """
    if sys.__stdout__ is not None and sys.__stdout__.isatty():
        for name in ("COLUMNS", "LINES"):
            os.environ.pop(name, None)


def cmd_desk(args: argparse.Namespace) -> int:
    import logging

    from shift.files import make_private
    from shift.store import StoreError, resolve_db_path

    try:
        store, app = open_desk(args)
    except StoreError as exc:
        print(exc, file=sys.stderr)
        return 1
    follow_the_terminal_size()
    # Textual owns the terminal while running: log to a file beside the database, readable by
    # its owner only (a row the database refused is written there in full, card numbers and all).
    log_file = resolve_db_path(args.db).with_suffix(".log")
    make_private(log_file)
    logging.basicConfig(filename=log_file, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s")
    try:
        with store:
            app.run()
            if store.pending and store.flush_pending():
                kept = store.save_waiting()
                where = f"kept in {kept} and written at the next start" if kept else \
                    "LOST: not even a file beside the database could be written"
                if kept and store.checked() is False:
                    where = f"kept in {kept}: the database failed its integrity check, so nothing was written to it"
                print(f"{len(store.pending)} entries could not be written to the database: {where}.",
                      file=sys.stderr)
    finally:
        gc.enable()  # also when the app closed before its first paint
    return app.return_code or 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    commands = {"check": cmd_check, "demo": cmd_demo, "export": cmd_export, "import": cmd_import,
                "report": cmd_report, "stats": cmd_stats, "backup": cmd_backup, "restore": cmd_restore,
                "verify": cmd_verify, "pin": cmd_pin, "purge": cmd_purge, "notice": cmd_notice}
    done = commands.get(args.command, cmd_desk)(args)
    # Read from a damaged file: never an exit that says all went well.
    return done or (1 if getattr(args, "damaged", False) else 0)


if __name__ == "__main__":
    try:
        code = main()
        sys.stdout.flush()  # here, where a closed pipe can be caught, not at exit
        sys.exit(code)
    except BrokenPipeError:
        # `report --list | head`: the reader has what it wanted. Quiet, as other tools are.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
