"""The HTMX parts of Embedded Services in headless Chromium: the site tab's attach and
switches, Test connection in place, and staff authorizing a subscriber row by row.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

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
    expect(page.locator("#embedded-services-panel .panel-message")).to_have_text("“PressWise A” attached to Main store.")
    link = db.session.scalars(db.select(SiteLink)).one()
    assert link.customer_id == "1001" and link.account_id == account.id

    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    card.get_by_label("Synchronize Status").uncheck()
    card.get_by_role("button", name="Save").click()
    page.locator(f"#site-link-{link.id} .saved").wait_for()
    db.session.expire_all()
    assert link.sync_status is False and link.sync_orders is False
    assert dialogs == [], "nothing to confirm while Synchronize Orders stays off"

    page.get_by_role("button", name="Detach from this site").click()
    page.locator(".no-links").wait_for()
    expect(page.locator("#embedded-services-panel .panel-message")).to_have_text("“PressWise A” detached from Main store.")
    assert dialogs == ["Detach “PressWise A” from Main store?"]
    assert db.session.scalars(db.select(SiteLink)).all() == []


def test_a_change_is_saved_only_by_save(page, admin, subscriber):
    """No autosave: ticking a box sends nothing, even after a refused save; Save sends it all."""
    embedded_factories.authorize(subscriber)
    site = factories.site(subscriber, name="Main store")
    link = embedded_factories.site_link(embedded_factories.account(subscriber, name="PressWise A"), site,
                                        sync_status=False)
    db.session.commit()
    log_in(page, admin)
    page.goto(f"/embedded-services/sites/{site.id}")
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    card = page.locator(f"#site-link-{link.id}")

    card.get_by_label("PressWise customer ID").fill("12a")
    card.get_by_role("button", name="Save").click()
    expect(page.locator(f"#site-link-{link.id} .not-saved")).to_be_visible()
    expect(page.locator(f"#site-link-{link.id} .error")).to_contain_text("digits only")
    db.session.expire_all()
    assert (link.customer_id, link.sync_status) == ("1001", False)
    page.locator(f"#site-link-{link.id}").get_by_label("Synchronize Status").check()

    card = page.locator(f"#site-link-{link.id}")
    card.get_by_label("PressWise customer ID").fill("2002")
    card.get_by_role("button", name="Save").click()
    page.locator(f"#site-link-{link.id} .saved").wait_for()
    # Nothing to wait for after the tick, so no sleep: a request it sent would have been sent
    # before this Save's, so once Save has answered, two POSTs in all means the tick sent none.
    assert len(posts) == 2, "the tick sent nothing; only the two Saves did"
    db.session.expire_all()
    assert (link.customer_id, link.sync_status) == ("2002", True)


def test_turning_synchronize_orders_on_asks_for_confirmation(page, admin, subscriber):
    embedded_factories.authorize(subscriber)
    site = factories.site(subscriber, name="Main store")
    link = embedded_factories.site_link(embedded_factories.account(subscriber, name="PressWise A"), site)
    db.session.commit()
    log_in(page, admin)
    page.goto(f"/embedded-services/sites/{site.id}")
    card = page.locator(f"#site-link-{link.id}")

    answers = iter([False, True])
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.accept() if next(answers) else dialog.dismiss()

    page.on("dialog", answer)
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    card.get_by_label("Synchronize Orders").check()
    with page.expect_event("dialog"):
        card.get_by_role("button", name="Save").click()
    assert len(dialogs) == 1 and "duplicated" in dialogs[0]
    assert dialogs[0].startswith("Turn on Synchronize Orders for “PressWise A” on Main store?")
    expect(card.get_by_label("Synchronize Orders")).to_be_checked()  # the choice stays on screen to reconsider

    card.get_by_role("button", name="Save").click()
    page.locator(f"#site-link-{link.id} .saved").wait_for()
    assert len(dialogs) == 2
    # A request from the cancelled Save would have gone before this one: one POST means none did.
    assert len(posts) == 1, "cancelled: nothing sent"
    db.session.expire_all()
    assert link.sync_orders is True

    # Already on: saving another change asks nothing. The previous "Saved." is still on screen,
    # so wait for this Save's answer itself (the server commits before it answers).
    page.locator(f"#site-link-{link.id}").get_by_label("PressWise customer ID").fill("3003")
    with page.expect_response(lambda response: response.request.method == "POST") as answered:
        page.locator(f"#site-link-{link.id}").get_by_role("button", name="Save").click()
    assert answered.value.status == 200
    expect(page.locator(f"#site-link-{link.id} .saved")).to_be_visible()
    db.session.expire_all()
    assert link.customer_id == "3003" and len(dialogs) == 2


def test_test_connection_answers_in_place(page, admin, subscriber, presswise, rq_worker):
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

    # The action cell is a table cell like the others: its edges line up with the row after each swap.
    cell = page.locator(f"#subscriber-{subscriber.id} td.actions")
    assert cell.evaluate("element => getComputedStyle(element).display") == "table-cell"
    row_box, cell_box = page.locator(f"#subscriber-{subscriber.id}").bounding_box(), cell.bounding_box()
    assert abs((cell_box["y"] + cell_box["height"]) - (row_box["y"] + row_box["height"])) < 1


def test_after_fixing_the_credentials_a_good_test_offers_resume(page, admin, subscriber, presswise, rq_worker):
    embedded_factories.authorize(subscriber)
    account = embedded_factories.account(
        subscriber, name="Emulator", url=presswise.url, username=presswise.account.username,
        password="wrong-password", authorization_code=presswise.account.authorization_code)
    account.pause("PressWise refused the credentials: wrong password")
    account.password = presswise.account.password
    db.session.commit()
    log_in(page, admin)
    page.goto(f"/embedded-services/{account.id}")

    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#connection-result .connection-result")).to_contain_text("Connection OK")
    expect(page.locator("#connection-result .still-paused")).to_contain_text("still paused")
    page.locator("#connection-result").get_by_role("button", name="Resume now").click()
    expect(page.locator("#account-status .flash-success")).to_have_text("Account “Emulator” resumed.")
    expect(page.locator("#connection-result")).to_be_empty()
    assert page.locator("#account-status .paused-reason").count() == 0
    db.session.expire_all()
    assert not account.is_paused


def test_deactivate_asks_before_stopping_every_site(page, admin, subscriber):
    embedded_factories.authorize(subscriber)
    account = embedded_factories.account(subscriber, name="Production")
    embedded_factories.site_link(account, factories.site(subscriber, name="Main store"))
    db.session.commit()
    log_in(page, admin)
    page.goto(f"/embedded-services/{account.id}")

    answers = iter([False, True])
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.accept() if next(answers) else dialog.dismiss()

    page.on("dialog", answer)
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    with page.expect_event("dialog"):
        page.locator("#account-status").get_by_role("link", name="Deactivate").click()
    assert dialogs == ["Deactivate “Production”? The one site using it stops sending orders to PressWise and "
                       "synchronizing at once. Its settings and history stay; Reactivate uses it again."]

    page.locator("#account-status").get_by_role("link", name="Deactivate").click()
    expect(page.locator("#account-status .flash-success")).to_have_text("Account “Production” deactivated.")
    # A request from the cancelled click would have gone before this one: one POST means none did,
    # and the page never left the account.
    assert len(posts) == 1, "cancelled: nothing sent"
    assert page.url.endswith(f"/embedded-services/{account.id}")
    db.session.expire_all()
    assert account.active is False
    expect(page.locator("#account-status button.delete")).to_be_disabled()
