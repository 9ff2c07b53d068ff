"""Embedded Services objects for cross-tenant tests; grows with the Embedded Services models."""

from __future__ import annotations


def authorize(subscriber) -> None:
    """Give a subscriber Embedded Services access, where the model knows about it."""


def tenant_objects(other_tenant: dict) -> dict:
    """Embedded Services objects of another tenant, keyed by the URL argument that names them."""
    return {}
