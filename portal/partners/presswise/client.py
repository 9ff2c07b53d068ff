"""The PressWise client: one instance per account, safe to share between threads.

Every call ends in a result or in one ``PartnerError`` subclass that says what happened:

- nothing could have been stored (refused, timeout while connecting, the connection
  broke or the deadline passed before the whole request was sent, HTTP 5xx, SOAP Fault,
  code 9): ``PartnerTransientError``;
- the request went out and no usable answer came (read timeout, deadline, connection
  dropped, malformed or oversized answer): ``PartnerUnknownOutcome`` / ``PartnerProtocolError``;
- wrong credentials (code 1, HTTP 401/403): ``PartnerAuthError``;
- HTTP 404, no PressWise service at that address (a wrong URL): ``PartnerNoService``;
- any other refusal: ``PartnerApiError`` with the code and text.

Secrets never appear in messages, logs or reprs.

Each call has one deadline, ``Timeouts.deadline`` (connect + read) from its start, for all
of it: connecting, TLS, sending, status line, headers and body. The connect and read
timeouts bound each wait for the network; the deadline also stops a partner that sends one
byte at a time (see ``_DeadlineWatchdog``).

With an ``address_guard`` every new connection is checked against the address it actually
reached, after the TCP connect and before anything (not even a TLS ClientHello) is sent:
the host's DNS answer at call time is what counts, not the one seen when the URL was
checked. A refusal is ``PartnerAddressRefused``.
"""

from __future__ import annotations

import logging
import math
import os
import re
import secrets
import socket
import ssl
import threading
import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError
from urllib3.util.ssl_match_hostname import CertificateError

from portal.domain.partner_calls import AddressRefused
from portal.partners.base import (
    AccountSettings,
    PartnerAddressRefused,
    AddressGuard,
    FoundOrder,
    PartnerApiError,
    PartnerAuthError,
    PartnerError,
    PartnerNoService,
    PartnerOrderStatus,
    PartnerProtocolError,
    PartnerTransientError,
    PartnerUnknownOutcome,
    PushResult,
    Timeouts,
    UserResult,
)
from portal.partners.presswise import mapping, ours
from portal.partners.presswise.soap import Fields, MalformedResponse, SoapFault, as_list, build_envelope, parse_response

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 5 * 1024 * 1024
POOL_SIZE = 64  # enough for every worker thread of a sync run or the benchmark
HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"#POST"', "Accept": "text/xml"}

# ASCII digits only: str.isdigit() also accepts "²", which int() then refuses.
_STATUS_CODE = re.compile(r"-?[0-9]{1,9}")
_CONTENT_LENGTH = re.compile(r"[0-9]{1,18}")

# The [ours] "find_orders" with a number no storefront uses: authenticated and harmless.
CONNECTION_PROBE_ORDER = "portal-connection-test"


class PressWiseClient:
    """Speaks the PressWise order API for one account (see docs/presswise-contract.md)."""

    def __init__(self, settings: AccountSettings, timeouts: Timeouts | None = None,
                 max_response_bytes: int = MAX_RESPONSE_BYTES, *, address_guard: AddressGuard | None = None):
        self.settings = settings
        self.timeouts = timeouts or Timeouts()
        self.max_response_bytes = max_response_bytes
        self.address_guard = address_guard
        self._session = requests.Session()
        self._session.trust_env = False  # proxies and netrc from the environment have no say here
        # No automatic retries: a POST sent twice could create two orders.
        adapter = PressWiseAdapter(address_guard, pool_connections=1, pool_maxsize=POOL_SIZE, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def __repr__(self) -> str:
        return f"<PressWiseClient {self.settings.url} user={self.settings.username!r}>"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> PressWiseClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- operations -------------------------------------------------------------------

    def push_order(self, order, *, customer_id: str, user_id: str | None = None) -> PushResult:
        data = mapping.purchase_order_data(
            order,
            customer_id=customer_id,
            user_id=user_id,
            initial_status=self.settings.initial_status,
            send_pricing_in_notes=self.settings.send_pricing_in_notes,
        )
        result = self.call("add_purchase_order", [("data", data)])
        return read_push_result(result)

    def create_user(self, site_user, *, customer_id: str) -> UserResult:
        request = mapping.create_user_request(
            site_user, customer_id=customer_id, login_password=secrets.token_urlsafe(18)
        )
        try:
            result = self.call("create_user", [("request", request)])
        except ExistingLogin as existing:
            return UserResult(partner_user_id=existing.user_id, adopted=True)
        user_id = self._read(lambda r: ours.partner_id(r.get(ours.USER_ID_RESULT), "userID"), result)
        return UserResult(partner_user_id=user_id, adopted=False)

    def find_orders(self, order_number: str, *, customer_id: str | None = None) -> list[FoundOrder]:
        result = self.call(ours.FIND_ORDERS, [("data", ours.find_orders_data(order_number, customer_id))])
        return self._read(ours.read_found_orders, result)

    def get_order_status(self, partner_order_id: str) -> PartnerOrderStatus:
        result = self.call(ours.GET_ORDER_STATUS, [("data", ours.order_status_data(partner_order_id))])
        return self._read(ours.read_order_status, result)

    def test_connection(self) -> None:
        self.find_orders(CONNECTION_PROBE_ORDER)

    # --- transport --------------------------------------------------------------------

    def call(self, operation: str, params: Fields) -> dict:
        """Send one operation and return its ``result`` (status code 0), or raise a ``PartnerError``."""
        body = build_envelope(operation, [("auth", self._auth())] + params)
        return self.send(operation, body)

    def send(self, operation: str, body: bytes) -> dict:
        started = time.monotonic()  # the call's deadline counts from here
        try:
            status, payload = self._post(body, started)
            try:
                result = self._interpret(operation, status, payload)
            except (ValueError, RecursionError) as exc:  # a parsing gap must still end as a client error
                raise _unreadable(exc) from None
        except PartnerError as error:
            log.info("presswise %s failed after %.3fs: %s: %s", operation, time.monotonic() - started,
                     type(error).__name__, error)
            raise
        log.debug("presswise %s ok in %.3fs", operation, time.monotonic() - started)
        return result

    def _auth(self) -> Fields:
        return [
            ("user", self.settings.username),
            ("pass", self.settings.password),
            ("code", self.settings.authorization_code),
        ]

    def _post(self, body: bytes, started: float) -> tuple[int, bytes]:
        timeouts = self.timeouts
        call = _CallInProgress(started, timeouts.deadline)
        _calls_by_thread.current = call  # how this client's connections and pools find the call
        try:
            try:
                response = self._session.post(
                    self.settings.url, data=body, headers=HEADERS, timeout=(timeouts.connect, timeouts.read),
                    stream=True, allow_redirects=False,
                )
            except requests.RequestException as exc:
                raise self._no_response(exc, call) from None
            with response:
                return response.status_code, self._read_body(response, call)
        finally:
            _calls_by_thread.current = None
            _watchdog.forget(call)

    def _no_response(self, exc: requests.RequestException, call: _CallInProgress) -> PartnerError:
        """The error for a call that got no response (status line and headers) at all."""
        if call.out_of_time():  # whatever broke, the watchdog or the clock says why
            return self._past_deadline(call)
        if isinstance(exc, requests.ConnectTimeout):
            return PartnerTransientError(f"PressWise did not accept the connection within {self.timeouts.connect:g} s")
        if not isinstance(exc, (requests.ConnectionError, requests.Timeout)):  # invalid URL and the like
            return PartnerApiError("url", self._scrub(str(exc)))
        refused_certificate = _cause_of_type(exc, (ssl.SSLCertVerificationError, CertificateError))
        if refused_certificate is not None:  # the TLS handshake failed: no request was sent
            return PartnerTransientError(
                "Cannot connect to PressWise securely: its TLS certificate was not accepted "
                f"({getattr(refused_certificate, 'verify_message', '') or 'certificate verify failed'})"
            )
        if _never_connected(exc):
            return PartnerTransientError(f"Cannot connect to PressWise: {_reason(exc)}")
        if not call.request_sent:  # the TLS handshake or the send failed: PressWise never had the whole request
            return PartnerTransientError(
                f"The connection to PressWise broke before the request was sent: {_reason(exc)}")
        if isinstance(exc, requests.ReadTimeout):
            return PartnerUnknownOutcome(
                f"PressWise did not answer within {self.timeouts.read:g} s; the order may have been stored")
        return PartnerUnknownOutcome(f"The connection to PressWise broke after sending: {_reason(exc)}")

    def _past_deadline(self, call: _CallInProgress) -> PartnerError:
        if not call.request_sent:
            return PartnerTransientError(f"Could not send the request to PressWise within {call.seconds:g} s; "
                                         "nothing was stored")
        return PartnerUnknownOutcome(f"PressWise did not finish answering within {call.seconds:g} s; "
                                     "the order may have been stored")

    def _read_body(self, response, call: _CallInProgress) -> bytes:
        cap = self.max_response_bytes
        declared = response.headers.get("Content-Length")
        if declared is not None:
            if not _CONTENT_LENGTH.fullmatch(declared.strip()):
                raise PartnerProtocolError("PressWise's answer has an invalid Content-Length")
            if int(declared) > cap:
                raise PartnerProtocolError(f"PressWise's answer is larger than {cap} bytes")
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(64 * 1024):  # at most one chunk beyond the cap is ever held
                size += len(chunk)
                if size > cap:
                    raise PartnerProtocolError(f"PressWise's answer is larger than {cap} bytes")
                chunks.append(chunk)
        except requests.RequestException as exc:
            if call.out_of_time():
                raise self._past_deadline(call) from None
            if _cause_of_type(exc, ReadTimeoutError) is not None:
                raise PartnerUnknownOutcome(f"PressWise stopped in the middle of its answer for "
                                            f"{self.timeouts.read:g} s; the order may have been stored") from None
            raise PartnerUnknownOutcome(f"PressWise's answer was cut off: {_reason(exc)}") from None
        if call.cut_off:  # an answer that ends when the connection closes looks whole when the watchdog cut it
            raise self._past_deadline(call)
        return b"".join(chunks)

    def _interpret(self, operation: str, status: int, payload: bytes) -> dict:
        if status in (401, 403):
            raise PartnerAuthError(f"PressWise refused the credentials (HTTP {status})")
        try:
            result = parse_response(payload, operation)
        except SoapFault as fault:
            raise PartnerTransientError(self._scrub(f"PressWise fault {fault.code}: {fault.text}")) from None
        except MalformedResponse as exc:
            if status >= 500:
                raise PartnerTransientError(f"PressWise answered HTTP {status}") from None
            if status != 200:
                raise self._not_ok(status) from None
            raise PartnerProtocolError(f"PressWise's answer is not valid: {exc}") from None
        if status >= 500:
            raise PartnerTransientError(f"PressWise answered HTTP {status}")
        if status != 200:
            raise self._not_ok(status)
        code, text = self._read_status(result)
        if code == ours.CODE_OK:
            return result
        text = self._scrub(text)
        if code == ours.CODE_AUTH_FAILED:
            raise PartnerAuthError(f"PressWise refused the credentials: {text}")
        if code in ours.RETRIABLE_CODES:
            raise PartnerTransientError(f"PressWise internal error (code {code}): {text}")
        if operation == "create_user" and ours.is_existing_login(code, text):
            raise ExistingLogin(self._read(lambda r: ours.partner_id(r.get(ours.USER_ID_RESULT), "userID"), result))
        raise PartnerApiError(code, text)

    @staticmethod
    def _not_ok(status: int) -> PartnerApiError:
        if status == 404:  # a web server answered, but no PressWise service lives at that path
            return PartnerNoService(f"HTTP {status}", "no PressWise service at this address")
        return PartnerApiError(f"HTTP {status}", "unexpected answer from PressWise")

    def _read_status(self, result: dict) -> tuple[int, str]:
        status = result.get("status")
        if not isinstance(status, dict) or "code" not in status:
            raise PartnerProtocolError("PressWise's answer has no status")
        code, text = status.get("code"), status.get("text")
        if not isinstance(code, str) or not _STATUS_CODE.fullmatch(code.strip()):
            raise PartnerProtocolError("PressWise's status code is not a number")
        return int(code), text if isinstance(text, str) else ""

    def _read(self, reader, result: dict):
        try:
            return reader(result)
        except MalformedResponse as exc:
            raise PartnerProtocolError(f"PressWise's answer is not valid: {exc}") from None
        except (ValueError, RecursionError) as exc:
            raise _unreadable(exc) from None

    def _scrub(self, message: str) -> str:
        """Server text may echo what we sent: never let a secret through."""
        for secret in (self.settings.password, self.settings.authorization_code):
            if secret and len(secret) >= 3:
                message = message.replace(secret, "***")
        return message


class ExistingLogin(PartnerError):
    """``create_user`` found the login already there; carries the existing user ID."""

    def __init__(self, user_id: str):
        super().__init__("loginID exists")
        self.user_id = user_id


def read_push_result(result: dict) -> PushResult:
    try:
        order_id = ours.partner_id(result.get("orderID"), "orderID")
        jobs = {}
        for job in as_list(result.get("jobs"), "job"):
            if not isinstance(job, dict):
                raise MalformedResponse("job is not a structure")
            source = job.get("sourceJobID")
            if not isinstance(source, str):
                raise MalformedResponse("job without sourceJobID")
            jobs[source] = ours.partner_id(job.get("jobID"), "jobID")
    except MalformedResponse as exc:
        raise PartnerProtocolError(f"PressWise's answer is not valid: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise _unreadable(exc) from None
    return PushResult(partner_order_id=order_id, job_ids=jobs)


def _unreadable(exc: BaseException) -> PartnerProtocolError:
    """An answer our reading code did not expect to fail on: still the client's error, but logged
    with its traceback, since it points at a check missing in soap.py or ours.py."""
    if isinstance(exc, MalformedResponse):
        return PartnerProtocolError(f"PressWise's answer is not valid: {exc}")
    log.warning("presswise answer could not be read", exc_info=exc)
    return PartnerProtocolError(f"PressWise's answer could not be read ({type(exc).__name__})")


# --- one deadline per call ------------------------------------------------------------------

class _CallInProgress:
    """One call's deadline and how far it got. Lives in ``_calls_by_thread`` while the call runs:
    a call runs in one thread, and urllib3 calls our connection and pool methods in that thread."""

    __slots__ = ("ends_at", "seconds", "request_sent", "cut_off", "watched_fd")

    def __init__(self, started: float, seconds: float):
        self.ends_at = started + seconds
        self.seconds = seconds
        self.request_sent = False  # the whole request is with the OS: from here PressWise may act on it
        self.cut_off = False  # the watchdog shut the call's socket down at the deadline
        self.watched_fd: int | None = None  # the watchdog's own duplicate descriptor of the call's socket

    def remaining(self) -> float:
        return self.ends_at - time.monotonic()

    def out_of_time(self) -> bool:
        return self.cut_off or time.monotonic() >= self.ends_at


_calls_by_thread = threading.local()


def _current_call() -> _CallInProgress | None:
    return getattr(_calls_by_thread, "current", None)


class _DeadlineWatchdog:
    """One thread per process that shuts down the socket of every call still running at its deadline.

    Socket timeouts restart with every byte, so they cannot bound a partner that drips; a
    shutdown wakes whatever the call is blocked in (TLS handshake, send, status line, headers,
    body) at once, with EOF or EPIPE, in any thread. The watchdog shuts down its own duplicate
    descriptor of the call's socket: that one stays valid whoever closes or TLS-wraps the
    original, so a shutdown can never reach a descriptor number the OS has since reused.
    Watching a call costs a dup() and a set insert under a lock, not a thread per call.
    """

    def __init__(self):
        self._start_empty()
        # RQ and gunicorn fork: the child has no watchdog thread, and the lock may have been held.
        os.register_at_fork(after_in_child=self._start_empty)

    def _start_empty(self) -> None:
        self._lock = threading.Lock()
        self._calls_changed = threading.Condition(self._lock)
        self._calls: set[_CallInProgress] = set()
        self._wakes_at = math.inf  # when the thread will look next; watch() wakes it only for an earlier deadline
        self._shortest_limit = math.inf
        self._thread: threading.Thread | None = None

    def watch(self, call: _CallInProgress, sock: socket.socket) -> None:
        """From now until ``forget``, shut ``sock`` down if ``call`` is still running at its deadline."""
        if call.watched_fd is not None:
            return  # one call, one connection: already watched
        fd = os.dup(sock.fileno())  # a bare descriptor: a socket object per call would double the cost
        with self._lock:
            call.watched_fd = fd
            self._calls.add(call)
            self._shortest_limit = min(self._shortest_limit, call.seconds)
            if self._thread is None or not self._thread.is_alive():  # first call, or the thread died
                self._thread = threading.Thread(target=self._run, name="presswise-call-deadlines", daemon=True)
                self._thread.start()
            if call.ends_at < self._wakes_at:  # rare: see _run
                self._calls_changed.notify()

    def forget(self, call: _CallInProgress) -> None:
        """Stop watching ``call`` (idempotent). After this the watchdog never touches its socket."""
        if call.watched_fd is None:
            return
        with self._lock:
            self._calls.discard(call)
            fd, call.watched_fd = call.watched_fd, None
        os.close(fd)

    def _run(self) -> None:
        lock, calls_changed, calls = self._lock, self._calls_changed, self._calls
        with lock:
            while True:
                now = time.monotonic()
                wakes_at = math.inf
                for call in list(calls):
                    if call.ends_at > now:
                        wakes_at = min(wakes_at, call.ends_at)
                        continue
                    calls.discard(call)
                    call.cut_off = True
                    _shut_down(call.watched_fd)
                if not calls:
                    # Look again before any call that starts from now on can reach its deadline (one that
                    # took half its limit to connect excepted), so watch() need not wake this thread:
                    # a wake-up per call would cost a thread switch per call.
                    wakes_at = now + self._shortest_limit / 2
                self._wakes_at = wakes_at
                calls_changed.wait(None if wakes_at == math.inf else wakes_at - now)


def _shut_down(fd: int) -> None:
    """Shut down the socket behind ``fd``, leaving ``fd`` open: its owner (``forget``) closes it."""
    try:
        sock = socket.socket(fileno=fd)
    except OSError:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the peer closed it already
    finally:
        sock.detach()


_watchdog = _DeadlineWatchdog()


class _DeadlineConnection:
    """Mixed into urllib3's connections: puts the socket of each call under the watchdog.

    A new connection is watched from the moment its TCP connect returns (so the TLS handshake
    is covered); a pooled one from the moment a call starts sending on it.
    """

    def _new_conn(self):
        call = _current_call()
        if call is None:
            return super()._new_conn()
        # The connect timeout applies to each address a host resolves to: no attempt may outlast the call.
        remaining = call.remaining()
        if remaining <= 0:
            raise ConnectTimeoutError(self, "the call's deadline passed before connecting")
        if isinstance(self.timeout, (int, float)) and self.timeout > remaining:
            self.timeout = remaining
        sock = super()._new_conn()
        try:
            if call.remaining() <= 0:  # a slow DNS answer, or several addresses tried in turn
                raise ConnectTimeoutError(self, "the call's deadline passed while connecting")
            _watchdog.watch(call, sock)
        except BaseException:
            sock.close()
            raise
        return sock

    def request(self, *args, **kwargs):
        call = _current_call()
        if call is not None and self.sock is not None:
            _watchdog.watch(call, self.sock)  # a kept-alive connection, reused for this call
        super().request(*args, **kwargs)
        if call is not None:
            call.request_sent = True


class _DeadlinePool:
    """Mixed into urllib3's pools: a call stops being watched before its connection is pooled again,
    and a connection the watchdog shut down is closed, never handed to the next call."""

    def _put_conn(self, conn) -> None:
        call = _current_call()
        if call is not None:
            _watchdog.forget(call)  # from here another thread may take this connection for its own call
            if call.cut_off and conn is not None:
                conn.close()
        super()._put_conn(conn)


# --- the address check on every connection ------------------------------------------------

class _AddressCheckedConnection:
    """Mixed into urllib3's connections: asks ``address_guard`` about the peer of each new socket.

    ``_new_conn`` returns the connected TCP socket; both ``HTTPConnection.connect`` and
    ``HTTPSConnection.connect`` (urllib3 2.x) call it before sending a byte or starting TLS,
    so TLS (SNI, certificate checks) is untouched.
    """

    address_guard: AddressGuard

    def _new_conn(self):
        sock = super()._new_conn()
        try:
            self.address_guard(self.host, sock.getpeername()[0])
        except AddressRefused as refused:
            sock.close()
            raise PartnerAddressRefused(str(refused)) from None
        except BaseException:
            sock.close()
            raise
        return sock


def _pool_classes(name: str, connection_mixins: tuple[type, ...], attributes: dict) -> dict[str, type]:
    http = type(f"{name}HTTPConnection", (*connection_mixins, HTTPConnection), attributes)
    https = type(f"{name}HTTPSConnection", (*connection_mixins, HTTPSConnection), attributes)
    return {
        "http": type(f"{name}HTTPConnectionPool", (_DeadlinePool, HTTPConnectionPool), {"ConnectionCls": http}),
        "https": type(f"{name}HTTPSConnectionPool", (_DeadlinePool, HTTPSConnectionPool), {"ConnectionCls": https}),
    }


_UNGUARDED_POOL_CLASSES = _pool_classes("PressWise", (_DeadlineConnection,), {})


def pool_classes(address_guard: AddressGuard | None = None) -> dict[str, type]:
    """urllib3 pool classes whose connections keep each call's deadline and, with a guard, are
    checked by ``address_guard`` (before the deadline watch: a refused socket is never watched)."""
    if address_guard is None:
        return _UNGUARDED_POOL_CLASSES
    return _pool_classes("Guarded", (_DeadlineConnection, _AddressCheckedConnection),
                         {"address_guard": staticmethod(address_guard)})


class PressWiseAdapter(HTTPAdapter):
    """A requests adapter whose connections keep each call's deadline and go through ``address_guard``."""

    def __init__(self, address_guard: AddressGuard | None = None, **options):
        self._pool_classes = pool_classes(address_guard)
        super().__init__(**options)  # builds the pool manager, through init_poolmanager below

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pool_classes


def _never_connected(exc: requests.ConnectionError) -> bool:
    """True when the failure happened while connecting (refused, no route, DNS): nothing was sent."""
    return _cause_of_type(exc, NewConnectionError) is not None


def _cause_of_type(exc: BaseException, types) -> BaseException | None:
    """The first exception of ``types`` among ``exc`` and what it wraps (urllib3 nests them deeply)."""
    seen = set()
    pending = [exc]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue  # ``reason`` is a plain string on ssl errors
        seen.add(id(current))
        if isinstance(current, types):
            return current
        pending += [getattr(current, "reason", None), current.__cause__, current.__context__]
        pending += [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
    return None


def _reason(exc: BaseException) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Connection reset", "Remote end closed", "Name or service not known",
                   "timed out", "IncompleteRead", "Connection aborted", "Connection broken"):
        if marker.lower() in text.lower():
            return marker
    return type(exc).__name__
