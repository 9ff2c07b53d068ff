"""The HTTP side: the SOAP endpoint, the ``/_control/`` JSON API and the page at ``/``."""

from __future__ import annotations

import hmac
import html
import json
import logging
import re
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from presswise_emulator import SOAP_PATH, soap
from presswise_emulator.control import FAULT_KINDS, ControlState, Fault
from presswise_emulator.operations import PressWise, UnknownOperation
from presswise_emulator.store import Store

log = logging.getLogger("presswise_emulator")

MAX_REQUEST_BYTES = 20 * 1024 * 1024
SOURCE_ORDER_ID = re.compile(rb"<(?:\w+:)?sourceOrderID\b[^>]*>([^<]*)<")
# Secrets in a request, in either form: an element named after one (``<pass>``, ``<ns1:loginPass>``)
# or a PHP Map entry keyed by one (``<key>pass</key><value>…</value>``); values may be CDATA.
SECRET_NAMES = r"(?:pass|password|loginPass|code)"
_SECRET_VALUE = r"(?:<!\[CDATA\[.*?\]\]>|[^<])*"
SECRET_ELEMENTS = re.compile(rf"(<(?:[\w.-]+:)?{SECRET_NAMES}(?:\s[^>]*)?>){_SECRET_VALUE}(</)",
                             re.IGNORECASE | re.DOTALL)
SECRET_MAP_ENTRIES = re.compile(
    rf"(<(?:[\w.-]+:)?key\b[^>]*>\s*{SECRET_NAMES}\s*</(?:[\w.-]+:)?key>\s*<(?:[\w.-]+:)?value\b[^>]*>)"
    rf"{_SECRET_VALUE}(</)",
    re.IGNORECASE | re.DOTALL,
)


def mask_secrets(request_body: str) -> str:
    """The request with passwords and authorization codes replaced by ``***``, for pages and listings."""
    return SECRET_MAP_ENTRIES.sub(r"\1***\2", SECRET_ELEMENTS.sub(r"\1***\2", request_body))


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def __init__(self, address, *, store: Store, presswise: PressWise, control_token: str, encoding: str,
                 quiet: bool = False):
        super().__init__(address, Handler)
        self.store = store
        self.presswise = presswise
        self.control = ControlState()
        self.control_token = control_token
        self.encoding = encoding
        self.quiet = quiet


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients can reuse their connections
    server: EmulatorServer
    server_version = "PressWiseEmulator/1.0"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args) -> None:
        if not self.server.quiet:
            log.info("%s %s", self.address_string(), format % args)

    # --- routing ----------------------------------------------------------------------

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/":
            self._send(200, render_page(self.server.store).encode("utf-8"), "text/html; charset=utf-8")
        elif path.startswith("/_control/"):
            self._control("GET", path)
        elif path == SOAP_PATH:
            self._send(405, b"Use POST for SOAP requests\n", "text/plain; charset=utf-8", {"Allow": "POST"})
        else:
            self._send(404, b"Not found\n", "text/plain; charset=utf-8")

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        body = self._read_body()
        if body is None:
            return
        if path == SOAP_PATH:
            self._soap(body)
        elif path.startswith("/_control/"):
            self._control("POST", path, body)
        else:
            self._send(404, b"Not found\n", "text/plain; charset=utf-8")

    def _read_body(self) -> bytes | None:
        length = self.headers.get("Content-Length")
        if length is None and "Transfer-Encoding" not in self.headers:
            return b""  # HTTP/1.1: no length and no chunking means no body
        if not re.fullmatch(r"[0-9]{1,12}", length or ""):  # isdigit() would let "²" reach int()
            self._send(411, b"Content-Length required\n", "text/plain; charset=utf-8", close=True)
            return None
        if int(length) > MAX_REQUEST_BYTES:
            self._send(413, b"Request too large\n", "text/plain; charset=utf-8", close=True)
            return None
        return self.rfile.read(int(length))

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None,
              close: bool = False) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _drop_connection(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # --- SOAP -------------------------------------------------------------------------

    def _soap(self, body: bytes) -> None:
        server = self.server
        started = time.monotonic()
        source = SOURCE_ORDER_ID.search(body)
        call = {
            "request_body": body.decode("utf-8", "replace"),
            "source_order_id": html.unescape(source.group(1).decode("utf-8", "replace")) if source else "",
        }
        try:
            operation, params = soap.parse_request(body)
        except soap.BadRequest as exc:
            answer = soap.fault("Client", str(exc))
            server.store.record_call(operation="(unreadable)", http_status=500, result_text=str(exc),
                                     response_body=answer.decode(), **call)
            self._send(500, answer, "text/xml; charset=utf-8")
            return
        call["operation"] = operation

        generation = server.control.generation
        delay = server.control.delay_seconds()
        if delay and (server.control.hang(delay) or server.control.generation != generation):
            self._drop_connection()  # reset while this call waited: it must not land in the next test's data
            return
        fault = server.control.next_fault(operation)
        kind = fault.kind if fault else ""
        call["fault"] = kind

        if kind in ("hang", "close"):
            server.store.record_call(**call)
            if kind == "hang":
                server.control.hang(fault.seconds)
            self._drop_connection()
            return
        if kind == "http500":
            answer = soap.fault("Server", "Internal Server Error (injected fault)")
            server.store.record_call(http_status=500, result_text="fault", response_body=answer.decode(), **call)
            self._send(500, answer, "text/xml; charset=utf-8")
            return
        if kind == "respond":
            answer = fault.body.encode("utf-8")
            server.store.record_call(http_status=fault.http_status, response_body=fault.body[:100_000], **call)
            self._send(fault.http_status, answer, "text/xml; charset=utf-8")
            return
        if kind == "huge":
            server.store.record_call(http_status=200, response_body=f"({fault.size_mb} MB)", **call)
            self._send_huge(int(fault.size_mb * 1024 * 1024))
            return

        try:
            if kind == "code9":
                server.presswise.operations.get(operation) or _unknown(operation)
                result = {"status": {"code": 9, "text": "internal error (injected fault), try again"}}
            elif kind == "auth":
                server.presswise.operations.get(operation) or _unknown(operation)
                result = {"status": {"code": 1, "text": "authentication failed (injected fault)"}}
            else:
                result = server.presswise.handle(operation, params)
        except UnknownOperation:
            answer = soap.fault("Server", f"Procedure '{operation}' not present")
            server.store.record_call(http_status=500, result_text="unknown operation",
                                     response_body=answer.decode(), **call)
            self._send(500, answer, "text/xml; charset=utf-8")
            return

        answer = soap.response(operation, result, server.encoding)
        if kind == "malformed":
            answer = answer[: len(answer) // 2]
        status = result["status"]
        server.store.record_call(
            http_status=200, result_code=status["code"], result_text=status["text"],
            order_id=result.get("orderID") if isinstance(result.get("orderID"), int) else None,
            response_body=answer.decode("utf-8", "replace"), **call,
        )
        if kind == "store_then_hang":
            server.control.hang(fault.seconds)
            self._drop_connection()
            return
        self._send(200, answer, "text/xml; charset=utf-8")
        if not server.quiet:
            log.info("%s %s -> code %s in %.1f ms", operation, call["source_order_id"], status["code"],
                     (time.monotonic() - started) * 1000)

    def _send_huge(self, size: int) -> None:
        self.close_connection = True
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV='
                             b'"http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><padding>')
            chunk = b"x" * 65536
            sent = 0
            while sent < size:
                self.wfile.write(chunk)
                sent += len(chunk)
            self.wfile.write(b"</padding></SOAP-ENV:Body></SOAP-ENV:Envelope>")
        except (BrokenPipeError, ConnectionResetError):
            pass

    # --- control API ------------------------------------------------------------------

    def _control(self, method: str, path: str, body: bytes = b"") -> None:
        token = self.server.control_token
        given = self.headers.get("X-Control-Token", "")
        if not given and self.headers.get("Authorization", "").startswith("Bearer "):
            given = self.headers["Authorization"][len("Bearer "):]
        if not token or not hmac.compare_digest(given.encode(), token.encode()):
            self._json(403, {"error": "control token missing or wrong"})
            return
        try:
            payload = json.loads(body or b"{}")
            if not isinstance(payload, dict):
                raise ValueError("the body must be a JSON object")
            status, answer = route_control(self.server, method, path, payload, parse_qs(urlsplit(self.path).query))
        except (ValueError, TypeError, KeyError) as exc:
            status, answer = 400, {"error": f"{type(exc).__name__}: {exc}"}
        self._json(status, answer)

    def _json(self, status: int, payload: dict) -> None:
        self._send(status, json.dumps(payload).encode("utf-8"), "application/json")


def _unknown(operation: str):
    raise UnknownOperation(operation)


def route_control(server: EmulatorServer, method: str, path: str, payload: dict, query: dict) -> tuple[int, dict]:
    parts = [p for p in path.split("/") if p][1:]  # after "_control"
    store, control = server.store, server.control
    if method == "GET" and parts == ["calls"]:
        calls = store.calls(operation=(query.get("operation") or [""])[0])
        if (query.get("raw") or [""])[0] not in ("1", "true"):  # ?raw=1: bodies exactly as received
            for call in calls:
                call["request_body"] = mask_secrets(call["request_body"])
        return 200, {"calls": calls}
    if method == "GET" and parts == ["orders"]:
        return 200, {"orders": store.all_orders()}
    if method == "GET" and parts == ["users"]:
        return 200, {"users": store.all_users()}
    if method == "GET" and parts == ["state"]:
        return 200, {"faults": [f.describe() for f in control.faults], "latency": control.latency.__dict__,
                     "encoding": server.encoding, "fault_kinds": FAULT_KINDS, "waiting_calls": control.waiting,
                     "peak_waiting_calls": control.peak_waiting}
    if method != "POST":
        return 404, {"error": "not found"}
    if parts == ["reset"]:
        control.reset()
        store.reset()
        return 200, {"reset": True}
    if parts == ["latency"]:
        fixed, jitter = float(payload.get("fixed_ms", 0)), float(payload.get("jitter_ms", 0))
        if fixed < 0 or jitter < 0:
            raise ValueError("latency cannot be negative")
        control.set_latency(fixed, jitter)
        return 200, {"latency": control.latency.__dict__}
    if parts == ["faults"]:
        return 200, {"fault": _add_fault(control, payload).describe()}
    if parts == ["faults", "clear"]:  # faults only: orders, users and calls stay
        return 200, {"cleared": control.clear_faults()}
    if len(parts) == 3 and parts[0] == "orders" and parts[2] == "status":
        found = store.set_order_status(int(parts[1]), str(payload["status"]))
        return (200, {"orderID": int(parts[1])}) if found else (404, {"error": "no such order"})
    if len(parts) == 3 and parts[0] == "jobs" and parts[2] == "status":
        found = store.set_job_status(int(parts[1]), str(payload["status"]))
        return (200, {"jobID": int(parts[1])}) if found else (404, {"error": "no such job"})
    if len(parts) == 3 and parts[0] == "orders" and parts[2] == "shipments":
        shipment = {
            "sourceJobID": str(payload.get("sourceJobID", "")),
            "shipDate": str(payload.get("shipDate", "")),
            "shipMethod": str(payload.get("shipMethod", "")),
            "carrier": str(payload.get("carrier", "")),
            "trackingNumber": str(payload.get("trackingNumber", "")),
            "shipCost": str(payload.get("shipCost", "0.00")),
        }
        shipment_id = store.add_shipment(int(parts[1]), shipment)
        if shipment_id is None:
            return 404, {"error": "no such order"}
        return 200, {"shipmentID": shipment_id, **shipment}
    return 404, {"error": "not found"}


def _add_fault(control: ControlState, payload: dict) -> Fault:
    kind = payload.get("kind")
    if kind not in FAULT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
    fraction = payload.get("fraction")
    count = payload.get("count")
    if fraction is not None:
        fraction = float(fraction)
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
    if count is None:
        count = None if fraction is not None else 1
    elif int(count) < 1:
        raise ValueError("count must be at least 1")
    fault = Fault(
        kind=kind,
        remaining=None if count is None else int(count),
        fraction=fraction,
        operation=str(payload.get("operation") or ""),
        seconds=float(payload.get("seconds", 60)),
        body=str(payload.get("body", "")),
        http_status=int(payload.get("http_status", 200)),
        size_mb=float(payload.get("size_mb", 50)),
    )
    control.add_fault(fault)
    return fault


# --- the page at / --------------------------------------------------------------------

def render_page(store: Store) -> str:
    """What the emulator received, newest first, with secrets masked: for people watching a demo."""
    rows = []
    for call in store.calls(newest_first=True, limit=200):
        outcome = call["fault"] or (
            f"code {call['result_code']} {call['result_text']}" if call["result_code"] is not None
            else f"HTTP {call['http_status']} {call['result_text']}"
        )
        request = mask_secrets(call["request_body"])
        rows.append(
            "<tr>"
            f"<td>{call['id']}</td><td>{html.escape(call['received_at'])} UTC</td>"
            f"<td>{html.escape(call['operation'])}</td>"
            f"<td>{html.escape(call['source_order_id'])}</td>"
            f"<td>{call['order_id'] or ''}</td>"
            f"<td>{html.escape(outcome)}</td>"
            f"<td><details><summary>request</summary><pre>{html.escape(request)}</pre></details>"
            f"<details><summary>response</summary><pre>{html.escape(call['response_body'][:20000])}</pre>"
            "</details></td></tr>"
        )
    table = "\n".join(rows) or '<tr><td colspan="7">Nothing received yet.</td></tr>'
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>PressWise emulator</title>
<style>body{{font-family:system-ui,sans-serif;margin:1.5rem}}table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}}
pre{{white-space:pre-wrap;max-width:60rem;font-size:.8rem}}</style></head>
<body><h1>PressWise emulator</h1>
<p>SOAP endpoint: <code>POST {SOAP_PATH}</code>. Calls received, newest first (this page refreshes itself).</p>
<table><thead><tr><th>#</th><th>Received</th><th>Operation</th><th>Source order</th><th>PressWise order</th>
<th>Outcome</th><th>Bodies</th></tr></thead><tbody>
{table}
</tbody></table></body></html>
"""
