"""Hostile query strings and path values never make a page answer 500, on SQLite or PostgreSQL.

Every GET route is read from the URL map and asked, by an anonymous visitor, a subscriber
admin (with Embedded Services, as a page and as an HTMX request) and platform staff, with
NUL bytes, Unicode digits, huge numbers, 10 KB values, repeated parameters and percent-escapes
that are not UTF-8. A new route is covered the day it is added; a route whose argument this
module does not know fails the test until it is taught.
"""

from __future__ import annotations

import re

from urllib.parse import quote

import pytest

from portal.extensions import db
from portal.models import OrderIntegration, UserIntegration
from tests import embedded_factories, factories
from tests.conftest import PortalClient

# Every parameter a page reads today, and a few it might read tomorrow.
PARAMETERS = ("q", "page", "site", "payment", "approval", "edoc", "next", "tab", "status", "sort")

HOSTILE_VALUES = {
    "nul": "a%00b",
    "only-nul": "%00",
    "control-characters": "%01%02%1b%7f",
    "superscript-two": "%C2%B2",
    "arabic-indic-digits": "%D9%A3%D9%A4",
    "fullwidth-digits": "%EF%BC%91%EF%BC%92",
    "huge-number": "9" * 40,
    "just-past-32-bits": str(2**31),
    "negative": "-1",
    "exponent": "1e9",
    "underscored-number": "1_000",
    "ten-kilobytes": "x" * 10_240,
    "ten-kilobytes-of-digits": "7" * 10_240,
    "invalid-utf8": "%ff%fe%80",
    "lone-surrogate-escape": "%ED%A0%80",
    "like-wildcards": "%25_%5C",
}


def _hostile_query(value: str) -> str:
    return "&".join(f"{name}={value}" for name in PARAMETERS)


HOSTILE_QUERIES = {name: _hostile_query(value) for name, value in HOSTILE_VALUES.items()}
HOSTILE_QUERIES["repeated-parameters"] = "&".join(
    f"{name}={value}" for name in PARAMETERS for value in ("1", "%00", "%C2%B2", "2", "")
)
HOSTILE_QUERIES["names-without-values"] = "&".join(PARAMETERS)
HOSTILE_QUERIES["hostile-names"] = "%00=1&%C2%B2=2&%ff=3&=4&&&"

# String path arguments (IDs are ``<id:...>`` and never match hostile text) get hostile values too.
HOSTILE_PATH_TEXT = ["no-such-thing", quote("a\x00b"), "%C2%B2", "%ff", "x" * 2000]


@pytest.fixture
def own_objects(subscriber, admin, staff_user):
    """The signed-in admin's own objects, so routes with IDs render their real pages."""
    site = factories.site(subscriber, name="Own store")
    site_user = factories.site_user(site)
    order = factories.order(site, user=site_user, items=2)
    embedded_factories.authorize(subscriber)
    account = embedded_factories.account(subscriber, name="Own PressWise")
    link = embedded_factories.site_link(account, site)
    # A push was tried, so the order's Embedded Services tab exists.
    db.session.add(OrderIntegration(order=order, account=account, state="failed", last_error="Not sent"))
    # And the user was synchronized, so the site user's Embedded Services tab exists.
    db.session.add(UserIntegration(site_user=site_user, account=account, partner_user_id="501"))
    run = embedded_factories.sync_run(link)  # a finished sync run, for its page and progress fragment
    db.session.commit()
    return {
        "site_id": [site.id],
        "site_user_id": [site_user.id],
        "order_id": [order.id],
        "item_id": [order.items[0].id],
        "account_id": [account.id],
        "link_id": [link.id],
        "run_id": [run.id],
        "subscriber_id": [subscriber.id],
        "job_id": HOSTILE_PATH_TEXT,
    }


@pytest.fixture
def visitors(app, admin, staff_user):
    """Who asks: nobody signed in, the subscriber admin, and platform staff."""
    anonymous, subscriber_admin, staff = (app.test_client() for _ in range(3))
    for client, user in ((subscriber_admin, admin), (staff, staff_user)):
        with app.app_context():  # see _answers()
            client.login(user)
    return {"anonymous": anonymous, "admin": subscriber_admin, "staff": staff}


def _get_urls(app, path_values: dict[str, list]) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        unknown = set(rule.arguments) - set(path_values)
        assert not unknown, f"teach this test a value for {sorted(unknown)} of {rule.rule}"
        combinations = [{}]
        for argument in sorted(rule.arguments):
            combinations = [dict(c, **{argument: value}) for c in combinations for value in path_values[argument]]
        for arguments in combinations:
            # Raw path text (e.g. %ff) cannot pass through build(), which quotes: put it in afterwards.
            markers = {argument: f"PATH-{argument}" for argument, value in arguments.items() if isinstance(value, str)}
            url = rule.build({**arguments, **markers}, append_unknown=False)[1]
            for argument, marker in markers.items():
                url = url.replace(marker, arguments[argument])
            urls.append(url)
    return urls


def _answers(app, client: PortalClient, urls: list[str], query: str, **headers) -> list[tuple[str, int]]:
    """Each request in a fresh app context: Flask-Login caches the user in ``g``, which the
    ``app`` fixture's context would otherwise share between the visitors."""
    answers = []
    for url in urls:
        with app.app_context():
            answers.append((url, client.get(f"{url}?{query}", headers=headers).status_code))
    return answers


def test_every_get_route_is_reached(app, own_objects):
    urls = _get_urls(app, own_objects)
    for expected in ("/orders/", "/users/", "/sites/", "/embedded-services/", "/staff/", "/auth/login"):
        assert expected in urls
    assert any(url.startswith("/staff/status/ping/") for url in urls)


@pytest.mark.parametrize("query", HOSTILE_QUERIES.values(), ids=HOSTILE_QUERIES.keys())
def test_no_route_answers_500_to_a_hostile_query_string(app, own_objects, visitors, query):
    urls = _get_urls(app, own_objects)
    answers = []
    for who, client in visitors.items():
        answers += [(who, *answer) for answer in _answers(app, client, urls, query)]
    answers += [("admin+htmx", *a) for a in _answers(app, visitors["admin"], urls, query, **{"HX-Request": "true"})]
    failures = [answer for answer in answers if answer[2] >= 500]
    assert not failures, f"5xx answers: {failures}"
    # Each visitor was who they claim, and the admin's own pages still render (values ignored or field errors).
    by_visitor = {(who, url): code for who, url, code in answers}
    assert by_visitor[("anonymous", "/orders/")] == 302 and by_visitor[("staff", "/orders/")] == 404
    assert by_visitor[("staff", "/staff/")] == 200 and by_visitor[("admin", "/staff/")] == 404
    own_pages = [(url, code) for (who, url), code in by_visitor.items()
                 if who == "admin" and url.startswith(("/orders/", "/users/", "/sites/", "/embedded-services/"))]
    # Endpoints only HTMX polls send a plain browser back to their page.
    polled = [url for url, code in own_pages if url.endswith(("/test", "/partners", "/progress"))
              or re.search(r"/embedded-services/\d+$", url) and url.startswith("/orders/")]
    assert all(code == 200 or (code == 302 and url in polled) for url, code in own_pages), own_pages


@pytest.mark.parametrize(
    "url",
    ["/users/?site=%C2%B2", "/users/?page=%C2%B2", "/orders/?page=%C2%B2", "/orders/?q=a%00b", "/users/?q=a%00b"],
)
def test_the_reported_cases_render_the_list(logged_in, own_objects, url):
    response = logged_in.get(url)
    assert response.status_code == 200


def test_sites_users_tab_ignores_a_unicode_page_number(logged_in, own_objects):
    site_id = own_objects["site_id"][0]
    assert logged_in.get(f"/sites/{site_id}/users?page=%C2%B2").status_code == 200


def test_a_nul_byte_in_the_search_is_dropped_not_searched(logged_in, own_objects):
    order = db.session.get(factories.Order, own_objects["order_id"][0])
    number = order.number
    with_nul = quote(number[:2] + "\x00" + number[2:])
    response = logged_in.get(f"/orders/?q={with_nul}")
    assert response.status_code == 200
    assert number in response.text
