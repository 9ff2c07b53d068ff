"""Staff > System status: database, Redis, workers, and a job round trip; never a 500."""

from __future__ import annotations

import time
import uuid
from contextlib import contextmanager

import pytest

from portal.extensions import db
from portal.queue import redis_connection
from tests.conftest import soup


def test_only_staff_see_the_status_page(logged_in):
    assert logged_in.get("/staff/status").status_code == 404
    assert logged_in.htmx("post", "/staff/status/ping").status_code == 404


def test_anonymous_visitors_do_not_see_the_status_page(client):
    response = client.get("/staff/status")
    assert response.status_code in (302, 404)
    assert b"System status" not in response.data


def test_status_shows_database_redis_and_table_counts(staff_client, subscriber):
    response = staff_client.get("/staff/status")

    assert response.status_code == 200
    page = soup(response)
    assert page.select_one('[data-field="dialect"]').text.strip() == db.engine.dialect.name
    assert page.select_one('[data-field="revision"]').text.split()[0] == _current_revision()
    assert "at head" in page.select_one('[data-field="revision"]').text
    # One subscriber from the fixture and the staff user.
    assert page.select_one('[data-table="subscriber"]').text == "1"
    assert page.select_one('[data-table="admin_user"]').text == "1"
    assert page.select_one('[data-field="version"]').text.strip() == redis_connection().info()["redis_version"]
    assert page.select_one('[data-field="queued"]').text == "0"
    assert page.select_one("#redis-status .badge.ok") is not None


def test_database_password_is_masked(staff_client, app):
    page = soup(staff_client.get("/staff/status"))
    shown = page.select_one('[data-field="database-url"]').text
    assert shown == db.engine.url.render_as_string(hide_password=True)
    if db.engine.url.password:
        assert db.engine.url.password not in page.text


def test_without_workers_the_page_says_so_and_the_button_does_not_enqueue(staff_user):
    with _client_for(staff_user, RQ_QUEUE=_unserved_queue_name()) as client:
        page = soup(client.get("/staff/status"))
        assert "No worker is serving the queue" in page.select_one("#workers").text

        response = client.htmx("post", "/staff/status/ping")

        assert response.status_code == 200
        assert soup(response).select_one(".ping")["data-state"] == "no-worker"
        from portal.queue import task_queue
        assert task_queue().name == client.application.config["RQ_QUEUE"]
        assert task_queue().count == 0


def test_round_trip_button_reaches_a_real_worker_and_reports_it(staff_client, rq_worker):
    from rq import Worker

    (worker,) = [w for w in Worker.all(connection=redis_connection()) if w.pid == rq_worker.pid]
    page = soup(staff_client.get("/staff/status"))
    assert page.select_one(f'[data-worker="{worker.name}"]') is not None

    fragment = soup(staff_client.htmx("post", "/staff/status/ping"))
    deadline = time.monotonic() + 30
    while fragment.select_one(".ping")["data-state"] != "finished":
        poll = fragment.select_one(".ping")
        assert poll.get("hx-trigger") == "load delay:500ms", fragment
        assert time.monotonic() < deadline, "the worker never answered"
        time.sleep(0.2)
        response = staff_client.htmx("get", poll["hx-get"])
        assert response.status_code == 200
        fragment = soup(response)

    assert fragment.select_one('[data-field="worker"]').text == worker.name
    assert fragment.select_one('[data-field="round-trip"]').text.endswith(" ms")
    assert fragment.select_one(".ping").get("hx-get") is None  # polling stops once answered


def test_round_trip_without_javascript_redirects_to_a_result_page(staff_client, rq_worker):
    response = staff_client.post("/staff/status/ping")

    assert response.status_code == 302
    deadline = time.monotonic() + 30
    while True:
        page = soup(staff_client.get(response.headers["Location"]))
        state = page.select_one("#ping-result .ping")["data-state"]
        if state == "finished" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert state == "finished"
    assert page.select_one("h1").text == "System status"


def test_unknown_job_is_reported_not_a_500(staff_client):
    response = staff_client.htmx("get", "/staff/status/ping/does-not-exist")
    assert response.status_code == 200
    assert soup(response).select_one(".ping")["data-state"] == "missing"


def test_other_jobs_are_not_reported_by_the_ping_page(staff_user):
    from portal.queue import task_queue

    # On a queue no worker serves, so no worker runs (and fails) this made-up job meanwhile.
    with _client_for(staff_user, RQ_QUEUE=_unserved_queue_name()) as client:
        job = task_queue().enqueue("jobs.diagnostics.ping.__name__", "not a ping")
        try:
            assert client.htmx("get", f"/staff/status/ping/{job.id}").status_code == 404
        finally:
            job.delete()


def test_a_ping_nobody_picks_up_is_given_up(staff_user, monkeypatch):
    from portal.queue import task_queue
    from portal.staff import status

    # "Nobody picks it up" must be true, not likely: the session's real worker (running if an
    # earlier test started it) serves the test queue and could run the ping before the page
    # looks at it. No worker listens to this queue.
    with _client_for(staff_user, RQ_QUEUE=_unserved_queue_name()) as client:
        job = task_queue().enqueue(status.PING_JOB, "stuck")
        monkeypatch.setattr(status, "PING_GIVE_UP_SECONDS", -1)  # as if it had waited past the limit

        fragment = soup(client.htmx("get", f"/staff/status/ping/{job.id}"))

        assert fragment.select_one(".ping")["data-state"] == "no-answer"
        assert "No worker picked the job up" in fragment.text
        assert task_queue().count == 0


def test_page_renders_with_the_error_when_redis_is_down(staff_user, tmp_path):
    with _client_for(staff_user, REDIS_URL=f"unix://{tmp_path / 'gone.sock'}") as client:
        response = client.get("/staff/status")
        assert response.status_code == 200
        page = soup(response)
        assert "Redis did not answer" in page.select_one("#redis-status").text
        assert page.select_one("#database-status .badge.ok") is not None

        ping = client.htmx("post", "/staff/status/ping")
        assert ping.status_code == 200
        assert soup(ping).select_one(".ping")["data-state"] == "redis-error"


def _unserved_queue_name() -> str:
    """A queue of this test alone: the session's worker serves only the suite's RQ_QUEUE."""
    return f"portal-test-unserved-{uuid.uuid4().hex}"


@contextmanager
def _client_for(user, **config):
    """A signed-in client of a second app configured differently from the test app."""
    from portal import create_app
    from tests.conftest import PortalClient

    other = create_app({"SERVER_NAME": "portal.test", **config})
    other.test_client_class = PortalClient
    with other.app_context():
        client = other.test_client()
        client.login(user)
        try:
            yield client
        finally:
            db.session.remove()
            db.engine.dispose()


def _current_revision() -> str:
    from sqlalchemy import text

    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
