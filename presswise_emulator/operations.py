"""What the emulated PressWise does with each operation: checks, validation, storage, result.

Codes as the contract fixes them: 0 OK, 1 authentication failed, 2 invalid request
(the text names the field), 3 not found, 9 internal error. Like PressWise it does not
de-duplicate: the same ``sourceOrderID`` twice makes two orders.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import date

from presswise_emulator.store import Store

MONEY = re.compile(r"-?\d+\.\d{2}")
DIGITS = re.compile(r"\d+")

PURCHASE_ORDER_FIELDS = (
    "customerID", "userID", "customerPO", "sourceOrderID", "btFirst", "btLast", "btNameCompany", "btAttention",
    "btStreet", "btAddress2", "btAddress3", "btCity", "btState", "btZip", "btCountry", "btTelephone", "btEmail",
    "initial_status", "btTerms", "shipCostFlag", "dueDate", "salesDate", "isReprint", "subTotal", "taxCost",
    "shipCost", "totalCost", "shipMethod", "comments",
)
SHIP_TO_FIELDS = (
    "stFirst", "stLast", "stNameCompany", "stAttention", "stStreet", "stAddress2", "stAddress3", "stCity",
    "stState", "stZip", "stCountry", "stTelephone", "avsResidential", "shipCost", "shipMethod",
)
ITEM_FIELDS = ("sourceJobID", "productID", "productDesc", "quantity", "price", "fileF", "customerApproval", "note")
USER_FIELDS = (
    "loginID", "loginPass", "contactName", "companyName", "contactEmail", "contactTelePhone", "contactAddress1",
    "contactAddress2", "contactCity", "contactState", "contactZip", "contactCountry", "AllowOrder",
)
TERMS = ("Prepaid", "Open Terms")


class Answer(Exception):
    """A non-zero status: the operation stops and answers ``code`` / ``text`` (plus ``extra``)."""

    def __init__(self, code: int, text: str, **extra):
        super().__init__(text)
        self.code = code
        self.text = text
        self.extra = extra


class UnknownOperation(Exception):
    pass


def invalid(field: str, why: str) -> Answer:
    return Answer(2, f"invalid {field}: {why}")


def ok(**values) -> dict:
    return {"status": {"code": 0, "text": "OK"}, **values}


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str
    code: str

    def accept(self, auth) -> bool:
        if not isinstance(auth, dict):
            return False
        given = (_str(auth.get("user")), _str(auth.get("pass")), _str(auth.get("code")))
        expected = (self.user, self.password, self.code)
        # Compare all three every time: how long it takes says nothing about which one was wrong.
        matches = [hmac.compare_digest(a.encode(), b.encode()) for a, b in zip(given, expected)]
        return all(matches)


def _str(value) -> str:
    return value if isinstance(value, str) else ""


class PressWise:
    """The operations, over a ``Store``."""

    def __init__(self, store: Store, credentials: Credentials):
        self.store = store
        self.credentials = credentials
        self.operations = {
            "add_purchase_order": self.add_purchase_order,
            "create_user": self.create_user,
            "find_orders": self.find_orders,
            "get_order_status": self.get_order_status,
        }

    def handle(self, operation: str, params: dict) -> dict:
        """The ``result`` for one call; never raises ``Answer`` (it becomes the result)."""
        handler = self.operations.get(operation)
        if handler is None:
            raise UnknownOperation(operation)
        try:
            if not self.credentials.accept(params.get("auth")):
                raise Answer(1, "authentication failed: wrong user, password or authorization code")
            return handler(params)
        except Answer as answer:
            return {"status": {"code": answer.code, "text": answer.text}, **answer.extra}

    # --- add_purchase_order -----------------------------------------------------------

    def add_purchase_order(self, params: dict) -> dict:
        data = _struct(params.get("data"), "data")
        _require(data, PURCHASE_ORDER_FIELDS, "data")
        _digits(data, "customerID", "data")
        _digits(data, "userID", "data", optional=True)
        _nonempty(data, "sourceOrderID", "data")
        _nonempty(data, "initial_status", "data")
        if data["btTerms"] not in TERMS:
            raise invalid("data.btTerms", f"must be one of {', '.join(TERMS)}")
        if data["dueDate"]:
            _date(data["dueDate"], "data.dueDate")
        if data["salesDate"] != "auto":
            _date(data["salesDate"], "data.salesDate")
        if data["isReprint"] not in ("Y", "N"):
            raise invalid("data.isReprint", "must be Y or N")
        for name in ("subTotal", "taxCost", "shipCost", "totalCost"):
            _money(data, name, "data")
        if "shipTo" in data:
            ship_to = _struct(data["shipTo"], "data.shipTo")
            _require(ship_to, SHIP_TO_FIELDS, "data.shipTo")
            _money(ship_to, "shipCost", "data.shipTo")
        items = data.get("item")
        items = items if isinstance(items, list) else [] if items in (None, "") else [items]
        if not items:
            raise invalid("data.item", "at least one item is required")
        seen = set()
        for index, item in enumerate(items, start=1):
            where = f"data.item[{index}]"
            item = _struct(item, where)
            _require(item, ITEM_FIELDS, where)
            _nonempty(item, "sourceJobID", where)
            if item["sourceJobID"] in seen:
                raise invalid(f"{where}.sourceJobID", "repeats another item's")
            seen.add(item["sourceJobID"])
            _nonempty(item, "productDesc", where)
            if not DIGITS.fullmatch(item["quantity"]) or int(item["quantity"]) < 1:
                raise invalid(f"{where}.quantity", "must be a whole number above zero")
            _money(item, "price", where)
        order_id, jobs = self.store.add_order(
            source_order_id=data["sourceOrderID"], customer_id=data["customerID"], user_id=data["userID"],
            status=data["initial_status"], data=data, jobs=items,
        )
        return ok(orderID=order_id, jobs=[{"jobID": job_id, "sourceJobID": source} for job_id, source in jobs])

    # --- create_user ------------------------------------------------------------------

    def create_user(self, params: dict) -> dict:
        request = _struct(params.get("request"), "request")
        _require(request, ("customerID", "user"), "request")
        _digits(request, "customerID", "request")
        user = _struct(request["user"], "request.user")
        _require(user, USER_FIELDS, "request.user")
        _nonempty(user, "loginID", "request.user")
        if user["AllowOrder"] not in ("Y", "N"):
            raise invalid("request.user.AllowOrder", "must be Y or N")
        user_id, created = self.store.add_user(request["customerID"], user["loginID"], user)
        if not created:
            raise Answer(2, "loginID exists", userID=user_id)
        return ok(userID=user_id)

    # --- find_orders [ours] -----------------------------------------------------------

    def find_orders(self, params: dict) -> dict:
        data = _struct(params.get("data"), "data")
        _require(data, ("sourceOrderID",), "data")
        _nonempty(data, "sourceOrderID", "data")
        _digits(data, "customerID", "data", optional=True)
        rows = self.store.find_orders(data["sourceOrderID"], _str(data.get("customerID")))
        return ok(orders=[
            {"orderID": row["id"], "status": row["status"], "createDate": row["create_date"]} for row in rows
        ])

    # --- get_order_status [ours] ------------------------------------------------------

    def get_order_status(self, params: dict) -> dict:
        data = _struct(params.get("data"), "data")
        _require(data, ("orderID",), "data")
        _digits(data, "orderID", "data")
        found = self.store.order(int(data["orderID"]))
        if found is None:
            raise Answer(3, f"order {data['orderID']} not found")
        order = found["order"]
        return ok(order={
            "orderID": order["id"],
            "status": order["status"],
            "lastModified": order["last_modified"],
            "jobs": [{"jobID": j["id"], "sourceJobID": j["source_job_id"], "status": j["status"]}
                     for j in found["jobs"]],
            "shipments": [
                {"sourceJobID": s["source_job_id"], "shipDate": s["ship_date"], "shipMethod": s["ship_method"],
                 "carrier": s["carrier"], "trackingNumber": s["tracking_number"], "shipCost": s["ship_cost"]}
                for s in found["shipments"]
            ],
        })


# --- validation helpers ---------------------------------------------------------------

def _struct(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise invalid(where, "missing or not a structure")
    return value


def _require(struct: dict, names, where: str) -> None:
    for name in names:
        if name not in struct:
            raise Answer(2, f"missing field {where}.{name}")
        if name not in ("shipTo", "item", "user") and struct[name] is not None and not isinstance(struct[name], str):
            raise invalid(f"{where}.{name}", "must be text")
        if struct[name] is None:
            struct[name] = ""


def _nonempty(struct: dict, name: str, where: str) -> None:
    if not _str(struct.get(name)).strip():
        raise invalid(f"{where}.{name}", "must not be empty")


def _digits(struct: dict, name: str, where: str, optional: bool = False) -> None:
    value = _str(struct.get(name))
    if optional and not value:
        return
    if not DIGITS.fullmatch(value):
        raise invalid(f"{where}.{name}", "must be digits")


def _money(struct: dict, name: str, where: str) -> None:
    if not MONEY.fullmatch(_str(struct.get(name))):
        raise invalid(f"{where}.{name}", "must be an amount with two decimals, like 1234.50")


def _date(value: str, field: str) -> None:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise invalid(field, "must be a date YYYY-MM-DD") from None
    if len(value) != 10:
        raise invalid(field, "must be a date YYYY-MM-DD")
