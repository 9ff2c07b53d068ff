"""Redis is down at the moment an order becomes eligible: the payment is still recorded, the push row
waits as queued (the database is the truth), and once Redis is back the sweep hands it to a worker,
which pushes it, once.

The portal here (web app, worker, sweep) runs on a redis-server of this test's own, which it stops
and starts again; the session's Redis and worker are left alone. Restarted without persistence,
as the portal's Redis runs, Redis comes back empty: whatever had been queued would be gone anyway,
which is what the sweep is for. The worker runs throughout, as in production.
"""

from __future__ import annotations

import os
import time

from redis import Redis
from rq.job import Job

from portal import create_app, embedded_redis
from portal.extensions import db
from portal.integration.push import push_job_id
from portal.queue import enqueue, queue_names
from tests import factories
from tests.conftest import PortalClient
from tests.fixtures.push import WorkerProcess, duplicates_in_partner, integration_of, partner_orders_for, wait_for_push


def test_an_order_made_eligible_while_redis_is_down_is_pushed_by_the_sweep_after_it_returns(
        app, admin, pushing_site, presswise, tmp_path):
    order = factories.order(pushing_site.site, items=2)
    db.session.commit()

    redis_dir = tmp_path / "redis"
    redis_process, redis_url = embedded_redis.start(redis_dir)
    base = f"push-redis-down-{os.getpid()}"
    portal = create_app({"SERVER_NAME": "portal.test", "REDIS_URL": redis_url, "RQ_QUEUE": base})
    portal.test_client_class = PortalClient
    worker = WorkerProcess(tmp_path / "worker.log", env={"REDIS_URL": redis_url, "RQ_QUEUE": base})
    try:
        worker.start()
        client = portal.test_client()
        client.login(admin)

        embedded_redis.stop(redis_process)
        asked = time.monotonic()
        response = client.post(f"/orders/{order.id}/payment", data={"method": "check"})
        answered_in = time.monotonic() - asked
        assert response.status_code == 302, response.text
        db.session.expire_all()
        assert order.payment_status == "paid", "the payment is recorded whatever Redis does"
        row = integration_of(order, pushing_site.account)
        assert row is not None and (row.state, row.attempt_count) == ("queued", 0)

        redis_process, redis_url_again = embedded_redis.start(redis_dir)
        assert redis_url_again == redis_url
        connection = Redis.from_url(redis_url)
        assert not Job.exists(push_job_id(row.id), connection=connection), "no job could have been enqueued"
        assert connection.llen(f"rq:queue:{queue_names(base)['push']}") == 0
        assert integration_of(order, pushing_site.account).state == "queued"

        # The periodic sweep, enqueued as `flask cron` does, run by the worker.
        with portal.app_context():
            sweep_job = enqueue("jobs.push.sweep")
        row = wait_for_push(order, pushing_site.account, timeout=90)  # a loaded machine starts workers slowly
        elapsed = time.monotonic() - asked
        stored = partner_orders_for(presswise, order)
        sweep_result = Job.fetch(sweep_job.id, connection=connection).return_value()
        print(f"orders={len(stored)} duplicates={duplicates_in_partner(presswise)} sweep={sweep_result} "
              f"payment_answered_in={answered_in:.2f}s elapsed={elapsed:.2f}s")
        connection.close()

        assert row.state == "pushed", row.last_error
        assert len(stored) == 1
        assert row.partner_order_id == str(stored[0]["id"])
        assert [a.outcome for a in row.attempts] == ["pushed"]
        assert sweep_result == {"due": 1, "enqueued": 1}
        assert answered_in < 5, "the request did not wait long for the Redis that was gone"
    finally:
        worker.stop()
        embedded_redis.stop(redis_process)
        with portal.app_context():
            db.session.remove()
            db.engine.dispose()
