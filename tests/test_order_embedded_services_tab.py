"""The order page's Embedded Services tab: absent until a push was tried, one panel per account with
the state in words, PressWise numbers, the last error and the attempts; Push Order, disabled with the
unmet rules; polling that stops once settled; the site user's tab with the partner user ID."""

from __future__ import annotations

import pytest

from portal.domain.push import PushState
from portal.extensions import db
from portal.models import OrderIntegration, PushAttempt, UserIntegration
from tests import embedded_factories, factories
from tests.conftest import soup


@pytest.fixture
def setup(subscriber):
    site = factories.site(subscriber, name="Main store")
    account = embedded_factories.pushing_account(site, name="PressWise main")
    order = factories.order(site, paid=True, items=2)
    db.session.commit()
    return {"site": site, "account": account, "order": order}


def _row(setup, state: str, **fields) -> OrderIntegration:
    row = OrderIntegration(order=setup["order"], account=setup["account"], state=state, partner_job_ids={}, **fields)
    db.session.add(row)
    db.session.commit()
    return row


def test_no_tab_before_any_push_was_tried(logged_in, setup):
    order = setup["order"]
    page = soup(logged_in.get(f"/orders/{order.id}"))
    assert page.select_one(".embedded-services-tab") is None
    assert logged_in.get(f"/orders/{order.id}/embedded-services").status_code == 404


def test_a_failed_push_shows_the_tab_with_the_error_and_push_order(logged_in, setup):
    row = _row(setup, "failed", attempt_count=1, last_error="PressWise refused the request: code 2: customerID invalid")
    db.session.add(PushAttempt(integration=row, outcome="failed", partner_code="2",
                               message="PressWise refused the request: code 2: customerID invalid"))
    db.session.commit()
    order = setup["order"]
    tab_link = soup(logged_in.get(f"/orders/{order.id}")).select_one(".embedded-services-tab")
    assert tab_link["href"] == f"/orders/{order.id}/embedded-services"

    page = soup(logged_in.get(tab_link["href"]))
    panel = page.select_one(f"#account-{setup['account'].id}")
    assert "PressWise main" in panel.select_one("h2").text
    assert panel.select_one(".push-state .badge").text == "Failed"
    assert "customerID invalid" in panel.select_one(".last-error").text
    assert panel.select_one(".attempt-count").text.startswith("1")
    assert "code 2" in panel.select_one(".attempts").text
    button = panel.select_one("form.push-form button.push-order")
    assert button is not None and not button.has_attr("disabled")
    assert panel.get("hx-trigger") is None, "a failed push is settled: no polling"


def test_push_order_is_disabled_with_the_unmet_rules(logged_in, setup):
    _row(setup, "failed")
    order = setup["order"]
    order.items[1].approval = "pending"
    db.session.commit()
    panel = soup(logged_in.get(f"/orders/{order.id}/embedded-services")).select_one(".integration-panel")
    button = panel.select_one("button.push-order")
    assert button.has_attr("disabled")
    assert "Item #2 is awaiting approval." in panel.select_one(".holds").text
    response = logged_in.htmx("post", f"/orders/{order.id}/embedded-services/{setup['account'].id}/push")
    assert response.status_code == 409
    assert "awaiting approval" in soup(response).select_one(".push-error").text


@pytest.mark.parametrize("state, polls", [
    ("queued", True), ("sending", True), ("retrying", True), ("unknown", True),
    ("pushed", False), ("adopted", False), ("failed", False),
])
def test_the_panel_polls_only_while_a_worker_will_act(logged_in, setup, state, polls):
    _row(setup, state, partner_order_id="10528" if PushState(state).in_partner else None)
    order, account = setup["order"], setup["account"]
    panel = soup(logged_in.htmx("get", f"/orders/{order.id}/embedded-services/{account.id}")).select_one(
        ".integration-panel")
    assert (panel.get("hx-get") is not None) is polls
    if polls:
        assert panel["hx-get"] == f"/orders/{order.id}/embedded-services/{account.id}"
        assert panel["hx-swap"] == "outerHTML"
    in_partner_or_sending = PushState(state) in (PushState.PUSHED, PushState.ADOPTED, PushState.SENDING)
    assert (panel.select_one("button.push-order") is None) is in_partner_or_sending


def test_a_paused_account_stops_the_polling_and_says_why(logged_in, setup):
    _row(setup, "queued")
    setup["account"].pause("PressWise refused the credentials")
    db.session.commit()
    panel = soup(logged_in.htmx("get", f"/orders/{setup['order'].id}/embedded-services/{setup['account'].id}"))
    assert panel.select_one(".integration-panel").get("hx-get") is None
    assert "account is paused" in panel.select_one(".waiting-for-account").text


def test_without_synchronize_orders_push_order_asks_first(logged_in, setup):
    order, account = setup["order"], setup["account"]
    link = account.site_links[0]
    link.sync_orders = False
    _row(setup, "failed")
    form = soup(logged_in.get(f"/orders/{order.id}/embedded-services")).select_one("form.push-form")
    assert "older integration may have sent this order" in form["hx-confirm"]
    assert form["hx-vals"] == '{"confirm": "yes"}'

    # Without JavaScript the question comes back from the server, with a button that answers it.
    asked = logged_in.post(f"/orders/{order.id}/embedded-services/{account.id}/push")
    assert asked.status_code == 302
    db.session.expire_all()
    assert db.session.get(OrderIntegration, order.integrations[0].id).state == "failed", "nothing queued yet"
    fragment = soup(logged_in.htmx("post", f"/orders/{order.id}/embedded-services/{account.id}/push"))
    assert "older integration may have sent" in fragment.select_one(".confirm-push").text
    assert fragment.select_one("input[name=confirm]")["value"] == "yes"

    confirmed = soup(logged_in.htmx("post", f"/orders/{order.id}/embedded-services/{account.id}/push",
                                    data={"confirm": "yes"}))
    assert "queued" in confirmed.select_one(".flash-success").text
    db.session.expire_all()
    row = db.session.get(OrderIntegration, order.integrations[0].id)
    assert row.state in ("queued", "sending", "pushed", "adopted", "failed", "retrying", "unknown")
    assert row.reconcile_first, "the worker asks PressWise before sending"


def test_push_routes_are_guarded(client, app, setup, other_tenant):
    order, account = setup["order"], setup["account"]
    _row(setup, "failed")
    urls = [f"/orders/{order.id}/embedded-services", f"/orders/{order.id}/embedded-services/{account.id}"]
    for url in urls:
        assert client.get(url).status_code in (302, 401), "anonymous: sign in first"
    post = f"/orders/{order.id}/embedded-services/{account.id}/push"
    assert client.post(post).status_code in (302, 401)

    client.login(other_tenant["admin"])
    for url in urls:
        assert client.get(url).status_code == 404, "another tenant: 404"
    assert client.post(post).status_code == 404


def test_push_order_needs_the_csrf_token(logged_in, setup):
    _row(setup, "failed")
    response = logged_in.post(f"/orders/{setup['order'].id}/embedded-services/{setup['account'].id}/push",
                              csrf=False)
    assert response.status_code == 400
    db.session.expire_all()
    assert setup["order"].integrations[0].state == "failed"


def test_without_embedded_services_authorization_the_tab_is_gone(logged_in, setup, subscriber):
    _row(setup, "failed")
    subscriber.withdraw_embedded_services(by=None)
    db.session.commit()
    order = setup["order"]
    assert soup(logged_in.get(f"/orders/{order.id}")).select_one(".embedded-services-tab") is None
    assert logged_in.get(f"/orders/{order.id}/embedded-services").status_code == 404
    assert logged_in.post(f"/orders/{order.id}/embedded-services/{setup['account'].id}/push").status_code == 404


def test_the_site_user_tab_shows_the_partner_user_id_once_synchronized(logged_in, setup):
    user = setup["order"].site_user
    assert soup(logged_in.get(f"/users/{user.id}")).select_one(".embedded-services-tab") is None
    assert logged_in.get(f"/users/{user.id}/embedded-services").status_code == 404
    db.session.add(UserIntegration(site_user=user, account=setup["account"], partner_user_id="7001"))
    db.session.commit()
    tab = soup(logged_in.get(f"/users/{user.id}")).select_one(".embedded-services-tab")
    page = soup(logged_in.get(tab["href"]))
    assert page.select_one(".partner-user-id").text.strip() == "7001"
    assert "PressWise main" in page.select_one(".partner-logins").text


def test_the_order_page_says_where_the_order_goes(logged_in, setup, subscriber):
    """Rules met and "will be sent" are different facts: the Partners block says the second, per account."""
    order = setup["order"]
    lonely = factories.order(factories.site(subscriber, name="No partner"), paid=True)
    older = embedded_factories.account(subscriber, name="Older integration")
    embedded_factories.site_link(older, setup["site"], sync_orders=False)
    db.session.commit()

    page = soup(logged_in.get(f"/orders/{lonely.id}"))
    assert "Rules met" in page.select_one("#integration-rules .ready").text
    assert "is not sent to a partner" in page.select_one("#partner-outlook .outlook-none").text

    _row(setup, "pushed", partner_order_id="10528")
    outlook = soup(logged_in.get(f"/orders/{order.id}")).select_one("#partner-outlook")
    lines = {li.select_one("strong").text: li for li in outlook.select("li")}
    assert "PressWise order 10528" in lines["PressWise main"].text
    assert "Sent by hand only" in lines["Older integration"].text
    assert lines["Older integration"].select_one("form.push-by-hand button") is not None
    assert outlook.get("hx-get") is None, "everything settled: no polling"


def test_pushing_by_hand_from_the_order_page_answers_with_the_partners_block(logged_in, setup):
    order, account = setup["order"], setup["account"]
    account.site_links[0].sync_orders = False
    db.session.commit()
    response = logged_in.htmx("post", f"/orders/{order.id}/embedded-services/{account.id}/push",
                              data={"confirm": "yes", "answer": "outlook"})
    outlook = soup(response).select_one("#partner-outlook")
    assert "queued" in outlook.select_one(".flash-info").text
    line = outlook.select_one(f"#outlook-{account.id}")
    assert line.select_one(".badge") is not None, "a push row exists now"
    db.session.expire_all()
    assert order.integrations and order.integrations[0].reconcile_first
