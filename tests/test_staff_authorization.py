"""Platform staff authorize or withdraw a subscriber's Embedded Services; nobody else can.

Without authorization every Embedded Services route answers 404 and the menu item
and the site tab are absent; who authorized or withdrew, and when, is recorded.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import EmbeddedServicesAuthorizationEvent
from tests import embedded_factories, factories
from tests.conftest import soup
from tests.test_sites_pages import counting_queries


def _row(response, subscriber):
    return soup(response).select_one(f"#subscriber-{subscriber.id}")


def test_staff_page_lists_subscribers_with_their_authorization_state(staff_client, subscriber):
    page = staff_client.get("/staff/")
    assert page.status_code == 200
    row = _row(page, subscriber)
    assert row is not None and "Acme Print" in row.get_text()
    assert "Not authorized" in row.select_one(".authorization").get_text()
    assert row.select_one("button.authorize") is not None


def test_staff_authorize_records_who_and_when_and_swaps_the_row(staff_client, staff_user, subscriber):
    response = staff_client.htmx("post", f"/staff/subscribers/{subscriber.id}/authorize")
    assert response.status_code == 200
    fragment = soup(response)
    row = fragment.select_one(f"tr#subscriber-{subscriber.id}")
    assert row is not None, "the HTMX answer is the row fragment"
    assert fragment.find("html") is None
    assert "Authorized" in row.select_one(".authorization").get_text()
    assert "Sam Staff" in row.select_one(".who-when").get_text()
    assert row.select_one("a.withdraw")["hx-confirm"].startswith("Withdraw Embedded Services from Acme Print?")

    db.session.expire_all()
    assert subscriber.embedded_services_authorized_at is not None
    event = db.session.scalars(select(EmbeddedServicesAuthorizationEvent)).one()
    assert (event.action, event.actor_id, event.subscriber_id) == ("authorized", staff_user.id, subscriber.id)


def test_staff_withdraw_records_who_and_when(staff_client, staff_user, subscriber):
    embedded_factories.authorize(subscriber, by=staff_user)
    db.session.commit()

    confirm = staff_client.get(f"/staff/subscribers/{subscriber.id}/withdraw")
    assert confirm.status_code == 200
    assert "lose the menu" in soup(confirm).select_one(".confirmation").get_text()
    db.session.expire_all()
    assert subscriber.embedded_services_authorized, "GET only asks; it changes nothing"

    response = staff_client.post(f"/staff/subscribers/{subscriber.id}/withdraw")
    assert response.status_code == 302
    db.session.expire_all()
    assert subscriber.embedded_services_authorized_at is None
    actions = [e.action for e in db.session.scalars(
        select(EmbeddedServicesAuthorizationEvent).order_by(EmbeddedServicesAuthorizationEvent.id))]
    assert actions == ["authorized", "withdrawn"]
    row = _row(staff_client.get("/staff/"), subscriber)
    assert "Withdrawn" in row.select_one(".authorization").get_text()
    assert "Sam Staff" in row.select_one(".who-when").get_text()


@pytest.mark.parametrize("action", ["authorize", "withdraw"])
def test_subscriber_admins_cannot_change_authorization(logged_in, subscriber, action):
    if action == "withdraw":
        embedded_factories.authorize(subscriber)
        db.session.commit()
    before = subscriber.embedded_services_authorized
    response = logged_in.post(f"/staff/subscribers/{subscriber.id}/{action}")
    assert response.status_code == 404
    assert logged_in.get("/staff/").status_code == 404
    db.session.expire_all()
    assert subscriber.embedded_services_authorized == before


def test_anonymous_visitors_are_sent_to_sign_in(client, subscriber):
    response = client.post(f"/staff/subscribers/{subscriber.id}/authorize")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    db.session.expire_all()
    assert not subscriber.embedded_services_authorized


def test_unknown_subscriber_is_404(staff_client):
    assert staff_client.post("/staff/subscribers/999999/authorize").status_code == 404
    assert staff_client.post("/staff/subscribers/99999999999/withdraw").status_code == 404


def _own_ids(subscriber):
    site = factories.site(subscriber, name="Main store")
    account = embedded_factories.account(subscriber)
    link = embedded_factories.site_link(account, site)
    run = embedded_factories.sync_run(link)
    db.session.commit()
    return {"account_id": account.id, "site_id": site.id, "link_id": link.id, "run_id": run.id}


def _embedded_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("accounts."):
            yield rule


def test_every_embedded_services_route_is_404_without_authorization(app, logged_in, subscriber):
    ids = _own_ids(subscriber)
    answered = []
    for rule in _embedded_routes(app):
        url = rule.build({arg: ids[arg] for arg in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = logged_in.open(url, method=method)
            answered.append((method, url, response.status_code))
    assert len(answered) >= 14
    assert all(status == 404 for _, _, status in answered), [a for a in answered if a[2] != 404]


def test_menu_item_and_site_tab_appear_only_while_authorized(logged_in, subscriber, staff_user):
    site = factories.site(subscriber, name="Main store")
    db.session.commit()

    def menu_links():
        page = soup(logged_in.get("/sites/"))
        return [a for a in page.select("nav.mainnav a") if a.get_text(strip=True) == "Embedded Services"]

    def tab_links():
        page = soup(logged_in.get(f"/sites/{site.id}"))
        return [a for a in page.select("nav.tabs a") if a.get_text(strip=True) == "Embedded Services"]

    assert menu_links() == [] and tab_links() == []

    embedded_factories.authorize(subscriber, by=staff_user)
    db.session.commit()
    assert menu_links()[0]["href"] == "/embedded-services/"
    assert tab_links()[0]["href"] == f"/embedded-services/sites/{site.id}"
    assert logged_in.get("/embedded-services/").status_code == 200

    subscriber.withdraw_embedded_services(by=staff_user)
    db.session.commit()
    assert menu_links() == [] and tab_links() == []
    assert logged_in.get("/embedded-services/").status_code == 404
    assert logged_in.get(f"/embedded-services/sites/{site.id}").status_code == 404


def test_staff_never_see_embedded_services_pages(staff_client, subscriber):
    embedded_factories.authorize(subscriber)
    db.session.commit()
    assert staff_client.get("/embedded-services/").status_code == 404


def test_subscribers_list_queries_do_not_grow_with_subscribers_sites_or_events(staff_client, staff_user, subscriber):
    def busy_subscriber(name, sites, rounds):
        s = factories.subscriber(name=name)
        for n in range(sites):
            factories.site(s, name=f"{name} site {n}")
        for _ in range(rounds):
            s.authorize_embedded_services(by=staff_user)
            s.withdraw_embedded_services(by=staff_user)
        return s

    busy_subscriber("Alpha Print", sites=1, rounds=1)
    db.session.commit()
    with counting_queries() as few:
        assert staff_client.get("/staff/").status_code == 200

    busy_subscriber("Beta Print", sites=4, rounds=3)
    gamma = busy_subscriber("Gamma Print", sites=2, rounds=2)
    gamma.authorize_embedded_services(by=None)
    db.session.commit()
    db.session.expire_all()
    with counting_queries() as many:
        page = soup(staff_client.get("/staff/"))

    rows = {row.select_one(".name").get_text(): row for row in page.select("tr.subscriber-row")}
    assert [rows[name].select_one(".site-count").get_text() for name in ("Acme Print", "Alpha Print", "Beta Print",
                                                                          "Gamma Print")] == ["0", "1", "4", "2"]
    assert "Withdrawn" in rows["Beta Print"].select_one(".authorization").get_text()
    assert "Sam Staff" in rows["Beta Print"].select_one(".who-when").get_text()
    assert "Authorized" in rows["Gamma Print"].select_one(".authorization").get_text(), "the latest event counts"
    assert "unknown" in rows["Gamma Print"].select_one(".who-when").get_text()
    assert "Not authorized" in rows["Acme Print"].select_one(".authorization").get_text()
    assert len(many) == len(few)
    assert not any("site.domain" in statement for statement in many), "sites are counted, not loaded"
