"""Forward migrations: a database made by an older Knock is brought up to date."""

import sqlite3

from sqlite_utils import Database

from experiments.schema import migrations
from experiments.store import Store


def test_an_older_schema_is_migrated_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m002_strata_and_coding")
    old["experiments"].insert({"id": "legacy", "title": "Legacy", "definition": "{}",
                               "created_at": "2025-01-01T00:00:00+00:00", "updated_at": "2025-01-01T00:00:00+00:00"})
    old.close()

    store = Store(path)
    applied = [m.name for m in migrations.applied(store.db)]
    assert ["m001_initial", "m002_strata_and_coding", "m003_attempt_safety", "m004_collection"] == applied
    row = store.experiment_row("legacy")
    assert ("Legacy", 0) == (row["title"], row["paused"])
    assert "codings" in store.db.table_names()
    store.close()


def test_opening_twice_applies_nothing_new(tmp_path):
    Store(tmp_path / "k.db").close()
    store = Store(tmp_path / "k.db")
    assert 4 == len(migrations.applied(store.db))
    assert [] == migrations.pending(store.db)
    store.close()


def test_a_failing_migration_leaves_no_record_and_no_half_change(tmp_path):
    path = tmp_path / "k.db"
    db = Database(path)
    migrations.apply(db, stop_before="m002_strata_and_coding")
    db.execute("CREATE TABLE codings (x)")  # a clash makes m002 fail part-way
    try:
        migrations.apply(db)
    except sqlite3.OperationalError:
        pass
    assert ["m001_initial"] == [m.name for m in migrations.applied(db)]
    assert "strata" not in db["contacts"].columns_dict
