"""A push job's backlog round runs in two lanes. When the job's own lane fails (RQ's timeout among
the causes: it raises in that thread), the other lane ends the push it is on and starts no other:
what is left stays queued for its own jobs, none is left half-sent, and the error reaches RQ."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from portal.domain.push import Trigger
from portal.extensions import db
from portal.integration import push
from portal.models import OrderIntegration
from tests import factories

ORDERS = 20


class JobTimeout(Exception):
    """Stands in for RQ's JobTimeoutException, raised in the job's own thread."""


def test_the_other_lane_starts_no_new_push_once_the_jobs_own_lane_fails(app, pushing_site, presswise, monkeypatch):
    presswise.set_latency(50)  # each push takes a while, so a lane that went on would send many
    user = factories.site_user(pushing_site.site)
    orders = [factories.order(pushing_site.site, user=user, paid=True) for _ in range(ORDERS)]
    db.session.commit()
    ids = [push.request_push(order, pushing_site.account, trigger=Trigger.AUTOMATIC).integration_id
           for order in orders]
    db.session.commit()

    job_thread = threading.current_thread()
    own_lane_calls = []
    the_real_run_push = push.run_push

    def run_push_failing_in_the_jobs_thread(integration_id, **options):
        if threading.current_thread() is job_thread:
            own_lane_calls.append(integration_id)
            if len(own_lane_calls) == 3:  # its own push and one more of the round went through
                raise JobTimeout("Task exceeded maximum timeout value")
        return the_real_run_push(integration_id, **options)

    monkeypatch.setattr(push, "run_push", run_push_failing_in_the_jobs_thread)
    with pytest.raises(JobTimeout):
        push.push_and_send_waiting(ids[0])

    db.session.expire_all()
    states = db.session.scalars(select(OrderIntegration.state).where(OrderIntegration.id.in_(ids))).all()
    pushed = states.count("pushed")
    assert set(states) <= {"pushed", "queued"}, "a push was left half done"
    # The job's lane sent 2; the other lane, at the partner's pace, about as many before it heard.
    assert 2 <= pushed <= 8, f"{pushed} of {ORDERS} sent: the other lane went on after the job failed"
    assert len(presswise.orders()) == pushed
