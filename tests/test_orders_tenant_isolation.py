"""Every orders route answers 404 to another tenant's order and item IDs, for GET and POST alike."""

import pytest

from portal.extensions import db
from portal.models import Order
from tests import factories


@pytest.fixture
def own(subscriber):
    order = factories.order(factories.site(subscriber), items=[{"approval": "pending", "is_edoc": True}])
    db.session.commit()
    return order


ROUTES = [
    ("GET", "/orders/{order_id}", {}),
    ("POST", "/orders/{order_id}/payment", {"method": "check"}),
    ("POST", "/orders/{order_id}/items/{item_id}/approval", {"decision": "approve"}),
    ("POST", "/orders/{order_id}/items/{item_id}/edoc-ready", {}),
]


@pytest.mark.parametrize("method, template, data", ROUTES)
@pytest.mark.parametrize("htmx", [False, True])
def test_other_tenants_ids_are_404(logged_in, own, other_tenant, method, template, data, htmx):
    other_order, other_item = other_tenant["order"], other_tenant["item"]
    combinations = [(other_order.id, other_item.id), (other_order.id, own.items[0].id), (own.id, other_item.id)]
    if "{item_id}" not in template:
        combinations = [(other_order.id, None)]
    for order_id, item_id in combinations:
        path = template.format(order_id=order_id, item_id=item_id)
        headers = {"HX-Request": "true"} if htmx else {}
        response = logged_in.open(path, method=method, data=data or None, headers=headers)
        assert response.status_code == 404, path
    db.session.expire_all()
    assert db.session.get(Order, other_order.id).payment_status == "unpaid"


def test_own_ids_work_on_the_same_routes(logged_in, own):
    """The 404s above come from the tenant check, not from a broken route."""
    item = own.items[0]
    assert logged_in.get(f"/orders/{own.id}").status_code == 200
    assert logged_in.post(f"/orders/{own.id}/payment", data={"method": "check"}).status_code == 302
    assert logged_in.post(f"/orders/{own.id}/items/{item.id}/approval", data={"decision": "approve"}).status_code == 302
    assert logged_in.post(f"/orders/{own.id}/items/{item.id}/edoc-ready").status_code == 302


def test_staff_do_not_see_subscriber_orders(staff_client, own):
    assert staff_client.get("/orders/").status_code == 404
    assert staff_client.get(f"/orders/{own.id}").status_code == 404
