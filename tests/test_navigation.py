"""The main menu marks the area a page belongs to, whichever blueprint serves it."""

from __future__ import annotations

import pytest

from portal.extensions import db
from tests import embedded_factories, factories
from tests.conftest import soup


def current_area(response) -> list[str]:
    return [a.get_text(strip=True) for a in soup(response).select("nav.mainnav a[aria-current=page]")]


@pytest.fixture
def site(logged_in, subscriber):
    embedded_factories.authorize(subscriber)
    site = factories.site(subscriber)
    db.session.commit()
    return site


@pytest.mark.parametrize("path,area", [
    ("/orders/", "Orders"),
    ("/sites/", "Sites"),
    ("/sites/{site}", "Sites"),
    ("/embedded-services/sites/{site}", "Sites"),  # the site's tab, served by the accounts blueprint
    ("/users/", "Site users"),
    ("/embedded-services/", "Embedded Services"),
])
def test_subscriber_pages_mark_their_area(logged_in, site, path, area):
    assert current_area(logged_in.get(path.format(site=site.id))) == [area]


@pytest.mark.parametrize("path,area", [("/staff/", "Subscribers"), ("/staff/status", "System status")])
def test_staff_pages_mark_their_area(staff_client, path, area):
    assert current_area(staff_client.get(path)) == [area]


def test_the_embedded_services_item_needs_the_authorization(logged_in, subscriber):
    assert "Embedded Services" not in [a.get_text(strip=True) for a in soup(logged_in.get("/orders/")).select("nav.mainnav a")]
