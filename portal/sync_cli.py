"""``flask sync orders|status --site SITE --account ACCOUNT``: a sync run from the command line.

The same code as the button (``portal.integration.sync``), carried out in this process instead
of a worker, with a progress bar on the terminal; the run appears in the site's history like
any other. Exit status: 0 when the run finished with no order failed, 1 when any order failed
or the run stopped, 2 when it could not start (refused, or a run of that kind is under way).
Ctrl-C stops the run cleanly between orders.
"""

from __future__ import annotations

import getpass
import sys

import click
from flask.cli import AppGroup

sync_cli = AppGroup("sync", help="Order Synchronization and Order Status Synchronization, from the command line.")

_site_option = click.option("--site", "site_ref", required=True, help="The site's ID or exact name.")
_account_option = click.option("--account", "account_ref", required=True,
                               help="The Embedded Services account's ID or exact name (attached to the site).")


@sync_cli.command("orders")
@_site_option
@_account_option
@click.option("--dry-run", is_flag=True, help="Only show what would be pushed, adopted and skipped; send nothing.")
def sync_orders_command(site_ref: str, account_ref: str, dry_run: bool) -> None:
    """Push the site's orders of the last 30 days that PressWise does not have yet."""
    from portal.domain.sync import RunKind

    _run(RunKind.ORDERS, site_ref, account_ref, dry_run=dry_run)


@sync_cli.command("status")
@_site_option
@_account_option
def sync_status_command(site_ref: str, account_ref: str) -> None:
    """Bring PressWise status and shipments back to every order pushed with the account."""
    from portal.domain.sync import RunKind

    _run(RunKind.STATUS, site_ref, account_ref, dry_run=False)


def _run(kind, site_ref: str, account_ref: str, *, dry_run: bool) -> None:
    from portal.domain.sync import RunState, RunTrigger
    from portal.integration.sync import RunRefused, execute_run, start_run

    link = _find_link(site_ref, account_ref)
    label = f"{kind.label}{' (dry run)' if dry_run else ''} of {link.site.name} with “{link.account.name}”"
    try:
        result = start_run(link, kind, dry_run=dry_run, trigger=RunTrigger.CLI,
                           started_by_name=f"Command line ({_user()})", enqueue=False)
    except RunRefused as refused:
        click.echo(f"Not started: {refused}", err=True)
        raise SystemExit(2) from None
    run = result.run
    if not result.started:
        click.echo(f"Not started: {kind.label} run #{run.id} is already under way ({run.run_state.label.lower()}, "
                   f"{run.done:,} of {run.total:,} orders).", err=True)
        raise SystemExit(2)
    click.echo(f"{label}: run #{run.id}")
    bar = _Bar(label)
    state = execute_run(run.id, progress=bar.update)
    bar.close()
    from portal.extensions import db
    from portal.models import SyncRun

    run = db.session.get(SyncRun, run.id, populate_existing=True)
    click.echo(_summary(run))
    if run.message:
        click.echo(run.message)
    if state != RunState.FINISHED.value or run.failed:
        raise SystemExit(1)


def _find_link(site_ref: str, account_ref: str):
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import EmbeddedServicesAccount, Site, SiteLink

    sites = db.session.scalars(select(Site).where(
        Site.id == int(site_ref) if site_ref.isascii() and site_ref.isdigit() else Site.name == site_ref)).all()
    if not sites:
        raise click.ClickException(f"No site {site_ref!r} (give its ID or exact name).")
    if len(sites) > 1:
        listed = ", ".join(f"{s.id} ({s.subscriber.name})" for s in sites)
        raise click.ClickException(f"Several sites are named {site_ref!r}: give the ID, one of {listed}.")
    site = sites[0]
    by_id = account_ref.isascii() and account_ref.isdigit()
    links = db.session.scalars(
        select(SiteLink).join(SiteLink.account).where(
            SiteLink.site_id == site.id,
            EmbeddedServicesAccount.id == int(account_ref) if by_id else EmbeddedServicesAccount.name == account_ref)
    ).all()
    if not links:
        raise click.ClickException(f"No account {account_ref!r} is attached to {site.name}.")
    return links[0]


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001  no login name in some containers
        return "unknown user"


def _summary(run) -> str:
    if run.kind == "orders":
        would = "would be " if run.dry_run else ""
        counts = (f"{run.pushed:,} {would}pushed, {run.adopted:,} {would}adopted, {run.skipped:,} skipped, "
                  f"{run.failed:,} failed")
    else:
        counts = f"{run.updated:,} updated, {run.unmapped:,} with an unmapped status, {run.failed:,} failed"
    took = run.progress().elapsed
    return (f"Run #{run.id} {run.run_state.label.lower()}: {run.done:,} of {run.total:,} orders in {took:.1f} s; "
            f"{counts}.")


class _Bar:
    """A click progress bar that learns the total from the first progress write."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None
        self.shown = 0

    def update(self, run) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=max(run.total, 1), label=self.label, show_pos=True, show_eta=True,
                                         file=sys.stderr)
            self.bar.__enter__()
        if run.done > self.shown:
            self.bar.update(run.done - self.shown)
            self.shown = run.done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
