"""The Embedded Services portal: Flask application factory."""

from __future__ import annotations

import logging

from flask import Flask, render_template

from portal.extensions import csrf, db, login_manager, migrate
from portal.settings import load_settings


def create_app(config: dict | None = None) -> Flask:
    """Build the app; ``config`` overrides what the environment says (tests use it)."""
    settings = load_settings(config)
    app = Flask(__name__, instance_path=settings["INSTANCE_PATH"], instance_relative_config=True)
    app.config.update(settings)
    register_extensions(app)
    register_blueprints(app)
    register_security(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_shellcontext(app)
    register_commands(app)
    register_logging(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)

    from portal import queue

    queue.init_app(app)

    from portal.auth.loaders import register_user_loader

    register_user_loader(login_manager)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            _tune_sqlite()
    else:
        with app.app_context():
            _ping_connections_after_idle(app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])


def register_blueprints(app: Flask) -> None:
    from portal.routing import IdConverter

    app.url_map.converters["id"] = IdConverter
    from portal.accounts import bp as accounts_bp
    from portal.auth.views import bp as auth_bp
    from portal.orders.views import bp as orders_bp
    from portal.sites.views import bp as sites_bp
    from portal.staff import bp as staff_bp
    from portal.users.views import bp as users_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(sites_bp)
    app.register_blueprint(users_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(staff_bp)
    app.add_url_rule("/", endpoint="index", view_func=_index)


def register_security(app: Flask) -> None:
    from portal.security import register_access_guards, register_security_headers

    register_security_headers(app)
    register_access_guards(app)


def _index():
    """Send people to their home: staff to the staff area, admins to their orders."""
    from flask import redirect, url_for
    from flask_login import current_user

    # Nobody signed in gets here: the "index" guard (portal.security) sends them to sign in.
    if current_user.is_staff:
        return redirect(url_for("staff.subscribers"))
    return redirect(url_for("orders.index"))


# What an HTMX request that failed shows in the page's error box (a whole error page swapped
# into a panel would put a second top bar inside it).
HTMX_ERROR_MESSAGES = {
    400: "The portal could not understand that request. Reload the page and try again.",
    403: "You are not allowed to do that.",
    404: "That is no longer there, or it is not yours to see. Reload the page to see what is.",
    405: "That action is not available here. Reload the page and try again.",
    500: "Something went wrong; the error was logged. Try again in a moment.",
}
CSRF_PAGE_MESSAGE = "The form expired or was sent from another page. Reload the page and try again."
CSRF_HTMX_MESSAGE = "This page is out of date. Reload it and try again."


def register_errorhandlers(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError

    from portal.htmx import wants_fragment

    def answer(code: int, page_description: str, htmx_message: str):
        """The error page, or for HTMX a message box that replaces the page's hidden ``#htmx-error``.

        ``HX-Retarget`` sends it there whatever the request targeted; static/app.js swaps
        answers addressed to the box even with an error status.
        """
        if wants_fragment():
            headers = {"HX-Retarget": "#htmx-error", "HX-Reswap": "outerHTML"}
            return render_template("_error_fragment.html", message=htmx_message), code, headers
        return render_template("errors.html", code=code, description=page_description), code

    def render_error(error):
        code = getattr(error, "code", 500) or 500
        return answer(code, getattr(error, "description", ""), HTMX_ERROR_MESSAGES.get(code, HTMX_ERROR_MESSAGES[500]))

    for code in HTMX_ERROR_MESSAGES:
        app.register_error_handler(code, render_error)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return answer(400, CSRF_PAGE_MESSAGE, CSRF_HTMX_MESSAGE)


def register_template_helpers(app: Flask) -> None:
    from portal import templating

    templating.init_app(app)


def register_shellcontext(app: Flask) -> None:
    def shell_context():
        from portal import models

        return {"db": db, **{name: getattr(models, name) for name in models.__all__}}

    app.shell_context_processor(shell_context)


def register_commands(app: Flask) -> None:
    from portal.commands import register

    register(app)


def register_logging(app: Flask) -> None:
    if not app.debug and not app.testing and not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if app.config.get("ENCRYPTION_KEY_GENERATED") and app.config["PORTAL_ENV"] == "dev":
        app.logger.warning(
            "Using a development encryption key generated in %s/encryption.key; "
            "set PORTAL_ENCRYPTION_KEYS for anything but local development.",
            app.instance_path,
        )


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def _ping_connections_after_idle(idle_seconds: float) -> None:
    """Check a pooled connection before use when it sat idle for ``idle_seconds`` or more.

    A database restart or a failover leaves dead connections in the pool; SQLAlchemy's
    ``pool_pre_ping`` finds them with a round trip at every checkout, which a worker pays three
    times a push (each short transaction checks one out). A connection handed back a moment ago
    is not checked again. A dead one found here is replaced before anyone uses it.
    """
    import time

    from sqlalchemy import event, exc

    engine = db.engine

    @event.listens_for(engine, "checkin")
    def _remember_when(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        if time.monotonic() - record.info.get("idle_since", float("-inf")) < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)  # what pool_pre_ping sends (autocommit: no transaction left open)
        except Exception as error:  # noqa: BLE001 - any failure means: not this connection
            raise exc.DisconnectionError(str(error)) from error  # the pool connects afresh and tries again


def _tune_sqlite() -> None:
    """WAL lets the web process read while a worker writes the same SQLite file; order actions
    may start their transaction with BEGIN IMMEDIATE (portal.transactions)."""
    from sqlalchemy import event

    from portal.transactions import install_sqlite_begin_immediate

    engine = db.engine
    install_sqlite_begin_immediate(engine)

    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
