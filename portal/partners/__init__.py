"""MIS partners. ``client_for`` returns the client of a partner by its key."""

from __future__ import annotations

from portal.partners.base import AccountSettings, Partner, Timeouts

PARTNER_NAMES = {"presswise": "PressWise"}


def client_for(partner: str, settings: AccountSettings, timeouts: Timeouts | None = None) -> Partner:
    if partner == "presswise":
        from portal.partners.presswise import PressWiseClient

        return PressWiseClient(settings, timeouts or Timeouts())
    raise ValueError(f"unknown partner {partner!r}")
