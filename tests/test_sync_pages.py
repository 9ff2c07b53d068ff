"""The pages and fragments of sync runs, without a worker: the progress partial and its polling, the
history, Cancel of a queued run, tenant isolation and CSRF on every new route, the schedule form
and an account's synchronization settings."""

from __future__ import annotations

from datetime import time as clock
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.domain.status_mapping import CONTRACT_STATUSES
from portal.extensions import db
from portal.models import SiteLink, SyncRun
from portal.models.types import utcnow
from tests import embedded_factories, factories
from tests.conftest import soup
from tests.sync_helpers import fragment_of


@pytest.fixture
def tab(logged_in, subscriber):
    embedded_factories.authorize(subscriber)
    site = factories.site(subscriber, name="Main store")
    account = embedded_factories.account(subscriber, name="PressWise A")
    link = embedded_factories.site_link(account, site, sync_orders=True)
    db.session.commit()
    return {"client": logged_in, "site": site, "account": account, "link": link,
            "base": f"/embedded-services/sites/{site.id}"}


def _progress(tab, run):
    return fragment_of(tab["client"].htmx("get", f"{tab['base']}/runs/{run.id}/progress"))


def test_the_progress_partial_polls_while_active_and_stops_when_done(tab):
    run = embedded_factories.sync_run(tab["link"], kind="orders", state="running", total=200, done=50, pushed=40,
                                      skipped=10, started_at=utcnow() - timedelta(seconds=10), finished_at=None,
                                      active_key="x")
    db.session.commit()
    fragment = _progress(tab, run)
    assert fragment["hx-get"].endswith(f"/runs/{run.id}/progress")
    assert fragment["hx-trigger"] == "load delay:1s" and fragment["hx-swap"] == "outerHTML"
    assert fragment["id"] == f"sync-{tab['site'].id}-{tab['account'].id}-orders"
    bar = fragment.select_one("progress.sync-bar")
    assert (bar["max"], bar["value"]) == ("200", "50")
    assert fragment.select_one(".sync-done").get_text(" ", strip=True) == "50 of 200 orders"
    assert fragment.select_one(".elapsed").get_text() in ("10 s", "11 s")
    left = fragment.select_one(".time-left").get_text()
    assert left.endswith(" s") and 30 <= int(left[:-2]) <= 33, "at the pace so far: 150 more at 5 a second"
    assert fragment.select_one("button.cancel-sync") is not None

    run.state, run.done, run.finished_at, run.active_key = "finished", 200, utcnow(), None
    db.session.commit()
    fragment = _progress(tab, run)
    assert not fragment.has_attr("hx-get") and not fragment.has_attr("hx-trigger"), "the finished answer stops polling"
    assert fragment.select_one(".time-left") is None and fragment.select_one("button.cancel-sync") is None
    assert not fragment.select("[style]"), "no inline styles (CSP)"


def test_the_progress_partial_without_htmx_is_the_run_page(tab):
    run = embedded_factories.sync_run(tab["link"])
    db.session.commit()
    response = tab["client"].get(f"{tab['base']}/runs/{run.id}/progress")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/runs/{run.id}")


def test_the_tab_shows_the_latest_run_of_each_kind_and_the_history_newest_first(tab):
    older = embedded_factories.sync_run(tab["link"], kind="orders", pushed=3)
    newer = embedded_factories.sync_run(tab["link"], kind="orders", pushed=5)
    status = embedded_factories.sync_run(tab["link"], kind="status", trigger="scheduled", started_by_name="")
    db.session.commit()
    card = soup(tab["client"].get(tab["base"])).select_one(f"#site-link-{tab['link'].id}")
    orders_progress = card.select_one(f"#sync-{tab['site'].id}-{tab['account'].id}-orders")
    assert f"Run #{newer.id}" in orders_progress.get_text()
    status_progress = card.select_one(f"#sync-{tab['site'].id}-{tab['account'].id}-status")
    assert "Scheduled" in status_progress.get_text()
    history = soup(tab["client"].get(f"{tab['base']}/runs"))
    assert [a.get_text(strip=True) for a in history.select("table.sync-runs td:first-child a")] == [
        f"Order Status Synchronization #{status.id}", f"Order Synchronization #{newer.id}",
        f"Order Synchronization #{older.id}"]
    assert [td.get_text(strip=True) for td in history.select("td.run-who")] == ["Scheduled", "Someone", "Someone"]


def test_the_history_is_paginated(tab):
    for _ in range(23):
        embedded_factories.sync_run(tab["link"])
    db.session.commit()
    first = soup(tab["client"].get(f"{tab['base']}/runs"))
    assert len(first.select("tr.sync-run-row")) == 20
    assert "Page 1 of 2" in first.select_one(".pagination").get_text()
    second = soup(tab["client"].get(f"{tab['base']}/runs?page=2"))
    assert len(second.select("tr.sync-run-row")) == 3
    assert len(soup(tab["client"].get(f"{tab['base']}/runs?page=99")).select("tr.sync-run-row")) == 3


def test_cancelling_a_queued_run_stops_it_at_once(tab):
    run = embedded_factories.sync_run(tab["link"], state="queued", active_key="k", started_at=None, finished_at=None)
    db.session.commit()
    fragment = fragment_of(tab["client"].htmx("post", f"{tab['base']}/runs/{run.id}/cancel"))
    assert "Cancelled" in fragment.select_one(".sync-state").get_text()
    assert not fragment.has_attr("hx-trigger")
    db.session.expire_all()
    assert (run.state, run.active_key) == ("cancelled", None)


def test_another_tenants_run_is_a_404_on_every_run_route(tab, other_tenant):
    other = embedded_factories.tenant_objects(other_tenant)
    db.session.commit()
    foreign = other["run_id"].id
    for method, path in (("get", f"/runs/{foreign}"), ("get", f"/runs/{foreign}/progress"),
                         ("post", f"/runs/{foreign}/cancel"), ("post", f"/runs/{foreign}/resume")):
        assert tab["client"].htmx(method, tab["base"] + path).status_code == 404, path
    assert tab["client"].htmx("post", f"{tab['base']}/links/{other['link_id'].id}/sync-orders").status_code == 404
    db.session.expire_all()
    assert db.session.get(SyncRun, foreign).state == "finished"


def test_every_new_post_needs_the_csrf_token(tab):
    run = embedded_factories.sync_run(tab["link"], state="interrupted")
    db.session.commit()
    link = tab["link"]
    posts = [f"{tab['base']}/links/{link.id}/sync-orders", f"{tab['base']}/links/{link.id}/sync-status",
             f"{tab['base']}/runs/{run.id}/cancel", f"{tab['base']}/runs/{run.id}/resume",
             f"{tab['base']}/links/{link.id}/schedule", f"/embedded-services/{tab['account'].id}/sync-settings"]
    for url in posts:
        response = tab["client"].post(url, data={"schedule": "hourly", "max_concurrent_calls": "1"}, csrf=False)
        assert response.status_code == 400, url
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SyncRun)) == 1 and run.state == "interrupted"
    assert link.status_schedule == "off" and tab["account"].max_concurrent_calls == 8


def test_a_schedule_is_saved_with_its_next_time_and_checked(tab):
    url = f"{tab['base']}/links/{tab['link'].id}/schedule"
    response = tab["client"].htmx("post", url, data={"schedule": "daily"})
    assert response.status_code == 422
    assert "time of day" in soup(response).select_one(".error").get_text()
    assert tab["client"].htmx("post", url, data={"schedule": "weekly"}).status_code == 422

    response = tab["client"].htmx("post", url, data={"schedule": "daily", "daily_at": "06:30"})
    assert response.status_code == 200 and soup(response).select_one(".schedule-saved") is not None
    db.session.expire_all()
    link = db.session.get(SiteLink, tab["link"].id)
    assert (link.status_schedule, link.status_schedule_time) == ("daily", clock(6, 30))
    assert link.status_schedule_next_at > utcnow() and link.status_schedule_next_at.strftime("%H:%M") == "06:30"
    assert "Next run" in soup(response).select_one(".next-scheduled").get_text()

    tab["client"].htmx("post", url, data={"schedule": "off", "daily_at": "06:30"})
    db.session.expire_all()
    assert (link.status_schedule, link.status_schedule_time, link.status_schedule_next_at) == ("off", None, None)


def test_the_settings_page_shows_the_default_mapping_and_saves_only_changes(tab):
    url = f"/embedded-services/{tab['account'].id}/sync-settings"
    page = soup(tab["client"].get(url))
    rows = page.select("tr.mapping-row")
    assert [row.select_one("input[type=hidden]")["value"] for row in rows] == list(CONTRACT_STATUSES)
    shipped = rows[CONTRACT_STATUSES.index("Shipped")].select_one("select option[selected]")
    assert shipped["value"] == "Shipped"
    assert page.select_one("#max_concurrent_calls")["value"] == "8"

    form = {"max_concurrent_calls": "4", "new_status": "Waiting on Paper", "new_item_status": "On Hold"}
    for index, status in enumerate(CONTRACT_STATUSES):
        form[f"rows-{index}-status"] = status
        form[f"rows-{index}-item_status"] = rows[index].select_one("option[selected]")["value"]
    form[f"rows-{CONTRACT_STATUSES.index('Ready')}-item_status"] = "Prepress"
    form[f"rows-{CONTRACT_STATUSES.index('Closed')}-item_status"] = ""
    response = tab["client"].post(url, data=form)
    assert response.status_code == 302
    db.session.expire_all()
    account = tab["account"]
    assert account.max_concurrent_calls == 4
    assert account.status_mapping == {"Ready": "Prepress", "Closed": "", "Waiting on Paper": "On Hold"}
    detail = soup(tab["client"].get(f"/embedded-services/{account.id}"))
    assert "3 changes" in detail.select_one(".status-mapping-summary").get_text()
    page = soup(tab["client"].get(url))
    assert len(page.select("tr.mapping-row")) == 22, "the account's own status is listed too"


def test_the_settings_form_refuses_what_it_cannot_store(tab):
    url = f"/embedded-services/{tab['account'].id}/sync-settings"
    response = tab["client"].post(url, data={"max_concurrent_calls": "0", "rows-0-status": "New",
                                             "rows-0-item_status": "Teleported"})
    assert response.status_code == 422
    page = soup(response)
    assert "Between 1 and 64" in page.select_one(".field.has-error .error").get_text()
    assert page.select_one("tr.mapping-row .has-error") is not None
    db.session.expire_all()
    assert tab["account"].max_concurrent_calls == 8 and tab["account"].status_mapping is None


def test_an_account_with_only_dry_runs_can_still_be_deleted_and_its_runs_go_with_it(tab):
    run_id = embedded_factories.sync_run(tab["link"], kind="orders", dry_run=True).id
    db.session.commit()
    client = tab["client"]
    assert client.post(f"{tab['base']}/links/{tab['link'].id}/detach").status_code == 302
    response = client.post(f"/embedded-services/{tab['account'].id}/delete")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SyncRun).where(SyncRun.id == run_id)) == 0
