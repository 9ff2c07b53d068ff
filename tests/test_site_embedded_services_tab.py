"""Site settings > Embedded Services tab: attach and detach accounts, the customer ID,
active flag and sync switches, all as HTMX fragments (and plain forms without JavaScript).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import SiteLink
from tests import embedded_factories, factories
from tests.conftest import soup


@pytest.fixture
def tab(logged_in, subscriber):
    embedded_factories.authorize(subscriber)
    site = factories.site(subscriber, name="Main store")
    account = embedded_factories.account(subscriber, name="PressWise A")
    db.session.commit()
    return {"client": logged_in, "site": site, "account": account, "url": f"/embedded-services/sites/{site.id}"}


def _is_fragment(page):
    return page.find("html") is None and page.find("nav", class_="mainnav") is None


def test_tab_page_lists_every_account_and_is_a_tab_of_the_site(tab, subscriber):
    embedded_factories.account(subscriber, name="PressWise B")
    db.session.commit()
    page = soup(tab["client"].get(tab["url"]))
    selected = page.select_one('nav.tabs a[aria-selected="true"]')
    assert selected.get_text(strip=True) == "Embedded Services"
    assert page.select_one("h1").get_text(strip=True) == "Main store"
    available = [a.get_text() for a in page.select(".available-accounts td a")]
    assert available == ["PressWise A", "PressWise B"]
    assert page.select_one(".no-links") is not None
    advice = page.select_one(".switch-advice").get_text(" ", strip=True)
    assert "older integration" in advice and "Synchronize Orders off" in advice and "Synchronize Status on" in advice


def test_tab_click_gets_only_the_tab_frame(tab):
    response = tab["client"].get(tab["url"], headers={"HX-Request": "true", "HX-Target": "site-tabs"})
    page = soup(response)
    assert _is_fragment(page)
    assert page.select_one("#site-tabs #embedded-services-panel") is not None


def test_attach_with_htmx_returns_the_panel_with_the_new_link(tab):
    response = tab["client"].htmx("post", f"{tab['url']}/attach",
                                  data={"account_id": tab["account"].id, "customer_id": " 1001 "})
    assert response.status_code == 200
    page = soup(response)
    assert _is_fragment(page)
    panel = page.select_one("#embedded-services-panel")
    link = db.session.scalars(select(SiteLink)).one()
    card = panel.select_one(f"#site-link-{link.id}")
    assert card is not None and "PressWise A" in card.select_one("h3").get_text()
    assert card.select_one(f"#customer-id-link-{link.id}")["value"] == "1001"
    # The seed's advice is the default: status on, orders off.
    assert card.select_one(f"#sync-status-link-{link.id}").has_attr("checked")
    assert not card.select_one(f"#sync-orders-link-{link.id}").has_attr("checked")
    assert card.select_one(f"#active-link-{link.id}").has_attr("checked")
    assert panel.select_one(".available-accounts") is None, "the only account is now attached"
    assert (link.customer_id, link.active, link.sync_status, link.sync_orders) == ("1001", True, True, False)


@pytest.mark.parametrize("customer_id, message", [("", "Enter the PressWise customer ID"),
                                                   ("12a", "digits only"), ("1" * 21, "20")])
def test_attach_needs_a_numeric_customer_id(tab, customer_id, message):
    response = tab["client"].htmx("post", f"{tab['url']}/attach",
                                  data={"account_id": tab["account"].id, "customer_id": customer_id})
    assert response.status_code == 422
    row = soup(response).select_one(f"#available-account-{tab['account'].id}")
    assert message in row.select_one(".error").get_text()
    assert db.session.scalars(select(SiteLink)).all() == []


def test_attach_with_a_bad_account_id_is_not_a_500(tab):
    for value in ("", "abc", "99999999999"):
        response = tab["client"].htmx("post", f"{tab['url']}/attach", data={"account_id": value, "customer_id": "1"})
        assert response.status_code in (404, 422), value


def test_switches_and_customer_id_are_saved_through_the_link_fragment(tab):
    link = embedded_factories.site_link(tab["account"], tab["site"])
    db.session.commit()
    response = tab["client"].htmx("post", f"{tab['url']}/links/{link.id}",
                                  data={"customer_id": "2002", "active": "y", "sync_orders": "y"})
    assert response.status_code == 200
    page = soup(response)
    assert _is_fragment(page)
    card = page.select_one(f"section#site-link-{link.id}")
    assert card is not None and page.select_one("#embedded-services-panel") is None, "only the card is swapped"
    assert card.select_one(".saved") is not None
    assert card.select_one(f"#sync-orders-link-{link.id}").has_attr("checked")
    assert not card.select_one(f"#sync-status-link-{link.id}").has_attr("checked")
    db.session.expire_all()
    assert (link.customer_id, link.active, link.sync_orders, link.sync_status) == ("2002", True, True, False)

    response = tab["client"].htmx("post", f"{tab['url']}/links/{link.id}", data={"customer_id": "x1"})
    assert response.status_code == 422
    card = soup(response).select_one(f"#site-link-{link.id}")
    assert "digits only" in card.select_one(".error").get_text()
    db.session.expire_all()
    assert link.customer_id == "2002" and link.active is True, "an invalid form changes nothing"


def test_switches_without_javascript_redirect_back_to_the_tab(tab):
    link = embedded_factories.site_link(tab["account"], tab["site"])
    db.session.commit()
    response = tab["client"].post(f"{tab['url']}/links/{link.id}", data={"customer_id": "3003"})
    assert response.status_code == 302 and response.headers["Location"].endswith(tab["url"])
    db.session.expire_all()
    assert (link.active, link.sync_orders, link.sync_status) == (False, False, False)
    response = tab["client"].post(f"{tab['url']}/links/{link.id}", data={"customer_id": ""})
    assert response.status_code == 422
    assert soup(response).select_one("nav.mainnav") is not None, "a full page with the error"


def test_detach_returns_the_panel_and_keeps_the_account(tab):
    link = embedded_factories.site_link(tab["account"], tab["site"])
    db.session.commit()
    response = tab["client"].htmx("post", f"{tab['url']}/links/{link.id}/detach")
    panel = soup(response).select_one("#embedded-services-panel")
    assert panel.select_one(".site-link") is None
    assert panel.select_one(f"#available-account-{tab['account'].id}") is not None
    assert db.session.scalars(select(SiteLink)).all() == []
    assert tab["client"].get(f"/embedded-services/{tab['account'].id}").status_code == 200


def test_several_accounts_per_site_and_several_sites_per_account(tab, subscriber):
    second_account = embedded_factories.account(subscriber, name="PressWise B")
    second_site = factories.site(subscriber, name="Second store")
    db.session.commit()
    client = tab["client"]
    for site_id, account_id in ((tab["site"].id, tab["account"].id), (tab["site"].id, second_account.id),
                                (second_site.id, tab["account"].id)):
        response = client.post(f"/embedded-services/sites/{site_id}/attach",
                               data={"account_id": account_id, "customer_id": "5"})
        assert response.status_code == 302
    page = soup(client.get(tab["url"]))
    assert [h.get_text(" ", strip=True) for h in page.select(".site-link h3")] == [
        "PressWise A PressWise", "PressWise B PressWise"]
    other = soup(client.get(f"/embedded-services/sites/{second_site.id}"))
    assert len(other.select(".site-link")) == 1
    assert len(db.session.scalars(select(SiteLink)).all()) == 3


def test_attaching_twice_keeps_one_link(tab):
    for _ in range(2):
        tab["client"].post(f"{tab['url']}/attach", data={"account_id": tab["account"].id, "customer_id": "5"})
    assert len(db.session.scalars(select(SiteLink)).all()) == 1


def test_each_switch_is_shown_once(tab):
    """The setting is the switch; "Synchronize Orders" and "Synchronize Status" are not repeated as
    buttons. A sync run is an action: a button with a verb."""
    embedded_factories.site_link(tab["account"], tab["site"])
    db.session.commit()
    card = soup(tab["client"].get(tab["url"])).select_one(".site-link")
    for name in ("Synchronize Orders", "Synchronize Status"):
        mentions = [element for element in card.find_all(["label", "button"]) if name in element.get_text()]
        assert len(mentions) == 1 and mentions[0].name == "label", name
    actions = [button.get_text(strip=True) for button in card.select(".sync-buttons button")]
    assert actions == ["Start Order Synchronization", "Dry run", "Start Status Synchronization"]


def test_sync_buttons_are_disabled_with_the_reason_when_a_switch_is_off(tab):
    """The factory's link has the seed's advice: Synchronize Status on, Synchronize Orders off."""
    link = embedded_factories.site_link(tab["account"], tab["site"])
    db.session.commit()
    card = soup(tab["client"].get(tab["url"])).select_one(".site-link")
    orders = card.select_one(".sync-buttons button.sync-orders")
    status = card.select_one(".sync-buttons button.sync-status")
    assert orders.get_text(strip=True) == "Start Order Synchronization"
    assert status.get_text(strip=True) == "Start Status Synchronization"
    assert orders.has_attr("disabled") and not status.has_attr("disabled")
    reason = card.select_one(f"#{orders['aria-describedby']}").get_text(" ", strip=True)
    assert "Synchronize Orders is off" in reason
    assert not card.select_one("button.sync-orders-dry-run").has_attr("disabled"), "a dry run sends nothing"

    link.sync_orders, link.sync_status = True, False
    db.session.commit()
    card = soup(tab["client"].get(tab["url"])).select_one(".site-link")
    assert not card.select_one("button.sync-orders").has_attr("disabled")
    status = card.select_one("button.sync-status")
    assert status.has_attr("disabled")
    assert "Synchronize Status is off" in card.select_one(f"#{status['aria-describedby']}").get_text()


def test_sync_buttons_are_disabled_while_the_account_is_paused(tab):
    embedded_factories.site_link(tab["account"], tab["site"], sync_orders=True)
    tab["account"].pause("PressWise refused the credentials: wrong password")
    db.session.commit()
    card = soup(tab["client"].get(tab["url"])).select_one(".site-link")
    for selector in ("button.sync-orders", "button.sync-status", "button.sync-orders-dry-run"):
        assert card.select_one(selector).has_attr("disabled"), selector
    assert "paused" in card.select_one(".sync-disabled-reason").get_text()


def test_health_is_shown_for_each_attached_account(tab):
    account = tab["account"]
    embedded_factories.site_link(account, tab["site"])
    account.pause("PressWise refused the credentials: wrong password")
    db.session.commit()
    card = soup(tab["client"].get(tab["url"])).select_one(".site-link")
    assert card.select_one(".health-paused") is not None
    assert "wrong password" in card.select_one(".account-paused").get_text()
    assert card.select_one(".account-paused button.resume") is not None


def test_the_link_card_saves_only_with_its_save_button(tab):
    """One model: changes stay on screen until Save (no autosave on change)."""
    link = embedded_factories.site_link(tab["account"], tab["site"])
    db.session.commit()
    form = soup(tab["client"].get(tab["url"])).select_one(f"#site-link-{link.id} form.site-link-form")
    assert "change" not in form.get("hx-trigger", ""), "no request on every change"
    assert form["hx-post"].endswith(f"/links/{link.id}") and form["hx-target"] == f"#site-link-{link.id}"
    assert form.select_one("button.save[type=submit]").get_text(strip=True) == "Save"


def test_turning_synchronize_orders_on_asks_first(tab):
    """The question is asked (client-side) only when the saved link has Synchronize Orders off."""
    link = embedded_factories.site_link(tab["account"], tab["site"], sync_orders=False)
    db.session.commit()
    form = soup(tab["client"].get(tab["url"])).select_one(f"#site-link-{link.id} form.site-link-form")
    assert form["data-sync-orders-saved"] == "off"
    assert "duplicated" in form["data-confirm-sync-orders"]
    assert "Main store" in form["data-confirm-sync-orders"] and "PressWise A" in form["data-confirm-sync-orders"]
    # static/app.js asks, keyed on that attribute (no inline handler under the CSP); the browser
    # test in test_embedded_services_in_the_browser.py sees it ask.
    app_js = (Path(__file__).resolve().parent.parent / "portal" / "static" / "app.js").read_text()
    assert "data-confirm-sync-orders" in app_js and "confirmSyncOrders" in app_js

    response = tab["client"].htmx("post", f"{tab['url']}/links/{link.id}",
                                  data={"customer_id": "1001", "active": "y", "sync_orders": "y", "sync_status": "y"})
    form = soup(response).select_one("form.site-link-form")
    assert form["data-sync-orders-saved"] == "on", "once on, saving other changes asks nothing"


def test_an_invalid_save_says_nothing_was_saved_and_keeps_what_was_typed(tab):
    link = embedded_factories.site_link(tab["account"], tab["site"], sync_status=False)
    db.session.commit()
    response = tab["client"].htmx("post", f"{tab['url']}/links/{link.id}",
                                  data={"customer_id": "12a", "active": "y", "sync_status": "y"})
    assert response.status_code == 422
    card = soup(response).select_one(f"#site-link-{link.id}")
    assert "Not saved" in card.select_one(".not-saved").get_text()
    assert card.select_one(".saved") is None
    assert card.select_one(f"#customer-id-link-{link.id}")["value"] == "12a"
    assert card.select_one(f"#sync-status-link-{link.id}").has_attr("checked"), "the ticked box stays as typed"
    db.session.expire_all()
    assert (link.customer_id, link.sync_status) == ("1001", False)


def test_the_link_card_reuses_the_health_facts(tab):
    account = tab["account"]
    link = embedded_factories.site_link(account, tab["site"])
    account.pause("PressWise refused the credentials: wrong password")
    db.session.commit()
    card = soup(tab["client"].get(tab["url"])).select_one(f"#site-link-{link.id}")
    facts = card.select_one("dl.facts.health")
    assert facts.select_one(".last-success").get_text(strip=True) == "Never"
    # The heading has the badge and the banner has the pause (with Resume): not repeated in the facts.
    assert facts.select_one(".badge") is None and facts.select_one(".paused-reason") is None
    assert len(card.select(".health-paused")) == 1


def test_attach_and_detach_say_what_happened_in_the_panel(tab):
    response = tab["client"].htmx("post", f"{tab['url']}/attach",
                                  data={"account_id": tab["account"].id, "customer_id": "1001"})
    message = soup(response).select_one("#embedded-services-panel .panel-message")
    assert message is not None and message.get_text() == "“PressWise A” attached to Main store."
    assert message["role"] == "status"

    link = db.session.scalars(select(SiteLink)).one()
    response = tab["client"].htmx("post", f"{tab['url']}/links/{link.id}/detach")
    message = soup(response).select_one("#embedded-services-panel .panel-message")
    assert message is not None and message.get_text() == "“PressWise A” detached from Main store."
    assert soup(tab["client"].get(tab["url"])).select_one(".panel-message") is None, "said once, not kept"


def test_each_link_cards_customer_id_label_points_at_its_own_input(tab, subscriber):
    second = embedded_factories.account(subscriber, name="PressWise B")
    links = [embedded_factories.site_link(account, tab["site"]) for account in (tab["account"], second)]
    db.session.commit()
    page = soup(tab["client"].get(tab["url"]))
    for link in links:
        label = page.select_one(f"#site-link-{link.id} label[for^=customer-id]")
        assert label is not None and label["for"] == f"customer-id-link-{link.id}"
        assert page.select_one(f"#{label['for']}")["name"] == "customer_id"
