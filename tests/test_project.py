"""Contract tests: migrations match the models, settings are documented and safe, OpenAPI is served."""

from __future__ import annotations

import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError

from heatcases import db
from heatcases.config import DEV_SECRET, Settings
from tests.conftest import ROOT


def test_migrations_match_the_models(migrated, cleaning_engine):
    with cleaning_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_a_fresh_data_folder_just_works(tmp_path, monkeypatch):
    monkeypatch.delenv("HEATCASES_DATABASE_URL", raising=False)
    settings = Settings(data_dir=tmp_path / "fresh")
    db.migrate(settings)
    db.migrate(settings)  # a second start changes nothing
    assert (tmp_path / "fresh" / "heatcases.db").exists()


class TestSettings:
    def test_default_secret_is_refused_in_production(self):
        with pytest.raises(ValidationError, match="HEATCASES_SECRET_KEY"):
            Settings(env="production")
        with pytest.raises(ValidationError):
            Settings(env="production", secret_key="short")
        assert Settings(env="production", secret_key="x" * 40).env == "production"

    def test_default_secret_is_fine_in_development(self, monkeypatch):
        monkeypatch.delenv("HEATCASES_SECRET_KEY", raising=False)
        assert Settings().secret_key == DEV_SECRET

    def test_settings_come_from_the_environment(self, monkeypatch):
        monkeypatch.delenv("HEATCASES_DATABASE_URL", raising=False)
        monkeypatch.setenv("HEATCASES_VIEW_WINDOW_MINUTES", "5")
        monkeypatch.setenv("HEATCASES_DATA_DIR", "/tmp/elsewhere")
        settings = Settings()
        assert settings.view_window_minutes == 5 and str(settings.data_dir) == "/tmp/elsewhere"
        assert settings.sqlalchemy_url.startswith("sqlite:////tmp/elsewhere")

    def test_unknown_time_zone_is_refused(self):
        with pytest.raises(ValidationError):
            Settings(timezone="Mars/Olympus")

    def test_every_setting_is_documented_in_the_readme(self):
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        documented = set(re.findall(r"`(HEATCASES_[A-Z_]+)`", readme))
        expected = {f"HEATCASES_{name.upper()}" for name in Settings.model_fields}
        assert expected <= documented, f"not in the README: {sorted(expected - documented)}"


def test_openapi_describes_every_api_path(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in [
        "/api/auth/token",
        "/api/me",
        "/api/cases",
        "/api/cases/{case_id}",
        "/api/cases/{case_id}/review",
        "/api/cases/{case_id}/feature",
    ]:
        assert path in paths
    assert not any(path.startswith("/cases") for path in paths), "pages stay out of the API document"
