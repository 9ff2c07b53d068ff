"""Sign in and sign out."""

from __future__ import annotations

import secrets
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from portal.auth import throttling
from portal.auth.forms import LoginForm
from portal.extensions import db
from portal.models import AdminUser
from portal.models.types import utcnow

bp = Blueprint("auth", __name__, url_prefix="/auth")


def safe_next_url(target: str | None) -> str | None:
    """Only same-site relative paths; anything with a scheme, host or ``//`` is refused."""
    if not target:
        return None
    target = target.strip()
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@lru_cache(maxsize=1)
def _unknown_user_hash() -> str:
    """A hash made exactly like stored ones (same method, same cost), for passwords typed with an unknown e-mail."""
    stand_in = AdminUser()  # never added to the session
    stand_in.set_password(secrets.token_urlsafe(16))
    return stand_in.password_hash


def _password_matches(user: AdminUser | None, password: str) -> bool:
    """Hash the password in every case: an unknown e-mail answering faster would tell it is unknown."""
    if user is None:
        check_password_hash(_unknown_user_hash(), password)
        return False
    return user.check_password(password) and user.active


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form and sign a user in; too many failed sign-ins wait (HTTP 429)."""
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        # Behind a reverse proxy this is the proxy unless ProxyFix is configured for it.
        address = request.remote_addr or "unknown"
        wait = throttling.seconds_until_allowed(email, address)
        if wait:
            message = throttling.too_many_message(wait)
            return render_template("auth/login.html", form=form, throttled=message), 429, {"Retry-After": str(wait)}
        user = db.session.execute(
            select(AdminUser).where(func.lower(AdminUser.email) == email)
        ).scalar_one_or_none()
        if not _password_matches(user, form.password.data):
            throttling.record_failure(email, address)
            form.password.errors.append("Wrong e-mail or password.")
        else:
            throttling.clear_email_at_address(email, address)
            _renew_csrf_token()
            login_user(user, remember=form.remember.data)
            user.last_login_at = utcnow()
            db.session.commit()
            return redirect(safe_next_url(request.args.get("next")) or url_for("index"))
    return render_template("auth/login.html", form=form)


def _renew_csrf_token() -> None:
    """Forget the session's CSRF token, so the next page gets a new one.

    At sign-in: a token seen before (on the sign-in page, by whoever shared the browser)
    must not be good for the signed-in session. At sign-out: nor for the next one.
    """
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(field, None)
    g.pop(field, None)  # Flask-WTF keeps the signed token of this request here


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out everywhere (POST only, so a link on another site cannot sign people out).

    A new session token ends this session and every other one of the user, copied cookies
    and remember-me cookies included: the cookie the browser drops is not the only copy.
    """
    current_user.end_all_sessions()
    db.session.commit()
    logout_user()
    _renew_csrf_token()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
