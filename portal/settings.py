"""Configuration read from the environment (and an optional ``.env`` file).

Every setting has an embedded default so a fresh clone runs with no configuration:
SQLite in ``instance/`` and a private Redis on a unix socket in ``instance/``.
Production refuses to start without the settings that must not be guessed.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE_PATH = PROJECT_ROOT / "instance"

ENVIRONMENTS = ("dev", "test", "production")


class ConfigurationError(RuntimeError):
    """A setting is missing or malformed; raised at start-up, never at request time."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def _env_list(name: str) -> list[str]:
    raw = _env(name, "") or ""
    return [part.strip() for part in raw.split(",") if part.strip()]


def masked_url(url: str) -> str:
    """``url`` with its password replaced, for log lines and pages (Redis and database URLs carry one)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def instance_path() -> Path:
    return Path(_env("PORTAL_INSTANCE_PATH", str(DEFAULT_INSTANCE_PATH)))


def embedded_redis_socket(instance: Path | None = None) -> Path:
    """Where ``make run`` starts the private redis-server when REDIS_URL is unset."""
    return (instance or instance_path()) / "redis.sock"


def _persistent_dev_secret(instance: Path, filename: str, make) -> str:
    """Create a secret once in ``instance/`` so dev sessions survive restarts."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / filename
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def _load_dotenv() -> None:
    """Every process (gunicorn, the worker, the CLI) reads the same ``.env``; real environment
    variables win over it. PORTAL_DOTENV names another file, or none when empty (the tests)."""
    path = os.environ.get("PORTAL_DOTENV", str(PROJECT_ROOT / ".env"))
    if path:
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


def _positive_int(name: str, default: str) -> int:
    raw = _env(name, default)
    if not raw.isascii() or not raw.isdecimal() or int(raw) < 1:
        raise ConfigurationError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def _non_negative_int(name: str, default: str) -> int:
    raw = _env(name, default)
    if not raw.isascii() or not raw.isdecimal():
        raise ConfigurationError(f"{name} must be a whole number of at least 0, not {raw!r}")
    return int(raw)


def _positive_float(name: str, default: str) -> float:
    raw = _env(name, default)
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ConfigurationError(f"{name} must be a number of seconds above 0, not {raw!r}")
    return value


def _retry_delays(name: str, default: str) -> tuple[float, ...]:
    from portal.domain.push import parse_retry_delays

    raw = _env(name, default)
    try:
        return parse_retry_delays(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be seconds separated by commas, like 10,30,120; not {raw!r}") from None


def load_settings(overrides: dict | None = None) -> dict:
    """Build the Flask config mapping for the environment named by PORTAL_ENV."""
    overrides = dict(overrides or {})
    _load_dotenv()
    env = overrides.get("PORTAL_ENV") or _env("PORTAL_ENV", "dev")
    if env not in ENVIRONMENTS:
        raise ConfigurationError(f"PORTAL_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    instance = Path(overrides.get("INSTANCE_PATH") or instance_path())
    production = env == "production"

    secret_key = _env("SECRET_KEY")
    if secret_key is None:
        if production:
            raise ConfigurationError("SECRET_KEY must be set in production")
        secret_key = _persistent_dev_secret(instance, "secret_key", lambda: secrets.token_hex(32))

    encryption_keys = _env_list("PORTAL_ENCRYPTION_KEYS")
    generated_encryption_key = False
    if not encryption_keys:
        if production:
            raise ConfigurationError("PORTAL_ENCRYPTION_KEYS must be set in production")
        encryption_keys = [_persistent_dev_secret(instance, "encryption.key", _fernet_key)]
        generated_encryption_key = True

    database_url = _env("DATABASE_URL")
    if database_url is None:
        if production:
            # Row locks (SELECT ... FOR UPDATE) and many web and worker processes need a server database.
            raise ConfigurationError("DATABASE_URL must name a PostgreSQL database in production")
        database_url = f"sqlite:///{instance / 'portal.db'}"
    elif production and not database_url.startswith(("postgres://", "postgresql")):
        raise ConfigurationError("DATABASE_URL must name a PostgreSQL database in production")
    # Heroku-style URLs name the old driver; SQLAlchemy wants psycopg 3 spelled out.
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]

    redis_url = _env("REDIS_URL") or f"unix://{embedded_redis_socket(instance)}"

    config = {
        "PORTAL_ENV": env,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(database_url),
        "REDIS_URL": redis_url,
        "RQ_QUEUE": _env("RQ_QUEUE", "portal"),
        "ENCRYPTION_KEYS": encryption_keys,
        "ENCRYPTION_KEY_GENERATED": generated_encryption_key,
        # Partner hosts that may resolve to loopback/private addresses (the emulator in dev).
        "PARTNER_URL_ALLOWED_HOSTS": _env_list("PARTNER_URL_ALLOWED_HOSTS")
        or ([] if production else ["127.0.0.1", "localhost"]),
        "PARTNER_URL_REQUIRE_HTTPS": production,
        "PARTNER_CONNECT_TIMEOUT": _positive_float("PARTNER_CONNECT_TIMEOUT", "5"),
        "PARTNER_READ_TIMEOUT": _positive_float("PARTNER_READ_TIMEOUT", "30"),
        # Dev/demo only: the emulator the demo account points at.
        "PRESSWISE_EMULATOR_URL": _env("PRESSWISE_EMULATOR_URL", "http://127.0.0.1:8765/r/wsdl-order2.php"),
        "ORDERS_PER_PAGE": _positive_int("ORDERS_PER_PAGE", "50"),
        # Waits before the 2nd, 3rd, … attempt of a push that failed for a passing reason.
        "PUSH_RETRY_DELAYS": _retry_delays("PUSH_RETRY_DELAYS", "10,30,120,600,1800"),
        # How long a claimed push belongs to its worker; 0: a little above one push's calls' deadlines.
        "PUSH_LEASE_SECONDS": _non_negative_int("PUSH_LEASE_SECONDS", "0"),
        # After its own order, a push job sends the account's other queued orders for this long
        # (one job each would cost RQ's bookkeeping per order); 0 switches that off.
        "PUSH_DRAIN_SECONDS": _non_negative_int("PUSH_DRAIN_SECONDS", "5"),
        # How often `flask cron` has the sweep look for pushes that need a worker.
        "SWEEP_INTERVAL": _positive_int("SWEEP_INTERVAL", "10"),
        # Sync runs: a running run whose worker has not written for this long is marked interrupted
        # (by the sweep); orders are read this many at a time; a run job may take this long at most.
        "SYNC_STALE_SECONDS": _positive_int("SYNC_STALE_SECONDS", "60"),
        "SYNC_CHUNK_SIZE": _positive_int("SYNC_CHUNK_SIZE", "500"),
        "SYNC_JOB_TIMEOUT": _positive_int("SYNC_JOB_TIMEOUT", "86400"),
        # How often `flask cron` looks for scheduled status runs that are due.
        "SYNC_SCHEDULE_INTERVAL": _positive_int("SYNC_SCHEDULE_INTERVAL", "60"),
        # Reverse proxies in front of gunicorn whose X-Forwarded-* headers are trusted (wsgi.py).
        "TRUSTED_PROXY_HOPS": _non_negative_int("TRUSTED_PROXY_HOPS", "0"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        # Production is HTTPS only: browsers that saw this refuse plain HTTP to the portal for a
        # year. Never in development, where it would pin localhost to HTTPS.
        "STRICT_TRANSPORT_SECURITY": "max-age=31536000" if production else None,
        # A form's CSRF token lasts a working day from the page that carried it: a page left open
        # longer says "reload", and a token copied from an old page or a log is soon worthless.
        "WTF_CSRF_TIME_LIMIT": 8 * 60 * 60,
        "TESTING": env == "test",
        # PostgreSQL: a pooled connection idle this long is checked before use (portal._ping_connections_after_idle).
        "DATABASE_PING_AFTER_IDLE_SECONDS": 1.0,
    }
    config.update(overrides)
    return config


def _engine_options(database_url: str) -> dict:
    if database_url.startswith("sqlite"):
        # Web, worker and tests share one SQLite file: wait for locks instead of failing.
        return {"connect_args": {"timeout": 30}}
    # Stale connections are found by portal._ping_connections_after_idle instead of pool_pre_ping.
    # A sync run's threads (twice the account's call cap) and a push round's lanes each need a
    # connection at moments: with SQLAlchemy's default of 5 kept, the others were opened and closed
    # again all the time (877 PostgreSQL sessions, a backend process each, for one 2,000-order run).
    # Connections open only when needed, so a web process keeps the few it uses.
    return {"pool_size": _positive_int("DATABASE_POOL_SIZE", "20"), "max_overflow": 10}
