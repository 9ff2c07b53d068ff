"""Flask-Login wiring: loading the signed-in user, and what a visitor without one gets."""

from __future__ import annotations

from portal.extensions import db
from portal.routing import id_or_none


def register_user_loader(login_manager) -> None:
    from portal.models import AdminUser

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    from portal.auth.unauthorized import answer_unauthorized

    login_manager.unauthorized_handler(answer_unauthorized)

    @login_manager.user_loader
    def load_user(user_id: str):
        user_pk = id_or_none(user_id)
        return db.session.get(AdminUser, user_pk) if user_pk is not None else None
