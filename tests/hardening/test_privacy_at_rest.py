"""Personal data at rest: cases full of phone, ID, bank card, e-mail and passport numbers go in through the
API, `heatcases import` (JSON Lines and CSV) and a live server, people search for those numbers — and then
not one raw value is found in the database's raw bytes (or every row of every table), in any file of the
data folder (the search index), in the logs (everything at DEBUG, SQL included) or in the live server's
output. A positive control (a long order number, which is not personal data) proves each place was read.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import logging
import os
import random
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import uvicorn.config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from heatcases.cli import app as cli
from heatcases.privacy import PII_KINDS
from tests.conftest import case_payload
from tests.hardening import running_server
from tests.test_privacy import grouped, id_number, luhn_number

REGIONS = ("110105", "310104", "440305", "510107", "330106")
NAMES = ("zhang.wei", "li_na", "wang.fang", "liu-yang", "chen.jing")
CLIENT_LOGGERS = ("httpx", "httpcore")
DOMAINS = ("example.com", "163.com", "qq.com", "mail.example.cn")


@dataclass
class Person:
    """One customer's personal data, fresh random values each run, and the sentences a story tells them in."""

    phone: str
    other_phone: str
    id_card: str
    card: str
    visa: str
    email: str
    passport: str
    other_passport: str
    order: str  # the positive control: a 12-digit order number, which is not personal data and stays

    @classmethod
    def make(cls, rng: random.Random) -> Person:
        def digits(count: int) -> str:
            return "".join(rng.choice("0123456789") for _ in range(count))

        birth = date(1950, 1, 1) + timedelta(days=rng.randrange(20_000))
        return cls(
            phone="1" + rng.choice("3456789") + digits(9),
            other_phone="1" + rng.choice("3456789") + digits(9),
            id_card=id_number(rng.choice(REGIONS), f"{birth:%Y%m%d}", digits(3)),
            card=luhn_number("62", 19, seed=rng.random()),
            visa=luhn_number("4", 16, seed=rng.random()),
            email=f"{rng.choice(NAMES)}{digits(5)}@{rng.choice(DOMAINS)}",
            passport="E" + digits(8),
            other_passport="G" + digits(8),
            order="2" + digits(11),
        )

    def title(self) -> str:
        return f"订单{self.order}：客人{self.phone}证件{self.id_card}卡{self.card}邮箱{self.email}护照{self.passport}"

    def story(self) -> str:
        """Every line carries personal data, written the many ways people write it."""
        phone, other, id_card = self.phone, self.other_phone, self.id_card
        return "\n".join([
            f"【情况】客人来电，手机{phone}，备用电话 {other[:3]}-{other[3:7]}-{other[7:]}，航班取消了。",
            f"客人报的身份证号是{id_card}，同行人证件 {id_card[:6]} {id_card[6:14]} {id_card[14:]}。",
            f"退款到银行卡号{grouped(self.card)}，另一张信用卡 {self.visa}，卡号 {grouped(self.visa, '-')}。",
            f"【我的做法】发邮件到{self.email}，并抄送 {self.email.upper()}，客人护照号码：{self.passport}。",
            f"同行人护照{self.other_passport}，passport no. {self.passport}。",
            f"回拨+86 {phone[:3]} {phone[3:7]} {phone[7:]}，或 +86-{other[:3]}-{other[3:7]}-{other[7:]}。",
            f"【结果】客人满意，订单号{self.order}已改签。Call back 0086{other} or {phone}.",
        ])  # fmt: skip

    def raw_values(self) -> list[str]:
        return [self.phone, self.other_phone, self.id_card, self.card, self.visa, self.email,
                self.email.split("@")[0], self.passport, self.other_passport]  # fmt: skip

    def payload(self, **overrides) -> dict:
        return case_payload(title=self.title(), body=self.story(), **overrides)


def leaks(haystack: bytes, values: list[str]) -> list[str]:
    """The values found in ``haystack``: as written, in any case, and with spaces and hyphens removed."""
    lowered = haystack.lower()
    squeezed = re.sub(rb"[ \-]", b"", lowered)
    found = []
    for value in values:
        needle = value.lower().encode()
        compact = re.sub(r"[ \-]", "", value.lower()).encode()
        if needle in lowered or compact in squeezed:
            found.append(value)
    return found


def database_bytes(settings) -> bytes:
    """SQLite: the database file and its -wal, byte for byte. PostgreSQL: every row of every table as text."""
    url = make_url(settings.sqlalchemy_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        # Read in a child process: closing a file of a live SQLite database in this process would drop the
        # process's locks on it (POSIX), and another process could then delete the -wal under our connections.
        script = "import sys; sys.stdout.buffer.write(b''.join(open(p, 'rb').read() for p in sys.argv[1:]))"
        files = [str(p) for p in (path, path.with_name(path.name + "-wal")) if p.exists()]
        return subprocess.run([sys.executable, "-c", script, *files], capture_output=True, check=True).stdout
    engine = create_engine(settings.sqlalchemy_url)
    chunks = []
    with engine.connect() as connection:
        tables = connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
        ).scalars()
        for table in list(tables):
            chunks += connection.execute(text(f'SELECT t::text FROM "{table}" t')).scalars()
    engine.dispose()
    return "\n".join(chunks).encode()


def folder_bytes(folder: Path) -> tuple[bytes, int]:
    files = [path for path in sorted(folder.rglob("*")) if path.is_file()]
    return b"".join(path.read_bytes() for path in files), len(files)


def debug_log_config(path: Path) -> Path:
    """uvicorn's own logging, plus every other logger (the app's, SQLAlchemy's) at DEBUG on stderr."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["root"] = {"handlers": ["default"], "level": "DEBUG"}
    config["loggers"]["sqlalchemy"] = {"level": "DEBUG"}  # SQLAlchemy sets its own level to WARNING otherwise
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        config["loggers"][name]["level"] = "DEBUG"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


@pytest.fixture
def run(settings, monkeypatch):
    monkeypatch.setenv("HEATCASES_DATABASE_URL", settings.sqlalchemy_url)
    monkeypatch.setenv("HEATCASES_DATA_DIR", str(settings.data_dir))
    return lambda *args: CliRunner().invoke(cli, [str(arg) for arg in args])


def test_no_raw_personal_data_in_the_database_the_index_or_the_logs(
    settings, app, make_actor, browser, run, caplog, tmp_path, report
):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")  # every statement, its parameters and the rows read
    seed = int(os.environ.get("HEATCASES_PRIVACY_SEED", random.randrange(2**32)))  # a failure names its seed to rerun
    rng = random.Random(seed)
    people: list[Person] = []

    def person() -> Person:
        people.append(Person.make(rng))
        return people[-1]

    agent = make_actor("agent", "agent_li")
    supervisor = make_actor("supervisor", "sup_zhang")
    trainee = make_actor("trainee", "trainee_xu")

    # 1. Through the API: submit, edit, approve, reject with a comment, read, search.
    created = []
    for _ in range(3):
        response = agent.post("/api/cases", json=person().payload())
        assert response.status_code == 201, response.text
        assert response.json()["masked"] == list(PII_KINDS)
        created.append(response.json())
    edited = person()
    response = agent.patch(f"/api/cases/{created[2]['id']}", json={"title": edited.title(), "body": edited.story()})
    assert response.status_code == 200, response.text
    for case in created[:2]:
        approved = supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve", "comment": "好"})
        assert approved.status_code == 200, approved.text
        assert trainee.get(f"/api/cases/{case['id']}").status_code == 200  # a view
    commenter = person()
    comment = f"请先电话{commenter.phone}核实，身份证{commenter.id_card}，邮箱{commenter.email}，卡{commenter.card}"
    rejected = supervisor.post(f"/api/cases/{created[2]['id']}/review", json={"decision": "reject", "comment": comment})
    assert rejected.status_code == 200, rejected.text
    web = browser("trainee_xu")
    searches = 0
    for who in people[:2]:
        for value in (who.phone, who.id_card, who.email, who.card, grouped(who.visa), who.passport):
            assert trainee.get("/api/search", params={"q": value}).status_code == 200
            assert web.get("/search", params={"q": value}).status_code == 200
            searches += 2
    assert leaks(agent.get(f"/api/cases/{created[0]['id']}").text.encode(), people[0].raw_values()) == []

    # 2. Through `heatcases import`: JSON Lines and CSV, each with a rejected row full of personal data too.
    jsonl = tmp_path / "archive.jsonl"
    rows = [person().payload(external_id=f"J-{n}") for n in range(3)] + [person().payload(tags=["kindness"])]
    jsonl.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    imported = run("import", jsonl, "--as", "agent_li")
    assert "3 imported, 0 already in the library, 1 rejected" in imported.output, imported.output
    buffer = io.StringIO()
    fields = ["external_id", "title", "body", "tags", "behaviors", "business_line", "channel", "status"]
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for n in range(4):
        row = person().payload(external_id=f"C-{n}", status="approved" if n < 2 else "pending")
        row.update(tags=";".join(row["tags"]), behaviors=";".join(row["behaviors"]))
        writer.writerow(row if n < 3 else {**row, "business_line": "spaceship"})
    csv_file = tmp_path / "archive.csv"
    csv_file.write_text(buffer.getvalue(), encoding="utf-8")
    imported_csv = run("import", csv_file, "--as", "agent_li")
    assert "3 imported, 0 already in the library, 1 rejected" in imported_csv.output, imported_csv.output

    # 3. Through a live server whose every logger writes at DEBUG.
    log_config = debug_log_config(tmp_path / "logging.json")
    with running_server(settings, tmp_path / "server.log", log_config=log_config) as server:
        live = person()
        with server.client(server.token("agent_li")) as author, server.client(server.token("sup_zhang")) as reviewer:
            response = author.post("/api/cases", json=live.payload())
            assert response.status_code == 201, response.text
            case_id = response.json()["id"]
            assert reviewer.post(f"/api/cases/{case_id}/review", json={"decision": "approve"}).status_code == 200
        with server.client(server.token("trainee_xu")) as reader:
            assert reader.get(f"/api/cases/{case_id}").status_code == 200
            for value in (live.phone, live.id_card, people[0].phone, live.email):
                response = reader.get("/api/search", params={"q": value})
                assert response.status_code == 200
                assert "@" in value or response.json()["total"] == 0  # the raw number is not searchable
                searches += 1
    server_log = server.log_text().encode()

    # 4. Look everywhere.
    raw = [value for who in people for value in who.raw_values()]
    controls = [who.order for who in people]
    stored = database_bytes(settings)
    data_files, file_count = folder_bytes(settings.data_dir)
    index_files, index_count = folder_bytes(settings.data_dir / "index")
    # What the application and the command logged; not httpx's lines about the requests this test sent (a
    # client's log of what the user typed, on the user's side, not the server's).
    records = [record for record in caplog.records if record.name.split(".")[0] not in CLIENT_LOGGERS]
    logged = "\n".join(f"{record.name} {record.getMessage()} {record.exc_text or ''}" for record in records).encode()
    cli_output = (imported.output + imported_csv.output).encode()
    places = {
        "the database": stored,
        "the data folder": data_files,
        "the logs (DEBUG)": logged,
        "the live server's output": server_log,
        "the command's output": cli_output,
    }
    for place, haystack in places.items():
        assert leaks(haystack, raw) == [], f"raw personal data in {place} (seed {seed})"
    assert index_count > 0 and file_count >= index_count
    for place, haystack in [("the database", stored), ("the index", index_files), ("the logs", logged)]:
        assert leaks(haystack, controls), f"the control was not found in {place}: the check would see nothing"
    assert leaks(server_log, [live.order]) and b"POST /api/cases" in server_log
    report(
        f"{len(people)} people's data ({len(raw)} raw values) in cases, a review comment, rejected rows and "
        f"{searches} searches: none found in {len(stored) / 1e3:.0f} KB of database "
        f"({'file and -wal' if settings.is_sqlite else 'every row of every table'}), "
        f"{file_count} data-folder files ({len(data_files) / 1e3:.0f} KB), {len(logged) / 1e3:.0f} KB of logs "
        f"and {len(server_log) / 1e3:.0f} KB of live server output (seed {seed})"
    )
