"""The orders list: columns, newest first, search, filters, pages, HTMX fragment, bad parameters."""

from datetime import timedelta

import pytest
from sqlalchemy import event

from portal.extensions import db
from portal.models.types import utcnow
from tests import factories
from tests.conftest import soup


@pytest.fixture
def shop(subscriber):
    """Two sites of the signed-in subscriber with orders in every payment/approval/eDoc state."""
    main = factories.site(subscriber, name="Main store")
    branch = factories.site(subscriber, name="Branch store")
    grace = factories.site_user(main, email="grace.hopper@navy.example",
                                address=factories.address(first_name="Grace", last_name="Hopper",
                                                          email="grace.hopper@navy.example"))
    alan = factories.site_user(branch, email="alan@bletchley.example",
                               address=factories.address(first_name="Alan", last_name="Turing",
                                                         email="alan@bletchley.example"))
    now = utcnow()
    orders = {
        "ready": factories.order(main, user=grace, number="50001", paid=True, items=2, po_number="PO-ALPHA",
                                 placed_at=now - timedelta(days=5)),
        "pending": factories.order(main, user=grace, number="50002", paid=True,
                                   items=[{}, {"approval": "pending"}, {"approval": "pending"}],
                                   placed_at=now - timedelta(days=4)),
        "denied": factories.order(branch, user=alan, number="50003", paid=True,
                                  items=[{"approval": "denied"}, {}], placed_at=now - timedelta(days=3)),
        "open_terms": factories.order(branch, user=alan, number="50104", payment_method="open_terms",
                                      placed_at=now - timedelta(days=2)),
        "edoc": factories.order(main, user=grace, number="50105", paid=False,
                                items=[{"is_edoc": True}], placed_at=now - timedelta(days=1)),
    }
    db.session.commit()
    return {"main": main, "branch": branch, "grace": grace, "alan": alan, **orders}


def numbers(response):
    return [a.text.strip() for a in soup(response).select("#orders-results a.order-number")]


def row(response, number):
    for tr in soup(response).select("#orders-results tbody tr"):
        if tr.select_one("a.order-number").text.strip() == number:
            return tr
    raise AssertionError(f"order {number} not listed")


def test_list_shows_newest_first_with_every_column(logged_in, shop):
    response = logged_in.get("/orders/")
    assert response.status_code == 200
    assert numbers(response) == ["50105", "50104", "50003", "50002", "50001"]
    headers = [th.text.strip() for th in soup(response).select("#orders-results thead th")]
    assert headers == ["Order", "Placed", "Site", "Customer", "Items", "Total", "Payment", "Approval", "Integration"]

    ready = row(response, "50001")
    assert ready.select_one("a.order-number")["href"].endswith(f"/orders/{shop['ready'].id}")
    assert "Main store" in ready.text
    assert "Grace Hopper" in ready.select_one(".customer").text
    assert "grace.hopper@navy.example" in ready.select_one(".customer").text
    assert ready.select_one(".payment").text.strip() == "Paid"
    assert "2 of 2 approved" in ready.select_one(".approval").text
    assert ready.select_one(".integration").text.strip() == "Eligible, not sent"
    assert f"{shop['ready'].total:,.2f}" in ready.text


def test_list_badges_and_hold_reasons(logged_in, shop):
    response = logged_in.get("/orders/")
    pending = row(response, "50002")
    assert "1 of 3 approved" in pending.select_one(".approval").text
    assert "awaiting approval" in pending.select_one(".integration").text
    denied = row(response, "50003")
    assert denied.select_one(".approval .badge.bad").text.strip() == "1 denied"
    assert "denied" in denied.select_one(".integration").text
    assert row(response, "50104").select_one(".payment").text.strip() == "Open terms"
    edoc = row(response, "50105")
    assert edoc.select_one(".payment").text.strip() == "Unpaid"
    # Every reason is in the list, one per line, none hidden behind "+1 more".
    reasons = [hold.get_text(strip=True) for hold in edoc.select(".integration .hold")]
    assert len(reasons) == 2 and "not paid" in reasons[0] and "eDocBuilder" in reasons[1], reasons
    assert "more" not in edoc.select_one(".integration").text


def test_the_search_placeholder_is_short_enough_to_read_in_the_box(logged_in, shop):
    """"Order no., PO, e-mail or name" was cut off in its box; the short form names the same things."""
    search = soup(logged_in.get("/orders/")).select_one("#q")
    assert search["placeholder"] == "Order, PO, e-mail, name"


@pytest.mark.parametrize(
    "query, expected",
    [
        ("50003", ["50003"]),            # exact number
        ("501", ["50105", "50104"]),      # number prefix
        ("po-alpha", ["50001"]),          # PO number, any case
        ("GRACE.HOPPER@navy", ["50105", "50002", "50001"]),  # e-mail, part and any case
        ("alan turing", ["50104", "50003"]),  # full name
        ("turing", ["50104", "50003"]),
        ("nobody-here", []),
        ("50%", []),                      # LIKE wildcards are literal
    ],
)
def test_search(logged_in, shop, query, expected):
    response = logged_in.get("/orders/", query_string={"q": query})
    assert response.status_code == 200
    assert numbers(response) == expected
    assert soup(response).select_one("input[name=q]")["value"] == query


@pytest.mark.parametrize(
    "args, expected",
    [
        ({"payment": "paid"}, ["50003", "50002", "50001"]),
        ({"payment": "unpaid"}, ["50105"]),
        ({"payment": "open_terms"}, ["50104"]),
        ({"approval": "approved"}, ["50105", "50104", "50001"]),
        ({"approval": "pending"}, ["50002"]),
        ({"approval": "denied"}, ["50003"]),
        ({"edoc": "pending"}, ["50105"]),
        ({"payment": "paid", "approval": "approved"}, ["50001"]),
    ],
)
def test_filters(logged_in, shop, args, expected):
    response = logged_in.get("/orders/", query_string=args)
    assert response.status_code == 200
    assert numbers(response) == expected
    for name, value in args.items():
        assert soup(response).select_one(f"select[name={name}] option[selected]")["value"] == value


def test_site_filter(logged_in, shop):
    response = logged_in.get("/orders/", query_string={"site": shop["branch"].id})
    assert numbers(response) == ["50104", "50003"]
    options = [o.text for o in soup(response).select("select[name=site] option")]
    assert options == ["All sites", "Branch store", "Main store"]


def test_order_without_matches_says_so(logged_in, shop):
    response = logged_in.get("/orders/", query_string={"q": "zzz"})
    assert "No orders match these filters." in soup(response).select_one(".result-count").text


def test_empty_list(logged_in):
    response = logged_in.get("/orders/")
    assert response.status_code == 200
    assert "No orders." in soup(response).select_one(".result-count").text


@pytest.mark.parametrize(
    "args",
    [
        {"page": "abc"}, {"page": "-3"}, {"page": "99999999999999999999"}, {"payment": "bogus"},
        {"approval": "x"}, {"edoc": "later"}, {"site": "not-a-number"}, {"site": "999999"}, {"q": "x" * 500},
    ],
)
def test_bad_parameters_are_ignored_with_a_notice(logged_in, shop, args):
    response = logged_in.get("/orders/", query_string=args)
    assert response.status_code == 200
    assert len(numbers(response)) == 5
    if "page" not in args:
        page = soup(response)
        assert page.select(".filters .error"), "the bad filter is named next to its field"
        assert "ignored" in page.select_one("#orders-results .flash-warning").text


def test_pagination_keeps_filters(app, logged_in, subscriber):
    app.config["ORDERS_PER_PAGE"] = 3
    site = factories.site(subscriber, name="Main store")
    user = factories.site_user(site)
    start = utcnow() - timedelta(days=30)
    for n in range(8):
        factories.order(site, user=user, number=f"7{n:04d}", paid=True, placed_at=start + timedelta(hours=n))
    factories.order(site, user=user, number="80000", paid=False, placed_at=start)
    db.session.commit()

    first = logged_in.get("/orders/", query_string={"payment": "paid"})
    assert numbers(first) == ["70007", "70006", "70005"]
    nav = soup(first).select_one("nav.pagination")
    assert nav.select_one("[aria-current=page]").text == "1"
    links = {a.text.strip(): a["href"] for a in nav.select("a")}
    assert set(links) == {"2", "3", "Next ›"}
    assert "payment=paid" in links["2"] and "page=2" in links["2"]

    last = logged_in.get(links["3"])
    assert numbers(last) == ["70001", "70000"]
    assert "Showing 7–8 of 8 orders" in soup(last).select_one(".result-count").text

    past_the_end = logged_in.get("/orders/", query_string={"payment": "paid", "page": 40})
    assert numbers(past_the_end) == ["70001", "70000"]


@pytest.mark.parametrize("args", [{}, {"payment": "paid"}], ids=["total-from-the-partner-counts", "total-counted"])
def test_every_page_holds_its_slice_of_the_list_newest_first(app, logged_in, subscriber, args):
    """Pages in the second half are read from the oldest end: walked page by page, each shows exactly
    its slice, ties in time broken by ID as on the first pages, and none is lost or shown twice."""
    app.config["ORDERS_PER_PAGE"] = 4
    site = factories.site(subscriber)
    user = factories.site_user(site)
    start = utcnow() - timedelta(days=3)
    orders = [factories.order(site, user=user, number=f"9{n:04d}", paid=True,
                              placed_at=start + timedelta(minutes=n // 2 if n < 10 else n))  # five ties
              for n in range(22)]
    orders.append(factories.order(site, user=user, number="99999", paid=False, placed_at=start + timedelta(minutes=7)))
    db.session.commit()
    listed = [order for order in orders if not args or order.payment_status == "paid"]
    expected = [order.number for order in sorted(listed, key=lambda o: (o.placed_at, o.id), reverse=True)]

    pages = [numbers(logged_in.get("/orders/", query_string={**args, "page": page})) for page in range(1, 7)]

    assert [len(page) for page in pages] == [4, 4, 4, 4, 4, len(listed) - 20]
    assert sum(pages, []) == expected
    assert numbers(logged_in.get("/orders/", query_string={**args, "page": 7})) == pages[-1], "past the end: the last"


def test_page_window_with_gaps(app, logged_in, subscriber):
    app.config["ORDERS_PER_PAGE"] = 1
    site = factories.site(subscriber)
    user = factories.site_user(site)
    for n in range(12):
        factories.order(site, user=user, placed_at=utcnow() - timedelta(minutes=n))
    db.session.commit()
    nav = soup(logged_in.get("/orders/?page=6")).select_one("nav.pagination")
    shown = [el.text.strip() for el in nav.select("a, span")]
    assert shown == ["‹ Previous", "1", "…", "4", "5", "6", "7", "8", "…", "12", "Next ›"]


def test_htmx_filtering_gets_the_form_and_results_and_a_tidy_url(logged_in, shop):
    response = logged_in.htmx(
        "GET", "/orders/?q=&site=&payment=open_terms&approval=&edoc=", headers={"HX-Target": "orders-list"}
    )
    assert response.status_code == 200
    page = soup(response)
    assert page.find("html") is None
    wrapper = page.select_one("#orders-list")
    assert wrapper["hx-target"] == "#orders-list" and wrapper["hx-swap"] == "outerHTML"
    # The form comes along, so it shows the Clear link the new filters call for.
    assert wrapper.select_one("form.filters a.clear-filters")["href"] == "/orders/"
    assert numbers(response) == ["50104"]
    assert response.headers["HX-Push-Url"] == "/orders/?payment=open_terms"


def test_htmx_filtering_refreshes_the_field_errors(logged_in, shop):
    response = logged_in.htmx("GET", "/orders/", query_string={"q": "x" * 101}, headers={"HX-Target": "orders-list"})
    page = soup(response)
    assert "at most 100 characters" in page.select_one("form.filters #q-error").text
    assert page.select_one("form.filters a.clear-filters") is not None
    assert response.headers["HX-Push-Url"] == "/orders/"  # the ignored search is not kept in the address

    response = logged_in.htmx("GET", "/orders/", query_string={"q": "50104"}, headers={"HX-Target": "orders-list"})
    page = soup(response)
    assert page.select("form.filters .error") == []
    assert response.headers["HX-Push-Url"] == "/orders/?q=50104"


def test_pages_of_a_filtered_list_push_the_tidy_url(app, logged_in, subscriber):
    app.config["ORDERS_PER_PAGE"] = 3
    site = factories.site(subscriber)
    for _ in range(4):
        factories.order(site, paid=True)
    db.session.commit()
    first = soup(logged_in.get("/orders/?payment=paid&q="))
    next_link = first.select_one("nav.pagination a[rel=next]")
    assert next_link["href"] == next_link["hx-get"] == "/orders/?page=2&payment=paid"
    response = logged_in.htmx("GET", next_link["hx-get"], headers={"HX-Target": "orders-list"})
    assert response.headers["HX-Push-Url"] == "/orders/?payment=paid&page=2"


def test_history_restore_gets_the_whole_page(logged_in, shop):
    response = logged_in.get(
        "/orders/",
        headers={"HX-Request": "true", "HX-Target": "orders-list", "HX-History-Restore-Request": "true"},
    )
    assert soup(response).select_one("html form.filters")
    assert "HX-Push-Url" not in response.headers


def test_filter_form_works_with_and_without_javascript(logged_in, shop):
    page = soup(logged_in.get("/orders/"))
    form = page.select_one("#orders-list > form.filters")
    assert form["method"] == "get" and form["action"] == "/orders/"
    assert form["hx-get"] == "/orders/"
    assert page.select_one("#orders-list")["hx-target"] == "#orders-list"
    assert form.select_one("#q")["hx-preserve"] == "true"
    assert form.select_one("a.clear-filters") is None  # nothing to clear yet


def test_list_runs_a_fixed_number_of_queries(app, logged_in, subscriber):
    site = factories.site(subscriber)
    for _ in range(12):
        user = factories.site_user(site)
        order = factories.order(site, user=user, items=3)
        factories.shipment(order.items[0])
    db.session.commit()
    statements = []

    def count(*_args, **_kwargs):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = logged_in.get("/orders/")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(numbers(response)) == 12
    # user loader, sites for the filter, count, page, customers, items, partner pushes: no query per order
    assert len(statements) <= 8, len(statements)


def test_other_tenants_orders_are_not_listed(logged_in, shop, other_tenant):
    response = logged_in.get("/orders/", query_string={"q": other_tenant["order"].number})
    assert numbers(response) == []
    response = logged_in.get("/orders/", query_string={"site": other_tenant["site"].id})
    assert other_tenant["order"].number not in numbers(response)


def test_only_fields_with_an_error_are_marked_invalid(logged_in, shop):
    """aria-invalid="None" (a None rendered as text) counts as invalid for screen readers."""
    page = soup(logged_in.get("/orders/", query_string={"payment": "someday"}))
    form = page.select_one("form.filters")
    assert form.select_one("#payment")["aria-invalid"] == "true"
    assert [field["id"] for field in form.select("[aria-invalid]")] == ["payment"]
