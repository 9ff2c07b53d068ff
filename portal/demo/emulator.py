"""Demo only: act as PressWise would on an order the portal pushed to the emulator `make run` starts.

The emulator's ``/_control/`` API takes status changes and shipments with a token; ``make run``
writes that token to ``instance/emulator-control-token`` so ``flask demo ship-order`` in another
terminal can use it. Nothing here runs outside the demo.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import requests
from flask import current_app
from sqlalchemy import select

from portal.domain.push import PushState
from portal.extensions import db
from portal.models import Order, OrderIntegration

TOKEN_FILE = "emulator-control-token"


class DemoShipError(RuntimeError):
    """Why the order cannot be shipped in the emulator, in words for the terminal."""


@dataclass(frozen=True)
class Shipped:
    order_number: str
    partner_order_id: str
    tracking_number: str
    carrier: str


def control_token() -> str:
    token = os.environ.get("EMULATOR_CONTROL_TOKEN", "").strip()
    if token:
        return token
    path = Path(current_app.instance_path) / TOKEN_FILE
    if path.is_file():
        return path.read_text().strip()
    raise DemoShipError(f"No emulator control token: start the portal with `make run` (it writes {path}).")


def ship_in_emulator(order_number: str, *, tracking_number: str | None = None, carrier: str = "UPS",
                     method: str = "UPS Ground") -> Shipped:
    """Move a pushed order to Shipped in the emulator and give it a shipment with a tracking number."""
    found = db.session.execute(
        select(OrderIntegration).join(Order, Order.id == OrderIntegration.order_id)
        .where(Order.number == order_number,
               OrderIntegration.state.in_([PushState.PUSHED.value, PushState.ADOPTED.value]))
        .order_by(OrderIntegration.id).limit(1)
    ).scalar_one_or_none()
    if found is None:
        raise DemoShipError(f"Order {order_number} is not in PressWise yet: run Order Synchronization "
                            "(or press Push Order) first.")
    parts = urlsplit(found.account.url)
    base = f"{parts.scheme}://{parts.netloc}"
    tracking_number = tracking_number or f"1Z999AA1{secrets.randbelow(10**10):010d}"
    headers = {"X-Control-Token": control_token()}
    session = requests.Session()
    session.trust_env = False
    try:
        for path, payload in (
            (f"orders/{int(found.partner_order_id)}/status", {"status": "Shipped"}),
            (f"orders/{int(found.partner_order_id)}/shipments",
             {"sourceJobID": "", "shipDate": date.today().isoformat(), "shipMethod": method, "carrier": carrier,
              "trackingNumber": tracking_number, "shipCost": "12.40"}),
        ):
            response = session.post(f"{base}/_control/{path}", json=payload, headers=headers, timeout=10)
            if response.status_code != 200:
                raise DemoShipError(f"The emulator at {base} answered HTTP {response.status_code}: {response.text[:200]}")
    except requests.RequestException as error:
        raise DemoShipError(f"The emulator at {base} did not answer: {error}") from None
    return Shipped(order_number, found.partner_order_id, tracking_number, carrier)
