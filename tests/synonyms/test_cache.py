"""Every server sees a supervisor's change without a restart: another cache (another process's copy) reloads it
after its check interval, and a separate Python process reading the same database finds it."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from sqlmodel import Session

from heatcases.search import text
from heatcases.synonyms.service import SynonymCache
from tests.conftest import ROOT
from tests.synonyms.test_api import add_group, found, pin


def refreshed(app, cache: SynonymCache) -> SynonymCache:
    with Session(app.state.read_engine) as session:
        cache.refresh(session)
    return cache


class TestAnotherCache:
    def test_it_reloads_a_change_after_its_interval_and_only_when_the_version_moved(self, app, supervisor, library):
        other = refreshed(app, SynonymCache(every=0.3))
        assert other.groups == () and other.pinned("老人") == ()
        seen = other.version
        group = add_group(supervisor, "强对流天气", "雷雨")
        pin(supervisor, "老人", library["hotel"]["id"])
        assert refreshed(app, other).groups == ()  # checked a moment ago: not yet
        time.sleep(0.35)
        refreshed(app, other)
        assert other.groups == (("强对流天气", "雷雨"),) and other.pinned("老人") == (library["hotel"]["id"],)
        assert other.version != seen
        supervisor.delete(f"/api/search/synonyms/{group['id']}")
        time.sleep(0.35)
        assert refreshed(app, other).groups == ()

    def test_a_check_that_finds_the_same_version_reads_nothing_more(self, app, supervisor, monkeypatch):
        add_group(supervisor, "强对流天气", "雷雨")
        other = refreshed(app, SynonymCache(every=0))
        loads = []
        monkeypatch.setattr(text, "set_extra_synonym_groups", lambda groups: loads.append(groups))
        for _ in range(3):
            refreshed(app, other)
        assert loads == []

    def test_the_process_that_made_the_change_uses_it_at_once_whatever_the_interval(
        self, app, trainee, supervisor, library
    ):
        cache = app.state.search.tuning
        cache.every = 3600
        assert found(trainee, "强对流天气") == []
        add_group(supervisor, "强对流天气", "雷雨")
        assert found(trainee, "强对流天气") == [library["elderly"]["id"]]


PROBE = """
import json, sys
from sqlmodel import Session
from heatcases import db
from heatcases.config import Settings
from heatcases.search import text
from heatcases.synonyms.service import SynonymCache
engine = db.make_engine(Settings(database_url=sys.argv[1], secret_key="x" * 40))
cache = SynonymCache(every=0)
with Session(engine) as session:
    cache.refresh(session)
print(json.dumps({"synonyms": list(text.synonyms("强对流天气")), "words": text.query_words("强对流天气怎么办"),
                  "pinned": list(cache.pinned("老人"))}))
"""


def probe(database_url: str) -> dict:
    """What a separate Python process (another server) reads from the database."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, database_url], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_another_process_sees_a_change_and_its_removal(settings, supervisor, library):
    assert probe(settings.sqlalchemy_url) == {"synonyms": [], "words": ["强对流", "天气"], "pinned": []}
    group = add_group(supervisor, "强对流天气", "雷雨")
    created = pin(supervisor, "老人", library["hotel"]["id"])
    seen = probe(settings.sqlalchemy_url)
    assert seen == {"synonyms": ["雷雨"], "words": ["强对流天气"], "pinned": [library["hotel"]["id"]]}
    supervisor.delete(f"/api/search/synonyms/{group['id']}")
    supervisor.delete(f"/api/search/pins/{created['id']}")
    assert probe(settings.sqlalchemy_url) == {"synonyms": [], "words": ["强对流", "天气"], "pinned": []}
