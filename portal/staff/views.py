"""Staff area: subscribers, their Embedded Services authorization, and system status. Everyone else gets 404."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import EmbeddedServicesAuthorizationEvent, Site, Subscriber
from portal.htmx import wants_fragment
from portal.staff.blueprint import bp


@bp.route("/")
def subscribers():
    """List every subscriber with its Embedded Services authorization (who and when)."""
    return render_template("staff/subscribers.html", rows=_subscriber_rows())


def _subscriber_rows(*where) -> list[tuple[Subscriber, int, EmbeddedServicesAuthorizationEvent | None]]:
    """Each subscriber with its number of sites and its latest authorization event.

    A grouped count and the latest event's id per subscriber, so the list costs the same few
    queries however many sites and events there are (not every site and event of every row).
    """
    site_counts = (
        select(Site.subscriber_id, func.count(Site.id).label("sites"))
        .group_by(Site.subscriber_id)
        .subquery()
    )
    latest_events = (
        select(
            EmbeddedServicesAuthorizationEvent.subscriber_id,
            func.max(EmbeddedServicesAuthorizationEvent.id).label("event_id"),
        )
        .group_by(EmbeddedServicesAuthorizationEvent.subscriber_id)
        .subquery()
    )
    query = (
        select(Subscriber, func.coalesce(site_counts.c.sites, 0), EmbeddedServicesAuthorizationEvent)
        .outerjoin(site_counts, site_counts.c.subscriber_id == Subscriber.id)
        .outerjoin(latest_events, latest_events.c.subscriber_id == Subscriber.id)
        .outerjoin(EmbeddedServicesAuthorizationEvent, EmbeddedServicesAuthorizationEvent.id == latest_events.c.event_id)
        .options(selectinload(EmbeddedServicesAuthorizationEvent.actor))
        .where(*where)
        .order_by(Subscriber.name, Subscriber.id)
    )
    return [tuple(row) for row in db.session.execute(query)]


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
    if wants_fragment():
        [(s, site_count, event)] = _subscriber_rows(Subscriber.id == subscriber.id)
        return render_template("staff/_subscriber_row.html", s=s, site_count=site_count, event=event, message=message)
    flash(message, "success")
    return redirect(url_for("staff.subscribers"))

