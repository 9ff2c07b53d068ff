"""Staff area: subscribers, their Embedded Services authorization, and system status. Everyone else gets 404."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import EmbeddedServicesAuthorizationEvent, Subscriber
from portal.templating import is_htmx_request

bp = Blueprint("staff", __name__, url_prefix="/staff")
# Who may use this area: portal.security.access_guards(), checked before the CSRF token.



@bp.route("/")
def subscribers():
    """List every subscriber with its Embedded Services authorization (who and when)."""
    rows = db.session.execute(
        select(Subscriber)
        .options(
            selectinload(Subscriber.sites),
            selectinload(Subscriber.authorization_events).selectinload(EmbeddedServicesAuthorizationEvent.actor),
        )
        .order_by(Subscriber.name, Subscriber.id)
    ).scalars().all()
    return render_template("staff/subscribers.html", subscribers=rows)


def _get_subscriber_or_404(subscriber_id: int) -> Subscriber:
    subscriber = db.session.get(Subscriber, subscriber_id)
    if subscriber is None:
        abort(404)
    return subscriber


@bp.route("/subscribers/<id:subscriber_id>/authorize", methods=["POST"])
def authorize_embedded_services(subscriber_id: int):
    """Open Embedded Services to a subscriber: its admins get the menu item and the pages."""
    subscriber = _get_subscriber_or_404(subscriber_id)
    subscriber.authorize_embedded_services(by=current_user)
    db.session.commit()
    return _after_change(subscriber, f"{subscriber.name} may now use Embedded Services.")


@bp.route("/subscribers/<id:subscriber_id>/withdraw", methods=["GET", "POST"])
def withdraw_embedded_services(subscriber_id: int):
    """Withdraw Embedded Services (GET asks for confirmation when JavaScript is off)."""
    subscriber = _get_subscriber_or_404(subscriber_id)
    if request.method == "GET":
        return render_template("staff/withdraw_confirm.html", subscriber=subscriber)
    subscriber.withdraw_embedded_services(by=current_user)
    db.session.commit()
    return _after_change(subscriber, f"Embedded Services withdrawn from {subscriber.name}.")


def _after_change(subscriber: Subscriber, message: str):
    if is_htmx_request():
        return render_template("staff/_subscriber_row.html", s=subscriber, message=message)
    flash(message, "success")
    return redirect(url_for("staff.subscribers"))


from portal.staff import status  # noqa: E402,F401  (registers the status routes on bp)
