"""The site users list searches for at most 100 characters, like the orders list.

Found by the form fuzzer (tests/test_fuzz_forms.py): on SQLite a search of some 50,000
bytes or more ("LIKE or GLOB pattern too complex") answered 500 once the subscriber had a
site user; the orders list's search already stopped at 100 characters.
"""

from __future__ import annotations

import pytest

from portal.extensions import db
from tests import factories
from tests.conftest import soup


@pytest.fixture
def a_user(subscriber):
    site = factories.site(subscriber)
    user = factories.site_user(site, email="ada@example.com")
    db.session.commit()
    return user


@pytest.mark.parametrize("query", ["😀" * 13_000, "x" * 60_000, "%" * 30_000, "a" * 101])
def test_a_search_too_long_is_ignored_with_a_notice(logged_in, a_user, query):
    response = logged_in.get("/users/", query_string={"q": query})
    assert response.status_code == 200
    page = soup(response)
    assert "Search for at most 100 characters" in page.get_text(" ")
    assert "ada@example.com" in page.get_text(" "), "every user is listed, as without a search"


def test_a_search_of_100_characters_still_searches(logged_in, a_user):
    page = soup(logged_in.get("/users/", query_string={"q": "b" * 100}))
    assert "Search for at most" not in page.get_text(" ")
    assert "ada@example.com" not in page.get_text(" ")
    assert "ada@example.com" in soup(logged_in.get("/users/", query_string={"q": "ADA@"})).get_text(" ")


def test_the_notice_joins_the_unknown_site_notice(logged_in, a_user):
    text = soup(logged_in.get("/users/", query_string={"q": "z" * 200, "site": "999999"})).get_text(" ")
    assert "That site does not exist" in text and "Search for at most 100 characters" in text
