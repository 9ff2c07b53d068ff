"""Shared fixtures: a migrated database, a private Redis, a real RQ worker, signed-in clients.

The database is SQLite in a temporary folder unless TEST_DATABASE_URL names another
(``make test`` points it at a throwaway PostgreSQL database for the second pass).
Redis is a private redis-server on a unix socket unless TEST_REDIS_URL names one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from cryptography.fernet import Fernet
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from portal import create_app, embedded_redis
from portal.extensions import db
from tests import factories

PROJECT_ROOT = Path(__file__).resolve().parent.parent

pytest_plugins = ["tests.fixtures.presswise", "tests.fixtures.browser", "tests.fixtures.push",
                  "tests.fixtures.secret_watch"]


@pytest.fixture(scope="session")
def test_environment(tmp_path_factory):
    """Environment shared by the test process and every process it starts (worker, servers)."""
    base = tmp_path_factory.mktemp("portal")
    redis_process = None
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        redis_process, redis_url = embedded_redis.start(base / "redis")
    database_url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{base / 'portal.db'}"
    env = {
        "PORTAL_ENV": "test",
        "PORTAL_DOTENV": "",  # a developer's .env must not leak into the tests
        "PORTAL_INSTANCE_PATH": str(base / "instance"),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "RQ_QUEUE": f"portal-test-{os.getpid()}",
        "SECRET_KEY": "test-secret-key",
        "PORTAL_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        # Partner calls made by workers end fast when a test makes the emulator hang.
        "PARTNER_CONNECT_TIMEOUT": "2",
        "PARTNER_READ_TIMEOUT": "2",
        # Retries a second apart, so tests of back-off finish quickly.
        "PUSH_RETRY_DELAYS": "1,1,1",
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    yield env
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    if redis_process is not None:
        embedded_redis.stop(redis_process)


@pytest.fixture(scope="session")
def migrated_database(test_environment):
    """Build the schema once per session through the migrations, as production does."""
    from flask_migrate import downgrade, upgrade

    app = create_app()
    with app.app_context():
        if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            downgrade(revision="base")  # a reused PostgreSQL database starts from empty too
        upgrade()
        db.engine.dispose()
    return test_environment


@pytest.fixture
def app(migrated_database):
    app = create_app({"SERVER_NAME": "portal.test"})
    app.test_client_class = PortalClient
    with app.app_context():
        yield app
        db.session.rollback()
        db.session.remove()
        _forget_waiting_jobs()
        _empty_all_tables()
        db.engine.dispose()
        _forget_failed_sign_ins()
        _forget_connection_tests()


def _forget_waiting_jobs() -> None:
    """Row IDs start again at 1 in the next test: a push or retry this test left queued or scheduled
    would act on another test's order."""
    from rq.registry import ScheduledJobRegistry

    from portal.queue import all_queues

    for queue in all_queues():
        scheduled = ScheduledJobRegistry(queue=queue)
        for job_id in scheduled.get_job_ids():
            scheduled.remove(job_id, delete_job=True)
        queue.empty()
    # A job the session's worker took before that (a push the test's last click queued) must end
    # before the tables are emptied: its reads and TRUNCATE's lock can deadlock on PostgreSQL.
    from rq.registry import StartedJobRegistry

    def running() -> set[str]:
        return {job_id for queue in all_queues() for job_id in StartedJobRegistry(queue=queue).get_job_ids()}

    deadline = time.monotonic() + 15
    while running() - _ABANDONED_JOBS:
        if time.monotonic() > deadline:  # a job of a worker a test killed: never wait for it again
            _ABANDONED_JOBS.update(running())
            break
        time.sleep(0.05)


_ABANDONED_JOBS: set[str] = set()


def _forget_failed_sign_ins() -> None:
    """Every test signs in from 127.0.0.1: without this the per-address limit would trip mid-suite."""
    from portal.auth.throttling import KEY_PREFIX
    from portal.queue import redis_connection

    connection = redis_connection()
    for key in connection.scan_iter(f"{KEY_PREFIX}:*"):
        connection.delete(key)


def _empty_all_tables() -> None:
    """Every row gone and IDs from 1 again. On PostgreSQL a DELETE per table and a RESTART per
    sequence take about 8 ms where one TRUNCATE … RESTART IDENTITY took about 40 (a new file per
    table): over a thousand tests, half a minute of the PostgreSQL pass."""
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:  # as TRUNCATE did: a straggler's write ends (and is deleted) first, none comes after
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.exec_driver_sql(f"LOCK TABLE {names} IN EXCLUSIVE MODE")
        for table in tables:
            connection.execute(table.delete())
        if postgres:
            for sequence in _postgres_sequences(connection):
                connection.exec_driver_sql(f"ALTER SEQUENCE {sequence} RESTART")


_SEQUENCES: list[str] = []


def _postgres_sequences(connection) -> list[str]:
    if not _SEQUENCES:
        _SEQUENCES.extend(connection.exec_driver_sql(
            "SELECT quote_ident(sequence_schema) || '.' || quote_ident(sequence_name) FROM information_schema.sequences"
        ).scalars())
    return _SEQUENCES


def _forget_connection_tests() -> None:
    """The latest Test connection is kept in Redis per account ID for an hour, and IDs start at 1
    again in the next test: without this, an account page could show the previous test's answer
    (seen: "Wrong address" from one test on the page of the next test's account 1)."""
    from portal.queue import redis_connection

    connection = redis_connection()
    for key in connection.scan_iter("portal:connection-test:*"):
        connection.delete(key)


class PortalClient(FlaskClient):
    """A test client that sends a valid CSRF token with every POST unless told not to, and runs
    each request in an app context of its own, as production does.

    The test body keeps the app fixture's context (its own ``g`` and database session); a
    request never sees them. So objects a request loaded are not in the test's session, and
    objects the test holds do not change when a request commits: after a request, call
    ``db.session.expire_all()`` (or ``refresh``, or query again) before reading them.
    """

    def open(self, *args, csrf: bool = True, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method in {"POST", "PUT", "PATCH", "DELETE"}:
            token = self.csrf_token()
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", token)
            kwargs["headers"] = headers
        # Flask reuses an app context that is already pushed (RequestContext.push), and the app
        # fixture keeps one pushed for the test body: without a fresh one here, every request
        # would share the test's g (Flask-Login's cached user) and its database session.
        # Popping it ends the request's session (Flask-SQLAlchemy's teardown), as in production.
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        """The signed token Flask-WTF expects, for the raw token kept in this client's session."""
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", os.urandom(20).hex())
        serializer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return serializer.dumps(raw)

    def login(self, user, password: str = factories.PASSWORD):
        response = self.post("/auth/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.text
        return response

    def htmx(self, method: str, url: str, **kwargs):
        headers = dict(kwargs.pop("headers", None) or {})
        headers["HX-Request"] = "true"
        return self.open(url, method=method.upper(), headers=headers, **kwargs)


@pytest.fixture
def client(app) -> PortalClient:
    return app.test_client()


@pytest.fixture
def subscriber(app):
    # Committed like every fixture's rows: requests have their own database session and do not
    # see what the test's session has only flushed.
    subscriber = factories.subscriber(name="Acme Print")
    db.session.commit()
    return subscriber


@pytest.fixture
def admin(app, subscriber):
    user = factories.admin(subscriber, email="admin@acme.example", name="Alice Admin")
    db.session.commit()
    return user


@pytest.fixture
def staff_user(app):
    user = factories.admin(staff=True, email="staff@platform.example", name="Sam Staff")
    db.session.commit()
    return user


@pytest.fixture
def logged_in(client, admin) -> PortalClient:
    client.login(admin)
    return client


@pytest.fixture
def staff_client(client, staff_user) -> PortalClient:
    client.login(staff_user)
    return client


@pytest.fixture
def other_tenant(app):
    """A second subscriber with a site, a user and an order: the IDs an attacker would try."""
    other = factories.subscriber(name="Rival Print")
    other_admin = factories.admin(other, email="admin@rival.example")
    site = factories.site(other, name="Rival store")
    user = factories.site_user(site)
    order = factories.order(site, user=user, items=2)
    db.session.commit()
    return {"subscriber": other, "admin": other_admin, "site": site, "site_user": user, "order": order,
            "item": order.items[0]}


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture(scope="session")
def rq_worker(migrated_database):
    """A real ``flask worker`` process (RQ worker with scheduler) on the test queue."""
    log_path = Path(migrated_database["PORTAL_INSTANCE_PATH"]).parent / "worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    from redis import Redis
    from rq import Worker

    connection = Redis.from_url(migrated_database["REDIS_URL"])
    deadline = time.monotonic() + 30
    while not any(w.pid == process.pid for w in Worker.all(connection=connection)):
        if process.poll() is not None or time.monotonic() > deadline:
            log.flush()
            raise RuntimeError(f"worker did not start: {log_path.read_text()[-2000:]}")
        time.sleep(0.1)
    process.log_path = log_path
    yield process
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def wait_for_connection_test(client, account, timeout: float = 30.0):
    """Press Test connection (HTMX) and follow the panel's polling until the worker's answer is in it.

    Returns the last fragment. Needs the ``rq_worker`` fixture.
    """
    fragment = soup(client.htmx("post", f"/embedded-services/{account.id}/test"))
    deadline = time.monotonic() + timeout
    while fragment.select_one("#connection-result[hx-get]") is not None:
        if time.monotonic() > deadline:
            raise AssertionError(f"Test connection did not settle within {timeout}s: {fragment}")
        time.sleep(0.1)
        db.session.expire_all()  # the worker changed the account meanwhile
        fragment = soup(client.htmx("get", fragment.select_one("#connection-result")["hx-get"]))
    db.session.expire_all()
    return fragment


def wait_for_job(job, timeout: float = 30.0):
    """Poll a job until it finishes or fails; fail the test with the worker's reason."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = job.get_status(refresh=True)
        if status == "finished":
            return job.return_value()
        if status in ("failed", "stopped", "canceled"):
            raise AssertionError(f"job {job.id} {status}: {job.latest_result().exc_string if job.latest_result() else ''}")
        time.sleep(0.05)
    raise AssertionError(f"job {job.id} did not finish within {timeout}s (status {job.get_status()})")
