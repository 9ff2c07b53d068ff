"""ORM models. Import from here: ``from portal.models import Order``."""

from portal.models.embedded import EmbeddedServicesAccount, EmbeddedServicesAuthorizationEvent, SiteLink
from portal.models.integration import OrderIntegration, PushAttempt, UserIntegration
from portal.models.storefront import Order, OrderItem, Shipment, Site, SiteUser
from portal.models.sync import SyncOutcome, SyncRun
from portal.models.tenancy import AdminUser, Subscriber


def schema_filter_for(dialect_name: str):
    """Alembic's ``include_object`` for one database: leaves out what the models mark as another
    database's only (``info={"only_on": ...}``), so `flask db check` agrees on SQLite and PostgreSQL."""

    def include_object(obj, _name, _type, _reflected, _compare_to) -> bool:
        only_on = getattr(obj, "info", {}).get("only_on")
        return only_on is None or only_on == dialect_name

    return include_object


__all__ = [
    "AdminUser",
    "EmbeddedServicesAccount",
    "EmbeddedServicesAuthorizationEvent",
    "Order",
    "OrderIntegration",
    "OrderItem",
    "PushAttempt",
    "Shipment",
    "Site",
    "SiteLink",
    "SiteUser",
    "Subscriber",
    "SyncOutcome",
    "SyncRun",
    "UserIntegration",
    "schema_filter_for",
]
