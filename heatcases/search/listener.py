"""Hearing at once of changes committed on other machines: PostgreSQL's LISTEN, beside the polling.

Every transaction that appends to the change log also sends a ``NOTIFY`` on ``changelog.CHANNEL``,
delivered when it commits. One connection per process listens and wakes the index syncer, so a case
approved on one machine is searchable on the others within a fraction of a second. If the connection
is lost the listener reconnects (and wakes the syncer, which may have missed a notice meanwhile); the
syncer's polling covers the gap. SQLite has no other machines: nothing listens there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy import URL

from heatcases.search.changelog import CHANNEL

log = logging.getLogger("heatcases.search")

LISTEN_TIMEOUT = 1.0  # how often the listening thread looks whether it should stop
RETRY_SECONDS = (1, 2, 5, 10, 30)


class ChangeListener:
    """A thread that calls ``on_change()`` whenever another transaction has appended to the change log."""

    def __init__(self, url: URL, on_change: Callable[[], None]):
        self._connect_args = url.translate_connect_args(username="user", database="dbname")
        self._on_change = on_change
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()  # set while a connection is listening

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="heatcases-index-listen", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=LISTEN_TIMEOUT * 3)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._listen()
                failures = 0
            except psycopg.Error as error:
                pause = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                failures += 1
                log.warning("listening for search changes failed (%s); polling, retrying in %d s", error, pause)
                self._stop.wait(pause)
            finally:
                self.listening.clear()

    def _listen(self) -> None:
        with psycopg.connect(autocommit=True, application_name="heatcases-index-listen", **self._connect_args) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            self._on_change()  # whatever was committed while no one listened
            while not self._stop.is_set():
                for _notice in conn.notifies(timeout=LISTEN_TIMEOUT):  # (each wake-up reads every change)
                    self._on_change()
