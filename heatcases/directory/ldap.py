"""The company directory over LDAP (OpenLDAP, Active Directory): the only module that imports ldap3.

Every call opens its own connection (a login is one bind as the service account, one search, one bind as the
person), with the configured connect and receive timeouts, and raises ``DirectoryUnavailable`` for anything
the network or the server does wrong, so a directory that is down or slow is a clear message, never a 500.
Typed usernames are escaped before they go into a filter; passwords go only into a bind, and are never logged.
"""

from __future__ import annotations

import logging
import math
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field

from ldap3 import BASE, NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import safe_dn

from heatcases.config import Settings
from heatcases.errors import HeatcasesError

log = logging.getLogger("heatcases.directory")

# Highest first: a person in several mapped groups gets the most capable role.
ROLE_ORDER = ("admin", "supervisor", "agent", "trainee")
PAGE_SIZE = 500  # Active Directory answers at most 1,000 entries a page


class DirectoryUnavailable(HeatcasesError):
    """The directory did not answer in time, refused the connection, or refused the service account."""

    status_code = 503
    message_key = "directory.unavailable"


@dataclass(frozen=True)
class Person:
    """What the directory says about one person."""

    dn: str
    username: str
    display_name: str
    team: str | None
    groups: frozenset[str] = field(default_factory=frozenset)  # normalised DNs


def normalise_dn(dn: str) -> str:
    """A DN in one spelling (attribute names and values lower case, no spaces around separators)."""
    try:
        return safe_dn(dn).lower()
    except LDAPException:
        return dn.strip().lower()


@dataclass(frozen=True)
class DirectoryConfig:
    urls: tuple[str, ...]
    start_tls: bool
    ca_file: str
    bind_dn: str
    bind_password: str = field(repr=False)
    user_base: str
    user_filter: str
    disabled_filter: str
    username_attribute: str
    display_name_attribute: str
    team_attribute: str
    group_base: str
    role_groups: dict[str, str]  # role -> normalised group DN
    timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> DirectoryConfig | None:
        """The directory the settings describe, or None when no LDAP URL is set."""
        if not settings.ldap_url.strip():
            return None
        groups = {
            role: normalise_dn(getattr(settings, f"ldap_{role}_group"))
            for role in ROLE_ORDER
            if getattr(settings, f"ldap_{role}_group").strip()
        }
        return cls(
            urls=tuple(settings.ldap_url.split()),
            start_tls=settings.ldap_start_tls,
            ca_file=settings.ldap_ca_file,
            bind_dn=settings.ldap_bind_dn,
            bind_password=settings.ldap_bind_password,
            user_base=settings.ldap_user_base,
            user_filter=_parenthesised(settings.ldap_user_filter),
            disabled_filter=_parenthesised(settings.ldap_disabled_filter) if settings.ldap_disabled_filter else "",
            username_attribute=settings.ldap_username_attribute,
            display_name_attribute=settings.ldap_display_name_attribute,
            team_attribute=settings.ldap_team_attribute,
            group_base=settings.ldap_group_base,
            role_groups=groups,
            timeout=settings.ldap_timeout_seconds,
        )

    def role_for(self, groups: frozenset[str]) -> str | None:
        """The role of a member of these groups, or None when no mapped group is among them."""
        return next((role for role in ROLE_ORDER if self.role_groups.get(role) in groups), None)

    @property
    def people_filter(self) -> str:
        """People who may sign in: the user filter, less the disabled accounts."""
        if self.disabled_filter:
            return f"(&{self.user_filter}(!{self.disabled_filter}))"
        return self.user_filter


def _parenthesised(ldap_filter: str) -> str:
    ldap_filter = ldap_filter.strip()
    return ldap_filter if ldap_filter.startswith("(") else f"({ldap_filter})"


class Directory:
    """Look people up in the directory and check their passwords."""

    def __init__(self, config: DirectoryConfig):
        self.config = config
        tls = None
        if config.start_tls or any(url.lower().startswith("ldaps://") for url in config.urls):
            tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=config.ca_file or None)
        # Several servers are tried in turn here rather than with ldap3's ServerPool, which sleeps 10 s after a
        # round in which none answered: the person would wait that long for "the directory is not answering".
        self._servers = [
            Server(url, use_ssl=url.lower().startswith("ldaps://"), tls=tls, get_info=NONE,
                   connect_timeout=config.timeout)
            for url in config.urls
        ]  # fmt: skip

    def _connection(self, user: str | None, password: str | None) -> Connection:
        """An open connection to the first server that answers (StartTLS done when configured), not yet bound."""
        failure: Exception | None = None
        for server in self._servers:
            connection = Connection(
                server,
                user=user or None,
                password=password or None,
                receive_timeout=max(1, math.ceil(self.config.timeout)),  # ldap3 sets SO_RCVTIMEO in whole seconds
                read_only=True,
                raise_exceptions=False,
                auto_referrals=False,
            )
            try:
                connection.open()
                break
            except (LDAPException, OSError) as error:
                failure = error
        else:
            raise failure
        if self.config.start_tls and not connection.start_tls():
            connection.unbind()
            raise DirectoryUnavailable(f"StartTLS refused: {connection.result.get('description')}")
        return connection

    def _service(self) -> Connection:
        connection = self._connection(self.config.bind_dn, self.config.bind_password)
        if not connection.bind():
            result = connection.result.get("description")
            connection.unbind()
            log.error("the directory refused the service account %s: %s", self.config.bind_dn, result)
            raise DirectoryUnavailable("the directory refused the service account")
        return connection

    def _guard(self, call):
        try:
            return call()
        except LDAPException as error:
            log.warning("directory unavailable: %s", error.__class__.__name__)
            raise DirectoryUnavailable(f"the directory did not answer: {error.__class__.__name__}") from None
        except OSError as error:
            log.warning("directory unavailable: %s", error)
            raise DirectoryUnavailable("the directory did not answer") from None

    def check(self) -> None:
        """Raise DirectoryUnavailable unless the service account can bind."""
        self._guard(lambda: self._service().unbind())

    def authenticate(self, username: str, password: str) -> Person | None:
        """The person with this username and password, or None (unknown, disabled, or a wrong password).

        An empty password is refused here: LDAP takes a bind with a DN and no password as anonymous."""
        if not username or not password or len(username) > 200 or "\x00" in username:
            return None
        return self._guard(lambda: self._authenticate(username, password))

    def _authenticate(self, username: str, password: str) -> Person | None:
        service = self._service()
        try:
            ldap_filter = (
                f"(&{self.config.people_filter}({self.config.username_attribute}={escape_filter_chars(username)}))"
            )
            found = list(self._search(service, ldap_filter, size_limit=2))
            if len(found) != 1:  # nobody, or an ambiguous filter: nobody signs in
                return None
            person = found[0]
            if self.config.group_base:
                person = self._with_groups(service, person)
        finally:
            service.unbind()
        own = self._connection(person.dn, password)
        try:
            if not own.bind():
                return None
        finally:
            own.unbind()
        return person

    def people(self) -> dict[str, Person]:
        """Every person who may sign in (the people filter), by username, with their groups."""
        return self._guard(self._people)

    def _people(self) -> dict[str, Person]:
        service = self._service()
        try:
            people = {person.username: person for person in self._search(service, self.config.people_filter)}
            if self.config.group_base:
                members = self._group_members(service)
                people = {
                    name: Person(p.dn, p.username, p.display_name, p.team,
                                 frozenset(group for group, dns in members.items() if normalise_dn(p.dn) in dns))
                    for name, p in people.items()
                }  # fmt: skip
        finally:
            service.unbind()
        return people

    def _attributes(self) -> list[str]:
        attributes = [self.config.username_attribute, self.config.display_name_attribute, self.config.team_attribute]
        return attributes if self.config.group_base else [*attributes, "memberOf"]

    def _search(self, connection: Connection, ldap_filter: str, *, size_limit: int = 0) -> Iterator[Person]:
        entries = connection.extend.standard.paged_search(
            self.config.user_base, ldap_filter, SUBTREE, attributes=self._attributes(), paged_size=PAGE_SIZE,
            size_limit=size_limit, generator=True,
        )  # fmt: skip
        for entry in entries:
            if entry.get("type") != "searchResEntry":
                continue
            person = self._person(entry["dn"], entry.get("attributes", {}))
            if person is not None:
                yield person
        result = connection.result or {}
        if result.get("result") not in (0, 4):  # success, or the size limit of an ambiguous login
            raise DirectoryUnavailable(f"the directory refused the search: {result.get('description')}")

    def _person(self, dn: str, attributes: dict) -> Person | None:
        username = _first(attributes.get(self.config.username_attribute))
        if not username:
            return None
        return Person(
            dn=dn,
            username=username.lower(),
            display_name=_first(attributes.get(self.config.display_name_attribute)) or username,
            team=_first(attributes.get(self.config.team_attribute)) or None,
            groups=frozenset(normalise_dn(group) for group in attributes.get("memberOf") or ()),
        )

    def _with_groups(self, connection: Connection, person: Person) -> Person:
        dn = escape_filter_chars(person.dn)
        connection.search(
            self.config.group_base, f"(|(member={dn})(uniqueMember={dn}))", SUBTREE, attributes=[], size_limit=1000
        )
        groups = frozenset(normalise_dn(entry.entry_dn) for entry in connection.entries)
        return Person(person.dn, person.username, person.display_name, person.team, groups)

    def _group_members(self, connection: Connection) -> dict[str, set[str]]:
        """The members of each mapped group (their normalised DNs)."""
        members: dict[str, set[str]] = {}
        for group in set(self.config.role_groups.values()):
            connection.search(group, "(objectClass=*)", BASE, attributes=["member", "uniqueMember"])
            found = set()
            for entry in connection.response or ():
                attributes = entry.get("attributes", {})
                found.update(
                    normalise_dn(dn) for dn in [*attributes.get("member", []), *attributes.get("uniqueMember", [])]
                )
            members[group] = found
        return members


def _first(value) -> str:
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value).strip() if value is not None else ""
