"""One deadline per PressWise call (connect + read timeout), held against a hostile server.

Per-recv timeouts do not bound a server that sends one byte at a time: each byte restarts
them. These tests run real calls against a raw-socket server on 127.0.0.1 that drips,
stalls and floods, and assert on real elapsed time that every call ends by its deadline,
with the error class the client's docstring promises.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from typing import Callable, Iterable

import pytest

from portal.partners.base import (
    AccountSettings,
    PartnerError,
    PartnerProtocolError,
    PartnerTransientError,
    PartnerUnknownOutcome,
    Timeouts,
)
from portal.partners.presswise import PressWiseClient

TIMEOUTS = Timeouts(connect=0.5, read=1.0)
DEADLINE = TIMEOUTS.deadline
# Room for a loaded 2-core CI machine; a drip without the deadline would take minutes.
MARGIN = 1.0
PAST_DEADLINE_MESSAGE = f"did not finish answering within {DEADLINE:g} s"

DRIP_INTERVAL = 0.05  # far below the read timeout: no single wait ever times out
POLL = 0.05  # how often the server's threads look whether the test has ended
SERVER_GIVES_UP = 10.0  # a client that ignores its deadline fails the test instead of hanging it

FIND_ORDERS_ANSWER = (
    b'<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>'
    b"<find_ordersResponse><result><status><code>0</code><text>OK</text></status><orders/></result>"
    b"</find_ordersResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>"
)
OK_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\n"

# A behaviour answers one request on a connection; it returns True to keep the connection
# open for the next request (keep-alive), False to close it.
Behaviour = Callable[[socket.socket, "HostileServer"], bool]


class HostileServer:
    """A raw-socket HTTP server on 127.0.0.1, one thread per connection.

    Each request gets the behaviour registered for the order number it asks ``find_orders``
    about (``<sourceOrderID>…</sourceOrderID>``), else ``default``. A behaviour marked
    ``reads_request = False`` runs as soon as the connection is accepted, reading nothing.
    ``close()`` stops every thread; the ``hostile_server`` fixture calls it.
    """

    def __init__(self, default: Behaviour, by_order_number: dict[str, Behaviour] | None = None):
        self.default = default
        self.by_order_number = by_order_number or {}
        self.stopping = threading.Event()
        self.connections_accepted = 0
        self.requests_received = 0
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(POLL)
        port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/r/wsdl-order2.php"
        self.https_url = f"https://127.0.0.1:{port}/r/wsdl-order2.php"
        self._spawn(self._accept)

    def close(self) -> None:
        self.stopping.set()
        for thread in self._threads:
            thread.join(5)
        still_running = [thread for thread in self._threads if thread.is_alive()]
        assert not still_running, f"hostile server threads did not end: {still_running}"

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, name="hostile-server", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        with self._listener:
            while not self.stopping.is_set():
                try:
                    conn, _ = self._listener.accept()
                except TimeoutError:
                    continue
                self.connections_accepted += 1
                self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(POLL)
            try:
                if not getattr(self.default, "reads_request", True):
                    self.default(conn, self)
                    return
                while not self.stopping.is_set():
                    request = self._read_request(conn)
                    if request is None:
                        return
                    self.requests_received += 1
                    if not self._behaviour_for(request)(conn, self):
                        return
            except OSError:
                pass  # the client hung up or shut its socket down: how most of these end

    def _behaviour_for(self, request: bytes) -> Behaviour:
        found = re.search(rb"<sourceOrderID>([^<]*)</sourceOrderID>", request)
        key = found.group(1).decode() if found else None
        return self.by_order_number.get(key, self.default)

    def _read_request(self, conn: socket.socket) -> bytes | None:
        """The whole request (head and Content-Length body), or None when the client closed."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.receive(conn)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        declared = re.search(rb"(?i)\r\ncontent-length: *([0-9]+)", head)
        missing = int(declared.group(1)) - len(body) if declared else 0
        while missing > 0:
            chunk = self.receive(conn)
            if not chunk:
                return None
            data += chunk
            missing -= len(chunk)
        return data

    def receive(self, conn: socket.socket) -> bytes:
        gives_up_at = time.monotonic() + SERVER_GIVES_UP
        while not self.stopping.is_set() and time.monotonic() < gives_up_at:
            try:
                return conn.recv(65536)
            except TimeoutError:
                continue
        return b""

    def wait(self, seconds: float = SERVER_GIVES_UP) -> None:
        """Do nothing until the test ends (or the server gives up)."""
        self.stopping.wait(seconds)


# --- behaviours ------------------------------------------------------------------------

def one_byte_at_a_time(data: bytes) -> Iterable[bytes]:
    return (data[i:i + 1] for i in range(len(data)))


def send_slowly(conn: socket.socket, server: HostileServer, pieces: Iterable[bytes],
                for_seconds: float = SERVER_GIVES_UP) -> None:
    """One piece every DRIP_INTERVAL, until the pieces run out, ``for_seconds`` pass or the test ends."""
    stop_at = time.monotonic() + for_seconds
    for piece in pieces:
        conn.sendall(piece)
        if server.stopping.wait(DRIP_INTERVAL) or time.monotonic() >= stop_at:
            return


def drip(head: bytes = b"", dripped: bytes = b"", *, then_stall_after: float | None = None) -> Behaviour:
    """Send ``head`` at once, then ``dripped`` one byte at a time (optionally stalling after a while)."""

    def behaviour(conn, server):
        conn.sendall(head)
        if then_stall_after is None:
            send_slowly(conn, server, one_byte_at_a_time(dripped))
        else:
            send_slowly(conn, server, one_byte_at_a_time(dripped), for_seconds=then_stall_after)
            server.wait()
        return False

    return behaviour


def stall_after(sent: bytes) -> Behaviour:
    def behaviour(conn, server):
        conn.sendall(sent)
        server.wait()
        return False

    return behaviour


def never_read_the_request(conn, server):
    server.wait()
    return False


never_read_the_request.reads_request = False


def flood(head: bytes, piece: bytes) -> Behaviour:
    """``head``, then ``piece`` over and over as fast as the client takes it."""

    def behaviour(conn, server):
        conn.sendall(head)
        stop_at = time.monotonic() + SERVER_GIVES_UP
        while not server.stopping.is_set() and time.monotonic() < stop_at:
            try:
                conn.sendall(piece)
            except TimeoutError:
                continue  # the client stopped reading but has not hung up yet
        return False

    return behaviour


def answer_normally(conn, server):
    conn.sendall(OK_HEAD + b"Content-Length: %d\r\n\r\n" % len(FIND_ORDERS_ANSWER) + FIND_ORDERS_ANSWER)
    return True


def drip_a_tls_handshake(conn, server):
    """A TLS record header announcing a 16 KiB handshake message, then its bytes one at a time."""
    conn.sendall(b"\x16\x03\x03\x40\x00")
    send_slowly(conn, server, one_byte_at_a_time(b"\x02" * 16384))
    return False


drip_a_tls_handshake.reads_request = False

ENDLESS = 1_000_000  # bytes to drip: far more than any deadline lets through


@pytest.fixture
def hostile_server():
    servers: list[HostileServer] = []

    def start(default: Behaviour, by_order_number: dict[str, Behaviour] | None = None) -> HostileServer:
        server = HostileServer(default, by_order_number)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def client_for(url: str, timeouts: Timeouts = TIMEOUTS) -> PressWiseClient:
    return PressWiseClient(AccountSettings(url, "demo", "demo-secret", "DEMO-AUTH"), timeouts)


def timed(call) -> tuple[float, BaseException | None]:
    started = time.monotonic()
    try:
        call()
    except PartnerError as error:
        return time.monotonic() - started, error
    return time.monotonic() - started, None


def test_the_deadline_is_connect_plus_read():
    assert Timeouts(connect=5, read=30).deadline == 35
    assert DEADLINE == 1.5


# --- drips: only the deadline can end them ----------------------------------------------

@pytest.mark.parametrize(
    "behaviour",
    [
        pytest.param(drip(dripped=OK_HEAD + b"X-Padding: " + b"a" * ENDLESS), id="status-line-and-headers"),
        pytest.param(drip(OK_HEAD + b"Content-Length: 100000\r\n\r\n", FIND_ORDERS_ANSWER + b" " * ENDLESS),
                     id="body-with-large-content-length"),
        pytest.param(drip(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n", b"1\r\n \r\n" * ENDLESS),
                     id="chunked-body"),
        pytest.param(drip(OK_HEAD + b"Connection: close\r\n\r\n", FIND_ORDERS_ANSWER + b" " * ENDLESS),
                     id="body-until-close"),
        # 0.8 s of drip, then silence: the read timeout (1 s) alone would end it only at 1.8 s.
        pytest.param(drip(dripped=OK_HEAD + b"X-Padding: " + b"a" * ENDLESS, then_stall_after=0.8),
                     id="headers-then-a-stall"),
    ],
)
def test_a_drip_ends_at_the_deadline_and_may_have_been_stored(hostile_server, behaviour):
    server = hostile_server(behaviour)

    elapsed, error = timed(lambda: client_for(server.url).find_orders("1"))

    assert type(error) is PartnerUnknownOutcome, error
    assert PAST_DEADLINE_MESSAGE in str(error) and "may have been stored" in str(error)
    assert DEADLINE <= elapsed < DEADLINE + MARGIN, f"took {elapsed:.2f}s with a {DEADLINE}s deadline"


# --- stalls: the read timeout or the deadline, whichever comes first -------------------

@pytest.mark.parametrize(
    "behaviour",
    [
        pytest.param(stall_after(b""), id="before-the-status-line"),
        pytest.param(stall_after(OK_HEAD + b"Content-Len"), id="after-partial-headers"),
        pytest.param(stall_after(OK_HEAD + b"Content-Length: 1000\r\n\r\n"), id="after-headers"),
        pytest.param(stall_after(OK_HEAD + b"Content-Length: 1000\r\n\r\n" + FIND_ORDERS_ANSWER[:100]),
                     id="after-partial-body"),
        pytest.param(never_read_the_request, id="without-reading-the-request"),
    ],
)
def test_a_stall_after_the_request_went_out_is_an_unknown_outcome_in_time(hostile_server, behaviour):
    server = hostile_server(behaviour)

    elapsed, error = timed(lambda: client_for(server.url).find_orders("1"))

    assert type(error) is PartnerUnknownOutcome, error
    assert "may have been stored" in str(error)
    assert elapsed < DEADLINE + MARGIN, f"took {elapsed:.2f}s with a {DEADLINE}s deadline"


def test_a_request_the_server_never_reads_whole_was_not_stored(hostile_server):
    """Larger than every socket buffer on the way: sending cannot finish, so nothing can have been stored."""
    server = hostile_server(never_read_the_request)
    envelope = b"<x>" + b" " * (64 * 1024 * 1024) + b"</x>"

    elapsed, error = timed(lambda: client_for(server.url).send("find_orders", envelope))

    assert type(error) is PartnerTransientError, error
    assert elapsed < DEADLINE + MARGIN, f"took {elapsed:.2f}s with a {DEADLINE}s deadline"


def test_a_dripped_tls_handshake_ends_in_time_and_nothing_was_sent(hostile_server):
    server = hostile_server(drip_a_tls_handshake)

    elapsed, error = timed(lambda: client_for(server.https_url).find_orders("1"))

    assert type(error) is PartnerTransientError, error
    assert elapsed < DEADLINE + MARGIN, f"took {elapsed:.2f}s with a {DEADLINE}s deadline"


# --- floods: the 5 MiB cap ends them long before the deadline ---------------------------

@pytest.mark.parametrize(
    "behaviour",
    [
        pytest.param(flood(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n", b"10000\r\n" + b" " * 0x10000 + b"\r\n"),
                     id="endless-chunked"),
        pytest.param(flood(OK_HEAD + b"Content-Length: 10737418240\r\n\r\n", b" " * 0x10000),
                     id="10-GiB-content-length"),
        pytest.param(flood(OK_HEAD + b"Connection: close\r\n\r\n", b" " * 0x10000), id="endless-until-close"),
        pytest.param(flood(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\nfffffffffff\r\n", b" " * 0x10000),
                     id="one-endless-chunk"),
    ],
)
def test_a_flood_is_cut_off_at_the_size_cap(hostile_server, behaviour):
    server = hostile_server(behaviour)

    elapsed, error = timed(lambda: client_for(server.url).find_orders("1"))

    assert type(error) is PartnerProtocolError, error
    assert "larger than 5242880 bytes" in str(error)
    assert elapsed < DEADLINE + MARGIN, f"took {elapsed:.2f}s with a {DEADLINE}s deadline"


# --- the client after a deadline -------------------------------------------------------

def test_a_connection_cut_at_the_deadline_is_not_reused_and_the_client_keeps_working(hostile_server):
    server = hostile_server(answer_normally, {
        "drip": drip(OK_HEAD + b"Content-Length: 100000\r\n\r\n", b" " * ENDLESS),
    })
    client = client_for(server.url)

    assert client.find_orders("1") == []
    elapsed, error = timed(lambda: client.find_orders("drip"))  # on the kept-alive connection of the first call
    assert type(error) is PartnerUnknownOutcome and elapsed < DEADLINE + MARGIN
    assert client.find_orders("1") == []
    assert client.find_orders("1") == []

    assert server.requests_received == 4
    assert server.connections_accepted == 2, "the cut connection was dropped; the next one was kept alive"


def test_calls_sharing_one_client_each_keep_their_own_deadline(hostile_server):
    server = hostile_server(answer_normally, {
        "drip": drip(OK_HEAD + b"Content-Length: 100000\r\n\r\n", b" " * ENDLESS),
    })
    client = client_for(server.url)
    dripped: dict[float, tuple[float, BaseException | None]] = {}
    normal_failures: list[BaseException] = []
    normal_answers = 0
    drips_running = threading.Event()
    drips_running.set()

    def dripped_call(delay: float) -> None:
        time.sleep(delay)
        dripped[delay] = timed(lambda: client.find_orders("drip"))

    def normal_calls() -> None:
        nonlocal normal_answers
        while drips_running.is_set():
            try:
                client.find_orders("1")
                normal_answers += 1
            except PartnerError as error:
                normal_failures.append(error)
            time.sleep(0.02)

    delays = (0.0, 0.4, 0.8)
    threads = [threading.Thread(target=dripped_call, args=(delay,)) for delay in delays]
    threads += [threading.Thread(target=normal_calls) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads[:len(delays)]:
        thread.join(SERVER_GIVES_UP + 5)
    drips_running.clear()
    for thread in threads:
        thread.join(5)

    for delay in delays:
        elapsed, error = dripped[delay]
        assert type(error) is PartnerUnknownOutcome, (delay, error)
        assert DEADLINE <= elapsed < DEADLINE + MARGIN, f"call started at +{delay}s took {elapsed:.2f}s"
    assert normal_failures == [] and normal_answers > 10


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_no_descriptor_is_left_behind(hostile_server):
    """The watchdog keeps its own duplicate of each call's socket; each must be closed with its call."""
    server = hostile_server(answer_normally, {
        "drip": drip(OK_HEAD + b"Content-Length: 100000\r\n\r\n", b" " * ENDLESS),
    })
    before = open_descriptors()
    client = client_for(server.url)
    for _ in range(20):
        client.find_orders("1")
    with pytest.raises(PartnerUnknownOutcome):
        client.find_orders("drip")
    client.find_orders("1")
    client.close()

    settled_by = time.monotonic() + 3  # the server's side closes once it sees the client hang up
    while open_descriptors() > before and time.monotonic() < settled_by:
        time.sleep(POLL)
    assert open_descriptors() == before


def test_the_deadline_holds_in_a_forked_child(hostile_server):
    """RQ forks a process per job: the child has no watchdog thread until it watches its first call."""
    server = hostile_server(drip(OK_HEAD + b"Content-Length: 100000\r\n\r\n", b" " * ENDLESS))
    with pytest.raises(PartnerUnknownOutcome):
        client_for(server.url).find_orders("1")  # the parent's watchdog thread is running now

    pid = os.fork()
    if pid == 0:  # the child: report through the exit status only, never return into pytest
        code = 1
        try:
            elapsed, error = timed(lambda: client_for(server.url).find_orders("1"))
            code = 0 if type(error) is PartnerUnknownOutcome and elapsed < DEADLINE + MARGIN else 2
        finally:
            os._exit(code)
    gives_up_at = time.monotonic() + SERVER_GIVES_UP
    while time.monotonic() < gives_up_at:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(POLL)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the call in the forked child outlived its deadline")
    assert os.waitstatus_to_exitcode(status) == 0
