"""Staff press "Round-trip a job" in headless Chromium and a real worker answers in place."""

from __future__ import annotations

import re

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
