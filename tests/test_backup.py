"""Backups: whole copies made beside a working desk, rotated, and put back only when safe."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from conftest import ROOT, local
from shift import backup
from shift.backup import BackupSettings, RestoreRefused, make_backup, restore
from shift.shifts import end_shift, start_shift
from shift.store import Store
from shift.tally import record
from test_timers_pilot import wait_for
from tui.app import SoloShiftApp


def tallies(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        return conn.execute("SELECT COUNT(*) FROM tallies").fetchone()[0]
    finally:
        conn.close()


def test_a_copy_made_while_the_desk_writes_holds_every_committed_entry(tmp_path, site):
    second = tmp_path / "share"
    second.mkdir()
    settings = BackupSettings(folder="backups", keep=3, copy_to=str(second))
    with Store.open(tmp_path / "desk.db") as store:  # open: its newest entries are still in the -wal
        shift = start_shift(store, "Sam", "main")
        for _ in range(5):
            record(store, site.tally, shift, "directional")
        outcome = make_backup(store.path, settings)
    assert outcome.ok and len(outcome.written) == 2, outcome.summary()
    for copy in outcome.written:
        assert tallies(copy) == 5
        assert copy.stat().st_mode & 0o777 == 0o600
        assert not copy.with_name(copy.name + "-wal").exists()  # one self-contained file
    assert (tmp_path / "backups").stat().st_mode & 0o777 == 0o700


def test_only_the_newest_copies_are_kept(tmp_path, site):
    with Store.open(tmp_path / "desk.db") as store:
        start_shift(store, "Sam", "main")
    settings = BackupSettings(keep=2)
    for hour in (1, 2, 3):
        assert make_backup(tmp_path / "desk.db", settings, datetime(2026, 11, 30, hour, 0)).ok
    # Another desk's copies (and anything named like one) in the same folder are not this desk's to rotate.
    stranger = tmp_path / "backups" / "desk-00000000-20991231-000000.db"
    stranger.write_bytes(b"another desk's copy")
    assert make_backup(tmp_path / "desk.db", settings, datetime(2026, 11, 30, 4, 0)).ok
    kept = backup.backups(tmp_path / "backups", backup.backup_stem(tmp_path / "desk.db"))
    assert [b.at.hour for b in kept] == [4, 3]
    assert stranger.exists()


def test_a_folder_that_takes_nothing_is_said_and_the_other_copy_still_made(tmp_path, site):
    with Store.open(tmp_path / "desk.db") as store:
        start_shift(store, "Sam", "main")
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the share should be")
    outcome = make_backup(tmp_path / "desk.db", BackupSettings(copy_to=str(blocked)))
    assert not outcome.ok and len(outcome.written) == 1
    assert f"Backup NOT written: {blocked}" in outcome.summary()


def test_an_unmounted_share_is_said_never_made_and_a_damaged_database_never_copied(tmp_path, site):
    path = tmp_path / "desk.db"
    _desk_with(path, site, 1)
    share = tmp_path / "mnt" / "share"
    outcome = make_backup(path, BackupSettings(copy_to=str(share)))
    assert not outcome.ok and "is not there (is the share mounted?)" in outcome.summary()
    assert not share.exists() and not share.parent.exists()
    _freelist(path)
    outcome = make_backup(path, BackupSettings())
    assert outcome.written == [] and "not copied: it fails its integrity check" in outcome.summary()


def test_restoring_twice_in_one_second_keeps_both_replaced_files(tmp_path, site):
    path = tmp_path / "desk.db"
    _desk_with(path, site, 1)
    copy = make_backup(path, BackupSettings()).written[0]
    moment = datetime(2026, 11, 30, 21, 0)
    restore(copy, path, force=True, now=moment)
    restore(copy, path, force=True, now=moment)
    assert len(list(tmp_path.glob("desk.db.before-restore-20261130-210000*"))) == 2


def test_a_copy_is_due_after_each_shift_and_daily(tmp_path, site):
    path = tmp_path / "desk.db"
    with Store.open(path) as store:
        start_shift(store, "Sam", "main")
    settings = BackupSettings()
    now = local(2026, 11, 30, 18, 0)
    assert not backup.due(settings, path, None, now)  # nothing ended yet, no copy: wait for a shift's end
    assert backup.due(settings, path, now - timedelta(minutes=1), now)
    make_backup(path, settings, now.astimezone().replace(tzinfo=None))
    assert not backup.due(settings, path, now - timedelta(minutes=1), now + timedelta(minutes=1))
    assert backup.due(settings, path, now + timedelta(hours=1), now + timedelta(hours=2))  # a later shift ended
    assert backup.due(settings, path, None, now + timedelta(hours=24))


def _desk_with(path: Path, site, count: int) -> None:
    with Store.open(path) as store:
        shift = start_shift(store, "Sam", "main")
        for _ in range(count):
            record(store, site.tally, shift, "directional")


def test_restore_never_replaces_the_live_database_unasked_and_keeps_it_when_asked(tmp_path, site):
    path = tmp_path / "desk.db"
    _desk_with(path, site, 2)
    copy = make_backup(path, BackupSettings()).written[0]
    with Store.open(path) as store:  # two more entries after the backup, the last still in the -wal
        shift = store.rows("SELECT id FROM shifts")[0]["id"]
        for _ in range(2):
            store.insert("tallies", {"shift_id": shift, "occurred_at": store.now_iso(), "recorded_at": store.now_iso(),
                                     "category": "directional", "channel": "in_person", "quantity": 1, "note": ""})
        with pytest.raises(RestoreRefused, match="already open in another copy"):
            restore(copy, path, force=True)  # never under an open desk
    with pytest.raises(RestoreRefused, match="exists: restoring would replace it.*--force"):
        restore(copy, path)
    said = restore(copy, path, force=True, now=datetime(2026, 11, 30, 21, 0))
    aside = tmp_path / "desk.db.before-restore-20261130-210000"
    assert str(aside.name) in said
    assert tallies(path) == 2
    with Store.open(aside) as kept:  # the replaced database, its log included, is still whole
        assert kept.rows("SELECT COUNT(*) AS n FROM tallies")[0]["n"] == 4
    assert path.stat().st_mode & 0o777 == 0o600


def test_restore_through_a_symlinked_path_replaces_the_real_database_not_the_link(tmp_path, site):
    # The link was replaced by a file: the desk opened by the real name (or another link) went on
    # with the old database while the link held the restored one, two records from then on.
    real = tmp_path / "real" / "desk.db"
    real.parent.mkdir()
    _desk_with(real, site, 2)
    copy = make_backup(real, BackupSettings()).written[0]
    _desk_with(real, site, 3)
    link = tmp_path / "desk.db"
    link.symlink_to(real)
    restore(copy, link, force=True, now=datetime(2026, 11, 30, 21, 0))
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert tallies(real) == 2
    with Store.open(real.with_name("desk.db.before-restore-20261130-210000")) as kept:
        assert kept.rows("SELECT COUNT(*) AS n FROM tallies")[0]["n"] == 5


@pytest.mark.parametrize("spoil, says", [
    (lambda p: p.write_bytes(b"not a database at all" * 100), "not a SQLite database"),
    (lambda p: _future(p), "newer version of Solo Shift"),
    (lambda p: _freelist(p), "fails its integrity check"),
    (lambda p: _tamper(p), "its record does not verify .*tallies row 1 .*changed"),
    (lambda p: _without_rule(p), "its rules were changed outside Solo Shift .*trigger tallies_no_delete is missing"),
])
def test_a_copy_that_is_not_a_good_backup_is_not_restored(tmp_path, site, spoil, says):
    path = tmp_path / "desk.db"
    _desk_with(path, site, 1)
    copy = make_backup(path, BackupSettings()).written[0]
    spoil(copy)
    before = path.read_bytes()
    with pytest.raises(RestoreRefused, match=says):
        restore(copy, path, force=True)
    assert path.read_bytes() == before


def _future(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                 "VALUES ('solo_shift', '999_from_the_future', 'x')")
    conn.commit()
    conn.close()


def _tamper(path: Path) -> None:
    """A row changed past its rule, and the rule put back as it was: the chain names it."""
    conn = sqlite3.connect(path)
    (rule,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'tallies_no_update'").fetchone()
    conn.execute("DROP TRIGGER tallies_no_update")
    conn.execute("UPDATE tallies SET category = 'reference' WHERE rowid = 1")
    conn.execute(rule)
    conn.commit()
    conn.close()


def _without_rule(path: Path) -> None:
    """A rule dropped, nothing changed yet: the copy would let rows go without a trace."""
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER tallies_no_delete")
    conn.commit()
    conn.close()


def _freelist(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[36:40] = (7).to_bytes(4, "big")
    path.write_bytes(bytes(data))


def test_the_commands(tmp_path, site):
    db = tmp_path / "desk.db"
    _desk_with(db, site, 3)

    def run(*args):
        return subprocess.run([sys.executable, "main.py", "--db", str(db), *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)

    made = run("backup")
    assert made.returncode == 0 and "Backup written:" in made.stdout, made.stderr
    copy = Path(made.stdout.split("Backup written: ")[1].strip())
    refused = run("restore", str(copy))
    assert refused.returncode == 1 and "--force" in refused.stderr and "Traceback" not in refused.stderr
    done = run("restore", str(copy), "--force")
    assert done.returncode == 0 and "Restored" in done.stdout


async def test_the_desk_backs_up_when_a_shift_ends(tmp_path, site, clock):
    store = Store.open(tmp_path / "desk.db", clock=clock)
    try:
        shift = start_shift(store, "Sam", "main")
        app = SoloShiftApp(store, site)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.timers is not None)
            app.timers.check()
            await app.workers.wait_for_complete()
            stem = backup.backup_stem(store.path)
            assert backup.backups(tmp_path / "backups", stem) == []  # nothing ended yet
            end_shift(store, shift, "Quiet.")
            clock.advance(minutes=1)
            app.timers.check()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert len(backup.backups(tmp_path / "backups", stem)) == 1
    finally:
        store.close()
    assert os.listdir(tmp_path / "backups")


def test_a_backup_through_a_symlink_beside_an_open_desk_holds_what_the_desk_committed(tmp_path):
    # The log was looked for beside the link, not found, and the file copied as it stood: a
    # "Backup written" without the entries still in the desk's log.
    from test_read_beside_desk import Desk

    real = tmp_path / "real" / "desk.db"
    real.parent.mkdir()
    with Desk(real):
        pass  # closed: its shift and entries are in the file itself now
    link = tmp_path / "desk.db"
    link.symlink_to(real)
    with Desk(real) as desk:  # a second shift's entries, in the log only
        desk.do("tally")
        written = make_backup(link, BackupSettings()).written
        assert len(written) == 1
        with sqlite3.connect(written[0]) as copy:
            assert copy.execute("SELECT COUNT(*) FROM tallies").fetchone()[0] == 3  # one a run, and the last
        hard = tmp_path / "hard.db"
        os.link(real, hard)  # its log cannot be found by name: said, not a stale copy
        refused = make_backup(hard, BackupSettings(folder="hard-copies"))
        assert refused.written == [] and "under another name (a hard link)" in refused.problems[0]
