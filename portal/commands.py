"""``flask`` CLI commands: demo data, the worker, and development helpers."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from portal.demo import demo_cli
    from portal.worker import worker_command

    app.cli.add_command(demo_cli)
    app.cli.add_command(worker_command)
