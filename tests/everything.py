"""One of every object a URL can name, for tests that walk the URL map with real IDs.

``one_of_everything("Acme Print")`` makes a subscriber with its admin, a site, a site user,
an order with two items (one awaiting approval, one eDocBuilder item whose file is
pending) and a shipment, an Embedded Services account attached to the site, a failed push
row for the order (so its Embedded Services tab exists) and a partner user ID for the site
user (so theirs does too). ``url_for_rule(rule, values)`` builds a rule's URL from
``url_values(everything)`` and fails with "teach this test a value for <argument>" when a
new route names something this module does not make yet: add it to ``one_of_everything``
and name its URL argument in ``url_values``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from portal.models import Order, OrderIntegration, OrderItem, Shipment, Site, SiteLink, SiteUser, UserIntegration
from portal.models import AdminUser, EmbeddedServicesAccount, Subscriber
from tests import embedded_factories, factories

# URL arguments that name no tenant's object.
NOT_TENANT_ARGUMENTS = frozenset({"filename", "job_id", "subscriber_id"})


@dataclass
class Everything:
    subscriber: Subscriber
    admin: AdminUser
    site: Site
    site_user: SiteUser
    order: Order
    item: OrderItem
    shipment: Shipment
    account: EmbeddedServicesAccount
    link: SiteLink
    order_integration: OrderIntegration
    user_integration: UserIntegration
    run: object


def one_of_everything(name: str, *, embedded_services: bool = True) -> Everything:
    """Flushed, not committed. ``embedded_services=False``: staff withdrew it after it was used."""
    from portal.extensions import db

    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    subscriber = factories.subscriber(name=name, slug=slug)
    admin = factories.admin(subscriber, email=f"admin@{slug}.example", name=f"{name} Admin")
    embedded_factories.authorize(subscriber)
    site = factories.site(subscriber, name=f"{name} store")
    site_user = factories.site_user(site)
    order = factories.order(site, user=site_user, items=[{"approval": "pending"}, {"is_edoc": True}])
    shipment = factories.shipment(order.items[0])
    account = embedded_factories.account(subscriber, name=f"{name} PressWise")
    link = embedded_factories.site_link(account, site)
    order_integration = OrderIntegration(order=order, account=account, state="failed", last_error="Not sent")
    user_integration = UserIntegration(site_user=site_user, account=account, partner_user_id="501")
    db.session.add_all([order_integration, user_integration])
    run = embedded_factories.sync_run(link)
    if not embedded_services:
        subscriber.withdraw_embedded_services(by=None)
    db.session.flush()
    return Everything(subscriber=subscriber, admin=admin, site=site, site_user=site_user, order=order,
                      item=order.items[0], shipment=shipment, account=account, link=link,
                      order_integration=order_integration, user_integration=user_integration, run=run)


def url_values(everything: Everything) -> dict[str, object]:
    """The value of each URL argument the URL map has today, naming ``everything``'s objects."""
    return {
        "site_id": everything.site.id,
        "site_user_id": everything.site_user.id,
        "order_id": everything.order.id,
        "item_id": everything.item.id,
        "account_id": everything.account.id,
        "link_id": everything.link.id,
        "subscriber_id": everything.subscriber.id,
        "run_id": everything.run.id,
        "job_id": "no-such-job",
        "filename": "app.js",
    }


def unknown_arguments(rules, values: dict) -> set[str]:
    return {argument for rule in rules for argument in rule.arguments} - set(values)


def teach_message(unknown: set[str]) -> str:
    return (f"teach this test a value for {sorted(unknown)}: make one in tests/everything.py's "
            "one_of_everything() and name it in url_values()")


def url_for_rule(rule, values: dict) -> str:
    unknown = set(rule.arguments) - set(values)
    assert not unknown, teach_message(unknown) + f" (used by {rule.rule})"
    return rule.build({argument: values[argument] for argument in rule.arguments}, append_unknown=False)[1]
