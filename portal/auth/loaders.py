"""Flask-Login wiring: loading the signed-in user, and what a visitor without one gets."""

from __future__ import annotations

from flask import current_app, session
from flask_login import user_loaded_from_cookie
from sqlalchemy import select

from portal.extensions import db


def _bind_session_to_this_browser(sender, user, **extra) -> None:
    """Stamp a session restored from the remember-me cookie as a sign-in does.

    With "strong" protection Flask-Login checks every session against a hash of the client's
    address and browser, but a session restored from the cookie does not get that hash, so
    the next request took it for stolen and threw it and the cookie away: "Keep me signed
    in" lasted one page after the browser was closed.
    """
    session["_id"] = current_app.login_manager._session_identifier_generator()


def register_user_loader(login_manager) -> None:
    from portal.models import AdminUser

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    from portal.auth.unauthorized import answer_unauthorized

    login_manager.unauthorized_handler(answer_unauthorized)
    user_loaded_from_cookie.connect(_bind_session_to_this_browser)

    @login_manager.user_loader
    def load_user(session_token: str):
        """The active user whose current session token this is (``AdminUser.get_id``), else nobody.

        A token that was replaced (sign-out, new password, deactivation) finds no one, so a
        copied session or remember-me cookie leads to the sign-in page.
        """
        if not session_token:
            return None
        return db.session.execute(
            select(AdminUser).where(AdminUser.session_token == session_token, AdminUser.active.is_(True))
        ).scalar_one_or_none()
