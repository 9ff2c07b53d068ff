"""Sign in and sign out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select

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


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form and sign a user in."""
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.execute(
            select(AdminUser).where(func.lower(AdminUser.email) == form.email.data.strip().lower())
        ).scalar_one_or_none()
        if user is None or not user.check_password(form.password.data) or not user.active:
            form.password.errors.append("Wrong e-mail or password.")
        else:
            login_user(user, remember=form.remember.data)
            user.last_login_at = utcnow()
            db.session.commit()
            return redirect(safe_next_url(request.args.get("next")) or url_for("index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out (POST only, so a link on another site cannot sign people out)."""
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
