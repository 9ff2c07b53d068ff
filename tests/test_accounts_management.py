"""Admin > Embedded Services: list, create, edit, deactivate/reactivate, and delete only
when nothing uses the account.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import EmbeddedServicesAccount
from tests import embedded_factories, factories
from tests.conftest import soup
from tests.test_sites_pages import counting_queries


@pytest.fixture
def authorized(logged_in, subscriber):
    embedded_factories.authorize(subscriber)
    db.session.commit()
    return logged_in


def test_list_shows_partner_name_url_state_and_sites(authorized, subscriber):
    used = embedded_factories.account(subscriber, name="Production", url="http://127.0.0.1:8081/r/wsdl-order2.php")
    embedded_factories.account(subscriber, name="Old", active=False)
    for name in ("North store", "South store"):
        embedded_factories.site_link(used, factories.site(subscriber, name=name))
    db.session.commit()

    page = soup(authorized.get("/embedded-services/"))
    row = page.select_one(f"#account-{used.id}")
    cells = [td.get_text(" ", strip=True) for td in row.select("td")]
    assert cells[:4] == ["PressWise", "Production", "http://127.0.0.1:8081/r/wsdl-order2.php", "Active, not tested yet"]
    assert cells[4] == "North store , South store"
    names = [a.get_text() for a in page.select("td.name a")]
    assert names == ["Old", "Production"]
    assert "Inactive" in page.select("tr")[1].select_one("td.state").get_text()
    assert "Reactivate" in page.select("tr")[1].select_one("td.state").get_text()
    assert page.select_one("a.button.primary")["href"] == "/embedded-services/new"


def test_create_form_offers_the_seed_fields(authorized):
    form = soup(authorized.get("/embedded-services/new")).select_one("form.account-form")
    assert [o["value"] for o in form.select("#partner option")] == ["presswise"]
    assert [o["value"] for o in form.select("#initial_status option")] == ["New"]
    assert form.select_one("#send_pricing_in_notes")["type"] == "checkbox"
    for name in ("name", "url", "username", "password", "authorization_code"):
        assert form.select_one(f"#{name}") is not None, name
    assert form.select_one("#password")["type"] == "password"


def test_create_then_edit(authorized, subscriber):
    response = authorized.post("/embedded-services/new", data={
        "partner": "presswise", "name": "Production", "url": "http://127.0.0.1:8081/r/wsdl-order2.php",
        "username": "printco", "password": "pw", "authorization_code": "code", "initial_status": "New",
        "send_pricing_in_notes": "y"})
    assert response.status_code == 302
    account = db.session.scalars(select(EmbeddedServicesAccount)).one()
    assert response.headers["Location"].endswith(f"/embedded-services/{account.id}")
    assert (account.name, account.username, account.send_pricing_in_notes, account.active) == (
        "Production", "printco", True, True)

    edit_page = soup(authorized.get(f"/embedded-services/{account.id}/edit"))
    assert edit_page.select_one("#name")["value"] == "Production"
    assert "Leave blank to keep" in edit_page.select_one("form.account-form").get_text()
    response = authorized.post(f"/embedded-services/{account.id}/edit", data={
        "partner": "presswise", "name": "Production EU", "url": "http://127.0.0.1:8081/eu/r/wsdl-order2.php",
        "username": "printco-eu", "password": "", "authorization_code": "", "initial_status": "New"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (account.name, account.url, account.username, account.send_pricing_in_notes) == (
        "Production EU", "http://127.0.0.1:8081/eu/r/wsdl-order2.php", "printco-eu", False)
    assert (account.password, account.authorization_code) == ("pw", "code")


def test_deactivate_and_reactivate_in_place(authorized, subscriber):
    account = embedded_factories.account(subscriber)
    db.session.commit()
    response = authorized.htmx("post", f"/embedded-services/{account.id}/deactivate")
    panel = soup(response).select_one("#account-status")
    assert panel is not None and panel.select_one("button.reactivate") is not None
    db.session.expire_all()
    assert account.active is False and account.health.value == "inactive"

    response = authorized.post(f"/embedded-services/{account.id}/reactivate")
    assert response.status_code == 302
    db.session.expire_all()
    assert account.active is True


def test_delete_an_unused_account(authorized, subscriber):
    account = embedded_factories.account(subscriber)
    db.session.commit()
    response = authorized.htmx("post", f"/embedded-services/{account.id}/delete")
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/embedded-services/"
    assert db.session.scalars(select(EmbeddedServicesAccount)).all() == []


def test_an_account_a_site_uses_cannot_be_deleted(authorized, subscriber):
    account = embedded_factories.account(subscriber)
    embedded_factories.site_link(account, factories.site(subscriber))
    db.session.commit()
    assert account.is_in_use()
    response = authorized.htmx("post", f"/embedded-services/{account.id}/delete")
    assert response.status_code == 409, "a stale page or a crafted POST is still refused"
    message = soup(response).select_one("#account-status .flash-error").get_text()
    assert "cannot be deleted. Used by 1 site: detach it first." in message
    response = authorized.post(f"/embedded-services/{account.id}/delete")
    assert response.status_code == 302
    assert db.session.get(EmbeddedServicesAccount, account.id) is not None


def test_detail_page_shows_settings_but_never_secrets(authorized, subscriber):
    account = embedded_factories.account(subscriber, name="Production", username="printco")
    db.session.commit()
    page = soup(authorized.get(f"/embedded-services/{account.id}"))
    settings = page.select_one("dl.settings").get_text(" ", strip=True)
    assert "printco" in settings and "Stored encrypted, not shown" in settings
    assert embedded_factories.PASSWORD not in str(page) and embedded_factories.AUTHORIZATION_CODE not in str(page)
    assert page.select_one("form[hx-post$='/test']")["hx-target"] == "#connection-result"


def test_deactivate_asks_first_with_javascript_and_without(authorized, subscriber):
    account = embedded_factories.account(subscriber, name="Production")
    for name in ("North store", "South store"):
        embedded_factories.site_link(account, factories.site(subscriber, name=name))
    db.session.commit()

    button = soup(authorized.get(f"/embedded-services/{account.id}")).select_one("#account-status a.deactivate")
    assert button["hx-post"] == f"/embedded-services/{account.id}/deactivate"
    assert button["hx-confirm"].startswith("Deactivate “Production”? The 2 sites using it stop sending orders")
    assert button["href"] == f"/embedded-services/{account.id}/deactivate", "without JavaScript: a confirmation page"

    confirm = authorized.get(button["href"])
    assert confirm.status_code == 200
    page = soup(confirm)
    assert "The 2 sites using it stop" in page.select_one(".confirmation").get_text()
    assert page.select_one("form button.deactivate") is not None
    db.session.expire_all()
    assert account.active is True, "GET only asks"

    response = authorized.post(page.select_one("button.deactivate").find_parent("form")["action"])
    assert response.status_code == 302
    db.session.expire_all()
    assert account.active is False
    assert "already inactive" in soup(authorized.get(button["href"])).get_text()


def test_delete_is_offered_only_when_nothing_uses_the_account(authorized, subscriber):
    account = embedded_factories.account(subscriber)
    links = [embedded_factories.site_link(account, factories.site(subscriber)) for _ in range(2)]
    db.session.commit()
    status = soup(authorized.get(f"/embedded-services/{account.id}")).select_one("#account-status")
    delete = status.select_one("button.delete")
    assert delete.has_attr("disabled") and delete.find_parent("form") is None
    assert status.select_one(".delete-blocked").get_text() == "Used by 2 sites: detach it first."
    assert delete["aria-describedby"] == "delete-blocked"

    db.session.delete(links[0])
    db.session.commit()
    status = soup(authorized.get(f"/embedded-services/{account.id}")).select_one("#account-status")
    assert status.select_one(".delete-blocked").get_text() == "Used by 1 site: detach it first."

    db.session.delete(links[1])
    db.session.commit()
    status = soup(authorized.get(f"/embedded-services/{account.id}")).select_one("#account-status")
    delete = status.select_one("button.delete")
    assert not delete.has_attr("disabled") and status.select_one(".delete-blocked") is None
    assert delete.find_parent("form")["hx-confirm"].startswith("Delete “")


def test_account_page_queries_do_not_grow_with_its_sites(authorized, subscriber):
    account = embedded_factories.account(subscriber)
    embedded_factories.site_link(account, factories.site(subscriber, name="Site 0"))
    db.session.commit()
    with counting_queries() as one_site:
        assert authorized.get(f"/embedded-services/{account.id}").status_code == 200

    for n in range(1, 6):
        embedded_factories.site_link(account, factories.site(subscriber, name=f"Site {n}"))
    db.session.commit()
    db.session.expire_all()
    with counting_queries() as six_sites:
        page = soup(authorized.get(f"/embedded-services/{account.id}"))

    assert [a.get_text() for a in page.select("table.site-links td a")] == [f"Site {n}" for n in range(6)]
    assert len(six_sites) == len(one_site), "each link's site is not loaded on its own"
