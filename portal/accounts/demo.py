"""Embedded Services part of ``flask demo seed``: an authorized subscriber with a PressWise
account on the emulator, attached to one site. Idempotent; a rerun updates the URL
(the emulator's port can change between runs) and keeps everything else.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.models import AdminUser, EmbeddedServicesAccount, Site, SiteLink, Subscriber

DEMO_ACCOUNT_NAME = "PressWise (emulator)"
# The emulator's demo login (see the PressWise emulator); not a real secret.
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-secret"
DEMO_AUTHORIZATION_CODE = "DEMO-AUTH"
DEMO_CUSTOMER_ID = "1001"


def seed_embedded_services(subscriber: Subscriber, site: Site) -> str:
    """Authorize ``subscriber``, make sure its emulator account exists and serves ``site``."""
    staff = db.session.scalars(select(AdminUser).where(AdminUser.is_staff).order_by(AdminUser.id).limit(1)).first()
    subscriber.authorize_embedded_services(by=staff)

    url = current_app.config["PRESSWISE_EMULATOR_URL"]
    account = db.session.scalars(
        select(EmbeddedServicesAccount).where(
            EmbeddedServicesAccount.subscriber_id == subscriber.id,
            EmbeddedServicesAccount.name == DEMO_ACCOUNT_NAME,
        )
    ).first()
    created = account is None
    if account is None:
        account = EmbeddedServicesAccount(
            subscriber_id=subscriber.id,
            partner="presswise",
            name=DEMO_ACCOUNT_NAME,
            username=DEMO_USERNAME,
            initial_status="New",
            send_pricing_in_notes=True,
            active=True,
        )
        account.password = DEMO_PASSWORD
        account.authorization_code = DEMO_AUTHORIZATION_CODE
        db.session.add(account)
    account.url = url

    link = None
    if not created:
        link = db.session.scalars(
            select(SiteLink).where(SiteLink.account_id == account.id, SiteLink.site_id == site.id)
        ).first()
    if link is None:
        SiteLink.attach(account, site, customer_id=DEMO_CUSTOMER_ID, active=True, sync_status=True, sync_orders=True)
    db.session.commit()
    return (
        f"Embedded Services: {subscriber.name} authorized; account “{DEMO_ACCOUNT_NAME}” "
        f"({'created' if created else 'kept'}) at {url}, attached to {site.name} as customer {DEMO_CUSTOMER_ID}."
    )
