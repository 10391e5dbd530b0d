"""Evidence file names: predictable, sanitised, never outside the evidence root."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from runners.evidence import AttemptFiles, Recorder, UnsafePath, attempt_stamp, contact_dir, safe_component

WHEN = dt.datetime(2026, 3, 1, 12, 0, 5, 123456, tzinfo=dt.timezone.utc)


def test_layout_is_root_experiment_contact_stamp_kind(tmp_path):
    files = AttemptFiles.for_contact(tmp_path, "inquiry-demo", 42, WHEN)

    path = files.path("before", "png")

    assert tmp_path / "inquiry-demo" / "42" / "20260301T120005.123Z-before.png" == path
    assert path.parent.is_dir()
    assert not path.exists()  # named, not written


def test_stamp_is_utc_with_milliseconds():
    paris = WHEN.astimezone(dt.timezone(dt.timedelta(hours=1)))

    assert "20260301T120005.123Z" == attempt_stamp(paris)
    assert re.fullmatch(r"\d{8}T\d{6}\.\d{3}Z", attempt_stamp())


@pytest.mark.parametrize("raw, expected", [
    ("../../etc/passwd", "_.._.._etc_passwd"),
    ("..", "_.."),
    (".hidden", "_.hidden"),
    ("a/b\\c d", "a_b_c_d"),
    ("", "_"),
    ("Zoë's résumé", "Zo_s_r_sum_"),
    ("x" * 200, "x" * 80),
    (42, "42"),
])
def test_safe_component(raw, expected):
    assert expected == safe_component(raw)


def test_ids_cannot_climb_out_of_the_root(tmp_path):
    root = tmp_path / "evidence"

    path = contact_dir(root, "../../outside", "../..")

    assert root.resolve() in path.resolve().parents
    assert [p.name for p in path.relative_to(root).parents][:-1] == ["_.._.._outside"]


def test_kind_and_extension_are_sanitised_too(tmp_path):
    files = AttemptFiles(tmp_path, "stamp")

    path = files.path("../../x", "/png")

    assert tmp_path / "stamp-_.._.._x.png" == path


def test_a_second_file_of_the_same_kind_does_not_overwrite(tmp_path):
    files = AttemptFiles(tmp_path, "20260301T120005.123Z")
    first = files.path("after", "png")
    first.write_bytes(b"one")

    second = files.path("after", "png")

    assert tmp_path / "20260301T120005.123Z-after-2.png" == second


def test_a_symlink_out_of_the_directory_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "exp").symlink_to(outside)

    with pytest.raises(UnsafePath):
        contact_dir(tmp_path / "root", "exp", 1)


def test_an_unknown_evidence_mode_is_a_programming_error(tmp_path):
    with pytest.raises(ValueError, match="default"):
        Recorder(AttemptFiles(tmp_path, "stamp"), "everything")


def test_evidence_off_writes_nothing(tmp_path):
    recorder = Recorder(AttemptFiles(tmp_path / "x", "stamp"), "off")

    recorder.screenshot(page=object(), kind="before")  # never touched
    recorder.html(page=object())
    recorder.start_trace(context=object(), title="t")
    recorder.stop_trace(confirmed=False)

    assert ({}, False) == (recorder.paths, (tmp_path / "x").exists())
