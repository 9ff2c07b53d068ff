"""Scripts and styles come only from static/: the policy says so, and the templates keep to it.

``script-src 'self'`` and ``style-src 'self'`` refuse inline ``<script>``, ``on*=`` and
``hx-on`` handlers, ``javascript:`` URLs, ``<style>`` and ``style=``; HTMX is told not to
eval code or inject styles (base.html's htmx-config). Each template is read as written, so
a forbidden construct fails here the day it is added, and a browser test watches for the
violations Chromium reports while the HTMX features are used.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from portal.extensions import db
from tests import embedded_factories, factories
from tests.conftest import soup
from tests.fixtures.browser import log_in

TEMPLATES = Path(__file__).resolve().parent.parent / "portal" / "templates"
STATIC = TEMPLATES.parent / "static"

JINJA = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.DOTALL)


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def test_scripts_and_styles_may_come_only_from_the_portal(client):
    policy = directives(client.get("/auth/login").headers["Content-Security-Policy"])

    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["form-action"] == ["'self'"]


def _templates():
    paths = sorted(TEMPLATES.rglob("*.html"))
    assert len(paths) > 40, paths
    return paths


def _markup(path: Path) -> BeautifulSoup:
    """The template's HTML with Jinja's tags, expressions and comments blanked out."""
    return BeautifulSoup(JINJA.sub(" ", path.read_text()), "html.parser")


def _forbidden(markup: BeautifulSoup) -> list[str]:
    found = []
    for element in markup.find_all(True):
        if element.name == "script" and not element.get("src"):
            found.append("inline <script>")
        if element.name == "style":
            found.append("<style> element")
        for attribute, value in element.attrs.items():
            value = " ".join(value) if isinstance(value, list) else value
            if attribute.startswith("on") or attribute.startswith(("hx-on", "data-hx-on")):
                found.append(f"{attribute}= handler on <{element.name}>")
            elif attribute == "style":
                found.append(f"style= on <{element.name}>")
            elif value.strip().lower().startswith("javascript:"):
                found.append(f"javascript: URL in {attribute}= on <{element.name}>")
            elif attribute in ("hx-vals", "hx-vars", "hx-headers") and value.strip().startswith("js:"):
                found.append(f"{attribute}=js: (eval) on <{element.name}>")
            elif attribute == "hx-trigger" and "[" in value:
                found.append(f"hx-trigger filter [...] (eval) on <{element.name}>")
    return found


def test_no_template_has_inline_script_handlers_or_styles():
    offenders = {}
    for path in _templates():
        found = _forbidden(_markup(path))
        if found:
            offenders[str(path.relative_to(TEMPLATES))] = found
    assert not offenders, f"move these to portal/static/ (app.js, style.css): {offenders}"


@pytest.mark.parametrize("markup", [
    '<script>alert(1)</script>', '<button onclick="go()">', '<form hx-on:htmx:confirm="x()">',
    '<form hx-on::before-request="x()">', '<p style="color: red">', '<style>p {}</style>',
    '<a href="javascript:go()">', '<div hx-vals=\'js:{a: 1}\'>', '<input hx-trigger="keyup[key==\'Enter\']">',
])
def test_the_template_check_finds_what_it_looks_for(markup):
    assert _forbidden(BeautifulSoup(markup, "html.parser"))


def test_the_template_check_allows_what_the_policy_allows():
    allowed = ('<script src="/static/app.js" defer></script><form hx-post="/x" hx-confirm="Sure?" '
               'hx-trigger="submit, input changed delay:400ms from:#q" data-confirm-sync-orders="On?">')
    assert _forbidden(BeautifulSoup(allowed, "html.parser")) == []


def test_htmx_is_told_not_to_eval_or_inject_styles(logged_in):
    meta = soup(logged_in.get("/orders/")).find("meta", {"name": "htmx-config"})
    config = json.loads(meta["content"])

    assert config["allowEval"] is False
    assert config["includeIndicatorStyles"] is False
    assert config["allowScriptTags"] is False


def test_the_indicator_styles_htmx_no_longer_injects_are_in_the_stylesheet():
    css = (STATIC / "style.css").read_text()
    assert re.search(r"\.htmx-indicator\s*{\s*opacity:\s*0", css)
    assert re.search(r"\.htmx-request \.htmx-indicator", css)


@pytest.mark.browser
def test_the_htmx_features_run_without_a_policy_violation(page, admin, subscriber):
    """Chromium logs every refused script, eval and style; using the pages must log none."""
    embedded_factories.authorize(subscriber)
    site = factories.site(subscriber, name="Main store")
    link = embedded_factories.site_link(embedded_factories.account(subscriber, name="PressWise A"), site)
    order = factories.order(site, number="88001", paid=True, items=[{"approval": "pending"}])
    db.session.commit()
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)

    log_in(page, admin)
    page.goto("/orders/")
    page.get_by_label("Search").fill("88001")
    page.locator("#orders-results").get_by_text("88001").wait_for()

    page.goto(f"/orders/{order.id}")
    page.locator(f"#item-{order.items[0].id}").get_by_role("button", name="Approve").click()
    page.locator(f"#item-{order.items[0].id} .approval .badge", has_text="Approved").wait_for()

    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"/embedded-services/sites/{site.id}")
    card = page.locator(f"#site-link-{link.id}")
    card.get_by_label("Synchronize Orders").check()
    card.get_by_role("button", name="Save").click()
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.wait_for_timeout(200)

    assert len(dialogs) == 1, "the confirmation moved to static/app.js still asks"
    assert violations == []
