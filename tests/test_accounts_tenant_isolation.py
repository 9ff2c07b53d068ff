"""Subscriber A cannot read, edit, test, attach or delete subscriber B's account by its ID,
nor touch B's site links; B's accounts never appear in A's lists.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import EmbeddedServicesAccount, SiteLink
from tests import embedded_factories, factories
from tests.conftest import soup


@pytest.fixture
def setup(logged_in, subscriber, other_tenant):
    embedded_factories.authorize(subscriber)
    objects = embedded_factories.tenant_objects(other_tenant)
    own_site = factories.site(subscriber, name="Our store")
    db.session.commit()
    return {"client": logged_in, "site": own_site, "their_account": objects["account_id"],
            "their_link": objects["link_id"], "their_site": other_tenant["site"]}


def test_cannot_read_or_edit_anothers_account(setup):
    client, account = setup["client"], setup["their_account"]
    assert client.get(f"/embedded-services/{account.id}").status_code == 404
    assert client.get(f"/embedded-services/{account.id}/edit").status_code == 404
    response = client.post(f"/embedded-services/{account.id}/edit", data={
        "partner": "presswise", "name": "Hijacked", "url": "http://127.0.0.1:1/x", "username": "me",
        "password": "mine", "authorization_code": "mine", "initial_status": "New"})
    assert response.status_code == 404
    for action in ("deactivate", "reactivate", "resume", "delete"):
        assert client.post(f"/embedded-services/{account.id}/{action}").status_code == 404, action
    db.session.expire_all()
    assert (account.name, account.active) == ("Rival PressWise", True)
    assert account.password == embedded_factories.PASSWORD


def test_cannot_test_anothers_account(setup, presswise):
    account = setup["their_account"]
    account.url = presswise.url
    db.session.commit()
    assert setup["client"].htmx("post", f"/embedded-services/{account.id}/test").status_code == 404
    assert presswise.calls() == [], "nothing was sent with their credentials"
    db.session.expire_all()
    assert account.last_success_at is None and account.last_error is None


def test_cannot_attach_anothers_account_to_own_site(setup):
    client, site, account = setup["client"], setup["site"], setup["their_account"]
    response = client.htmx("post", f"/embedded-services/sites/{site.id}/attach",
                           data={"account_id": account.id, "customer_id": "42"})
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(SiteLink).where(SiteLink.site_id == site.id)) == 0


def test_cannot_use_anothers_site_or_link(setup, subscriber):
    client = setup["client"]
    own_account = embedded_factories.account(subscriber, name="Ours")
    db.session.commit()
    their_site, their_link = setup["their_site"], setup["their_link"]
    assert client.get(f"/embedded-services/sites/{their_site.id}").status_code == 404
    assert client.post(f"/embedded-services/sites/{their_site.id}/attach",
                       data={"account_id": own_account.id, "customer_id": "1"}).status_code == 404
    base = f"/embedded-services/sites/{their_site.id}/links/{their_link.id}"
    assert client.post(base, data={"customer_id": "9", "sync_orders": "y"}).status_code == 404
    assert client.post(base + "/detach").status_code == 404
    assert client.post(base + "/resume").status_code == 404
    # Their link ID under our own site is not found either.
    assert client.post(f"/embedded-services/sites/{setup['site'].id}/links/{their_link.id}/detach").status_code == 404
    db.session.expire_all()
    assert (their_link.customer_id, their_link.sync_orders) == ("1001", False)
    assert db.session.get(SiteLink, their_link.id) is not None


def test_lists_show_only_own_accounts(setup, subscriber):
    embedded_factories.account(subscriber, name="Ours")
    db.session.commit()
    client = setup["client"]
    listing = soup(client.get("/embedded-services/")).get_text(" ")
    assert "Ours" in listing and "Rival PressWise" not in listing
    tab = soup(client.get(f"/embedded-services/sites/{setup['site'].id}")).get_text(" ")
    assert "Ours" in tab and "Rival PressWise" not in tab


def test_same_names_in_two_tenants_are_separate(setup, subscriber):
    embedded_factories.account(subscriber, name="Rival PressWise")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(EmbeddedServicesAccount)) == 2


def test_a_link_between_tenants_is_refused_in_code(setup):
    with pytest.raises(ValueError, match="same subscriber"):
        SiteLink.attach(setup["their_account"], setup["site"], customer_id="1")
