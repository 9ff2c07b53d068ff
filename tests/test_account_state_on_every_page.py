"""An account shows one state, in words, with its one next action, on every page that names it:
the accounts list, the account page, the site tab (attached) and the Attach table (not attached).

Seen before: wrong credentials showed a green "Active" next to "Health: Paused"; after Deactivate
the page showed "Inactive", a "Paused ... Resume" box and "Reactivate" together; the Attach table
said "Active" for a paused account, and attaching it said nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models.types import utcnow
from tests import embedded_factories, factories
from tests.conftest import soup

REASON = "PressWise refused the credentials: Invalid username, password or authorization code"


@pytest.fixture
def authorized(logged_in, subscriber):
    embedded_factories.authorize(subscriber)
    db.session.commit()
    return logged_in


def _make(subscriber, state: str):
    """An account in ``state``: untested, ok, failing, paused, inactive, or inactive after a pause."""
    account = embedded_factories.account(subscriber, name=f"Account {state}", active=not state.startswith("inactive"))
    now = utcnow()
    if state in ("ok", "failing", "paused", "inactive_paused"):
        account.last_success_at = now - timedelta(hours=1)
    if state == "ok":
        account.last_success_at = now
    if state in ("failing", "paused", "inactive_paused"):
        account.last_error, account.last_error_at = (REASON if "paused" in state else "Cannot connect to PressWise: "
                                                     "Connection refused"), now
    if "paused" in state:
        account.pause(REASON)
    return account


EXPECTED = {
    # state: (label, words the one next action needs, words that must not appear with it)
    "untested": ("Active, not tested yet", ["Test connection"], ["Paused", "Inactive", "Reactivate"]),
    "ok": ("Active", [], ["Paused", "Inactive", "Reactivate", "Resume"]),
    "failing": ("Active, last call failed", ["Connection refused", "Test connection"], ["Paused", "Inactive"]),
    "paused": ("Paused", ["Invalid username", "Correct the password", "then Resume"], ["Inactive", "Reactivate"]),
    "inactive": ("Inactive", ["Reactivate"], ["Resume", "Correct the password"]),
    "inactive_paused": ("Inactive", ["Reactivate"], ["Resume", "Correct the password"]),
}


def _badges(region, account) -> list[str]:
    return [badge.get_text(strip=True) for badge in region.select("[data-account-state]")]


def _text(region) -> str:
    return " ".join(region.get_text(" ").split())


@pytest.mark.parametrize("state", list(EXPECTED))
def test_one_state_on_the_list_the_account_page_and_the_site_tab(authorized, subscriber, state):
    label, needed, contradictions = EXPECTED[state]
    account = _make(subscriber, state)
    site = factories.site(subscriber, name="Main store")
    link = embedded_factories.site_link(account, site)
    db.session.commit()

    row = soup(authorized.get("/embedded-services/")).select_one(f"#account-{account.id}")
    status = soup(authorized.get(f"/embedded-services/{account.id}")).select_one("#account-status")
    card = soup(authorized.get(f"/embedded-services/sites/{site.id}")).select_one(f"#site-link-{link.id}")

    for page, region in (("list", row), ("account page", status), ("site tab", card)):
        assert _badges(region, account) == [label], f"{page}: one state, {label!r}"
        words = _text(region)
        for contradiction in contradictions:
            # The label itself may contain "Active"; contradictions are other states and their actions.
            assert contradiction not in words.replace(label, "", 1), f"{page} says {contradiction!r} beside {label!r}"
    for needed_words in needed:
        assert needed_words in _text(status) or needed_words == "Test connection", (state, needed_words)

    # The one next action is a control on the account page.
    buttons = {b.get_text(strip=True) for b in status.select("button, a.button")}
    if state == "paused":
        assert {"Correct the credentials", "Resume"} <= buttons and "Reactivate" not in buttons
        assert "Correct the password or authorization code, then Resume" in _text(status)
        assert "Invalid username, password or authorization code." in status.select_one(".paused-reason").get_text()
        assert card.select_one(".account-paused button.resume") is not None
    elif state.startswith("inactive"):
        assert "Reactivate" in buttons and "Resume" not in buttons and "Deactivate" not in buttons
        assert card.select_one(".account-inactive a")["href"] == f"/embedded-services/{account.id}"
    else:
        assert "Deactivate" in buttons and not {"Resume", "Reactivate"} & buttons


@pytest.mark.parametrize("state", list(EXPECTED))
def test_the_attach_table_shows_the_same_state(authorized, subscriber, state):
    label, _needed, _contradictions = EXPECTED[state]
    account = _make(subscriber, state)
    site = factories.site(subscriber, name="Main store")
    db.session.commit()

    row = soup(authorized.get(f"/embedded-services/sites/{site.id}")).select_one(f"#available-account-{account.id}")
    assert _badges(row, account) == [label]
    if state in ("paused", "inactive", "inactive_paused"):
        assert "Nothing is sent with it" in _text(row.select_one("td.state")), "said before attaching"


@pytest.mark.parametrize("state, words", [
    ("paused", ["the account is paused", "Nothing is sent with it", "Correct the password"]),
    ("inactive", ["the account is inactive", "Reactivate it"]),
])
def test_attaching_an_account_that_sends_nothing_says_so(authorized, subscriber, state, words):
    account = _make(subscriber, state)
    site = factories.site(subscriber, name="Main store")
    db.session.commit()

    response = authorized.htmx("post", f"/embedded-services/sites/{site.id}/attach",
                               data={"account_id": account.id, "customer_id": "1001"})
    message = soup(response).select_one(".panel-message")
    assert "flash-warning" in message["class"]
    for word in words:
        assert word in message.get_text(), word


def test_attaching_a_healthy_account_is_plain_news(authorized, subscriber):
    account = _make(subscriber, "ok")
    site = factories.site(subscriber, name="Main store")
    db.session.commit()
    response = authorized.htmx("post", f"/embedded-services/sites/{site.id}/attach",
                               data={"account_id": account.id, "customer_id": "1001"})
    message = soup(response).select_one(".panel-message")
    assert "flash-success" in message["class"] and message.get_text(strip=True) == \
        f"“{account.name}” attached to Main store."


def test_deactivating_a_paused_account_leaves_one_state_and_one_action(authorized, subscriber):
    """The sequence that showed "Inactive", "Paused ... Resume" and "Reactivate" at once."""
    account = _make(subscriber, "paused")
    db.session.commit()
    panel = soup(authorized.htmx("post", f"/embedded-services/{account.id}/deactivate")).select_one("#account-status")
    assert _badges(panel, account) == ["Inactive"]
    assert [b.get_text(strip=True) for b in panel.select(".actions button:not([disabled])")] == ["Reactivate", "Delete"]
    assert panel.select_one(".paused-reason") is None

    panel = soup(authorized.htmx("post", f"/embedded-services/{account.id}/reactivate")).select_one("#account-status")
    assert _badges(panel, account) == ["Paused"], "the pause shows again once it is active"
    assert panel.select_one("button.resume") is not None
