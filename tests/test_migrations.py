"""The migrations build the schema from empty, match the models, and come back down.

Runs on a fresh SQLite file, and on a throwaway PostgreSQL database when 127.0.0.1:5432
(or the server TEST_DATABASE_URL names) answers; the PostgreSQL case skips with the
reason otherwise.
"""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db
from portal.models import schema_filter_for
from portal.settings import _engine_options

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _postgres_server_url() -> str:
    """A URL to the ``postgres`` database of the server the suite uses (or the local default)."""
    configured = os.environ.get("TEST_DATABASE_URL", "")
    if configured.startswith(("postgres://", "postgresql")):
        url = make_url(configured.replace("postgres://", "postgresql://", 1))
        return url.set(drivername="postgresql+psycopg", database="postgres").render_as_string(hide_password=False)
    return DEFAULT_POSTGRES


def _psycopg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def throwaway_postgres_database():
    """Create a randomly named database, yield its URL, drop it afterwards (also on failure)."""
    import psycopg

    server = _postgres_server_url()
    try:
        admin = psycopg.connect(_psycopg_dsn(server), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL not reachable at {make_url(server).host}:{make_url(server).port}: "
                    f"{str(error).strip().splitlines()[0]}")
    name = f"portal_migrations_{secrets.token_hex(4)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(server).set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def sqlite_database(tmp_path):
    yield f"sqlite:///{tmp_path / 'migrations.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, test_environment, tmp_path):
    """The URL of a database with no tables at all."""
    factory = sqlite_database(tmp_path) if request.param == "sqlite" else throwaway_postgres_database()
    with factory as url:
        yield url


def _app_for(url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(url)})


def _head_revisions(app) -> set[str]:
    config = app.extensions["migrate"].migrate.get_config(app.extensions["migrate"].directory)
    return set(ScriptDirectory.from_config(config).get_heads())


def _schema_differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "render_as_batch": True,
            "include_object": schema_filter_for(connection.dialect.name),  # as migrations/env.py
        })
        return compare_metadata(context, db.metadata)


def test_migrations_build_the_whole_schema_from_empty_and_match_the_models(empty_database):
    app = _app_for(empty_database)
    with app.app_context():
        try:
            assert inspect(db.engine).get_table_names() == []

            upgrade()

            with db.engine.connect() as connection:
                current = set(MigrationContext.configure(connection).get_current_heads())
            assert current == _head_revisions(app)
            tables = set(inspect(db.engine).get_table_names())
            assert {table.name for table in db.metadata.sorted_tables} <= tables
            # What `flask db check` does: nothing left for autogenerate to write.
            assert _schema_differences() == []
        finally:
            db.session.remove()
            db.engine.dispose()


def test_migrations_downgrade_to_base_and_up_again(empty_database):
    app = _app_for(empty_database)
    with app.app_context():
        try:
            upgrade()
            downgrade(revision="base")

            leftover = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
            assert leftover == set()

            upgrade()
            assert _schema_differences() == []
        finally:
            db.session.remove()
            db.engine.dispose()


def test_0003_gives_each_existing_admin_a_session_token_of_their_own(empty_database):
    """Admins that exist before 0003 get distinct tokens (a shared one would let one sign-out end all)."""
    from sqlalchemy import text

    app = _app_for(empty_database)
    with app.app_context():
        try:
            upgrade(revision="0002")
            with db.engine.begin() as connection:
                connection.execute(text(
                    "INSERT INTO admin_user (email, name, password_hash, is_staff, active, created_at)"
                    " VALUES (:email, 'Staff', 'x', :yes, :yes, CURRENT_TIMESTAMP)"
                ), [{"email": f"staff{n}@example.com", "yes": True} for n in range(3)])

            upgrade(revision="0003")

            with db.engine.connect() as connection:
                tokens = connection.execute(text("SELECT session_token FROM admin_user")).scalars().all()
            assert len(tokens) == 3 and len(set(tokens)) == 3
            assert all(token and len(token) >= 40 for token in tokens), tokens

            downgrade(revision="0002")
            with db.engine.connect() as connection:
                assert connection.execute(text("SELECT count(*) FROM admin_user")).scalar() == 3
                assert "session_token" not in {c["name"] for c in inspect(connection).get_columns("admin_user")}
        finally:
            db.session.remove()
            db.engine.dispose()


def test_0006_marks_held_back_the_orders_a_rule_holds(empty_database):
    """Orders that exist before 0006 get ``held_back`` from the SQL form of the rules, agreeing with the domain's."""
    from sqlalchemy import text

    from tests import factories

    app = _app_for(empty_database)
    with app.app_context():
        try:
            upgrade()
            site = factories.site(factories.subscriber(name="Acme Print"))
            specs = [dict(paid=True), dict(paid=False), dict(paid=False, payment_method="open_terms"),
                     dict(paid=True, items=[{"approval": "pending"}]), dict(paid=True, items=[{}, {"approval": "denied"}]),
                     dict(paid=True, items=[{"is_edoc": True}]),
                     dict(paid=True, items=[{"is_edoc": True, "edoc_file_state": "ready"}]), dict(paid=True, items=[])]
            orders = [factories.order(site, **spec) for spec in specs]
            expected = {order.id: bool(order.integration_holds) for order in orders}
            db.session.commit()
            db.session.close()

            downgrade(revision="0005")
            upgrade(revision="0006")

            with db.engine.connect() as connection:
                stored = {id_: bool(held) for id_, held in connection.execute(text('SELECT id, held_back FROM "order"'))}
            assert stored == expected and set(expected.values()) == {True, False}
        finally:
            db.session.remove()
            db.engine.dispose()
