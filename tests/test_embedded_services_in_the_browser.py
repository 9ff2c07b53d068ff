"""The HTMX parts of Embedded Services in headless Chromium: the site tab's attach and
switches, Test connection in place, and staff authorizing a subscriber row by row.
"""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import SiteLink
from tests import embedded_factories, factories
from tests.fixtures.browser import log_in

pytestmark = pytest.mark.browser


def test_attach_and_switch_on_the_site_tab(page, admin, subscriber):
    embedded_factories.authorize(subscriber)
    site = factories.site(subscriber, name="Main store")
    account = embedded_factories.account(subscriber, name="PressWise A")
    db.session.commit()
    log_in(page, admin)

    page.goto(f"/sites/{site.id}")
    page.get_by_role("tab", name="Embedded Services").click()
    page.locator("#embedded-services-panel").wait_for()
    assert page.url.endswith(f"/embedded-services/sites/{site.id}")

    page.get_by_label("PressWise customer ID of Main store for PressWise A").fill("1001")
    page.get_by_role("button", name="Attach").click()
    card = page.locator(".site-link")
    card.wait_for()
    link = db.session.scalars(db.select(SiteLink)).one()
    assert link.customer_id == "1001" and link.account_id == account.id

    card.get_by_label("Synchronize Orders").check()
    page.locator(f"#site-link-{link.id} .saved").wait_for()
    db.session.expire_all()
    assert link.sync_orders is True and link.sync_status is True

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Detach from this site").click()
    page.locator(".no-links").wait_for()
    assert db.session.scalars(db.select(SiteLink)).all() == []


def test_test_connection_answers_in_place(page, admin, subscriber, presswise):
    embedded_factories.authorize(subscriber)
    account = embedded_factories.account(
        subscriber, name="Emulator", url=presswise.url, username=presswise.account.username,
        password="wrong-password", authorization_code=presswise.account.authorization_code)
    db.session.commit()
    log_in(page, admin)
    page.goto(f"/embedded-services/{account.id}")
    page.get_by_role("button", name="Test connection").click()
    result = page.locator("#connection-result .connection-result")
    result.wait_for()
    assert "Wrong credentials" in result.inner_text()
    # The status panel was refreshed out of band: paused, with Resume.
    page.locator("#account-status .paused-reason").wait_for()
    page.get_by_role("button", name="Resume").click()
    page.locator("#account-status .flash-success").wait_for()
    assert page.locator("#account-status .paused-reason").count() == 0


def test_staff_authorize_and_withdraw_rows(page, subscriber, staff_user):
    db.session.commit()
    log_in(page, staff_user)
    page.goto("/staff/")
    row = page.locator(f"#subscriber-{subscriber.id}")
    row.get_by_role("button", name="Authorize").click()
    page.locator(f"#subscriber-{subscriber.id} .row-message").wait_for()
    assert "Authorized" in page.locator(f"#subscriber-{subscriber.id} .authorization").inner_text()

    messages = []
    page.on("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    page.locator(f"#subscriber-{subscriber.id}").get_by_role("link", name="Withdraw").click()
    page.locator(f"#subscriber-{subscriber.id} .badge", has_text="Withdrawn").wait_for()
    assert messages and messages[0].startswith("Withdraw Embedded Services from Acme Print?")
    db.session.expire_all()
    assert not subscriber.embedded_services_authorized
