"""Each case's counted views, held in memory for the search's "most viewed" order.

Views change with every reading. Kept in the index, they would rewrite a case's document every time it
is read, and each rewrite leaves the old copy in its segment until a merge (making the case's own words
look common). So the index keeps what matches, and the order by views comes from the database: every
count once, then every ``every`` seconds those of the cases read since. Each process (worker, machine)
reads the same database, so all of them sort alike; a case's page always shows the current count.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import numpy as np
from sqlalchemy import Engine, select

from heatcases import db
from heatcases.db import utcnow
from heatcases.models import Case, CaseView

# Re-read views counted this long before the last read too: a view whose transaction committed after
# the read (a slow request) is not missed.
OVERLAP = timedelta(minutes=1)
# Every count is read again this often, in case one changed another way (a demo load, a repair by hand).
FULL_READ_SECONDS = 600.0


class ViewCounts:
    """Views by case id, refreshed from the database at most every ``every`` seconds, when asked."""

    def __init__(self, engine: Engine, *, every: float):
        self.engine = engine
        self.every = every
        self._counts = np.zeros(0, dtype=np.int64)
        self._since = None  # views counted from then on are read at the next refresh
        self._read_at = -np.inf
        self._full_read_at = -np.inf
        self._lock = threading.Lock()

    def of(self, case_ids: np.ndarray) -> np.ndarray:
        """The counted views of these cases, as of at most ``every`` seconds ago."""
        self.refresh_when_due()
        counts = self._counts
        found = np.zeros(len(case_ids), dtype=np.int64)
        known = case_ids < len(counts)
        found[known] = counts[case_ids[known]]
        return found

    def refresh_when_due(self) -> None:
        """Read what changed unless it was read less than ``every`` s ago. The first read (every count) is
        waited for; the later reads of every count run on a thread of their own, off the request that
        found them due (they read the whole case table: ~100 ms at 100,000 cases)."""
        if time.monotonic() - self._read_at < self.every:
            return
        if self._since is None:
            with self._lock:
                if self._since is None:
                    self._refresh(full=True)
            return
        if not self._lock.acquire(blocking=False):
            return  # another thread is reading: sort by the counts read so far
        if time.monotonic() - self._read_at < self.every:
            self._lock.release()
        elif time.monotonic() - self._full_read_at >= FULL_READ_SECONDS:
            threading.Thread(target=self._refresh_then_release, kwargs={"full": True}, daemon=True).start()
        else:
            self._refresh_then_release(full=False)

    def _refresh_then_release(self, *, full: bool) -> None:
        try:
            self._refresh(full=full)
        finally:
            self._lock.release()

    def _refresh(self, *, full: bool) -> None:
        started = utcnow()
        with db.reader(self.engine).connect() as connection:
            if full:
                rows = connection.execute(select(Case.id, Case.views).where(Case.views > 0)).all()
            else:
                viewed = select(CaseView.case_id).where(CaseView.viewed_at >= self._since).distinct()
                rows = connection.execute(select(Case.id, Case.views).where(Case.id.in_(viewed))).all()
        self._store(rows, full=full)
        self._since = started - OVERLAP
        self._read_at = time.monotonic()
        if full:
            self._full_read_at = self._read_at

    def _store(self, rows, *, full: bool) -> None:
        ids = np.fromiter((case_id for case_id, _views in rows), dtype=np.int64, count=len(rows))
        views = np.fromiter((count for _case_id, count in rows), dtype=np.int64, count=len(rows))
        size = max(len(self._counts), int(ids.max()) + 1 if len(ids) else 0)
        if full or size > len(self._counts):  # a new array, published whole: readers never see it half-made
            counts = np.zeros(size, dtype=np.int64)
            if not full:
                counts[: len(self._counts)] = self._counts
        else:
            counts = self._counts
        counts[ids] = views
        self._counts = counts
