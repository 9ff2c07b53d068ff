"""Jinja filters and globals used across blueprints."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from flask import Flask

from portal import htmx


def format_money(value) -> str:
    if value is None:
        return ""
    return f"{Decimal(value):,.2f}"


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def format_datetime_seconds(value: datetime | None) -> str:
    """Like ``datetime``, to the second: for heartbeats and other things that change by the second."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def format_date(value: date | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def _vary_on_htmx(response):
    """HTMX gets fragments from the same URLs as full pages: caches must keep them apart."""
    response.vary.add("HX-Request")
    response.vary.add("HX-Target")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_vary_on_htmx)
    app.add_template_filter(format_money, "money")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_datetime_seconds, "datetime_seconds")
    app.add_template_filter(format_date, "date")
    for name, function in htmx.TEMPLATE_GLOBALS.items():
        app.add_template_global(function, name)
