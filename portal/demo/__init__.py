"""Demo data: ``flask demo seed [--orders N]``, ``flask demo place-order`` (a shopper's new order), and
``flask demo ship-order`` (PressWise ships a pushed order, in the emulator).

``catalog`` holds the print-shop content, ``generator`` turns it into deterministic rows
(no Flask, no database), ``seed`` writes them. Safe to run on every start: a rerun
finds what exists and adds only what is missing.
"""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Demo data for trying the portal.")

# Kept here (not imported from seed) so building the CLI does not import the models.
DEFAULT_ORDERS = 200
MAX_ORDERS = 1_000_000


def _order_count(_ctx, _param, value: int) -> int:
    if not 0 <= value <= MAX_ORDERS:
        raise click.BadParameter(f"must be a whole number from 0 to {MAX_ORDERS:,}, not {value}.")
    return value


@demo_cli.command("seed")
@click.option(
    "--orders", "order_target", type=int, default=DEFAULT_ORDERS, show_default=True, callback=_order_count,
    help="Make sure at least this many demo orders exist in total; a rerun with the same number adds none.",
)
def seed_command(order_target: int) -> None:
    """Create the demo logins, subscribers, sites, site users and orders (idempotent)."""
    from flask import current_app

    from portal.accounts.demo import seed_embedded_services
    from portal.demo.seed import DEMO_PASSWORD, seed_demo

    if current_app.config["PORTAL_ENV"] == "production":
        # The demo logins' password is published in this repository.
        raise click.ClickException("Demo data is never seeded in production (PORTAL_ENV=production).")

    started = time.perf_counter()
    result = seed_demo(order_target, progress=_show_progress)
    embedded_services = seed_embedded_services(result.subscribers["acme-print"], result.sites["Acme Print Shop"])
    elapsed = time.perf_counter() - started

    click.echo(f"Demo data ({result.demo_orders} demo orders; target {order_target}), done in {elapsed:.1f} s:")
    click.echo(f"  {'':<14}{'created':>9}{'existing':>10}")
    for kind, tally in result.tallies.items():
        click.echo(f"  {kind:<14}{tally.created:>9}{tally.existing:>10}")
    click.echo(embedded_services)
    click.echo("")
    click.echo(f'Demo logins. These are demo accounts: every one uses the password "{DEMO_PASSWORD}".')
    width = max(len(login.email) for login in result.logins)
    for login in result.logins:
        note = "" if login.password_is_demo else "  (password changed since it was seeded; not reset)"
        click.echo(f"  {login.email:<{width}}  {login.role}{note}")


@demo_cli.command("place-order")
@click.option("--site", "site_name", default="Acme Print Shop", show_default=True, help="The demo site's name.")
@click.option("--unpaid", is_flag=True, help="Place it unpaid (held back until a payment is recorded).")
@click.option("--pending", is_flag=True, help="Leave its items awaiting approval.")
def place_order_command(site_name: str, unpaid: bool, pending: bool) -> None:
    """Place a new order on a demo site, as a shopper would; an eligible one is pushed by itself."""
    from flask import current_app
    from sqlalchemy import select

    from portal.demo.place import NothingToCopy, place_order
    from portal.extensions import db
    from portal.models import Site

    if current_app.config["PORTAL_ENV"] == "production":
        raise click.ClickException("Demo orders are never placed in production (PORTAL_ENV=production).")
    site = db.session.scalar(select(Site).where(Site.name == site_name))
    if site is None:
        raise click.ClickException(f"No site is named {site_name!r}.")
    try:
        order = place_order(site, paid=not unpaid, approved=not pending)
    except NothingToCopy as error:
        raise click.ClickException(str(error)) from error
    holds = order.integration_holds
    click.echo(f"Placed order {order.number} on {site.name}: "
               + ("eligible, queued for every account with Synchronize Orders on." if not holds
                  else "held back: " + " ".join(hold.message for hold in holds)))


@demo_cli.command("ship-order")
@click.argument("order_number")
@click.option("--tracking", "tracking_number", help="The tracking number (default: a made-up UPS one).")
@click.option("--carrier", default="UPS", show_default=True)
def ship_order_command(order_number: str, tracking_number: str | None, carrier: str) -> None:
    """In the emulator `make run` started: move a pushed order to Shipped, with a tracking number.

    Run Order Status Synchronization afterwards to see the status and the tracking number on the order.
    """
    from flask import current_app

    from portal.demo.emulator import DemoShipError, ship_in_emulator

    if current_app.config["PORTAL_ENV"] == "production":
        raise click.ClickException("Demo orders are never shipped in production (PORTAL_ENV=production).")
    try:
        shipped = ship_in_emulator(order_number, tracking_number=tracking_number, carrier=carrier)
    except DemoShipError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"PressWise order {shipped.partner_order_id} (order {shipped.order_number}) is Shipped, "
               f"{shipped.carrier} tracking number {shipped.tracking_number}. Run Order Status Synchronization "
               "on the site's Embedded Services tab to bring it to the order.")


def _show_progress(done: int, total: int) -> None:
    if total > 5_000:
        click.echo(f"  orders: {done:,} of {total:,}", err=True)

