"""Staff press "Round-trip a job" in headless Chromium and a real worker answers in place."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from tests.fixtures.browser import log_in

pytestmark = pytest.mark.browser


def test_round_trip_is_answered_by_the_running_worker(page, staff_user, rq_worker):
    log_in(page, staff_user)
    page.goto("/staff/status")
    page.get_by_role("button", name="Round-trip a job").click()
    answer = page.get_by_text(re.compile(r"Answered by worker"))
    expect(answer).to_be_visible(timeout=30_000)
    expect(page.locator("body")).to_contain_text(re.compile(r"in \d+ ms"))


def test_an_answered_round_trip_shows_the_workers_current_heartbeat(page, staff_user, rq_worker):
    """Seen: the page showed a heartbeat of 00:22 while the worker answered the round trip at 00:25:
    the table was read when the page loaded. The answer now refreshes it, to the second."""
    log_in(page, staff_user)
    page.goto("/staff/status")
    time.sleep(2.5)  # the page's table is now older than the round trip that follows
    pressed = datetime.now(timezone.utc).replace(microsecond=0)
    page.get_by_role("button", name="Round-trip a job").click()
    expect(page.get_by_text(re.compile(r"Answered by worker"))).to_be_visible(timeout=30_000)
    worker = page.locator("[data-field=worker]").inner_text()
    heartbeat = page.locator(f'#workers [data-worker="{worker}"] [data-field=heartbeat]').inner_text()
    shown = datetime.strptime(re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", heartbeat).group(0),
                              "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    assert shown >= pressed, f"the heartbeat the answering worker sent for the round trip: {heartbeat}"
    assert re.search(r"\(\d+ s ago\)", heartbeat), heartbeat
