"""The app factory and settings."""

import os

import pytest

from portal import create_app
from portal.settings import ConfigurationError, load_settings


def test_test_config_uses_test_environment(app):
    assert app.config["PORTAL_ENV"] == "test"
    assert app.testing


def test_overrides_win_over_environment(migrated_database):
    app = create_app({"ORDERS_PER_PAGE": 7})
    assert app.config["ORDERS_PER_PAGE"] == 7


def test_production_requires_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        load_settings({"INSTANCE_PATH": str(tmp_path)})


def test_production_requires_encryption_keys(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("PORTAL_ENCRYPTION_KEYS", raising=False)
    with pytest.raises(ConfigurationError, match="PORTAL_ENCRYPTION_KEYS"):
        load_settings({"INSTANCE_PATH": str(tmp_path)})


def _production(monkeypatch, **env):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("PORTAL_ENCRYPTION_KEYS", "a" * 43 + "=")
    monkeypatch.setenv("DATABASE_URL", "postgresql://portal@db.internal/portal")
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    _production(monkeypatch)
    settings = load_settings({"INSTANCE_PATH": str(tmp_path)})
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_unknown_environment_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "staging")
    with pytest.raises(ConfigurationError, match="PORTAL_ENV"):
        load_settings({"INSTANCE_PATH": str(tmp_path)})


def test_dev_generates_secrets_once_in_instance(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "dev")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("PORTAL_ENCRYPTION_KEYS", raising=False)
    first = load_settings({"INSTANCE_PATH": str(tmp_path)})
    second = load_settings({"INSTANCE_PATH": str(tmp_path)})
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert first["ENCRYPTION_KEYS"] == second["ENCRYPTION_KEYS"]
    assert (tmp_path / "encryption.key").stat().st_mode & 0o777 == 0o600


def test_postgres_urls_use_psycopg3(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "test")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    assert load_settings({"INSTANCE_PATH": str(tmp_path)})["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_redis_defaults_to_embedded_socket(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "test")
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert load_settings({"INSTANCE_PATH": str(tmp_path)})["REDIS_URL"] == f"unix://{tmp_path}/redis.sock"


@pytest.mark.parametrize("database_url", [None, "sqlite:////var/lib/portal.db"])
def test_production_refuses_sqlite(monkeypatch, tmp_path, database_url):
    _production(monkeypatch, DATABASE_URL=database_url)
    with pytest.raises(ConfigurationError, match="PostgreSQL"):
        load_settings({"INSTANCE_PATH": str(tmp_path)})


@pytest.mark.parametrize("name,value", [("ORDERS_PER_PAGE", "0"), ("ORDERS_PER_PAGE", "ten"),
                                        ("PARTNER_READ_TIMEOUT", "-1"), ("PARTNER_CONNECT_TIMEOUT", "soon")])
def test_malformed_numbers_are_a_configuration_error(monkeypatch, tmp_path, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        load_settings({"INSTANCE_PATH": str(tmp_path)})


def test_dotenv_is_read_by_every_process_but_the_environment_wins(monkeypatch, tmp_path):
    dotenv = tmp_path / "portal.env"
    dotenv.write_text("ORDERS_PER_PAGE=7\nRQ_QUEUE=from-dotenv\n")
    monkeypatch.setenv("PORTAL_DOTENV", str(dotenv))
    monkeypatch.setenv("RQ_QUEUE", "from-environment")
    monkeypatch.delenv("ORDERS_PER_PAGE", raising=False)
    try:
        settings = load_settings({"INSTANCE_PATH": str(tmp_path)})
    finally:
        os.environ.pop("ORDERS_PER_PAGE", None)  # load_dotenv wrote it into os.environ
    assert settings["ORDERS_PER_PAGE"] == 7
    assert settings["RQ_QUEUE"] == "from-environment"


def test_wsgi_trusts_forwarded_headers_only_when_told(monkeypatch):
    import importlib

    import wsgi

    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "0")
    plain = importlib.reload(wsgi).app
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "1")
    proxied = importlib.reload(wsgi).app

    def client_address(app):
        seen = {}

        @app.get("/__address")
        def address():
            from flask import request

            seen["addr"], seen["scheme"] = request.remote_addr, request.scheme
            return ""

        app.test_client().get("/__address", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
                              environ_base={"REMOTE_ADDR": "10.0.0.2"})
        return seen

    # The probe route is public on purpose: a route no access table names answers 404 (portal.security).
    from portal import security

    monkeypatch.setattr(security, "PUBLIC_ENDPOINTS", security.PUBLIC_ENDPOINTS | {"address"})
    assert client_address(plain) == {"addr": "10.0.0.2", "scheme": "http"}
    assert client_address(proxied) == {"addr": "203.0.113.9", "scheme": "https"}


def test_postgresql_keeps_a_pool_as_large_as_a_sync_run_needs(monkeypatch, tmp_path):
    """A sync run's threads share one process's pool: too small a pool opens and closes connections all the time."""
    _production(monkeypatch, DATABASE_POOL_SIZE=None)
    assert load_settings({"INSTANCE_PATH": str(tmp_path)})["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] == 20
    _production(monkeypatch, DATABASE_POOL_SIZE="40")
    assert load_settings({"INSTANCE_PATH": str(tmp_path)})["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] == 40
    _production(monkeypatch, DATABASE_POOL_SIZE="many")
    with pytest.raises(ConfigurationError, match="DATABASE_POOL_SIZE"):
        load_settings({"INSTANCE_PATH": str(tmp_path)})
