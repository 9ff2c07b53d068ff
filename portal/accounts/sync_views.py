"""Synchronization runs on a site's Embedded Services tab: the two buttons of each attached account,
the live progress bar, Cancel and Resume, the run page with its per-order outcomes, the run
history, the scheduled status sync of a link, and an account's synchronization settings.

Starting answers HTMX with the run's progress fragment (the running one when a run of that kind
is already under way); the fragment asks for itself again a second later while the run is
active, and the finished answer carries no trigger, so polling stops by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import and_, desc, func, null, select
from sqlalchemy.orm import contains_eager

from portal.accounts.access import get_account_or_404, get_site_link_or_404
from portal.accounts.blueprint import bp
from portal.accounts.forms import ScheduleForm, SyncSettingsForm
from portal.domain.push import PushState
from portal.domain.status_mapping import StatusMap, chosen_item_status, overrides_from, statuses_to_show
from portal.domain.sync import OUTCOME_FILTERS, Outcome, RunKind, RunTrigger, Schedule, format_duration
from portal.extensions import db
from portal.htmx import wants_fragment
from portal.integration.sync import (
    RunRefused,
    cancel_run,
    resume_run,
    set_schedule,
    start_run,
    why_not,
)
from portal.models import EmbeddedServicesAccount, Order, OrderIntegration, Site, SiteLink, SyncOutcome, SyncRun
from portal.routing import page_number_or_one
from portal.tenancy import current_subscriber_id, get_site_or_404

RUNS_PER_PAGE = 20
OUTCOMES_PER_PAGE = 50
RECENT_RUNS = 5
RUNS_CHANGED = "sync-runs-changed"  # HTMX event: a run started, stopped or ended (see _progress_fragment)


# --- what the tab shows for one link ------------------------------------------------------------

@dataclass
class SyncPanel:
    link: SiteLink
    orders_reason: str | None
    dry_run_reason: str | None
    status_reason: str | None
    latest: dict[str, SyncRun]
    schedule_form: ScheduleForm

    @property
    def schedule(self) -> Schedule:
        return Schedule(self.link.status_schedule)


def sync_panel(link: SiteLink, schedule_form: ScheduleForm | None = None) -> SyncPanel:
    """Template global: the buttons (or why they are disabled) and the latest run of each kind of a link."""
    latest_ids = select(func.max(SyncRun.id)).where(
        SyncRun.site_id == link.site_id, SyncRun.account_id == link.account_id).group_by(SyncRun.kind)
    latest = {run.kind: run for run in db.session.scalars(select(SyncRun).where(SyncRun.id.in_(latest_ids)))}
    form = schedule_form or ScheduleForm(formdata=None, link_id=link.id, schedule=link.status_schedule,
                                         daily_at=link.status_schedule_time)
    return SyncPanel(
        link=link,
        orders_reason=why_not(link, RunKind.ORDERS),
        dry_run_reason=why_not(link, RunKind.ORDERS, dry_run=True),
        status_reason=why_not(link, RunKind.STATUS),
        latest=latest,
        schedule_form=form,
    )


bp.add_app_template_global(sync_panel, "sync_panel")
bp.add_app_template_filter(format_duration, "duration")


def recent_runs(site: Site, limit: int = RECENT_RUNS) -> list[SyncRun]:
    """Template global: the site's latest runs, for the tab (the history page has them all)."""
    return db.session.scalars(_runs_query(site).limit(limit)).all()


bp.add_app_template_global(recent_runs, "recent_sync_runs")


# --- tenant-scoped lookups ---------------------------------------------------------------------

def _runs_query(site: Site):
    return (select(SyncRun).join(SyncRun.account)
            .where(SyncRun.site_id == site.id, EmbeddedServicesAccount.subscriber_id == current_subscriber_id())
            .options(contains_eager(SyncRun.account)).order_by(desc(SyncRun.id)))


def _run_or_404(site_id: int, run_id: int) -> SyncRun:
    """The run, if it belongs to this site of the signed-in subscriber: one query (the progress poll
    asks every second)."""
    run = db.session.scalar(
        select(SyncRun).join(Site, Site.id == SyncRun.site_id)
        .where(SyncRun.id == run_id, SyncRun.site_id == site_id, Site.subscriber_id == current_subscriber_id()))
    if run is None:
        abort(404)
    return run


# --- starting, watching, stopping -------------------------------------------------------------

@bp.route("/sites/<id:site_id>/links/<id:link_id>/sync-orders", methods=["POST"])
def sync_orders(site_id: int, link_id: int):
    """Start Order Synchronization (``dry_run=1``: only show what would be pushed, adopted and skipped)."""
    return _start(site_id, link_id, RunKind.ORDERS, dry_run=request.form.get("dry_run") in ("1", "y", "on"))


@bp.route("/sites/<id:site_id>/links/<id:link_id>/sync-status", methods=["POST"])
def sync_status(site_id: int, link_id: int):
    """Start Order Status Synchronization."""
    return _start(site_id, link_id, RunKind.STATUS, dry_run=False)


def _start(site_id: int, link_id: int, kind: RunKind, *, dry_run: bool):
    site = get_site_or_404(site_id)
    link = get_site_link_or_404(site, link_id)
    try:
        result = start_run(link, kind, dry_run=dry_run, trigger=RunTrigger.MANUAL, started_by=current_user)
    except RunRefused as refused:
        if wants_fragment():
            return render_template("accounts/_sync_progress.html", run=None, kind=kind, site_id=site.id,
                                   account_id=link.account_id, sync_refused=str(refused)), 409
        flash(str(refused), "error")
        return redirect(url_for("accounts.site_tab", site_id=site.id))
    run = result.run
    message = (f"{kind.label}{' (dry run)' if run.dry_run else ''} started." if result.started
               else f"{kind.label} is already under way; here is that run.")
    if wants_fragment():
        return _progress_fragment(run, sync_message=message, runs_changed=result.started)
    flash(message, "success" if result.started else "info")
    return redirect(url_for("accounts.sync_run", site_id=site.id, run_id=run.id))


@bp.route("/sites/<id:site_id>/runs/<id:run_id>/progress")
def sync_progress(site_id: int, run_id: int):
    """The progress fragment of one run; polled every second while the run is active."""
    run = _run_or_404(site_id, run_id)
    if not wants_fragment():
        return redirect(url_for("accounts.sync_run", site_id=site_id, run_id=run.id))
    return _progress_fragment(run, runs_changed=not run.is_active)


@bp.route("/sites/<id:site_id>/runs/<id:run_id>/cancel", methods=["POST"])
def cancel_sync(site_id: int, run_id: int):
    """Stop a run between orders: the orders under way finish, no other starts."""
    run = _run_or_404(site_id, run_id)
    asked = cancel_run(run)
    db.session.refresh(run)
    message = "Cancelling: the orders under way finish first." if asked and run.is_active else (
        "Cancelled." if asked else "The run had already stopped.")
    return _after_action(run, message)


@bp.route("/sites/<id:site_id>/runs/<id:run_id>/resume", methods=["POST"])
def resume_sync(site_id: int, run_id: int):
    """Queue an interrupted or stopped run again: it goes on where it stopped."""
    run = _run_or_404(site_id, run_id)
    try:
        result = resume_run(run)
    except RunRefused as refused:
        return _after_action(run, str(refused), error=True, status=409)
    if result.run.id != run.id:
        return _after_action(result.run, f"Another {RunKind(run.kind).label} is under way; here it is.")
    return _after_action(run, "Resumed: it goes on where it stopped." if result.started else "It is under way.")


def _after_action(run: SyncRun, message: str, *, error: bool = False, status: int = 200):
    if wants_fragment():
        return _progress_fragment(run, status, sync_message=message, sync_error=error, runs_changed=not error)
    flash(message, "error" if error else "success")
    return redirect(url_for("accounts.sync_run", site_id=run.site_id, run_id=run.id))


def _progress_fragment(run: SyncRun, status: int = 200, *, runs_changed: bool, **context):
    """A run's progress fragment. When a run started, stopped or ended (``runs_changed``) the answer
    says so with the ``sync-runs-changed`` event, on which the tab's run history and the accounts'
    call history refresh themselves (a poll of a run still under way does not: once a second)."""
    response = make_response(render_template("accounts/_sync_progress.html", run=run, kind=RunKind(run.kind),
                                             site_id=run.site_id, account_id=run.account_id, **context), status)
    if runs_changed:
        response.headers["HX-Trigger"] = RUNS_CHANGED
    return response


# --- reading runs afterwards ---------------------------------------------------------------------

@bp.route("/sites/<id:site_id>/runs")
def sync_runs(site_id: int):
    """The site's run history, newest first, a page at a time."""
    site = get_site_or_404(site_id)
    page = db.paginate(_runs_query(site), page=page_number_or_one(request.args.get("page")),
                       per_page=RUNS_PER_PAGE, max_per_page=RUNS_PER_PAGE, error_out=False)
    if page.page > 1 and not page.items and page.pages:
        page = db.paginate(_runs_query(site), page=page.pages, per_page=RUNS_PER_PAGE, max_per_page=RUNS_PER_PAGE,
                           error_out=False)
    return render_template("accounts/sync_runs.html", site=site, page=page, active_tab="embedded_services")


@bp.route("/sites/<id:site_id>/runs/<id:run_id>")
def sync_run(site_id: int, run_id: int):
    """One run: its progress (live while it runs), counts, and the outcome of every order, filterable."""
    site = get_site_or_404(site_id)
    run = _run_or_404(site.id, run_id)
    kind = RunKind(run.kind)
    filters = OUTCOME_FILTERS[kind]
    chosen = request.args.get("outcome", "")
    if chosen not in filters:
        chosen = ""
    # An order run's outcome is what happened during the run; its push may have gone on since (a
    # passing failure is retried by itself), so each row also says where the order stands now.
    follows_pushes = kind is RunKind.ORDERS and not run.dry_run
    push = OrderIntegration
    now_state = push.state if follows_pushes else null()
    query = (select(SyncOutcome, Order.number, now_state.label("now")).join(Order, Order.id == SyncOutcome.order_id)
             .where(SyncOutcome.run_id == run.id))
    if follows_pushes:
        query = query.outerjoin(push, and_(push.order_id == SyncOutcome.order_id, push.account_id == run.account_id))
    if chosen == "unmapped":
        query = query.where(SyncOutcome.flagged.is_(True))
    elif chosen:
        query = query.where(SyncOutcome.outcome == chosen)
    page_number = page_number_or_one(request.args.get("page"))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // OUTCOMES_PER_PAGE))
    page_number = min(page_number, pages)
    rows = db.session.execute(query.order_by(SyncOutcome.order_id)
                              .limit(OUTCOMES_PER_PAGE).offset((page_number - 1) * OUTCOMES_PER_PAGE)).all()
    counts = {name: getattr(run, name) for name in ("pushed", "adopted", "skipped", "failed", "updated", "unmapped")}
    counts["unchanged"] = max(0, run.done - run.updated - run.failed) if kind is RunKind.STATUS else 0
    failed_since_in_partner = 0
    if follows_pushes and run.failed:
        failed_since_in_partner = db.session.scalar(
            select(func.count()).select_from(SyncOutcome)
            .join(push, and_(push.order_id == SyncOutcome.order_id, push.account_id == run.account_id))
            .where(SyncOutcome.run_id == run.id, SyncOutcome.outcome == Outcome.FAILED.value,
                   push.state.in_([PushState.PUSHED.value, PushState.ADOPTED.value])))
    return render_template("accounts/sync_run.html", site=site, run=run, kind=kind, rows=rows, filters=filters,
                           chosen=chosen, counts=counts, page_number=page_number, pages=pages, total=total,
                           follows_pushes=follows_pushes, failed_since_in_partner=failed_since_in_partner,
                           now_state=lambda value: PushState(value) if value else None,
                           active_tab="embedded_services", outcome_label=lambda value: Outcome(value).label(run.dry_run))


# --- the schedule of a link, the settings of an account ---------------------------------------

@bp.route("/sites/<id:site_id>/links/<id:link_id>/schedule", methods=["POST"])
def sync_schedule(site_id: int, link_id: int):
    """Save when Order Status Synchronization runs by itself for this account on this site."""
    site = get_site_or_404(site_id)
    link = get_site_link_or_404(site, link_id)
    form = ScheduleForm(link_id=link.id)
    if not form.validate_on_submit():
        if wants_fragment():
            return render_template("accounts/_sync_schedule.html", site=site, link=link,
                                   panel=sync_panel(link, form)), 422
        flash(" ".join(error for errors in form.errors.values() for error in errors), "error")
        return redirect(url_for("accounts.site_tab", site_id=site.id))
    set_schedule(link, Schedule(form.schedule.data), form.daily_at.data)
    db.session.commit()
    if wants_fragment():
        return render_template("accounts/_sync_schedule.html", site=site, link=link, panel=sync_panel(link),
                               schedule_saved=True)
    flash("Schedule saved.", "success")
    return redirect(url_for("accounts.site_tab", site_id=site.id))


@bp.route("/<id:account_id>/sync-settings", methods=["GET", "POST"])
def sync_settings(account_id: int):
    """An account's partner call cap and its PressWise status -> item status mapping."""
    account = get_account_or_404(account_id)
    seen = db.session.scalars(
        select(OrderIntegration.partner_status).distinct()
        .where(OrderIntegration.account_id == account.id, OrderIntegration.partner_status.is_not(None),
               OrderIntegration.state.in_([PushState.PUSHED.value, PushState.ADOPTED.value])).limit(200)
    ).all()
    overrides = account.status_mapping or {}
    status_map = StatusMap(overrides)
    # Statuses PressWise sent that nothing maps: shown, so they can be mapped here.
    seen_unmapped = [status for status in seen if status_map.item_status(status) is None]
    if request.method == "POST":
        form = SyncSettingsForm()
        if form.validate_on_submit():
            chosen = {row.status.data: row.item_status.data for row in form.rows}
            if form.new_status.data:
                chosen[form.new_status.data] = form.new_item_status.data
            try:
                account.status_mapping = overrides_from(chosen) or None
            except ValueError as error:
                form.new_status.errors.append(str(error))
            else:
                account.max_concurrent_calls = form.max_concurrent_calls.data
                db.session.commit()
                flash(f"Synchronization settings of “{account.name}” saved.", "success")
                return redirect(url_for("accounts.detail", account_id=account.id))
        status = 422
    else:
        rows = [{"status": status, "item_status": chosen_item_status(status, overrides)}
                for status in statuses_to_show(overrides, seen)]
        form = SyncSettingsForm(formdata=None, max_concurrent_calls=account.max_concurrent_calls, rows=rows)
        status = 200
    return render_template("accounts/sync_settings.html", account=account, form=form,
                           seen_unmapped=set(seen_unmapped), customized=set(overrides)), status
