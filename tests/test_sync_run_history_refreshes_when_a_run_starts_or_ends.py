"""The site tab's run history and the accounts' call history refresh themselves when a run starts,
stops or ends: those progress answers carry the ``sync-runs-changed`` event that the history section
listens for, and the once-a-second polls of a run under way do not (the browser side of it is in
test_sync_in_the_browser)."""

from __future__ import annotations

import time

import pytest

from portal.extensions import db
from tests.conftest import soup
from tests.sync_helpers import eligible_orders, fragment_of, start, wait_for_the_job_of

RUNS_CHANGED = "sync-runs-changed"


@pytest.fixture(autouse=True)
def _worker(rq_worker):
    return rq_worker


def test_the_history_listens_for_runs_that_start_or_end(logged_in, pushing_site):
    page = soup(logged_in.get(f"/embedded-services/sites/{pushing_site.site.id}"))
    history = page.select_one("#recent-sync-runs")
    assert history["hx-trigger"] == f"{RUNS_CHANGED} from:body"
    assert history["hx-get"] == f"/embedded-services/sites/{pushing_site.site.id}"
    assert history["hx-select"] == "#recent-sync-runs"
    link_id = pushing_site.link.id
    oob = history["hx-select-oob"].split(",")
    assert oob == [f"#account-badge-{link_id}", f"#account-calls-{link_id}"]
    assert all(page.select_one(selector) is not None for selector in oob), "each part it refreshes is on the page"


def test_starting_and_ending_a_run_say_so_and_polls_in_between_do_not(logged_in, pushing_site, presswise):
    eligible_orders(pushing_site.site, 6, prefix="R")
    db.session.commit()
    presswise.set_latency(150)  # a few polls while it runs

    response = start(logged_in, pushing_site.link, "orders")
    assert response.headers.get("HX-Trigger") == RUNS_CHANGED, "a new run is in the history at once"
    fragment = fragment_of(response)
    triggers = []
    deadline = time.monotonic() + 60
    while fragment.get("hx-get"):
        assert time.monotonic() < deadline, "the run did not end"
        time.sleep(0.1)
        response = logged_in.htmx("get", fragment["hx-get"])
        fragment = fragment_of(response)
        triggers.append((fragment.select_one(".sync-state").get_text(strip=True), response.headers.get("HX-Trigger")))
    wait_for_the_job_of(int(fragment.select_one(".sync-headline a")["href"].rsplit("/", 1)[1]))

    *polls, (last_state, last_trigger) = triggers
    assert (last_state, last_trigger) == ("Done", RUNS_CHANGED), "its end refreshes the history"
    assert polls and all(trigger is None for _, trigger in polls), polls
