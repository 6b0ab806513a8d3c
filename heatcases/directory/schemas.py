"""The directory API's answers: the sync's changes and the roster import's report."""

from __future__ import annotations

from pydantic import BaseModel

from heatcases.directory.roster import RosterReport
from heatcases.directory.service import SyncChange


class SyncChangeOut(BaseModel):
    username: str
    action: str
    changes: dict
    reason: str


class SyncResult(BaseModel):
    dry_run: bool
    changes: list[SyncChangeOut]

    @classmethod
    def of(cls, changes: list[SyncChange], *, dry_run: bool) -> SyncResult:
        return cls(dry_run=dry_run, changes=[SyncChangeOut(**vars(change)) for change in changes])


class NewAccount(BaseModel):
    username: str
    one_time_password: str


class ImportResult(BaseModel):
    created: list[NewAccount]
    updated: list[str]
    unchanged: int

    @classmethod
    def of(cls, report: RosterReport) -> ImportResult:
        created = [NewAccount(username=name, one_time_password=password) for name, password in report.created]
        return cls(created=created, updated=report.updated, unchanged=report.unchanged)
