"""MIS partners. ``client_for`` returns the client of a partner for one account.

Clients are kept per account (settings and timeouts), per address guard and per process,
so calls made for the same account reuse its HTTP connections; changed settings or a
changed allow-list get a new client.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

from portal.partners.base import AccountSettings, AddressGuard, Partner, Timeouts

PARTNER_NAMES = {"presswise": "PressWise"}
# How a partner's API address normally ends; a URL that does not is questioned when saved.
# PressWise: SOAP at …/r/wsdl-order2.php (shared/docs/presswise-contract.md, "Transport").
PARTNER_URL_PATHS = {"presswise": "/r/wsdl-order2.php"}

_CACHE_SIZE = 32
_clients: OrderedDict[tuple, Partner] = OrderedDict()
_clients_lock = threading.Lock()


def client_for(partner: str, settings: AccountSettings, timeouts: Timeouts | None = None, *,
               address_guard: AddressGuard | None = None) -> Partner:
    """The account's client. ``address_guard`` checks each connection's address (see ``AddressGuard``)."""
    if partner not in PARTNER_NAMES:
        raise ValueError(f"unknown partner {partner!r}")
    timeouts = timeouts or Timeouts()
    # A forked worker must not share its parent's sockets, hence the pid in the key.
    key = (os.getpid(), partner, settings, timeouts, address_guard)
    with _clients_lock:
        client = _clients.get(key)
        if client is not None:
            _clients.move_to_end(key)
            return client
        client = _new_client(partner, settings, timeouts, address_guard)
        _clients[key] = client
        while len(_clients) > _CACHE_SIZE:
            _, evicted = _clients.popitem(last=False)
            getattr(evicted, "close", lambda: None)()
        return client


def _new_client(partner: str, settings: AccountSettings, timeouts: Timeouts,
                address_guard: AddressGuard | None) -> Partner:
    if partner == "presswise":
        from portal.partners.presswise import PressWiseClient

        return PressWiseClient(settings, timeouts, address_guard=address_guard)
    raise ValueError(f"unknown partner {partner!r}")
