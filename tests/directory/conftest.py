"""A real OpenLDAP server for the directory tests: Debian's slapd (scripts/ldap-deps.sh installs it), started
for each test on a free local port with a throw-away slapd.conf (mdb backend, the memberof overlay) and an LDIF
of people in departments and groups. Without slapd the tests are skipped, except in CI (CI=true), where that
fails. The app under test is the real app with HEATCASES_LDAP_* pointing at this server."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from ldap3 import MODIFY_REPLACE, Connection, Server

SLAPD = os.environ.get("HEATCASES_SLAPD", "/usr/sbin/slapd")
SLAPADD = os.environ.get("HEATCASES_SLAPADD", "/usr/sbin/slapadd")
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")

SUFFIX = "dc=heat,dc=test"
ROOT_DN, ROOT_PASSWORD = f"cn=admin,{SUFFIX}", "root-secret"
SERVICE_DN, SERVICE_PASSWORD = f"cn=heat-service,ou=services,{SUFFIX}", "service-secret"
PEOPLE, GROUPS = f"ou=people,{SUFFIX}", f"ou=groups,{SUFFIX}"


def group_dn(role: str) -> str:
    return f"cn=heat-{role}s,{GROUPS}"


@dataclass(frozen=True)
class Person:
    uid: str
    name: str
    department: str | None
    groups: tuple[str, ...]  # roles whose group they are in
    password: str

    @property
    def dn(self) -> str:
        return f"uid={self.uid},{PEOPLE}"


# The directory every test starts with: one person per role, one in two groups, one in none.
PEOPLE_LDIF = (
    Person("li.wei", "李伟", "机票一组", ("agent",), "Agent-pass-1"),
    Person("xu.ming", "徐明", "学员一班", ("trainee",), "Trainee-pass-1"),
    Person("zhang.hua", "张华", "机票一组", ("supervisor", "agent"), "Super-pass-1"),
    Person("wang.qiang", "王强", "信息部", ("admin",), "Admin-pass-1"),
    Person("chen.jing", "陈静", "财务部", (), "Nogroup-pass-1"),
    Person("zhao.lei", "赵磊", "酒店二组", ("agent",), "Agent-pass-2"),
)


def _skip_reason() -> str | None:
    missing = [path for path in (SLAPD, SLAPADD, str(SCHEMA_DIR / "inetorgperson.schema")) if not Path(path).exists()]
    if not missing:
        return None
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI needs {', '.join(missing)} (scripts/ldap-deps.sh) for the directory tests", pytrace=False)
    return f"no OpenLDAP server ({', '.join(missing)}): run scripts/ldap-deps.sh as root"


def pytest_collection_modifyitems(config, items):
    reason = _skip_reason()
    if reason:
        for item in items:
            if {"slapd", "tls_slapd"} & set(getattr(item, "fixturenames", ())):
                item.add_marker(pytest.mark.skip(reason=reason))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ldif() -> str:
    entries = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: HEAT\ndc: heat\n",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n",
        f"dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services\n",
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: heat-service\n"
        f"userPassword: {SERVICE_PASSWORD}\n",
    ]
    for person in PEOPLE_LDIF:
        entry = (
            f"dn: {person.dn}\nobjectClass: inetOrgPerson\nuid: {person.uid}\ncn: {person.uid}\nsn: {person.uid}\n"
            f"displayName: {person.name}\nuserPassword: {person.password}\n"
        )
        if person.department:
            entry += f"departmentNumber: {person.department}\n"
        entries.append(entry)
    return "\n".join(entries)


def _make_certificates(folder: Path) -> Path:
    """A throw-away CA and a certificate for 127.0.0.1 signed by it (openssl); returns the CA's file."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=folder)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=HEAT test CA")
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "san.ext")  # fmt: skip
    (folder / "server.key").chmod(0o644)  # slapd may run as another user
    return folder / "ca.pem"


class Slapd:
    """One slapd process with its own configuration and database in a temporary folder."""

    def __init__(self, folder: Path, *, tls: bool = False):
        self.folder = folder
        self.port = _free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.tls_port = _free_port() if tls else None
        self.process: subprocess.Popen | None = None
        (folder / "db").mkdir(parents=True)
        self.ca_file = _make_certificates(folder) if tls else None
        tls_lines = [
            f"TLSCACertificateFile {folder / 'ca.pem'}",
            f"TLSCertificateFile {folder / 'server.pem'}",
            f"TLSCertificateKeyFile {folder / 'server.key'}",
        ] if tls else []  # fmt: skip
        self.conf = folder / "slapd.conf"
        self.conf.write_text(
            "\n".join(
                [f"include {SCHEMA_DIR / name}.schema" for name in ("core", "cosine", "inetorgperson")]
                + tls_lines
                + [
                    f"pidfile {folder / 'slapd.pid'}",
                    f"modulepath {MODULE_DIR}",
                    "moduleload back_mdb",
                    "moduleload memberof",
                    "database mdb",
                    "maxsize 16777216",
                    f'suffix "{SUFFIX}"',
                    f'rootdn "{ROOT_DN}"',
                    f"rootpw {ROOT_PASSWORD}",
                    f"directory {folder / 'db'}",
                    "overlay memberof",
                    "access to attrs=userPassword by anonymous auth by * none",
                    "access to * by users read by * none",
                ]
            )
            + "\n"
        )
        ldif = folder / "people.ldif"
        ldif.write_text(_ldif(), encoding="utf-8")
        subprocess.run([SLAPADD, "-f", str(self.conf), "-l", str(ldif)], check=True, capture_output=True)

    def start(self) -> None:
        # The port was free when chosen; another test run on this machine (the SQLite and PostgreSQL passes run
        # side by side) may take it first. Then this slapd exits, and what answers on the port is the other
        # run's directory, which freeze() would not stop: so check that the one answering is ours, else move.
        for _attempt in range(5):
            if self._start_on_ports():
                return
            self.port, self.tls_port = _free_port(), _free_port() if self.tls_port else None
            self.url = f"ldap://127.0.0.1:{self.port}"
        raise RuntimeError("slapd did not start")

    def _start_on_ports(self) -> bool:
        urls = f"{self.url}/" + (f" ldaps://127.0.0.1:{self.tls_port}/" if self.tls_port else "")
        self.process = subprocess.Popen(
            [SLAPD, "-f", str(self.conf), "-h", urls, "-d", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            except OSError:
                time.sleep(0.02)
                continue
            time.sleep(0.2)  # a slapd that could not bind its port exits at once
            return self.process.poll() is None
        self.stop()
        return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def freeze(self) -> None:
        """Stop answering without closing the port: a directory that hangs."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def admin(self) -> Connection:
        return Connection(Server(self.url), ROOT_DN, ROOT_PASSWORD, auto_bind=True)

    def add_groups(self) -> None:
        """The groups, added online so that the memberof overlay gives people their memberOf."""
        with self.admin() as connection:
            for role in ("admin", "supervisor", "agent", "trainee"):
                # groupOfNames needs a member: the root DN stays in each group, so the last person can leave it
                members = [ROOT_DN, *(person.dn for person in PEOPLE_LDIF if role in person.groups)]
                assert connection.add(group_dn(role), ["groupOfNames"], {"cn": f"heat-{role}s", "member": members})

    def replace(self, dn: str, **attributes) -> None:
        with self.admin() as connection:
            changes = {name: [(MODIFY_REPLACE, values)] for name, values in attributes.items()}
            assert connection.modify(dn, changes), connection.result

    def delete(self, dn: str) -> None:
        with self.admin() as connection:
            assert connection.delete(dn), connection.result

    def add_member(self, role: str, dn: str) -> None:
        with self.admin() as connection:
            assert connection.modify(group_dn(role), {"member": [("MODIFY_ADD", [dn])]}), connection.result

    def remove_member(self, role: str, dn: str) -> None:
        with self.admin() as connection:
            assert connection.modify(group_dn(role), {"member": [("MODIFY_DELETE", [dn])]}), connection.result


@pytest.fixture
def slapd(tmp_path):
    if shutil.which(SLAPD) is None:
        pytest.skip("no slapd")
    server = Slapd(tmp_path / "slapd")
    server.start()
    server.add_groups()
    yield server
    server.stop()


@pytest.fixture
def tls_slapd(tmp_path):
    """A slapd with a certificate from a throw-away CA, answering StartTLS on ldap:// and on ldaps://."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl to make the test certificates")
    server = Slapd(tmp_path / "tls-slapd", tls=True)
    server.start()
    server.add_groups()
    yield server
    server.stop()


def ldap_settings(url: str, **overrides) -> dict:
    values = {
        "ldap_url": url,
        "ldap_bind_dn": SERVICE_DN,
        "ldap_bind_password": SERVICE_PASSWORD,
        "ldap_user_base": PEOPLE,
        "ldap_user_filter": "(objectClass=inetOrgPerson)",
        "ldap_disabled_filter": "(employeeType=disabled)",
        "ldap_username_attribute": "uid",
        "ldap_display_name_attribute": "displayName",
        "ldap_team_attribute": "departmentNumber",
        **{f"ldap_{role}_group": group_dn(role) for role in ("admin", "supervisor", "agent", "trainee")},
        "ldap_timeout_seconds": 1.0,
    }
    values.update(overrides)
    return values
