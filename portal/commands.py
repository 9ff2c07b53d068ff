"""``flask`` CLI commands: demo data, the worker, the cron process, sync runs, and secret key rotation."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

secrets_cli = AppGroup("secrets", help="Secrets stored encrypted in the database.")


@secrets_cli.command("rotate")
def rotate_secrets_command() -> None:
    """Re-encrypt every stored secret with the first key of PORTAL_ENCRYPTION_KEYS."""
    from portal.accounts.secrets import rotate_all_secrets

    count = rotate_all_secrets()
    click.echo(f"Re-encrypted the secrets of {count} account(s) with the newest key.")
    click.echo("Older keys can be removed from PORTAL_ENCRYPTION_KEYS once every process runs with this list.")


def register(app: Flask) -> None:
    from portal.cron import cron_command
    from portal.demo import demo_cli
    from portal.sync_cli import sync_cli
    from portal.worker import worker_command

    app.cli.add_command(demo_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(cron_command)
    app.cli.add_command(secrets_cli)
    app.cli.add_command(sync_cli)
