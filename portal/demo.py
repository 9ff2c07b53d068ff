"""Demo data: ``flask demo seed``."""

from __future__ import annotations

from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Demo data for trying the portal.")
