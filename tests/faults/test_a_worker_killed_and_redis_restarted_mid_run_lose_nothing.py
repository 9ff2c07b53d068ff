"""Mid-run, a push worker and the sync worker die by SIGKILL, and later Redis restarts empty: every
queued job, scheduled retry and the run's job are gone. The database is the truth: the sweep
(``flask cron``) hands every push that needs a worker back to one (a dead worker's claim once its
lease runs out, reconciling first), the run is marked interrupted and the admin presses Resume, as
the site tab offers. Nothing is lost, nothing is sent twice.

The supervisor's part (systemd, the platform's process manager) is played here: the dead sync
worker is started again; the dead push worker is not, three go on.
"""

from __future__ import annotations

import time

from portal.extensions import db
from tests.faults.conftest import eligible_orders, fault_orders, figures
from tests.fixtures.push import wait_until


def test_a_worker_killed_and_redis_restarted_mid_run_lose_nothing_and_send_nothing_twice(
        portal_under_load, pushing_site, presswise):
    orders = eligible_orders(pushing_site.site, fault_orders())
    pushing_site.account.max_concurrent_calls = 8
    db.session.commit()
    presswise.set_latency(20)  # long enough that the kills land in the middle of calls
    portal = portal_under_load.start(push_workers=4)
    account = pushing_site.account

    started = time.monotonic()
    run_id = portal.start_order_synchronization(pushing_site.link)
    storefront = portal.orders_become_eligible(orders)

    wait_until(lambda: portal.settled_count(account) >= len(orders) // 4, timeout=120, interval=0.05,
               message=portal.log_tails)
    killed_sync = portal.sync_workers[0].kill_hard()
    killed_push = portal.push_workers[0].kill_hard()
    settled_when_killed = portal.settled_count(account)
    portal.start_sync_worker()

    wait_until(lambda: portal.settled_count(account) >= len(orders) // 2 or portal.run(run_id).state == "interrupted",
               timeout=120, interval=0.05, message=portal.log_tails)
    settled_at_restart = portal.settled_count(account)
    portal.restart_redis(down_for=1.0)
    storefront.join(timeout=600)

    seen = portal.wait_until_done(account, run_id, timeout=300, resume_interrupted=True)
    elapsed = time.monotonic() - started

    run = portal.run(run_id)
    result = figures("kill-and-redis-restart", orders, account, presswise, elapsed,
                     killed_processes=len(killed_sync) + len(killed_push), redis_restarts=portal.redis_restarts,
                     run=f"{run.state}:{run.done}/{run.total}", resumed=seen["resumed"],
                     run_states="->".join(seen["run_states"]), settled_at_kill=settled_when_killed,
                     settled_at_restart=settled_at_restart, retaken=portal.retaken(account))
    result.report()

    assert result.duplicates == 0
    assert result.lost == [], result.lost[:10]
    assert result.in_presswise == len(orders)
    assert set(result.states) <= {"pushed", "adopted"}, result.states
    assert run.state == "finished" and run.done == run.total == len(orders)
    assert seen["resumed"] >= 1, "the run was never interrupted: the kill proved nothing"
    assert "database is locked" not in portal.logs()
