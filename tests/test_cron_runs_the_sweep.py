"""``flask cron`` (the Procfile's cron process) has the sweep hand a push whose job was lost back
to a worker, gives up clearly when Redis never answers at start, and stops quietly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from portal.domain.push import Trigger
from portal.extensions import db
from portal.integration.push import request_push
from tests import factories
from tests.conftest import PROJECT_ROOT
from tests.fixtures.push import partner_orders_for, wait_for_push


def _cron(tmp_path, *args, **env):
    log = open(tmp_path / "cron.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "cron", *args], cwd=PROJECT_ROOT,
                               env={**os.environ, "SWEEP_INTERVAL": "1", **env}, stdout=log, stderr=subprocess.STDOUT)
    return process, log


def _stop(process, log) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    finally:
        log.close()


def test_a_queued_push_without_a_job_is_swept_to_a_worker(tmp_path, pushing_site, presswise, rq_worker):
    order = factories.order(pushing_site.site, paid=True)
    db.session.commit()
    request_push(order, pushing_site.account, trigger=Trigger.AUTOMATIC)  # queued, but never enqueued
    db.session.commit()
    process, log = _cron(tmp_path)
    try:
        row = wait_for_push(order, pushing_site.account, timeout=30)
    finally:
        _stop(process, log)
    assert row.state == "pushed"
    assert len(partner_orders_for(presswise, order)) == 1
    output = (tmp_path / "cron.log").read_text()
    assert "Traceback" not in output
    assert process.returncode == 0


def test_cron_waits_out_a_redis_that_is_not_there_yet(tmp_path):
    process, log = _cron(tmp_path, "--redis-timeout", "1", REDIS_URL=f"unix://{tmp_path / 'nobody.sock'}")
    try:
        finished = process.wait(timeout=60)
    finally:
        log.close()
    output = (tmp_path / "cron.log").read_text()
    # The start-up wait is bounded (honcho starts every process at once) and ends in a clear message.
    assert finished != 0 and "did not answer" in output and "Traceback" not in output
