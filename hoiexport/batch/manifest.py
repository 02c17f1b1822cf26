"""The batch manifest: one SQLite row per item, surviving any crash.

`DIR/manifest.sqlite` in WAL mode with `synchronous=FULL`: every state change is
one committed transaction, so killing the process at any moment (even SIGKILL)
leaves the last committed state readable. Only the driver process writes it;
workers write item folders and report back.

Item states: `pending` (not started), `running` (handed to a worker), `done`
(its folder was renamed into place before the row changed), `failed` (the error
names why). A resumed batch re-runs pending and running items, and failed ones
when asked.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self

from hoiexport.batch.items import BatchItem
from hoiexport.sdk.core.errors import InputError

State = Literal["pending", "running", "done", "failed"]
STATES: tuple[str, ...] = ("pending", "running", "done", "failed")
MANIFEST_NAME = "manifest.sqlite"
MANIFEST_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    spec TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed')),
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    started REAL,
    finished REAL,
    timings TEXT,
    metrics TEXT,
    updated REAL NOT NULL
);
"""


@dataclass
class ManifestRow:
    """One item's record.

    Attributes:
        item: the item.
        position: order in which the item was first added.
        state: pending, running, done or failed.
        error: why the last attempt failed (None unless failed).
        attempts: how many times the item was handed to a worker.
        started: Unix time the last attempt started, or None.
        finished: Unix time the last attempt ended, or None.
        timings_s: stage → seconds of the last attempt.
        metrics: measured facts of the finished item (contacts, penetration,
            validation, files); see `worker.run_item`.
        updated: Unix time of the last change.
    """

    item: BatchItem
    position: int
    state: State
    error: str | None
    attempts: int
    started: float | None
    finished: float | None
    timings_s: dict[str, float]
    metrics: dict[str, Any]
    updated: float

    @property
    def id(self) -> str:
        return self.item.id

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "error": self.error,
            "attempts": self.attempts,
            "started": self.started,
            "finished": self.finished,
            "timings_s": self.timings_s,
            "metrics": self.metrics,
            "item": self.item.to_json(),
        }


class Manifest:
    """The SQLite manifest of one batch folder.

    Use as a context manager or call `close()`. Not shared between processes
    for writing: the batch driver owns it.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            with self._tx():
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('version', ?)", (str(MANIFEST_VERSION),))
                (version,) = self._db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise InputError(f"{self.path} is not a readable batch manifest ({exc}); use another output folder") from None
        if int(version) != MANIFEST_VERSION:
            self._db.close()
            raise InputError(f"{self.path} has manifest version {version}, this release reads {MANIFEST_VERSION}; "
                             "use another output folder")

    # -- plumbing

    @contextlib.contextmanager
    def _tx(self) -> Iterator[None]:
        """A write transaction (BEGIN IMMEDIATE … COMMIT, rolled back on error)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads

    def rows(self) -> list[ManifestRow]:
        """Every item, in the order first added."""
        cur = self._db.execute(
            "SELECT spec, position, state, error, attempts, started, finished, timings, metrics, updated "
            "FROM items ORDER BY position"
        )
        return [_row(r) for r in cur.fetchall()]

    def get(self, item_id: str) -> ManifestRow | None:
        r = self._db.execute(
            "SELECT spec, position, state, error, attempts, started, finished, timings, metrics, updated "
            "FROM items WHERE id = ?", (item_id,)
        ).fetchone()
        return _row(r) if r else None

    def counts(self) -> dict[str, int]:
        """State → number of items (every state present, 0 when none)."""
        out = dict.fromkeys(STATES, 0)
        for state, n in self._db.execute("SELECT state, COUNT(*) FROM items GROUP BY state"):
            out[state] = n
        return out

    def is_empty(self) -> bool:
        return self._db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0

    def started(self) -> int:
        """How many items were ever handed to a worker (attempts > 0)."""
        return self._db.execute("SELECT COUNT(*) FROM items WHERE attempts > 0").fetchone()[0]

    # -- writes

    def add(self, items: Iterable[BatchItem]) -> int:
        """Add items not already present as pending; returns how many were new."""
        now = time.time()
        with self._tx():
            (start,) = self._db.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM items").fetchone()
            added = 0
            for item in items:
                cur = self._db.execute(
                    "INSERT OR IGNORE INTO items (id, position, spec, state, updated) VALUES (?, ?, ?, 'pending', ?)",
                    (item.id, start + added, json.dumps(item.to_json()), now),
                )
                added += cur.rowcount
        return added

    def mark_running(self, item_id: str) -> None:
        """The item was handed to a worker: state running, one more attempt."""
        now = time.time()
        with self._tx():
            self._db.execute(
                "UPDATE items SET state = 'running', error = NULL, attempts = attempts + 1, started = ?, "
                "finished = NULL, updated = ? WHERE id = ?", (now, now, item_id))

    def mark_done(self, item_id: str, timings_s: dict[str, float], metrics: dict[str, Any]) -> None:
        """The item's folder is in place: state done with its timings and metrics."""
        now = time.time()
        with self._tx():
            self._db.execute(
                "UPDATE items SET state = 'done', error = NULL, finished = ?, timings = ?, metrics = ?, updated = ? "
                "WHERE id = ?", (now, json.dumps(timings_s), json.dumps(metrics), now, item_id))

    def mark_failed(self, item_id: str, error: str, timings_s: dict[str, float] | None = None,
                    metrics: dict[str, Any] | None = None) -> None:
        """The item's last attempt failed with `error`."""
        now = time.time()
        with self._tx():
            self._db.execute(
                "UPDATE items SET state = 'failed', error = ?, finished = ?, timings = ?, metrics = ?, updated = ? "
                "WHERE id = ?",
                (error, now, json.dumps(timings_s or {}), json.dumps(metrics or {}), now, item_id))

    def mark_pending(self, item_id: str) -> None:
        """Put a done item back in the queue (its folder went missing)."""
        with self._tx():
            self._db.execute("UPDATE items SET state = 'pending', updated = ? WHERE id = ?", (time.time(), item_id))


def _row(r: tuple) -> ManifestRow:
    spec, position, state, error, attempts, started, finished, timings, metrics, updated = r
    return ManifestRow(
        item=BatchItem.from_json(json.loads(spec)),
        position=position,
        state=state,
        error=error,
        attempts=attempts,
        started=started,
        finished=finished,
        timings_s=json.loads(timings) if timings else {},
        metrics=json.loads(metrics) if metrics else {},
        updated=updated,
    )
