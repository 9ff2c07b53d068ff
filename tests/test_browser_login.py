"""Signing in through the real form in headless Chromium."""

from __future__ import annotations

import pytest

from tests.fixtures.browser import log_in

pytestmark = pytest.mark.browser


def test_admin_signs_in_and_lands_on_the_orders_page(page, admin):
    log_in(page, admin)

    assert page.url.endswith("/orders/")
    assert page.locator("h1").first.inner_text() == "Orders"
    assert "Alice Admin" in page.locator(".session .who").inner_text()
    # The nav marks where we are, and the CSRF meta tag is there for HTMX requests.
    assert page.locator('.mainnav a[aria-current="page"]').inner_text() == "Orders"
    assert page.locator('meta[name="csrf-token"]').get_attribute("content")


def test_wrong_password_shows_the_error_and_keeps_the_email(page, admin):
    page.goto("/auth/login")
    page.get_by_label("E-mail", exact=True).fill(admin.email)
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()

    error = page.locator(".field.has-error .error")
    error.wait_for()
    assert error.inner_text() == "Wrong e-mail or password."
    assert page.get_by_label("E-mail", exact=True).input_value() == admin.email
    assert "/auth/login" in page.url


def test_sign_out_returns_to_the_sign_in_form(page, admin):
    log_in(page, admin)

    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()

    assert "/auth/login" in page.url
    assert "You are signed out." in page.locator(".flash-info").inner_text()
    page.goto("/orders/")
    assert "/auth/login" in page.url
