"""Test connection: one authenticated call to the partner, made by a worker, recorded on the account.

A person presses the button; the web request only enqueues the job (a slow partner must
never hold a web thread) and the page polls until the job settles. One test runs per
account at a time: a second click while one runs shows the running one.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from redis.exceptions import RedisError, WatchError
from rq.exceptions import NoSuchJobError
from rq.job import Job

from portal.crypto import SecretUnreadable
from portal.domain.account_health import CallOutcome, Outcome
from portal.domain.partner_urls import PartnerUrlError, PartnerUrlRules, validate_partner_url
from portal.integration.clients import job_timeout, outcome_of, partner_client
from portal.models import EmbeddedServicesAccount
from portal.partners.base import PartnerError
from portal.queue import redis_connection, task_queue

log = logging.getLogger(__name__)

CONNECTION_TEST_JOB = "jobs.connection.test_connection"
# How long the latest test's answer stays available to the account page.
RESULT_TTL = 3600
PENDING_STATES = {"queued", "started", "scheduled", "deferred"}
BROKEN_STATES = {"failed", "stopped", "canceled"}


class QueueUnavailable(RuntimeError):
    """Redis did not answer: the test could not be started or looked up."""


@dataclass(frozen=True)
class ConnectionTest:
    """The latest Test connection of an account, as the page shows it."""

    job_id: str
    running: bool
    outcome: CallOutcome | None = None  # set once it finished
    problem: str | None = None  # set when the job itself failed (killed, timed out)
    finished_at: datetime | None = None


def check_connection(account: EmbeddedServicesAccount, *, resume_on_success: bool = False) -> CallOutcome:
    """Call the partner with the account's credentials; record and return how it went.

    Wrong credentials pause the account. The caller commits. Runs in a worker, never in a
    web request.

    ``resume_on_success`` ("Save and test"): a passing test of a paused account lifts the
    pause, commits, then hands the orders waiting for the account to the workers (commit
    first, enqueue afterwards), and the answer says so. The credentials were what paused it,
    and a passing test proves they work now.
    """
    try:
        # The rules may have changed since the URL was saved (e.g. a host left the allow-list).
        validate_partner_url(account.url, PartnerUrlRules.from_config(current_app.config))
    except PartnerUrlError as error:
        return CallOutcome(Outcome.NOT_CALLED, f"The portal will not call this URL: {error}")
    try:
        client = partner_client(account)
    except SecretUnreadable:
        return CallOutcome(
            Outcome.NOT_CALLED,
            "The stored password cannot be decrypted with the configured keys. "
            "Enter the password and authorization code again.",
        )
    try:
        client.test_connection()
        error = None
    except PartnerError as caught:
        error = caught
    outcome = outcome_of(error, account.partner_name)
    log.info("test connection of account %s: %s", account.id, outcome.outcome.value)
    account.record_outcome(outcome)
    if resume_on_success and outcome.ok and account.is_paused:
        outcome = CallOutcome(outcome.outcome, f"{outcome.message} {_resume(account)}")
    return outcome


def _resume(account: EmbeddedServicesAccount) -> str:
    """Lift the pause after a passing test; say what became of the waiting orders."""
    from portal.extensions import db
    from portal.integration.push import resume_pushes

    account.resume()
    db.session.commit()
    if not account.active:
        return "The account was paused and is resumed, but it is inactive: Reactivate it to send orders with it."
    waiting = resume_pushes(account)
    if not waiting:
        return "The account was paused and is resumed: orders are sent with it again."
    return (f"The account was paused and is resumed: {waiting} waiting order{'' if waiting == 1 else 's'} "
            f"{'is' if waiting == 1 else 'are'} being sent.")


def _latest_key(account_id: int) -> str:
    return f"portal:connection-test:{account_id}"


def start_connection_test(account: EmbeddedServicesAccount, *, resume_on_success: bool = False) -> ConnectionTest:
    """Enqueue a test unless one is already waiting or running; return the one that counts.

    The check and the enqueue happen in one Redis transaction (WATCH on the account's key),
    so two clicks at the same moment start one job. "Save and test" (``resume_on_success``)
    always starts its own: the one running may have been started with the old credentials.
    """
    redis = redis_connection()
    queue = task_queue()
    key = _latest_key(account.id)
    try:
        with redis.pipeline() as pipe:
            try:
                pipe.watch(key)
                current = _read(pipe.get(key), pipe)
                if current is not None and current.running and not resume_on_success:
                    return current
                job_id = f"connection-test-{account.id}-{secrets.token_hex(6)}"
                pipe.multi()
                pipe.set(key, job_id, ex=RESULT_TTL)
                arguments = {"resume_on_success": True} if resume_on_success else {}
                queue.enqueue(
                    CONNECTION_TEST_JOB, args=(account.id,), kwargs=arguments, job_id=job_id, pipeline=pipe,
                    job_timeout=job_timeout(calls=1), result_ttl=RESULT_TTL, failure_ttl=RESULT_TTL,
                )
                pipe.execute()
            except WatchError:
                pass  # another click started one meanwhile: show that one
        return latest_connection_test(account.id) or ConnectionTest(job_id="", running=True)
    except (RedisError, OSError) as error:
        raise QueueUnavailable(str(error)) from error


def latest_connection_test(account_id: int) -> ConnectionTest | None:
    """The account's latest test within the last hour, running or finished; None if there is none."""
    redis = redis_connection()
    try:
        return _read(redis.get(_latest_key(account_id)), redis)
    except (RedisError, OSError) as error:
        raise QueueUnavailable(str(error)) from error


def _read(raw_job_id: bytes | None, connection) -> ConnectionTest | None:
    if raw_job_id is None:
        return None
    job_id = raw_job_id.decode()
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return None
    state = job.get_status(refresh=False)
    state = getattr(state, "value", state)
    if state in PENDING_STATES:
        return ConnectionTest(job_id=job_id, running=True)
    if state in BROKEN_STATES:
        return ConnectionTest(job_id=job_id, running=False, finished_at=job.ended_at,
                              problem="The test did not finish: the worker stopped it. Try again.")
    answer = job.return_value() or {}
    try:
        outcome = CallOutcome(Outcome(answer["outcome"]), answer["message"])
    except (KeyError, ValueError, TypeError):
        return ConnectionTest(job_id=job_id, running=False, problem="The test gave no answer. Try again.")
    return ConnectionTest(job_id=job_id, running=False, outcome=outcome, finished_at=job.ended_at)
