"""The suite-wide secret watch (tests/fixtures/secret_watch.py) sees leaks, and fails for them.

Each way a secret could leak is made to happen here on purpose: a page that shows one, a
log line, a job argument, a line of the worker's log. The watch must report each with
where it was; the leaks are then taken from it so this test itself passes. A separate
pytest run proves a leak fails the test it happened in, and a worker line written after
the last test fails the session.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from portal import crypto, security
from portal.queue import redis_connection
from tests import embedded_factories, factories
from tests.fixtures import presswise
from tests.fixtures.secret_watch import SecretWatch, static_secrets, watch_of

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def watch(request) -> SecretWatch:
    return watch_of(request.config)


def test_the_suites_secrets_are_looked_for(watch, app):
    expected = {presswise.PASSWORD, presswise.AUTH_CODE, embedded_factories.PASSWORD,
                embedded_factories.AUTHORIZATION_CODE, factories.PASSWORD, app.config["SECRET_KEY"],
                *app.config["ENCRYPTION_KEYS"]}
    assert expected <= watch.secrets
    assert static_secrets() <= watch.secrets


def test_a_page_showing_a_secret_is_reported(watch, app, client, monkeypatch):
    def indiscreet():
        return f"<p>the password is {presswise.PASSWORD}</p>", 200, {"X-Debug": f"code={presswise.AUTH_CODE}"}

    app.add_url_rule("/indiscreet-for-test", view_func=indiscreet)
    monkeypatch.setattr(security, "PUBLIC_ENDPOINTS", security.PUBLIC_ENDPOINTS | {"indiscreet"})
    assert client.get("/indiscreet-for-test").status_code == 200

    leaks = watch.take_leaks()
    assert any("GET /indiscreet-for-test (HTTP 200), body" in leak for leak in leaks), leaks
    assert any("header X-Debug" in leak for leak in leaks), leaks
    assert all(presswise.PASSWORD not in leak for leak in leaks), "the report does not repeat the secret"


def test_a_secret_html_escaped_in_a_page_is_still_found(watch):
    watch.add("p<ss&w'rd")
    watch.check("<input value=\"p&lt;ss&amp;w&#x27;rd\">", "a page")
    assert len(watch.take_leaks()) == 1


def test_a_log_line_with_a_secret_is_reported_even_at_debug_level(watch, app):
    logging.getLogger("portal.partners.presswise.client").debug("sending pass=%s", embedded_factories.PASSWORD)
    try:
        raise RuntimeError(f"code {embedded_factories.AUTHORIZATION_CODE}")
    except RuntimeError:
        logging.getLogger("jobs.push").exception("push failed")

    leaks = watch.take_leaks()
    assert any("log record of portal.partners.presswise.client (DEBUG)" in leak for leak in leaks), leaks
    assert any("log record of jobs.push (ERROR)" in leak for leak in leaks), leaks


def test_the_emulators_own_log_is_not_ours_to_watch(watch):
    logging.getLogger("presswise_emulator.server").warning("received pass %s", presswise.PASSWORD)
    assert watch.take_leaks() == []


def test_a_job_argument_with_a_secret_is_reported(watch, app):
    from rq.job import Job

    job = Job.create("jobs.diagnostics.ping", args=(presswise.PASSWORD,), connection=redis_connection())
    try:
        job.save()  # never enqueued: no worker may run it and write the secret into its log
    finally:
        job.delete()

    leaks = watch.take_leaks()
    assert any(f"RQ job {job.id} (jobs.diagnostics.ping)" in leak for leak in leaks), leaks


def test_secrets_typed_in_forms_and_encrypted_at_rest_are_looked_for_during_the_test(watch, app, client, subscriber):
    client.post("/auth/login", data={"email": "nobody@example.com", "password": "typed-in-a-form-81c3"})
    assert "typed-in-a-form-81c3" in watch.secrets
    crypto.encrypt("stored-at-rest-5e2a")
    assert "stored-at-rest-5e2a" in watch.secrets

    watch.check("... stored-at-rest-5e2a ...", "somewhere")
    assert len(watch.take_leaks()) == 1
    assert "x" not in watch.secrets and "short" not in watch.secrets  # too short to look for


def test_the_worker_log_is_read_line_by_line(watch, tmp_path, monkeypatch):
    log = tmp_path / "worker.log"
    log.write_text("default: jobs.push.push_order(7) (push-7)\n")
    monkeypatch.setattr(watch, "worker_log", log)
    monkeypatch.setattr(watch, "_worker_log_offset", 0)
    watch.read_worker_log()
    with open(log, "a") as out:
        out.write(f"default: jobs.oops({presswise.AUTH_CODE!r}) (id)\npartial line {presswise.PASSWORD}")
    watch.read_worker_log()
    leaks = watch.take_leaks()
    assert len(leaks) == 1 and "the RQ worker's log (worker.log)" in leaks[0], leaks


INNER_TESTS = '''
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.fixtures.presswise import AUTH_CODE, PASSWORD


@pytest.fixture(scope="session")
def rq_worker(tmp_path_factory):
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    log_path.write_text("")
    yield SimpleNamespace(log_path=log_path)
    with open(log_path, "a") as log:  # after the last test's own check
        log.write(f"default: jobs.late({PASSWORD!r})\\n")


def test_logs_a_secret():
    logging.getLogger("portal.somewhere").info("code is %s", AUTH_CODE)


def test_keeps_quiet(rq_worker):
    logging.getLogger("portal.somewhere").info("nothing to see")
'''


def test_a_leak_fails_its_test_and_a_late_worker_line_fails_the_session(tmp_path):
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER_TESTS))
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "tests.fixtures.secret_watch", "-q",
         "-rE", str(tmp_path / "test_inner.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert "2 passed, 1 error" in output, output
    assert "test_logs_a_secret" in output and "log record of portal.somewhere (INFO)" in output, output
    assert "secret leaks found after the last test" in output, output
    assert "the RQ worker's log (worker.log)" in output, output
    reports = [line for line in output.splitlines() if "contains the secret" in line]
    # The error and the session report each say it; with CI set, pytest's summary repeats it untruncated.
    assert len(reports) >= 2 and not any(presswise.PASSWORD in r or presswise.AUTH_CODE in r for r in reports), output
