"""Which partner URLs the portal may call: http(s), a real host, and not our own network.

The portal calls these URLs from the server with an account's credentials, so a URL
is an outbound request we make on a subscriber's say-so. In production plain http is
refused (the credentials travel in the request) and so is any host that resolves to
a loopback, private, link-local or otherwise reserved address, unless the operator
names the host in the allow-list. No Flask here: views and tests call it directly.

Checking the URL is not enough on its own: a host's DNS answer can change between the
check and the call (DNS rebinding: a public address when the URL is saved, 127.0.0.1 a
second later). ``PartnerUrlRules.guard()`` gives the partner client a check of the address
each connection actually reached, made before anything is sent on it.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Callable, Iterable
from urllib.parse import urlsplit

from portal.domain.partner_calls import AddressRefused

MAX_URL_LENGTH = 500

Resolver = Callable[..., list]


class PartnerUrlError(ValueError):
    """A URL the portal will not call; the message is written for the person who typed it."""


@dataclass(frozen=True)
class PartnerUrlRules:
    require_https: bool
    allowed_hosts: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config) -> "PartnerUrlRules":
        return cls(
            require_https=bool(config.get("PARTNER_URL_REQUIRE_HTTPS")),
            allowed_hosts=tuple(config.get("PARTNER_URL_ALLOWED_HOSTS") or ()),
        )

    def allows_host(self, host: str) -> bool:
        return _normalize_host(host) in {_normalize_host(h) for h in self.allowed_hosts}

    def guard(self) -> "ConnectionAddressGuard":
        """The check the partner client makes on every new connection (see ``ConnectionAddressGuard``)."""
        return ConnectionAddressGuard(frozenset(_normalize_host(h) for h in self.allowed_hosts))


@dataclass(frozen=True)
class ConnectionAddressGuard:
    """Refuses a connection to an internal address unless the URL's host is in the allow-list.

    Called by the partner client with the URL's host and the IP the socket is connected to,
    before any byte is sent. Frozen and hashable: equal rules give an equal guard, so clients
    cached per guard are reused, and a changed allow-list gets a new client.
    """

    allowed_hosts: frozenset[str]

    def __call__(self, host: str, ip: str) -> None:
        if _normalize_host(host) in self.allowed_hosts:
            return
        address = _ip_literal(ip.split("%", 1)[0])
        if address is None or _is_internal(address):
            raise AddressRefused(
                f"The portal will not connect to {ip} for {host}: it is an internal address, "
                "and the portal only calls public hosts."
            )


def _normalize_host(host: str) -> str:
    return host.strip().rstrip(".").lower().strip("[]")


def validate_partner_url(url: str, rules: PartnerUrlRules, resolve: Resolver | None = None) -> str:
    """Return the URL (trimmed) if the portal may call it, else raise ``PartnerUrlError``."""
    resolve = resolve or socket.getaddrinfo  # looked up when called: the resolver the client uses too
    url = (url or "").strip()
    if not url:
        raise PartnerUrlError("Enter the PressWise URL.")
    if len(url) > MAX_URL_LENGTH:
        raise PartnerUrlError(f"The URL must be at most {MAX_URL_LENGTH} characters.")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise PartnerUrlError("The URL must not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        raise PartnerUrlError("This is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise PartnerUrlError("The URL must start with https:// (or http://).")
    if parts.username is not None or parts.password is not None:
        raise PartnerUrlError("Put the username and password in their own fields, not in the URL.")
    host = parts.hostname or ""
    if not host:
        raise PartnerUrlError("The URL must name a host, e.g. https://mis.example.com/wsdl.")
    if rules.require_https and scheme != "https":
        raise PartnerUrlError("The URL must use https:// so the credentials are encrypted on the way.")
    if not rules.allows_host(host):
        _refuse_internal_addresses(host, port or (443 if scheme == "https" else 80), resolve)
    return url


def _refuse_internal_addresses(host: str, port: int, resolve: Resolver) -> None:
    for address in _addresses_of(host, port, resolve):
        if _is_internal(address):
            raise PartnerUrlError(
                f"The host {host} points to an internal address ({address}); the portal only calls public hosts."
            )


def _addresses_of(host: str, port: int, resolve: Resolver) -> Iterable[ipaddress._BaseAddress]:
    literal = _ip_literal(host)
    if literal is not None:
        return [literal]
    try:
        infos = resolve(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise PartnerUrlError(f"The host {host} cannot be found (DNS lookup failed).") from None
    addresses = []
    for info in infos:
        candidate = _ip_literal(str(info[4][0]).split("%", 1)[0])
        if candidate is not None:
            addresses.append(candidate)
    if not addresses:
        raise PartnerUrlError(f"The host {host} cannot be found (DNS lookup failed).")
    return addresses


def _ip_literal(text: str):
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _is_internal(address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    )
