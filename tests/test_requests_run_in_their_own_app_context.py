"""The test client gives every request its own app context and database session, as production
does, so no test can pass on state the test body and a request happen to share.

The harness itself (``PortalClient.open`` in tests/conftest.py) is what is tested here.
"""

from __future__ import annotations

from flask import g

from portal.extensions import db
from tests import factories
from tests.conftest import soup


def _listed_sites(client) -> list[str]:
    response = client.get("/sites/")
    assert response.status_code == 200
    return [link.text.strip() for link in soup(response).select("td.name a")]


def test_a_request_does_not_see_what_the_test_only_flushed(logged_in, subscriber):
    factories.site(subscriber, name="Flushed, not committed")  # flushed in the test's transaction

    assert "Flushed, not committed" not in _listed_sites(logged_in)

    db.session.commit()
    assert "Flushed, not committed" in _listed_sites(logged_in)


def test_a_request_does_not_share_g_with_the_test(client, admin):
    # Flask-Login caches the signed-in user in g._login_user. Were g shared, this anonymous
    # client would be taken for the admin.
    g._login_user = admin

    response = client.get("/orders/")

    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert g._login_user is admin, "the request left the test's g alone"


def test_two_clients_signed_in_as_different_people_stay_apart(app, logged_in, staff_user):
    staff = app.test_client()
    staff.login(staff_user)

    assert logged_in.get("/orders/").status_code == 200
    assert staff.get("/orders/").status_code == 404  # staff have no orders area
    assert logged_in.get("/staff/").status_code == 404
    assert staff.get("/staff/").status_code == 200


def test_objects_a_request_loads_stay_out_of_the_tests_session(logged_in, subscriber):
    order = factories.order(factories.site(subscriber), number="70001")
    db.session.commit()
    order_id = order.id
    db.session.expunge_all()

    response = logged_in.get(f"/orders/{order_id}")

    assert response.status_code == 200 and "70001" in response.text
    assert list(db.session.identity_map.values()) == [], "the request's objects are not in the test's session"


def test_a_request_commits_in_its_own_session_so_the_test_reads_stale_objects_until_it_expires(
    logged_in, subscriber
):
    """What every test that reads ORM objects after a request must do: expire (or refresh) first."""
    order = factories.order(factories.site(subscriber), paid=False)
    db.session.commit()
    assert order.payment_status == "unpaid"  # loaded into the test's session

    assert logged_in.post(f"/orders/{order.id}/payment", data={"method": "check"}).status_code == 302

    assert order.payment_status == "unpaid", "the test's copy is not the request's"
    db.session.expire_all()
    assert order.payment_status == "paid"
