"""Files the desk writes: new, whole, and private."""

import pytest

from shift.files import FileRefused, write_new_file


def test_a_new_file_and_the_folder_made_for_it_are_private(tmp_path):
    path = tmp_path / "exports" / "circ.dat"
    write_new_file(path, b"x", create_folder=True)
    assert path.read_bytes() == b"x"
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_an_existing_file_is_never_overwritten(tmp_path):
    path = tmp_path / "report.html"
    path.write_bytes(b"earlier")
    with pytest.raises(FileRefused, match="already exists"):
        write_new_file(path, b"new")
    assert path.read_bytes() == b"earlier"
