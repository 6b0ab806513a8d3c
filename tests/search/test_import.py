"""`heatcases import FILE`: validate, mask, report rejected rows, never duplicate, then searchable."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from heatcases.cli import app as cli
from heatcases.models import Case, CaseEvent
from tests.conftest import STORY
from tests.hardening import indexed_ids

PHONE, ID_CARD, EMAIL = "13812345678", "11010519491231002X", "li.ming@example.com"


@pytest.fixture
def run(settings, monkeypatch):
    monkeypatch.setenv("HEATCASES_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HEATCASES_DATA_DIR", str(settings.data_dir))
    return lambda *args: CliRunner().invoke(cli, [str(arg) for arg in args])


def record(**overrides) -> dict:
    data = {"title": "台风取消航班，帮老人改签", "body": STORY, "tags": ["heartwarming"], "business_line": "flight"}
    data.update(overrides)
    return data


def write_jsonl(path, records) -> None:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")


def case_count(app) -> int:
    with Session(app.state.engine) as session:
        return session.exec(select(func.count()).select_from(Case)).one()


class TestJsonLines:
    def test_loads_masks_and_makes_the_cases_searchable(self, run, app, agent, trainee, tmp_path):
        path = tmp_path / "archive.jsonl"
        write_jsonl(path, [
            record(external_id="A-1", title="独门秘籍：雷雨夜改签", body=STORY + f"客人电话{PHONE}，身份证{ID_CARD}。"),
            record(external_id="A-2", title="独门秘籍：酒店超售", author="agent_li", tags=["trust", "active"],
                   behaviors=["ownership"], praise="letter", occurred_on="2025-03-01", status="approved"),
            record(external_id="A-3", title="独门秘籍：待审核的", status="pending"),
        ])  # fmt: skip
        result = run("import", path, "--as", "agent_li")
        assert result.exit_code == 0, result.output
        assert "3 imported, 0 already in the library, 0 rejected" in result.output
        hits = trainee.get("/api/search", params={"q": "独门秘籍"}).json()["hits"]
        assert sorted(hit["title"] for hit in hits) == ["独门秘籍：酒店超售", "独门秘籍：雷雨夜改签"]
        masked = trainee.get(f"/api/cases/{[h for h in hits if '雷雨' in h['title']][0]['id']}").json()
        assert PHONE not in masked["body"] and ID_CARD not in masked["body"]
        assert masked["masked"] == ["phone", "id_card"] and masked["author"] == "agent_li"
        with Session(app.state.engine) as session:
            assert {e.action for e in session.exec(select(CaseEvent))} == {"import"}

    def test_an_import_into_a_data_folder_no_server_has_used_builds_its_index(
        self, run, settings, agent, tmp_path, monkeypatch
    ):
        """Before the first start (a new installation loading its archive): the index is built, then searched."""
        path = tmp_path / "archive.jsonl"
        write_jsonl(path, [record(external_id="A-1", title="独门秘籍：首次导入", status="approved")])
        monkeypatch.setenv("HEATCASES_DATA_DIR", str(tmp_path / "new-folder"))
        result = run("import", path, "--as", "agent_li")
        assert result.exit_code == 0, result.output
        assert "search index updated" in result.output
        assert len(indexed_ids(tmp_path / "new-folder" / "index")) == 1

    def test_a_second_run_adds_nothing(self, run, app, agent, tmp_path):
        path = tmp_path / "archive.jsonl"
        write_jsonl(path, [record(external_id="A-1"), record(title="没有外部编号的案例")])
        assert run("import", path, "--as", "agent_li").exit_code == 0
        again = run("import", path, "--as", "agent_li")
        assert again.exit_code == 0, again.output
        assert "0 imported, 2 already in the library" in again.output
        assert case_count(app) == 2

    def test_rejected_rows_are_reported_with_line_and_reason_and_the_rest_loads(self, run, app, agent, tmp_path):
        path = tmp_path / "archive.jsonl"
        path.write_text(
            "\n".join([
                json.dumps(record(external_id="ok-1")),
                "{not json",
                json.dumps(record(tags=["kindness"])),
                json.dumps(record(body="太短")),
                json.dumps(record(author="nobody")),
                json.dumps(record(status="rejected")),
                json.dumps(["a", "list"]),
                json.dumps(record(external_id="ok-1", title="同一个外部编号")),
            ]) + "\n",
            encoding="utf-8",
        )  # fmt: skip
        result = run("import", path, "--as", "agent_li")
        assert result.exit_code == 1
        for line, reason in [(2, "not valid JSON"), (3, "tags"), (4, "body"), (5, "no such user 'nobody'"),
                             (6, "status"), (7, "JSON object")]:  # fmt: skip
            assert f"line {line}: " in result.output and reason in result.output.split(f"line {line}: ")[1]
        assert "1 imported, 1 already in the library, 6 rejected (of 8 rows)" in result.output
        assert case_count(app) == 1

    def test_rows_without_an_author_need_as(self, run, app, tmp_path):
        path = tmp_path / "archive.jsonl"
        write_jsonl(path, [record()])
        result = run("import", path)
        assert result.exit_code == 1 and "author" in result.output
        assert run("import", path, "--as", "ghost").exit_code == 2


class TestCsv:
    def test_csv_with_semicolon_lists(self, run, app, agent, trainee, tmp_path):
        path = tmp_path / "archive.csv"
        path.write_text(
            "external_id,title,body,tags,behaviors,business_line,channel,praise\n"
            f'C-1,独门秘籍：高铁改签,"{STORY}",effortless;heartwarming,plain_talk;empathy,train,phone,\n'
            f'C-2,坏行,"{STORY}",nonsense,,train,phone,\n',
            encoding="utf-8",
        )
        result = run("import", path, "--as", "agent_li")
        assert result.exit_code == 1
        assert f"line {3 + STORY.count(chr(10))}: tags" in result.output  # where the bad record starts
        hit = trainee.get("/api/search", params={"q": "独门秘籍"}).json()["hits"][0]
        assert hit["tags"] == ["heartwarming", "effortless"] and hit["business_line"] == "train"

    @pytest.mark.parametrize("name, content", [("cases.txt", "x"), ("missing.csv", None), ("bad.csv", b"\xff\xfe\x00")])
    def test_unreadable_files_exit_2_with_a_message(self, run, agent, tmp_path, name, content):
        path = tmp_path / name
        if isinstance(content, str):
            path.write_text(content)
        elif content is not None:
            path.write_bytes(content)
        result = run("import", path, "--as", "agent_li")
        assert result.exit_code == 2 and "error" in result.output
