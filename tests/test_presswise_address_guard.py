"""The client checks the address each connection actually reached, before it sends anything.

Checking the URL when it is saved is not enough: a host's DNS answer can change between the
check and the call (DNS rebinding), so the client asks its ``address_guard`` about the IP the
socket is connected to, for every connection, plain http and https alike.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from portal.domain.partner_urls import PartnerUrlRules
from portal.partners import client_for
from portal.partners.base import AccountSettings, PartnerAddressRefused, PartnerError, PartnerTransientError
from portal.partners.presswise import PressWiseClient
from tests.fixtures.presswise import FAST_TIMEOUTS, sample_order

NOTHING_ALLOWED = PartnerUrlRules(require_https=False, allowed_hosts=())
LOOPBACK_ALLOWED = PartnerUrlRules(require_https=False, allowed_hosts=("127.0.0.1",))

FIND_ORDERS_ANSWER = (
    b'<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>'
    b"<find_ordersResponse><result><status><code>0</code><text>OK</text></status><orders/></result>"
    b"</find_ordersResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>"
)


def test_a_refused_address_stops_the_call_before_the_partner_receives_anything(presswise):
    client = PressWiseClient(presswise.account, FAST_TIMEOUTS, address_guard=NOTHING_ALLOWED.guard())

    with pytest.raises(PartnerAddressRefused, match="will not connect to 127.0.0.1 for 127.0.0.1"):
        client.test_connection()
    with pytest.raises(PartnerAddressRefused):
        client.push_order(sample_order(), customer_id="42")

    assert presswise.calls() == []
    assert presswise.orders() == []


def test_the_same_url_is_called_when_its_host_is_allowed(presswise):
    client = PressWiseClient(presswise.account, FAST_TIMEOUTS, address_guard=LOOPBACK_ALLOWED.guard())

    client.test_connection()
    client.push_order(sample_order(), customer_id="42")

    assert [c["operation"] for c in presswise.calls()] == ["find_orders", "add_purchase_order"]


def test_every_new_connection_is_checked_with_the_url_host_and_the_connected_ip(presswise):
    seen = []
    client = PressWiseClient(presswise.account, FAST_TIMEOUTS, address_guard=lambda host, ip: seen.append((host, ip)))

    client.test_connection()
    presswise.inject_fault("close")  # the emulator drops this connection: the next call opens a new one
    with pytest.raises(PartnerError):
        client.find_orders("1")
    client.find_orders("1")

    assert seen == [("127.0.0.1", "127.0.0.1")] * 2


def test_client_for_gives_each_guard_its_own_client(presswise):
    allowed = client_for("presswise", presswise.account, FAST_TIMEOUTS, address_guard=LOOPBACK_ALLOWED.guard())
    same_rules = client_for("presswise", presswise.account, FAST_TIMEOUTS,
                            address_guard=PartnerUrlRules(require_https=True, allowed_hosts=("127.0.0.1",)).guard())
    refused = client_for("presswise", presswise.account, FAST_TIMEOUTS, address_guard=NOTHING_ALLOWED.guard())

    assert same_rules is allowed, "equal allow-lists share one client and its connections"
    assert refused is not allowed
    allowed.test_connection()
    with pytest.raises(PartnerAddressRefused):
        refused.test_connection()  # a host removed from the allow-list is not reached through a cached client


# --- https -------------------------------------------------------------------------------

class RecordingListener:
    """A TCP port that records every byte any connection sends to it, and answers nothing."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self.received = b""
        self.connection_ended = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(5)
                try:
                    while chunk := conn.recv(4096):
                        self.received += chunk
                except OSError:
                    pass
            self.connection_ended.set()

    def close(self):
        try:
            self.socket.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        except OSError:
            pass
        self.socket.close()
        self.thread.join(5)


def test_https_is_refused_before_the_tls_handshake():
    listener = RecordingListener()
    account = AccountSettings(url=f"https://localhost:{listener.port}/r/wsdl-order2.php", username="demo",
                              password="demo-secret", authorization_code="DEMO-AUTH")
    try:
        client = PressWiseClient(account, FAST_TIMEOUTS, address_guard=NOTHING_ALLOWED.guard())
        with pytest.raises(PartnerAddressRefused, match="for localhost"):
            client.test_connection()
        assert listener.connection_ended.wait(5), "the client connected, then hung up"
    finally:
        listener.close()
    assert listener.connections == 1
    assert listener.received == b"", "not even a TLS ClientHello went out"


def _certificates(tmp_path):
    """A throwaway CA and a certificate for ``localhost`` signed by it."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_path, cert_path, key_path = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return ca_path, cert_path, key_path


@pytest.fixture
def tls_partner(tmp_path):
    """An https server on 127.0.0.1 with a certificate for ``localhost``; records SNI names and requests."""
    ca_path, cert_path, key_path = _certificates(tmp_path)
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(FIND_ORDERS_ANSWER)))
            self.end_headers()
            self.wfile.write(FIND_ORDERS_ANSWER)

        def log_message(self, *args):
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server_names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    account = AccountSettings(url=f"https://localhost:{server.server_address[1]}/r/wsdl-order2.php",
                              username="demo", password="demo-secret", authorization_code="DEMO-AUTH")
    yield account, str(ca_path), server_names, received
    server.shutdown()
    server.server_close()


def test_https_through_the_guard_still_sends_sni_and_verifies_the_certificate(tls_partner):
    account, ca_path, server_names, received = tls_partner
    guard = PartnerUrlRules(require_https=True, allowed_hosts=("localhost",)).guard()

    untrusted = PressWiseClient(account, FAST_TIMEOUTS, address_guard=guard)
    with pytest.raises(PartnerTransientError, match="TLS certificate was not accepted"):
        untrusted.test_connection()  # the test CA is not in the default bundle: verification is still on
    assert received == []

    trusted = PressWiseClient(account, FAST_TIMEOUTS, address_guard=guard)
    trusted._session.verify = ca_path  # trust the test CA, as a real CA would be trusted
    trusted.test_connection()

    assert len(received) == 1 and b"<sourceOrderID>portal-connection-test</sourceOrderID>" in received[0]
    assert server_names and set(server_names) == {"localhost"}


def test_a_certificate_for_another_name_is_refused_before_sending(tls_partner):
    account, ca_path, server_names, received = tls_partner
    by_ip = replace(account, url=account.url.replace("//localhost:", "//127.0.0.1:"))
    client = PressWiseClient(by_ip, FAST_TIMEOUTS, address_guard=LOOPBACK_ALLOWED.guard())
    client._session.verify = ca_path

    with pytest.raises(PartnerTransientError, match="not accepted .*127.0.0.1"):
        client.test_connection()
    assert received == []
