"""The ``heatcases`` command: serve, migrate, users and teams, demo data."""

from __future__ import annotations

import secrets
import sys
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from heatcases import db
from heatcases.accounts import service as accounts
from heatcases.config import Settings
from heatcases.errors import HeatcasesError

app = typer.Typer(help="HEAT Case Library.", no_args_is_help=True, add_completion=False)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
team_app = typer.Typer(help="Manage teams.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(team_app, name="team")

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
    else:
        out.print("demo data is already loaded")
    out.print(f"demo accounts (password [bold]{password}[/bold]): " + ", ".join(report.usernames))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
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
    out.print(f"HEAT Case Library: open [bold]{url}[/bold] and log in (data in {settings.data_dir.resolve()})")
    uvicorn.run(
        "main:app", host=host, port=port, workers=workers, proxy_headers=True, log_level="info", app_dir=str(db.ROOT)
    )


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
