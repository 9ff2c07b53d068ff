"""``flask demo seed`` part for Embedded Services: an authorized subscriber with a PressWise
account on the emulator attached to one site; reruns change nothing but the URL.
"""

from __future__ import annotations

from sqlalchemy import func, select

from portal.accounts.demo import DEMO_ACCOUNT_NAME, seed_embedded_services
from portal.extensions import db
from portal.models import EmbeddedServicesAccount, EmbeddedServicesAuthorizationEvent, SiteLink
from tests import factories


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_authorizes_creates_and_attaches_idempotently(app, subscriber, staff_user, presswise):
    site = factories.site(subscriber, name="Demo store")
    db.session.commit()
    app.config["PRESSWISE_EMULATOR_URL"] = "http://127.0.0.1:1111/r/wsdl-order2.php"

    line = seed_embedded_services(subscriber, site)
    assert DEMO_ACCOUNT_NAME in line and "demo-secret" not in line
    assert subscriber.embedded_services_authorized
    assert subscriber.last_authorization_event.actor_id == staff_user.id
    account = db.session.scalars(select(EmbeddedServicesAccount)).one()
    assert (account.name, account.partner, account.url, account.username) == (
        DEMO_ACCOUNT_NAME, "presswise", "http://127.0.0.1:1111/r/wsdl-order2.php", "demo")
    link = db.session.scalars(select(SiteLink)).one()
    assert (link.site_id, link.customer_id, link.sync_status, link.sync_orders, link.active) == (
        site.id, "1001", True, True, True)

    app.config["PRESSWISE_EMULATOR_URL"] = presswise.url
    seed_embedded_services(subscriber, site)
    db.session.expire_all()
    assert (_count(EmbeddedServicesAccount), _count(SiteLink), _count(EmbeddedServicesAuthorizationEvent)) == (1, 1, 1)
    assert account.url == presswise.url

    # The seeded credentials are the emulator's: the account really connects.
    from portal.integration.connection import check_connection

    assert check_connection(account).ok
