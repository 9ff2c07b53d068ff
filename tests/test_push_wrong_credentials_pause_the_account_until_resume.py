"""Wrong credentials: the first call PressWise refuses pauses the account (which says why), the orders
stay queued instead of failing one by one, nothing else is sent with the account, and Resume, once
the password is fixed, sends every waiting order, once.
"""

from __future__ import annotations

import time

import pytest
from rq.job import Job

from portal.extensions import db
from portal.integration.push import push_job_id
from portal.integration.sweep import sweep
from portal.models import EmbeddedServicesAccount
from portal.queue import redis_connection
from tests import factories
from tests.conftest import soup
from tests.fixtures.presswise import PASSWORD
from tests.fixtures.push import duplicates_in_partner, integration_of, partner_orders_for, wait_for_push, wait_until


@pytest.fixture(autouse=True)
def _worker(rq_worker, no_push_jobs_left):
    return rq_worker


def account_now(account_id: int) -> EmbeddedServicesAccount:
    db.session.expire_all()
    account = db.session.get(EmbeddedServicesAccount, account_id)
    db.session.commit()
    return account


def test_wrong_credentials_pause_the_account_orders_wait_and_resume_sends_them(logged_in, pushing_site, presswise):
    account_id = pushing_site.account.id
    pushing_site.account.password = "not-the-password"
    first, second = factories.order(pushing_site.site, items=2), factories.order(pushing_site.site)
    db.session.commit()
    started = time.monotonic()

    logged_in.post(f"/orders/{first.id}/payment", data={"method": "check"})
    wait_until(lambda: account_now(account_id).is_paused, timeout=30,
               message=lambda: f"the account was not paused; push: {integration_of(first, pushing_site.account)}")
    paused = account_now(account_id)
    row = integration_of(first, pushing_site.account)
    assert row.state == "queued", f"{row.state}: {row.last_error}"
    assert [a.outcome for a in row.attempts] == ["waiting"]
    assert row.next_attempt_at is None
    assert "paused" in row.last_error
    assert paused.paused_reason

    # An order that becomes eligible while the account is paused waits too, without a call.
    logged_in.post(f"/orders/{second.id}/payment", data={"method": "check"})
    row2 = integration_of(second, pushing_site.account)
    wait_until(lambda: not Job.exists(push_job_id(row2.id), connection=redis_connection()), timeout=30,
               message="the second order's job never ran")
    row2 = integration_of(second, pushing_site.account)
    assert (row2.state, row2.attempt_count) == ("queued", 0)
    assert sweep().due == 0, "the sweep leaves a paused account's orders alone"
    calls_while_wrong = presswise.calls()
    assert len(calls_while_wrong) == 1, "one refused call paused the account: no order failed one by one"
    assert calls_while_wrong[0]["result_code"] == 1
    assert presswise.orders() == []

    # The account says why it is paused, and offers Resume.
    page = soup(logged_in.get(f"/embedded-services/{account_id}"))
    assert paused.paused_reason in page.get_text(" ", strip=True)
    assert page.select_one("button.resume") is not None

    paused.password = PASSWORD
    db.session.commit()
    response = logged_in.post(f"/embedded-services/{account_id}/resume")
    assert response.status_code == 302

    rows = [wait_for_push(order, pushing_site.account) for order in (first, second)]
    elapsed = time.monotonic() - started
    stored = [partner_orders_for(presswise, order) for order in (first, second)]
    print(f"orders={sum(map(len, stored))} duplicates={duplicates_in_partner(presswise)} "
          f"calls_while_wrong={len(calls_while_wrong)} attempts={[[a.outcome for a in reversed(r.attempts)] for r in rows]} "
          f"elapsed={elapsed:.2f}s")
    assert [r.state for r in rows] == ["pushed", "pushed"], [r.last_error for r in rows]
    assert [len(s) for s in stored] == [1, 1]
    assert [[a.outcome for a in reversed(r.attempts)] for r in rows] == [["waiting", "pushed"], ["pushed"]]
    assert rows[0].last_error is None
    assert not account_now(account_id).is_paused
