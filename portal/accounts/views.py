"""Admin > Embedded Services: partner accounts of the signed-in subscriber.

Every route here (and the site tab in ``site_tab``) answers 404 unless the subscriber
is authorized by platform staff. Secrets are write-only: forms never show them.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.accounts.access import accounts_query, get_account_or_404
from portal.accounts.blueprint import bp
from portal.accounts.forms import AccountForm
from portal.extensions import db
from portal.integration.connection import QueueUnavailable, latest_connection_test, start_connection_test
from portal.integration.push import resume_pushes
from portal.models import EmbeddedServicesAccount, SiteLink
from portal.htmx import wants_fragment


@bp.after_request
def _no_store(response):
    # Account pages are per-tenant and show credentials' state: never cache them.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _name_taken(name: str, exclude_id: int | None = None) -> bool:
    query = accounts_query().where(EmbeddedServicesAccount.name == name)
    if exclude_id is not None:
        query = query.where(EmbeddedServicesAccount.id != exclude_id)
    return db.session.execute(query.limit(1)).first() is not None


@bp.route("/")
def index():
    """The subscriber's accounts: partner, name, URL, active, health and the sites using each."""
    accounts = db.session.scalars(
        accounts_query()
        .options(selectinload(EmbeddedServicesAccount.site_links).selectinload(SiteLink.site))
        .order_by(EmbeddedServicesAccount.name, EmbeddedServicesAccount.id)
    ).all()
    return render_template("accounts/index.html", accounts=accounts)


@bp.route("/new", methods=["GET", "POST"])
def create():
    """Create New Account: partner, name, credentials, URL, initial status and the pricing option."""
    form = AccountForm()
    if form.validate_on_submit():
        if _name_taken(form.name.data):
            form.name.errors.append("Another account already has this name.")
        else:
            account = EmbeddedServicesAccount(subscriber_id=current_user.subscriber_id)
            _apply(form, account)
            db.session.add(account)
            if _committed_unless_name_taken(form):
                if _test_after_saving(account):
                    flash(f"Account “{account.name}” created. Testing the connection: the answer appears below "
                          "in a few seconds. Then attach it to a site.", "success")
                else:
                    flash(f"Account “{account.name}” created. Test the connection, then attach it to a site.", "success")
                return redirect(url_for("accounts.detail", account_id=account.id))
    status = 422 if form.errors else 200
    return render_template("accounts/form.html", form=form, account=None), status


@bp.route("/<id:account_id>")
def detail(account_id: int):
    """One account: its settings (never the secrets), health, sites, and Test connection."""
    account = get_account_or_404(account_id)
    links = db.session.scalars(
        select(SiteLink).where(SiteLink.account_id == account.id)
        .options(selectinload(SiteLink.site)).order_by(SiteLink.id)
    ).all()
    try:
        test = latest_connection_test(account.id)
    except QueueUnavailable:
        test = None
    return render_template("accounts/detail.html", account=account, links=links, test=test)


@bp.route("/<id:account_id>/edit", methods=["GET", "POST"])
def edit(account_id: int):
    """Edit an account; blank password or authorization code keeps the stored one."""
    account = get_account_or_404(account_id)
    form = AccountForm(obj=_editable_fields(account), stored_url=account.url)
    if form.validate_on_submit():
        if _name_taken(form.name.data, exclude_id=account.id):
            form.name.errors.append("Another account already has this name.")
        else:
            _apply(form, account)
            if _committed_unless_name_taken(form):
                if _test_after_saving(account):
                    flash(f"Account “{account.name}” saved. Testing the connection: the answer appears below in a "
                          f"few seconds{'; if it passes, the account is resumed' if account.is_paused else ''}.",
                          "success")
                elif account.is_paused:
                    # New secrets do not lift a pause by themselves: resuming starts pushes again.
                    flash(f"Account “{account.name}” saved. It is still paused: test the connection, "
                          "then press Resume (or use “Save and test”, which resumes it when the test passes).",
                          "warning")
                else:
                    flash(f"Account “{account.name}” saved.", "success")
                return redirect(url_for("accounts.detail", account_id=account.id))
    status = 422 if form.errors else 200
    return render_template("accounts/form.html", form=form, account=account), status


def _test_after_saving(account: EmbeddedServicesAccount) -> bool:
    """"Save and test": start Test connection after saving; a passing test resumes a paused account.

    False when the button pressed was plain Save, or when the queue is down (then said in a flash).
    """
    if request.form.get("and_test") != "1":
        return False
    try:
        start_connection_test(account, resume_on_success=True)
    except QueueUnavailable:
        flash("The job queue is not answering, so the connection test could not start. "
              "Press Test connection in a moment.", "error")
        return False
    return True


def _committed_unless_name_taken(form: AccountForm) -> bool:
    """Commit; a concurrent save that took the same name meanwhile becomes a field error, not a 500."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.name.errors.append("Another account already has this name.")
        return False
    return True


def _editable_fields(account: EmbeddedServicesAccount) -> SimpleNamespace:
    """What the edit form starts from: everything but the secrets, which are never decrypted for a form."""
    return SimpleNamespace(
        partner=account.partner,
        name=account.name,
        url=account.url,
        username=account.username,
        password="",
        authorization_code="",
        initial_status=account.initial_status,
        send_pricing_in_notes=account.send_pricing_in_notes,
    )


def _apply(form: AccountForm, account: EmbeddedServicesAccount) -> None:
    account.partner = form.partner.data
    account.name = form.name.data
    account.url = form.url.data
    account.username = form.username.data
    account.initial_status = form.initial_status.data
    account.send_pricing_in_notes = bool(form.send_pricing_in_notes.data)
    if form.password.data:
        account.password = form.password.data
    if form.authorization_code.data:
        account.authorization_code = form.authorization_code.data


@bp.route("/<id:account_id>/deactivate", methods=["GET", "POST"])
def deactivate(account_id: int):
    """Stop using the account on every site at once, keeping its settings and history.

    GET asks for confirmation (the button's ``hx-confirm`` asks when JavaScript is on).
    """
    account = get_account_or_404(account_id)
    if request.method == "GET":
        return render_template("accounts/deactivate_confirm.html", account=account)
    account.active = False
    db.session.commit()
    return _after_state_change(account, f"Account “{account.name}” deactivated.")


@bp.route("/<id:account_id>/reactivate", methods=["POST"])
def reactivate(account_id: int):
    """Use the account again."""
    account = get_account_or_404(account_id)
    account.active = True
    db.session.commit()
    waiting = resume_pushes(account) if account.is_usable else 0
    return _after_state_change(account, f"Account “{account.name}” reactivated.{_sending_again(waiting)}")


@bp.route("/<id:account_id>/resume", methods=["POST"])
def resume(account_id: int):
    """Lift a pause (after fixing the credentials or once the partner is back)."""
    account = get_account_or_404(account_id)
    account.resume()
    db.session.commit()
    waiting = resume_pushes(account) if account.is_usable else 0
    return _after_state_change(account, f"Account “{account.name}” resumed.{_sending_again(waiting)}",
                               clear_connection_result=True)


def _sending_again(waiting: int) -> str:
    if not waiting:
        return ""
    return f" {waiting} waiting order{'' if waiting == 1 else 's'} {'is' if waiting == 1 else 'are'} being sent."


def _after_state_change(account: EmbeddedServicesAccount, message: str, *, clear_connection_result: bool = False):
    if wants_fragment():
        # A Test connection result that offered Resume (or said "paused") is stale once resumed.
        return render_template("accounts/_status_panel.html", account=account, message=message,
                               clear_connection_result=clear_connection_result)
    flash(message, "success")
    return redirect(url_for("accounts.detail", account_id=account.id))


@bp.route("/<id:account_id>/delete", methods=["POST"])
def delete(account_id: int):
    """Delete an account nothing uses; one in use can only be deactivated."""
    account = get_account_or_404(account_id)
    reason = account.why_not_deletable()
    if reason is not None:
        # The page shows Delete disabled with the reason; this answers a stale page or a crafted POST.
        message = f"“{account.name}” cannot be deleted. {reason} Or deactivate it instead."
        if wants_fragment():
            return render_template("accounts/_status_panel.html", account=account, message=message, error=True), 409
        flash(message, "error")
        return redirect(url_for("accounts.detail", account_id=account.id))
    name = account.name
    db.session.delete(account)
    db.session.commit()
    flash(f"Account “{name}” deleted.", "success")
    if wants_fragment():
        return "", 204, {"HX-Redirect": url_for("accounts.index")}
    return redirect(url_for("accounts.index"))


@bp.route("/<id:account_id>/test", methods=["GET", "POST"])
def test_connection(account_id: int):
    """Test connection. POST starts one: a worker signs in to the partner (a click while a test
    waits or runs shows that one). GET answers where the latest one is; HTMX polls it until the
    answer is in.

    A successful test does not lift a pause by itself: resuming starts pushes again (every
    order held back meanwhile goes out), so a person decides, with the Resume button the
    answer offers.
    """
    account = get_account_or_404(account_id)
    if request.method == "GET" and not wants_fragment():
        return redirect(url_for("accounts.detail", account_id=account.id))
    try:
        if request.method == "POST":
            test = start_connection_test(account)
        else:
            test = latest_connection_test(account.id)
    except QueueUnavailable:
        return _connection_test_answer(account, None, queue_down=True)
    if not wants_fragment():
        flash("Testing the connection: the answer appears below in a few seconds.", "info")
        return redirect(url_for("accounts.detail", account_id=account.id))
    return _connection_test_answer(account, test)


def _connection_test_answer(account: EmbeddedServicesAccount, test, *, queue_down: bool = False):
    status = 503 if queue_down else 200
    if queue_down and not wants_fragment():
        flash("The job queue is not answering, so the test could not start. Try again in a moment.", "error")
        return redirect(url_for("accounts.detail", account_id=account.id))
    # The status panel changes when a test finishes (health, pause): refresh it alongside.
    return render_template("accounts/_connection_test.html", account=account, test=test, queue_down=queue_down,
                           refresh_status=test is not None and not test.running), status

