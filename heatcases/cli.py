"""The ``heatcases`` command: serve, migrate, users and teams, demo data, import, reindex."""

from __future__ import annotations

import os
import secrets
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from heatcases import db
from heatcases.accounts import service as accounts
from heatcases.config import Settings
from heatcases.errors import HeatcasesError
from heatcases.metrics import rollup as _view_rollup  # its listener rolls up views made here
from heatcases.search import sync as _index_queue  # noqa: F401  (every case change made here is queued for the index)

app = typer.Typer(help="HEAT Case Library.", no_args_is_help=True, add_completion=False)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
team_app = typer.Typer(help="Manage teams.", no_args_is_help=True)
index_app = typer.Typer(help="This server's search index.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(team_app, name="team")
app.add_typer(index_app, name="index")
directory_app = typer.Typer(help="The company directory (LDAP / Active Directory).", no_args_is_help=True)
app.add_typer(directory_app, name="directory")

KEEP_ALIVE_SECONDS = 75  # as nginx's default keepalive_timeout

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as error:  # pydantic's message names the bad variable
        err.print(f"[red]configuration error:[/red] {error}")
        raise typer.Exit(2) from None


def _session():
    """A migrated database and a session on it."""
    settings = _settings()
    engine = db.make_engine(settings)
    db.migrate(settings, engine)
    return db.session_scope(engine)


def _fail(error: HeatcasesError) -> None:
    field = getattr(error, "field", None)
    err.print(f"[red]error:[/red] {field + ': ' if field else ''}{error.detail}")
    raise typer.Exit(1)


@app.command()
def migrate() -> None:
    """Apply database migrations (the server also does this when it starts)."""
    settings = _settings()
    db.migrate(settings)
    out.print(f"database is up to date: {settings.sqlalchemy_url.split('@')[-1]}")


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="agent, trainee, supervisor or admin")],
    password: Annotated[str, typer.Option(help="at least 6 characters")],
    team: Annotated[Optional[str], typer.Option(help="team (班组); created when new")] = None,
    name: Annotated[Optional[str], typer.Option(help="display name; defaults to the username")] = None,
) -> None:
    """Create a user."""
    with _session() as session:
        try:
            user = accounts.create_user(
                session, username=username, password=password, role=role, team=team, display_name=name
            )
        except HeatcasesError as error:
            _fail(error)
        out.print(f"created {user.role} {user.username}" + (f" in team {team}" if team else ""))


@user_app.command("list")
def user_list() -> None:
    """List users with their role, team and status."""
    with _session() as session:
        table = Table("username", "name", "role", "team", "active")
        for user in accounts.list_users(session):
            table.add_row(
                user.username,
                user.display_name,
                user.role,
                user.team.name if user.team else "",
                "yes" if user.is_active else "no",
            )
        out.print(table)


@user_app.command("update")
def user_update(
    username: str,
    role: Annotated[Optional[str], typer.Option(help="new role")] = None,
    team: Annotated[Optional[str], typer.Option(help="new team; empty string removes it")] = None,
    name: Annotated[Optional[str], typer.Option(help="new display name")] = None,
) -> None:
    """Change a user's role, team or display name."""
    with _session() as session:
        try:
            user = accounts.update_user(session, username, role=role, team=team, display_name=name)
        except HeatcasesError as error:
            _fail(error)
        out.print(f"updated {user.username}: {user.role}, team {user.team.name if user.team else '-'}")


@user_app.command("disable")
def user_disable(username: str) -> None:
    """Disable a user: they can no longer log in, and their sessions and tokens end."""
    _set_active(username, False)


@user_app.command("enable")
def user_enable(username: str) -> None:
    """Enable a disabled user again."""
    _set_active(username, True)


def _set_active(username: str, active: bool) -> None:
    with _session() as session:
        try:
            accounts.update_user(session, username, active=active)
        except HeatcasesError as error:
            _fail(error)
        out.print(f"{username} {'enabled' if active else 'disabled'}")


@user_app.command("reset-password")
def user_reset_password(
    username: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Set a new password; the user's sessions and tokens end."""
    with _session() as session:
        try:
            accounts.update_user(session, username, password=password)
        except HeatcasesError as error:
            _fail(error)
        out.print(f"password of {username} changed")


@user_app.command("import")
def user_import(
    file: Annotated[Path, typer.Argument(help="a .csv or .xlsx roster: username, display_name, role, team")],
) -> None:
    """Import a roster: new people get a one-time password (printed here, once), changed rows update people.

    Every row is checked first; with any problem nothing is written and each is listed as `line N: field:
    reason` (exit 1). Importing the same file again changes nothing."""
    from heatcases.directory import roster

    try:
        data = file.read_bytes()
    except OSError as error:
        err.print(f"[red]error:[/red] cannot read {file}: {error.strerror}")
        raise typer.Exit(2) from None
    with _session() as session:
        report = roster.import_roster(session, file.name, data, actor=None)
    if not report.ok:
        for problem in report.errors:
            err.print(problem, markup=False, highlight=False)
        err.print(f"[red]nothing imported:[/red] {len(report.errors)} problem(s)")
        raise typer.Exit(1)
    if report.created:
        table = Table("username", "one-time password", title="new accounts: give each person their password")
        for username, password in report.created:
            table.add_row(username, password)
        out.print(table)
    for username in report.updated:
        out.print(f"updated {username}", markup=False, highlight=False)
    out.print(f"{len(report.created)} created, {len(report.updated)} updated, {report.unchanged} unchanged")


@directory_app.command("sync")
def directory_sync(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only print what would change")] = False,
) -> None:
    """Bring directory accounts in step with the directory: roles, teams and names; disable (and end the
    sessions of) people gone from it, disabled there or in no mapped group. Prints every change."""
    from heatcases.directory import service as directory_service
    from heatcases.directory.ldap import DirectoryUnavailable

    settings = _settings()
    directory = directory_service.directory_for(settings)
    if directory is None:
        err.print(
            "[red]error:[/red] no directory is configured (set HEATCASES_LDAP_URL and the other HEATCASES_LDAP_*)"
        )
        raise typer.Exit(2)
    with _session() as session:
        try:
            changes = directory_service.sync_directory(session, directory, actor=None, dry_run=dry_run)
        except DirectoryUnavailable as error:
            err.print(f"[red]error:[/red] {error.detail}; nothing changed")
            raise typer.Exit(1) from None
    for change in changes:
        detail = ", ".join(f"{name} {before!r} -> {after!r}" for name, (before, after) in change.changes.items())
        why = f" ({change.reason})" if change.reason else ""
        out.print(f"{change.action} {change.username}{why}: {detail}", markup=False, highlight=False)
    prefix = "would change" if dry_run else "changed"
    out.print(f"{prefix} {len(changes)} account(s)" + (" (dry run: nothing written)" if dry_run else ""))


@team_app.command("add")
def team_add(name: str) -> None:
    """Create a team."""
    with _session() as session:
        try:
            accounts.get_or_create_team(session, name)
            session.commit()
        except HeatcasesError as error:
            _fail(error)
        out.print(f"team {name} exists")


@team_app.command("list")
def team_list() -> None:
    """List teams and how many users each has."""
    with _session() as session:
        table = Table("team", "users")
        for team, count in accounts.list_teams(session):
            table.add_row(team.name, str(count))
        out.print(table)


@app.command()
def demo(
    password: Annotated[str, typer.Option(help="password of every demo account")] = "heat-demo",
) -> None:
    """Load demo accounts and demo cases (once; a second run changes nothing)."""
    from heatcases.demo import load_demo

    with _session() as session:
        report = load_demo(session, password=password)
    _print_demo(report, password)


def _print_demo(report, password: str) -> None:
    if report.created:
        out.print(f"demo data loaded: {report.users} accounts, {report.cases} cases")
        out.print(
            f"the last 90 days of use: {report.views} views, {report.impressions} impressions, "
            f"{report.searches} searches"
        )
    else:
        out.print("demo data is already loaded")
    out.print(f"demo accounts (password [bold]{password}[/bold]): " + ", ".join(report.usernames))


@app.command()
def reindex(
    procs: Annotated[
        int, typer.Option(min=1, max=16, help="processes that analyse text in parallel (default: the CPU count, ≤ 4)")
    ] = min(4, os.cpu_count() or 1),
) -> None:
    """Rebuild the search index from the database (searches keep working on the old one meanwhile)."""
    from heatcases.search import sync
    from heatcases.search.documents import count_searchable
    from heatcases.search.index import IndexBusy, SearchIndex

    settings = _settings()
    engine = db.make_engine(settings)
    db.migrate(settings, engine)
    total = count_searchable(engine)
    index = SearchIndex(settings.data_dir / "index")
    started = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task("indexing cases", total=total)
        try:
            count = sync.rebuild(engine, index, on_batch=lambda n: progress.advance(task, n), procs=procs)
        except IndexBusy:
            err.print("[red]error:[/red] the search index is being written by another process; try again shortly")
            raise typer.Exit(1) from None
    elapsed = time.perf_counter() - started
    out.print(f"indexed {count} cases in {elapsed:.1f} s ({count / max(elapsed, 1e-9):.0f} cases/s)")


@app.command()
def embed(
    procs: Annotated[
        int, typer.Option(min=1, max=16, help="processes that embed in parallel (default: the CPU count, ≤ 4)")
    ] = min(4, os.cpu_count() or 1),
) -> None:
    """Embed, now, the approved cases still without vectors for search by meaning (a running server does this
    in the background, one case at a time; this is faster for a large import on an idle machine)."""
    from heatcases.search.embedding import Embedder, ModelUnavailable
    from heatcases.search.vectors import embedding_progress, fill_in_processes

    settings = _settings()
    engine = db.make_engine(settings)
    db.migrate(settings, engine)
    embedder = Embedder()
    try:
        embedder.load()
    except ModelUnavailable as error:
        err.print(f"[red]error:[/red] the meaning model cannot be loaded: {error}")
        raise typer.Exit(1) from None
    before = embedding_progress(engine, embedder.name)
    started = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task(f"embedding cases ({embedder.name})", total=before.listed)
        progress.advance(task, before.embedded)
        count = fill_in_processes(settings, procs, on_batch=lambda n: progress.advance(task, n))
    elapsed = time.perf_counter() - started
    out.print(f"embedded {count} cases in {elapsed:.1f} s ({count / max(elapsed, 1e-9):.1f} cases/s)")


@app.command("search-status")
def search_status() -> None:
    """How many cases the word index holds and how far the embedding for search by meaning has come."""
    from heatcases.search.embedding import Embedder
    from heatcases.search.index import SearchIndex
    from heatcases.search.vectors import embedding_progress

    settings = _settings()
    engine = db.make_engine(settings)
    index = SearchIndex(settings.data_dir / "index")
    if index.is_current():
        out.print(f"word index: {index.doc_count()} cases")
    else:
        out.print("word index: missing or built by another version (the server rebuilds it at start)")
    if not settings.semantic_search:
        out.print("search by meaning: switched off (HEATCASES_SEMANTIC_SEARCH=false)")
        return
    model = Embedder().name
    progress = embedding_progress(engine, model)
    share = progress.embedded / progress.listed if progress.listed else 1.0
    out.print(f"search by meaning ({model}): {progress.embedded} of {progress.listed} cases embedded ({share:.0%})")


@index_app.command("status")
def index_status() -> None:
    """This data folder's index replica: its cases, its cursor in the change log and the changes not yet
    applied (and how old the oldest is); then every replica the database knows of. Exit status 1 when the
    index is missing, was built by another version or must be rebuilt."""
    from heatcases.search import changelog
    from heatcases.search.index import SearchIndex
    from heatcases.search.sync import IndexSyncer, position_of, replica_of

    settings = _settings()
    engine = db.make_engine(settings)
    index = SearchIndex(settings.data_dir / "index")
    syncer = IndexSyncer(engine, index)
    problem = syncer.needs_rebuild()
    if not index.is_current():
        out.print(f"word index in {index.path}: missing or built by another version (the server rebuilds it at start)")
    else:
        out.print(f"word index in {index.path}: {index.doc_count()} cases")
        position = position_of(index)
        cursor = "none" if position is None else f"transaction {position.tx}, change {position.id}"
        out.print(f"replica {replica_of(index) or '(written elsewhere)'}; cursor: {cursor}")
        if problem:
            out.print(f"must be rebuilt: {problem} (the server does it at start; or `heatcases reindex`)")
    changes, seconds = syncer.lag()
    out.print(f"changes not yet in it: {changes}" + (f" (the oldest waiting {seconds:.1f} s)" if changes else ""))
    with engine.connect() as connection:
        known = changelog.replicas(connection)
    if known:
        out.print(f"replicas of this database ({len(known)}):")
    for replica in known:
        error = f"; error: {replica.last_error}" if replica.last_error else ""
        out.print(
            f"  {replica.host}:{replica.folder}: {replica.documents} cases, {replica.lag_changes} changes behind"
            f" ({replica.lag_seconds:.1f} s), last seen {replica.seen_at:%Y-%m-%d %H:%M:%S} UTC{error}"
        )
    if problem:
        raise typer.Exit(1)


@app.command()
def rollup() -> None:
    """Rebuild the hourly view rollup of the metrics from the counted views (after loading views in bulk)."""
    settings = _settings()
    engine = db.make_engine(settings)
    db.migrate(settings, engine)
    started = time.perf_counter()
    with engine.begin() as connection:
        rows = _view_rollup.rebuild(connection)
    out.print(f"rolled up the views into {rows} rows in {time.perf_counter() - started:.1f} s")


@app.command()
def backup(
    dest: Annotated[str, typer.Argument(help="the backup file, or a folder to write a dated one in")],
    force: Annotated[bool, typer.Option("--force", help="replace DEST if it exists")] = False,
    pg_dump: Annotated[
        Optional[str], typer.Option("--pg-dump", help="pg_dump to use (default /usr/bin/pg_dump)")
    ] = None,
) -> None:
    """Write a consistent copy of the database to DEST while the server runs (see the README to restore it)."""
    from heatcases.backup import BackupError, backup_database

    settings = _settings()
    try:
        result = backup_database(settings.sqlalchemy_url, dest, force=force, pg_dump=pg_dump)
    except BackupError as error:
        err.print(f"[red]error:[/red] backup failed: {error}", markup=True, highlight=False)
        raise typer.Exit(1) from None
    out.print(result.describe(), markup=False, highlight=False)


@app.command("import")
def import_archive(
    file: Annotated[Path, typer.Argument(help="a .jsonl or .csv file of cases")],
    as_user: Annotated[
        Optional[str], typer.Option("--as", help="author of rows that name none (an existing username)")
    ] = None,
) -> None:
    """Load a case archive; rejected rows are listed with their line and reason (exit 1 if any)."""
    from heatcases.cases.importer import ImportFileError, import_cases
    from heatcases.search import sync
    from heatcases.search.index import IndexBusy, SearchIndex

    settings = _settings()
    engine = db.make_engine(settings)
    db.migrate(settings, engine)
    with db.session_scope(engine) as session:
        default_author = None
        if as_user:
            try:
                default_author = accounts.get_user(session, as_user)
            except HeatcasesError:
                err.print(f"[red]error:[/red] --as: no such user {as_user!r}")
                raise typer.Exit(2) from None
        lines = _count_lines(file)
        try:
            with _progress() as progress:
                task = progress.add_task("importing", total=lines)
                report = import_cases(
                    session,
                    file,
                    default_author=default_author,
                    on_row=lambda line: progress.update(task, completed=line),
                )
        except ImportFileError as error:
            err.print(f"[red]error:[/red] {error}")
            raise typer.Exit(2) from None
    for rejected in report.rejected:
        err.print(f"line {rejected.line}: {rejected.reason}")
    out.print(
        f"{report.imported} imported, {report.skipped} already in the library, {len(report.rejected)} rejected"
        f" (of {report.rows} rows)"
    )
    if report.imported:
        index = SearchIndex(settings.data_dir / "index")
        try:
            if report.imported > 5000:
                sync.rebuild(engine, index, procs=min(4, os.cpu_count() or 1))
            else:
                sync.IndexSyncer(engine, index, lock_timeout=30).catch_up()  # (a new folder: built first)
            out.print("search index updated")
        except IndexBusy:
            out.print("the search index is busy: the running server will add the new cases shortly")
    raise typer.Exit(0 if report.ok else 1)


def _count_lines(path: Path) -> int | None:
    try:
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    except OSError:
        return None


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err
    )


MAX_DEFAULT_WORKERS = 4  # each worker keeps its own index caches (~0.6 GB at 100,000 cases)


def default_workers() -> int:
    """One worker process per core, at most MAX_DEFAULT_WORKERS: a process runs Python on one core at a time,
    and the busiest hour on one process of a 2-core machine answers search twice as slowly (bench/README.md)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()  # not on macOS
    return max(1, min(cores or 1, MAX_DEFAULT_WORKERS))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    workers: Annotated[
        int | None, typer.Option(min=1, help="worker processes (default: one per core, at most 4)")
    ] = None,
    with_demo: Annotated[bool, typer.Option("--demo", help="load the demo data first (once)")] = False,
) -> None:
    """Start the web server (migrating the database first) and say how to log in."""
    import uvicorn

    settings = _settings()
    engine = db.make_engine(settings)
    db.migrate(settings, engine)
    with db.session_scope(engine) as session:
        if with_demo:
            from heatcases.demo import DEMO_PASSWORD, load_demo

            _print_demo(load_demo(session, password=DEMO_PASSWORD), DEMO_PASSWORD)
        elif not accounts.list_users(session):
            password = secrets.token_urlsafe(12)
            accounts.create_user(session, username="admin", password=password, role="admin", display_name="管理员")
            out.print(f"created the first account: [bold]admin[/bold], password [bold]{password}[/bold] (shown once)")
    engine.dispose()
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/login"
    workers = workers or default_workers()
    out.print(f"HEAT Case Library: open [bold]{url}[/bold] and log in (data in {settings.data_dir.resolve()}; "
              f"{workers} worker process{'es' if workers > 1 else ''})")  # fmt: skip
    uvicorn.run(
        "main:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
        app_dir=str(db.ROOT),
        # Browsers and clients keep a connection open between a reader's clicks: closing it after uvicorn's
        # default 5 s races with the next request on it (the client sees "connection closed").
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
