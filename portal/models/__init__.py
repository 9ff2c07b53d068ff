"""ORM models. Import from here: ``from portal.models import Order``."""

from portal.models.embedded import EmbeddedServicesAccount, EmbeddedServicesAuthorizationEvent, SiteLink
from portal.models.integration import OrderIntegration, PushAttempt, UserIntegration
from portal.models.storefront import Order, OrderItem, Shipment, Site, SiteUser
from portal.models.sync import SyncOutcome, SyncRun
from portal.models.tenancy import AdminUser, Subscriber

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
]
