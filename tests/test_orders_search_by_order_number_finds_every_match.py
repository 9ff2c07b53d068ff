"""Text that is an order number is searched by first collecting the matching IDs (an index per
part on PostgreSQL); any other text walks the list. Either way the search must find the same
orders: the number itself, longer numbers it begins, a PO number, a billing e-mail or a customer
that contains it, and none of another tenant's."""

import pytest

from portal.extensions import db
from portal.orders import queries
from tests import factories
from tests.conftest import soup


@pytest.fixture
def orders(subscriber):
    site = factories.site(subscriber)
    plain = factories.site_user(site, email="plain@example.com")
    fan = factories.site_user(site, email="fan-of-a-100@example.com")
    factories.order(site, user=plain, number="A-100")
    factories.order(site, user=plain, number="A-1001")
    factories.order(site, user=plain, number="B-7", po_number="a-100")
    factories.order(site, user=fan, number="C-1",  # only the customer's e-mail contains it
                    billing_address=factories.address(email="accounts@example.com"))
    factories.order(site, user=plain, number="D-1",
                    billing_address=factories.address(email="billing-A-100@example.com"))
    factories.order(site, user=plain, number="E-1")  # matches nothing
    stranger = factories.site(factories.subscriber(name="Stranger"))
    factories.order(stranger, number="A-100")
    factories.order(stranger, number="A-1002")
    db.session.commit()


def _found(client, q) -> list[str]:
    page = soup(client.get("/orders/", query_string={"q": q}))
    return sorted(a.text.strip() for a in page.select(".orders-table .order-number"))


EVERY_MATCH = ["A-100", "A-1001", "B-7", "C-1", "D-1"]


def test_an_order_number_finds_every_order_it_matches_and_only_the_tenants(logged_in, orders):
    assert _found(logged_in, "A-100") == EVERY_MATCH


def test_too_many_matches_fall_back_to_the_walk_with_the_same_result(logged_in, orders, monkeypatch):
    monkeypatch.setattr(queries, "SEARCH_IDS_AT_MOST", 2)
    assert _found(logged_in, "A-100") == EVERY_MATCH


def test_text_that_is_no_order_number_finds_the_same_kinds_of_match(logged_in, orders):
    """No order is numbered 'A-10': the list is walked, and finds the numbers it begins, the billing
    e-mail and the customer that contain it (the PO number must equal it)."""
    assert _found(logged_in, "A-10") == ["A-100", "A-1001", "C-1", "D-1"]
