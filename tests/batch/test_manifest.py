"""The SQLite batch manifest: states, persistence, WAL, bad files."""

from __future__ import annotations

import sqlite3

import pytest
from hoiexport.batch.items import ItemSettings, PromptSpec, make_items
from hoiexport.batch.manifest import Manifest
from hoiexport.sdk.core.errors import InputError


@pytest.fixture(scope="module")
def items():
    specs = [PromptSpec("A man carrying a box"), PromptSpec("A girl kicking a ball", line=2)]
    return make_items(specs, ItemSettings(seeds=2, formats=("glb",), texture_size=512))


def test_states_persist_across_reopening(tmp_path, items):
    path = tmp_path / "manifest.sqlite"
    with Manifest(path) as m:
        assert m.is_empty()
        assert m.add(items) == 4
        assert m.add(items[:2]) == 0  # already present
        m.mark_running(items[0].id)
        m.mark_done(items[0].id, {"total": 1.5}, {"measured_config": "both_hands"})
        m.mark_running(items[1].id)
        m.mark_failed(items[1].id, "generate: no object", {"total": 0.1})
        m.mark_running(items[2].id)
    with Manifest(path) as m:
        rows = m.rows()
        assert [r.id for r in rows] == [i.id for i in items]
        assert [r.state for r in rows] == ["done", "failed", "running", "pending"]
        assert rows[0].item == items[0]
        assert rows[0].timings_s == {"total": 1.5} and rows[0].metrics == {"measured_config": "both_hands"}
        assert rows[1].error == "generate: no object" and rows[1].attempts == 1
        assert rows[3].attempts == 0 and rows[3].started is None
        assert m.counts() == {"pending": 1, "running": 1, "done": 1, "failed": 1}
        m.mark_running(items[1].id)
        again = m.get(items[1].id)
        assert again.state == "running" and again.attempts == 2 and again.error is None
        m.mark_pending(items[0].id)
        assert m.get(items[0].id).state == "pending"
        assert m.get("0" * 16) is None


def test_uses_write_ahead_logging(tmp_path, items):
    with Manifest(tmp_path / "m.sqlite") as m:
        m.add(items)
    con = sqlite3.connect(tmp_path / "m.sqlite")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 4
    con.close()


def test_a_file_that_is_not_a_manifest_is_rejected(tmp_path):
    bad = tmp_path / "manifest.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(InputError, match="not a readable batch manifest"):
        Manifest(bad)
