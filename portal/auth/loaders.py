"""Flask-Login wiring: loading the signed-in user, and what a visitor without one gets."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db


def register_user_loader(login_manager) -> None:
    from portal.models import AdminUser

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    from portal.auth.unauthorized import answer_unauthorized

    login_manager.unauthorized_handler(answer_unauthorized)

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
