"""Embedded Services test data: authorization, accounts and site links (flushed, not committed)."""

from __future__ import annotations

import itertools

from portal.extensions import db
from portal.models import EmbeddedServicesAccount, SiteLink

_sequence = itertools.count(1)

PASSWORD = "factory-password-7f3a"
AUTHORIZATION_CODE = "FACTORY-CODE-91c2"


def authorize(subscriber, by=None) -> None:
    """Give a subscriber Embedded Services access (as platform staff would)."""
    subscriber.authorize_embedded_services(by=by)
    db.session.flush()


def account(subscriber, **fields) -> EmbeddedServicesAccount:
    n = next(_sequence)
    obj = EmbeddedServicesAccount(
        subscriber_id=subscriber.id,
        partner=fields.pop("partner", "presswise"),
        name=fields.pop("name", f"PressWise {n}"),
        url=fields.pop("url", "http://127.0.0.1:9/r/wsdl-order2.php"),
        username=fields.pop("username", f"user{n}"),
        initial_status=fields.pop("initial_status", "New"),
        send_pricing_in_notes=fields.pop("send_pricing_in_notes", False),
        active=fields.pop("active", True),
        **{k: v for k, v in fields.items() if k not in ("password", "authorization_code")},
    )
    obj.password = fields.get("password", PASSWORD)
    obj.authorization_code = fields.get("authorization_code", AUTHORIZATION_CODE)
    db.session.add(obj)
    db.session.flush()
    return obj


def site_link(account_obj, site, **fields) -> SiteLink:
    link = SiteLink.attach(
        account_obj,
        site,
        customer_id=fields.pop("customer_id", "1001"),
        active=fields.pop("active", True),
        sync_orders=fields.pop("sync_orders", False),
        sync_status=fields.pop("sync_status", True),
        **fields,
    )
    db.session.flush()
    return link


def pushing_account(site, **fields) -> EmbeddedServicesAccount:
    """An account attached to ``site`` with Synchronize Orders on: eligible orders of the site get a push row."""
    authorize(site.subscriber)
    account_obj = account(site.subscriber, **fields)
    site_link(account_obj, site, sync_orders=True)
    return account_obj


def queued_pushes(order) -> int:
    """How many push rows the order has (one per account it was queued for)."""
    from sqlalchemy import func, select

    from portal.models import OrderIntegration

    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(OrderIntegration)
                             .where(OrderIntegration.order_id == order.id))


def tenant_objects(other_tenant: dict) -> dict:
    """Embedded Services objects of another tenant, keyed by the URL argument that names them."""
    authorize(other_tenant["subscriber"])
    other_account = account(other_tenant["subscriber"], name="Rival PressWise")
    link = site_link(other_account, other_tenant["site"])
    return {"account_id": other_account, "link_id": link, "run_id": sync_run(link)}


def sync_run(link, **fields):
    """A finished status run of ``link`` (no worker involved)."""
    from portal.models import SyncRun
    from portal.models.types import utcnow

    run = SyncRun(kind=fields.pop("kind", "status"), site_id=link.site_id, account_id=link.account_id,
                  state=fields.pop("state", "finished"), started_by_name=fields.pop("started_by_name", "Someone"),
                  started_at=fields.pop("started_at", utcnow()), finished_at=fields.pop("finished_at", utcnow()),
                  **fields)
    db.session.add(run)
    db.session.flush()
    return run
