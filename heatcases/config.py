"""Settings, read from ``HEATCASES_*`` environment variables (see the README for each one)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-insecure-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HEATCASES_", extra="ignore")

    env: Literal["development", "production"] = Field(
        "development", description="`production` refuses the default secret key."
    )
    data_dir: Path = Field(Path("data"), description="Folder for the SQLite file and the search index.")
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means a SQLite file `heatcases.db` in the data folder."
    )
    secret_key: str = Field(DEV_SECRET, description="Signs CSRF tokens; set a long random value in production.")
    view_window_minutes: int = Field(
        30, ge=0, description="Repeat views of a case by one user within this window count once."
    )
    token_ttl_hours: int = Field(12, ge=1, description="Lifetime of an API bearer token.")
    session_ttl_hours: int = Field(12, ge=1, description="Lifetime of a web login session.")
    timezone: str = Field("Asia/Shanghai", description="Time zone for calendar dates shown and filtered.")
    max_body_bytes: int = Field(1024 * 1024, ge=1024, description="Larger request bodies get 413.")
    max_attachment_bytes: int = Field(
        50 * 1024 * 1024, ge=1024, description="Largest praise evidence file (photo, PDF, video) one may upload."
    )
    auto_migrate: bool = Field(True, description="Apply database migrations when the server starts.")
    default_language: Literal["zh", "en"] = Field("zh", description="Page language for new visitors.")
    cookie_secure: bool = Field(False, description="Mark cookies Secure (set when the site is served over HTTPS).")
    login_max_failures: int = Field(
        5, ge=0, description="Failed logins for one username within the window before it is locked; 0: no limit."
    )
    login_max_failures_per_ip: int = Field(
        30, ge=0, description="Failed logins from one address within the window before it is locked; 0: no limit."
    )
    login_window_minutes: int = Field(15, ge=1, description="Failed logins count towards a lock for this long.")
    login_lockout_minutes: int = Field(15, ge=1, description="How long a locked username or address is refused.")

    views_refresh_seconds: float = Field(
        10, gt=0, description="New view counts reach the search's most-viewed order within this many seconds."
    )
    semantic_search: bool = Field(
        True, description="Search by meaning beside words (a sentence-embedding model); false: words only."
    )
    synonyms_refresh_seconds: float = Field(
        2, ge=0, description="Synonym and pin changes reach every server process within this many seconds."
    )
    max_active_requests: int = Field(
        8, ge=1, le=200, description="Requests a server process works on at once; later ones wait their turn."
    )
    queue_timeout_seconds: float = Field(
        20, gt=0, description="A request that waited this long for its turn is answered 503 with Retry-After."
    )
    max_queued_requests: int = Field(
        1000, ge=0, description="Requests allowed to wait for their turn; beyond this, 503 with Retry-After at once."
    )
    ready_max_lag_seconds: float = Field(
        5, ge=0, description="GET /readyz says ready while the changes not yet in the search index are this young."
    )

    # The company directory (LDAP / Active Directory): empty URL = local accounts only. See README, "Directory".
    ldap_url: str = Field(
        "", description="ldap://host:389 or ldaps://host:636; several, space-separated, are tried in turn."
    )
    ldap_start_tls: bool = Field(False, description="Upgrade an ldap:// connection with StartTLS before binding.")
    ldap_ca_file: str = Field("", description="CA certificate (PEM) that the directory's certificate must chain to.")
    ldap_bind_dn: str = Field("", description="The service account the server searches with; empty: anonymous.")
    ldap_bind_password: str = Field("", description="The service account's password (never logged).")
    ldap_user_base: str = Field("", description="Where people are searched, e.g. ou=people,dc=example,dc=org.")
    ldap_user_filter: str = Field("(objectClass=person)", description="Which entries are people who may sign in.")
    ldap_disabled_filter: str = Field(
        "", description="Entries this filter matches are disabled accounts, e.g. AD's userAccountControl bit 2."
    )
    ldap_username_attribute: str = Field("uid", description="The attribute people type as their username.")
    ldap_display_name_attribute: str = Field("displayName", description="The attribute with a person's name.")
    ldap_team_attribute: str = Field("departmentNumber", description="The attribute whose value is the team.")
    ldap_group_base: str = Field(
        "", description="Search groups (member=the person) under this base; empty: read the person's memberOf."
    )
    ldap_admin_group: str = Field("", description="DN of the directory group whose members are admins.")
    ldap_supervisor_group: str = Field("", description="DN of the group whose members are supervisors.")
    ldap_agent_group: str = Field("", description="DN of the group whose members are agents.")
    ldap_trainee_group: str = Field("", description="DN of the group whose members are trainees.")
    ldap_timeout_seconds: float = Field(
        5, gt=0, le=60, description="Connecting to and each answer from the directory: an error after this long."
    )

    # Notifications (README, "Notifications and reading assignments"). Empty SMTP host: in the app only.
    smtp_host: str = Field("", description="The mail server that sends notification e-mails; empty: no e-mail.")
    smtp_port: int = Field(587, ge=1, le=65535, description="The mail server's port (465: TLS from the start).")
    smtp_user: str = Field("", description="The account to log in to the mail server with; empty: no login.")
    smtp_password: str = Field("", description="Its password (never logged).")
    smtp_from: str = Field("heatcases@localhost", description="The sender address of notification e-mails.")
    smtp_starttls: bool = Field(False, description="Upgrade the connection with STARTTLS before logging in.")
    smtp_timeout_seconds: float = Field(10, gt=0, le=120, description="A mail server slower than this fails the try.")
    mail_max_attempts: int = Field(6, ge=1, le=50, description="Tries of an e-mail before it is given up on.")
    notifications_worker: bool = Field(
        True, description="Run the notification worker (e-mails, queue alerts, the digest) in each server process."
    )
    notify_every_seconds: float = Field(
        10, gt=0, description="How often the notification worker sends e-mails and checks the queue and the digest."
    )
    review_alert_hours: float = Field(
        24, ge=0, description="Supervisors are told when a case waits for review longer than this; 0: never."
    )
    site_url: str = Field("", description="The address people open the site at, for links in e-mails.")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.env == "production" and (self.secret_key == DEV_SECRET or len(self.secret_key) < 32):
            raise ValueError(
                "HEATCASES_SECRET_KEY must be set to a random value of at least 32 characters "
                "when HEATCASES_ENV=production"
            )
        return self

    @property  # not cached: a cached value would survive model_copy(update={"database_url": ...})
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'heatcases.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def get_settings() -> Settings:
    return Settings()
