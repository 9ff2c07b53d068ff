"""The orders search finds customers exactly as the site users search does (one matcher, one
reading of what was typed: case, runs of blanks, LIKE wildcards taken literally)."""

import pytest

from portal.extensions import db
from tests import factories
from tests.conftest import soup


@pytest.fixture
def customers(subscriber):
    site = factories.site(subscriber)
    for email, first, last, company in [
        ("ada@lovelace.example", "Ada", "Lovelace", "Engines Ltd"),
        ("grace@navy.example", "Grace", "Hopper", "US Navy"),
        ("alan@bletchley.example", "Alan", "Turing", "Bletchley_Park"),
        ("joan@bletchley.example", "Joan", "Clarke", "Bletchley-Park"),
    ]:
        user = factories.site_user(site, email=email, address=factories.address(
            first_name=first, last_name=last, company=company, email=email))
        factories.order(site, user=user, po_number=f"PO-{first}")
    db.session.commit()


def _users_found(client, q) -> set[str]:
    return {cell.text for cell in soup(client.get("/users/", query_string={"q": q})).select("table.site-users .email")}


def _customers_of_orders_found(client, q) -> set[str]:
    page = soup(client.get("/orders/", query_string={"q": q}))
    return {cell.select_one(".muted").text for cell in page.select("#orders-results td.customer")}


@pytest.mark.parametrize(
    "q, expected",
    [
        ("  Ada   LOVELACE ", {"ada@lovelace.example"}),
        ("NAVY", {"grace@navy.example"}),
        ("Bletchley_Park", {"alan@bletchley.example"}),
        ("bletchley-park", {"joan@bletchley.example"}),
        ("%", set()),
        ("bletchley.example", {"alan@bletchley.example", "joan@bletchley.example"}),
    ],
)
def test_orders_and_site_users_agree_on_who_matches(logged_in, customers, q, expected):
    assert _users_found(logged_in, q) == expected
    assert _customers_of_orders_found(logged_in, q) == expected
