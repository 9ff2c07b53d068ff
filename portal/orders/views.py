"""Orders pages of the storefront admin: the list, one order, and the admin's actions on it."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts.access import accounts_query, embedded_services_enabled
from portal.domain import order_actions
from portal.domain.push import STATE_DESCRIPTIONS, Trigger
from portal.domain.order_actions import OrderActionError
from portal.extensions import db
from portal.integration.push import enqueue_push, request_push
from portal.htmx import push_url, targets, wants_fragment
from portal.models import Order, Site
from portal.models.types import utcnow
from portal.orders import events
from portal.orders.integrations import ATTEMPTS_SHOWN, account_panels, has_integrations
from portal.orders.forms import PUSH_FILTERS, OrderFilterForm, PaymentForm
from portal.orders.queries import OrderFilters, order_with_everything, orders_page, push_state_counts
from portal.routing import page_number_or_one
from portal.tenancy import orders_query, sites_query
from portal.transactions import begin_serialized_write

bp = Blueprint("orders", __name__, url_prefix="/orders")
# Who may use this area: portal.security.access_guards(), checked before the CSRF token.


@bp.route("/")
def index():
    """List the subscriber's orders, newest first, with search, filters and pages."""
    sites = db.session.execute(sites_query().order_by(Site.name)).scalars().all()
    form = OrderFilterForm(request.args, sites=sites)
    form.validate()
    site_value = form.valid_value("site")
    filters = OrderFilters(
        q=form.valid_value("q"),
        site_id=int(site_value) if site_value else None,
        payment=form.valid_value("payment"),
        approval=form.valid_value("approval"),
        edoc=form.valid_value("edoc"),
        push=form.valid_value("push"),
    )
    push_counts = push_state_counts(orders_query(), accounts_query()) if embedded_services_enabled() else None
    # Unfiltered, or filtered by site or partner state alone, the counts already say how many orders the
    # list holds: no second COUNT over tens of thousands of rows.
    known_total = None
    if push_counts is not None and filters.partner_state_only:
        known_total = push_counts.get(filters.push, 0)
    elif push_counts is not None and filters.site_only:
        known_total = push_counts.orders(filters.site_id)
    result = orders_page(orders_query(), filters, page_number_or_one(request.args.get("page")),
                         current_app.config["ORDERS_PER_PAGE"], total=known_total)
    context = dict(form=form, filters=filters, result=result, show_site=len(sites) > 1, push_counts=push_counts,
                   push_filters=PUSH_FILTERS[1:])
    if targets("orders-list"):
        page_args = {"page": result.page} if result.page > 1 else {}
        response = make_response(render_template("orders/_list.html", **context))
        return push_url(response, url_for("orders.index", **filters.as_args(), **page_args))
    return render_template("orders/index.html", **context)


def _load_order_or_404(order_id: int, *, for_update: bool = False) -> Order:
    """The subscriber's order with everything the detail page shows; another tenant's ID is a 404.

    Actions lock the order so two clicks at once (two admins, two web processes) are applied
    one after the other and only one of them can report that the order just became eligible:
    a row lock on PostgreSQL, and on SQLite, which ignores FOR UPDATE, a transaction that
    starts with the write lock (portal.transactions). Either is held until the action commits
    or rolls back, so actions commit before rendering.
    """
    query = order_with_everything(orders_query(), order_id)
    if for_update:
        begin_serialized_write()
        query = query.with_for_update(of=Order)
    order = db.session.execute(query).unique().scalar_one_or_none()
    if order is None:
        db.session.rollback()  # no lock held while the error page renders
        abort(404)
    return order


def _item_of_or_404(order: Order, item_id: int):
    for item in order.items:
        if item.id == item_id:
            return item
    db.session.rollback()  # no lock held while the error page renders
    abort(404)


def _customer_url(order: Order) -> str | None:
    return url_for("users.detail", site_user_id=order.site_user_id) if order.site_user_id else None


def _shipping_notes(order: Order) -> dict[int, str]:
    """Per item: 'Same as billing address' / 'Same as item #n' instead of repeating an address."""
    notes: dict[int, str] = {}
    billing = order.billing_address.normalized()
    seen: dict[tuple, int] = {}
    for item in order.items:
        key = item.shipping_address.normalized()
        if key == billing:
            notes[item.id] = "Same as billing address"
        elif key in seen:
            notes[item.id] = f"Same as item #{seen[key]}"
        else:
            seen[key] = item.number
    return notes


def _detail_context(order: Order, **extra) -> dict:
    partners = account_panels(order, current_user.subscriber_id) if embedded_services_enabled() else None
    context = {
        "order": order,
        "active_tab": "details",
        "partners": partners,
        "show_embedded_services_tab": bool(partners) and any(panel.integration for panel in partners),
        "holds": order.integration_holds,
        "customer_url": _customer_url(order),
        "shipping_notes": _shipping_notes(order),
        "payment_form": None,
        "payment_error": None,
        "payment_message": None,
        "item_errors": {},
        "item_messages": {},
        "items_message": None,
        "items_error": None,
    }
    context.update(extra)
    if context["payment_form"] is None and not order.is_paid:
        context["payment_form"] = PaymentForm(formdata=None, **order_actions.payment_form_defaults(order))
    return context


def _detail_url(order: Order, anchor: str | None = None) -> str:
    return url_for("orders.detail", order_id=order.id, _anchor=anchor)


@bp.route("/<id:order_id>")
def detail(order_id: int):
    """One order: customer, payment, totals, integration rules, items and shipments."""
    order = _load_order_or_404(order_id)
    return render_template("orders/detail.html", **_detail_context(order))


def _after_change(order: Order, became_eligible: bool) -> None:
    db.session.commit()
    events.order_changed(order, became_eligible)


@bp.post("/<id:order_id>/payment")
def record_payment(order_id: int):
    """Record a payment: the order becomes paid with a method, a reference and the time."""
    order = _load_order_or_404(order_id, for_update=True)
    form = PaymentForm()
    error = None
    if form.validate():
        try:
            became_eligible = order_actions.record_payment(order, form.method.data, form.reference.data, utcnow())
        except OrderActionError as exc:
            if exc.field and exc.field in form:
                form[exc.field].errors.append(exc.message)
            else:
                error = exc.message
        else:
            _after_change(order, became_eligible)
            message = f"Payment recorded for order {order.number}."
            if wants_fragment():
                return render_template(
                    "orders/_payment_update.html", **_detail_context(order, payment_message=message)
                )
            flash(message, "success")
            return redirect(_detail_url(order, "payment"))
    db.session.rollback()
    context = _detail_context(order, payment_form=form, payment_error=error)
    template = "orders/_payment_update.html" if wants_fragment() else "orders/detail.html"
    return render_template(template, **context), 422


def _item_action(order_id: int, item_id: int, change, success_message):
    """Shared flow of the item actions: change, commit, then a fragment, a redirect or the page with the error."""
    order = _load_order_or_404(order_id, for_update=True)
    item = _item_of_or_404(order, item_id)
    try:
        became_eligible = change(item)
    except OrderActionError as exc:
        db.session.rollback()
        status = 400 if exc.field else 409
        context = _detail_context(order, item_errors={item.id: exc.message})
        if wants_fragment():
            return render_template("orders/_item_update.html", item=item, **context), status
        return render_template("orders/detail.html", **context), status
    _after_change(order, became_eligible)
    message = success_message(item)
    if wants_fragment():
        return render_template("orders/_item_update.html", item=item, **_detail_context(order, item_messages={item.id: message}))
    flash(message, "success")
    return redirect(_detail_url(order, f"item-{item.id}"))


@bp.post("/<id:order_id>/items/<id:item_id>/approval")
def decide_item(order_id: int, item_id: int):
    """Approve or deny one item (form field ``decision``: approve or deny)."""
    decision = request.form.get("decision", "")
    return _item_action(
        order_id,
        item_id,
        lambda item: order_actions.decide_item(item, decision, utcnow()),
        lambda item: f"Item #{item.number} {item.approval}.",
    )


@bp.post("/<id:order_id>/items/<id:item_id>/edoc-ready")
def mark_edoc_ready(order_id: int, item_id: int):
    """Mark the eDocBuilder file of one item ready for production."""
    return _item_action(
        order_id,
        item_id,
        lambda item: order_actions.mark_edoc_ready(item, utcnow()),
        lambda item: f"eDocBuilder file of item #{item.number} marked ready.",
    )


@bp.post("/<id:order_id>/items/approve-pending")
def approve_pending_items(order_id: int):
    """Approve every item still awaiting approval at once; denied items keep their decision."""
    order = _load_order_or_404(order_id, for_update=True)
    numbers = [item.number for item in order_actions.items_awaiting_approval(order)]
    try:
        became_eligible = order_actions.approve_pending_items(order, utcnow())
    except OrderActionError as exc:
        db.session.rollback()
        context = _detail_context(order, items_error=exc.message)
        template = "orders/_items_update.html" if wants_fragment() else "orders/detail.html"
        return render_template(template, **context), 409
    _after_change(order, became_eligible)
    message = f"Items {', '.join(f'#{number}' for number in numbers)} approved."
    if wants_fragment():
        return render_template("orders/_items_update.html", **_detail_context(order, items_message=message))
    flash(message, "success")
    return redirect(_detail_url(order, "items"))


# --- the Embedded Services tab -------------------------------------------------------------

def _embedded_services_or_404() -> None:
    """Like every Embedded Services page: absent (404) until platform staff authorize the subscriber."""
    if not embedded_services_enabled():
        abort(404)


def _panel_or_404(order: Order, account_id: int):
    panels = account_panels(order, current_user.subscriber_id, account_id)
    if not panels:
        abort(404)
    return panels[0]


def _panel_context(order: Order, panel, **extra) -> dict:
    return {"order": order, "panel": panel, "holds": order.integration_holds, "descriptions": STATE_DESCRIPTIONS,
            "attempts_shown": ATTEMPTS_SHOWN, "message": None, "error": None, "confirm": False, **extra}


@bp.route("/<id:order_id>/embedded-services")
def embedded_services(order_id: int):
    """Embedded Services tab: per partner account, the state of the push, the PressWise order number,
    the last error, the attempts, and Push Order."""
    _embedded_services_or_404()
    order = _load_order_or_404(order_id)
    panels = account_panels(order, current_user.subscriber_id)
    if not has_integrations(order):
        abort(404)  # the tab exists once a push was tried
    return render_template("orders/embedded_services.html", order=order, panels=panels, active_tab="embedded_services",
                           show_embedded_services_tab=True, holds=order.integration_holds,
                           descriptions=STATE_DESCRIPTIONS, attempts_shown=ATTEMPTS_SHOWN)


@bp.route("/<id:order_id>/embedded-services/<id:account_id>")
def integration_panel(order_id: int, account_id: int):
    """One account's panel; HTMX polls it while the push is under way (the settled answer stops it)."""
    _embedded_services_or_404()
    order = _load_order_or_404(order_id)
    panel = _panel_or_404(order, account_id)
    if not wants_fragment():
        return redirect(url_for("orders.embedded_services", order_id=order.id, _anchor=f"account-{account_id}"))
    return render_template("orders/_integration_panel.html", **_panel_context(order, panel))


@bp.route("/<id:order_id>/partners")
def partner_outlook(order_id: int):
    """The rules panel's partner part: where the order goes; HTMX polls it while a push is under way."""
    _embedded_services_or_404()
    order = _load_order_or_404(order_id)
    if not wants_fragment():
        return redirect(url_for("orders.detail", order_id=order.id, _anchor="integration-rules"))
    return render_template("orders/_partner_outlook.html", order=order, holds=order.integration_holds,
                           partners=account_panels(order, current_user.subscriber_id))


@bp.post("/<id:order_id>/embedded-services/<id:account_id>/push")
def push(order_id: int, account_id: int):
    """Push Order: send the order to this account now (a worker does it; the panel follows).

    Refused while a rule holds the order back. When the site's Synchronize Orders is off
    (a switch from an older integration), it asks first, and the worker looks the order up
    in PressWise before sending, adopting it if found.
    """
    _embedded_services_or_404()
    order = _load_order_or_404(order_id)
    panel = _panel_or_404(order, account_id)

    def answer(status: int = 200, **extra):
        if wants_fragment() and request.form.get("answer") == "outlook":
            # Pressed in the order page's Partners block: that block comes back.
            return render_template("orders/_partner_outlook.html", order=order, holds=order.integration_holds,
                                   partners=account_panels(order, current_user.subscriber_id),
                                   outlook_message=extra.get("error") or extra.get("message")), status
        if wants_fragment():
            return render_template("orders/_integration_panel.html", **_panel_context(order, panel, **extra)), status
        if extra.get("error"):
            flash(extra["error"], "error")
        elif extra.get("message"):
            flash(extra["message"], "success")
        return redirect(url_for("orders.embedded_services", order_id=order.id, _anchor=f"account-{account_id}"))

    if panel.link is None:
        return answer(409, error=f"“{panel.account.name}” is not attached to {order.site.name} any more: "
                                 "attach it on the site's Embedded Services tab first.")
    holds = order.integration_holds
    if holds:
        return answer(409, error="Not sent: " + " ".join(hold.message for hold in holds))
    if not panel.link.sync_orders and request.form.get("confirm") != "yes":
        return answer(409, confirm=True)
    request_ = request_push(order, panel.account, trigger=Trigger.MANUAL, requested_by=current_user.name,
                            reconcile_first=not panel.link.sync_orders)
    db.session.commit()
    if request_.queued:
        enqueue_push(request_.integration_id)
    panel = _panel_or_404(order, account_id)
    if request_.queued:
        return answer(message=f"Order {order.number} queued for {panel.account.name}.")
    return answer(message=f"Order {order.number} is {request_.state.label.lower()} with {panel.account.name} already.")
