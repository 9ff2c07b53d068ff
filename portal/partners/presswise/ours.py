"""Every piece of the PressWise contract this project defined itself ([ours]).

No public PressWise document fixes these; when a real PressWise tenant says otherwise,
this module is the one place to change: the status codes and what they mean, the
``userID`` element, the ``Open Terms`` payment term, the ``userID`` and "loginID exists"
answer of ``create_user``, and the two operations ``find_orders`` and ``get_order_status``.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from portal.partners.base import FoundOrder, PartnerJobStatus, PartnerOrderStatus, PartnerShipment
from portal.partners.presswise.soap import Fields, MalformedResponse, as_list

# --- status codes ---------------------------------------------------------------------
CODE_OK = 0
CODE_AUTH_FAILED = 1
CODE_INVALID = 2
CODE_NOT_FOUND = 3
CODE_INTERNAL = 9  # worth retrying
RETRIABLE_CODES = frozenset({CODE_INTERNAL})

# --- add_purchase_order ---------------------------------------------------------------
USER_ID_ELEMENT = "userID"  # sent right after customerID, empty until the user is known
TERMS_PREPAID = "Prepaid"  # [doc]
TERMS_OPEN = "Open Terms"  # [ours]

# --- create_user ----------------------------------------------------------------------
USER_ID_RESULT = "userID"
LOGIN_EXISTS_TEXT = "loginID exists"


def is_existing_login(code: int, text: str) -> bool:
    """The answer to a second ``create_user`` with a known ``loginID``: adopt its ``userID``."""
    return code == CODE_INVALID and LOGIN_EXISTS_TEXT.casefold() in (text or "").casefold()


# --- find_orders ----------------------------------------------------------------------
FIND_ORDERS = "find_orders"


def find_orders_data(order_number: str, customer_id: str | None) -> Fields:
    data: Fields = [("sourceOrderID", order_number)]
    if customer_id:
        data.append(("customerID", customer_id))
    return data


def read_found_orders(result: dict) -> list[FoundOrder]:
    found = []
    for entry in as_list(result.get("orders"), "order"):
        entry = _struct(entry, "order")
        found.append(
            FoundOrder(
                partner_order_id=partner_id(entry.get("orderID"), "orderID"),
                status=_text(entry.get("status")),
                created_at=_text(entry.get("createDate")),
            )
        )
    return found


# --- get_order_status -----------------------------------------------------------------
GET_ORDER_STATUS = "get_order_status"


def order_status_data(partner_order_id: str) -> Fields:
    return [("orderID", partner_order_id)]


def read_order_status(result: dict) -> PartnerOrderStatus:
    order = _struct(result.get("order"), "order")
    if "status" not in order:
        raise MalformedResponse("order without status")
    jobs = []
    for job in as_list(order.get("jobs"), "job"):
        job = _struct(job, "job")
        jobs.append(
            PartnerJobStatus(
                partner_job_id=partner_id(job.get("jobID"), "jobID"),
                source_job_id=_text(job.get("sourceJobID")),
                status=_text(job.get("status")),
            )
        )
    shipments = []
    for shipment in as_list(order.get("shipments"), "shipment"):
        shipment = _struct(shipment, "shipment")
        shipments.append(
            PartnerShipment(
                source_job_id=_text(shipment.get("sourceJobID")),
                ship_date=_date(shipment.get("shipDate")),
                method=_text(shipment.get("shipMethod")),
                carrier=_text(shipment.get("carrier")),
                tracking_number=_text(shipment.get("trackingNumber")),
                cost=_money(shipment.get("shipCost")),
            )
        )
    return PartnerOrderStatus(
        partner_order_id=partner_id(order.get("orderID"), "orderID"),
        status=_text(order.get("status")),
        last_modified=_text(order.get("lastModified")),
        jobs=jobs,
        shipments=shipments,
    )


# --- reading values -------------------------------------------------------------------

# ASCII digits only ("²".isdigit() is True) and few enough for any ID and for int().
_PARTNER_ID = re.compile(r"[0-9]{1,20}")


def partner_id(value, name: str) -> str:
    """An ID PressWise assigned: up to 20 digits, or the answer is not one we trust."""
    text = _text(value).strip()
    if not _PARTNER_ID.fullmatch(text):
        raise MalformedResponse(f"{name} is not a number of at most 20 digits")
    return str(int(text))


def _struct(value, name: str) -> dict:
    if not isinstance(value, dict):
        raise MalformedResponse(f"{name} is not a structure")
    return value


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise MalformedResponse("a structure where text was expected")
    return value


def _date(value) -> date | None:
    text = _text(value).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise MalformedResponse("shipDate is not a date") from None


def _money(value) -> Decimal:
    text = _text(value).strip()
    if not text:
        return Decimal("0.00")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise MalformedResponse("shipCost is not an amount") from None
    if not amount.is_finite():
        raise MalformedResponse("shipCost is not an amount")
    return amount
