"""Work that crosses the domain, the models and the partners.

The client for an account, Test connection, and the order push live here, so views
and RQ jobs call the same code. This package imports no blueprint: dependencies point
one way, from ``portal.<area>.views`` and ``jobs`` into here, and from here into
``portal.domain``, ``portal.models`` and ``portal.partners``.
"""
