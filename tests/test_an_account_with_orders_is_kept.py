"""An account that has sent orders cannot be deleted (its order history would go), only deactivated;
a deactivated or paused account sends nothing, and its page says how many orders wait for it."""

from __future__ import annotations

from portal.extensions import db
from portal.integration.push import run_push
from portal.models import EmbeddedServicesAccount, OrderIntegration
from tests import embedded_factories, factories
from tests.conftest import soup


def _account_with_orders(subscriber, states):
    site = factories.site(subscriber, name="Main store")
    account = embedded_factories.pushing_account(site, name="PressWise main")
    rows = []
    for n, state in enumerate(states):
        row = OrderIntegration(order=factories.order(site, paid=True), account=account, state=state,
                               partner_order_id=str(1000 + n) if state == "pushed" else None, partner_job_ids={})
        db.session.add(row)
        rows.append(row)
    db.session.commit()
    return account, rows


def test_deleting_an_account_that_sent_orders_is_refused(logged_in, subscriber):
    account, _ = _account_with_orders(subscriber, ["pushed", "pushed", "failed"])
    account.site_links.clear()
    db.session.commit()
    page = soup(logged_in.get(f"/embedded-services/{account.id}"))
    assert "sent 2 orders to PressWise and tried 1 more" in page.select_one(".delete-blocked").text
    response = logged_in.post(f"/embedded-services/{account.id}/delete")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(EmbeddedServicesAccount, account.id) is not None


def test_a_deactivated_account_sends_nothing(app, subscriber, presswise):
    account, (row,) = _account_with_orders(subscriber, ["queued"])
    account.active = False
    db.session.commit()
    assert run_push(row.id) == "waiting"
    db.session.expire_all()
    assert db.session.get(OrderIntegration, row.id).state == "queued"
    assert presswise.calls() == []


def test_a_paused_account_says_how_many_orders_wait(logged_in, subscriber):
    account, _ = _account_with_orders(subscriber, ["queued", "retrying", "pushed"])
    account.pause("PressWise refused the credentials")
    db.session.commit()
    page = soup(logged_in.get(f"/embedded-services/{account.id}"))
    assert "2 orders wait for this account" in page.select_one(".orders-waiting").text
    counts = {li["class"][1]: li.text.split()[0] for li in page.select(".account-orders li.push-count")}
    assert counts == {"push-count-retrying": "1", "push-count-queued": "1", "push-count-pushed": "1"}
