"""Order Synchronization and Order Status Synchronization: lasting runs that a person (or a
schedule, or ``flask sync``) starts, that show their progress, can be cancelled, and stay readable.

**Starting** writes a ``SyncRun`` row holding its (site, account, kind) ``active_key``: a unique
column, so while one run is queued, running or cancelling, a second start finds it instead.
The row is committed, then its ID is handed to the ``sync`` queue (``jobs.sync.run_sync``).

**Executing** (``execute_run``, in a worker or in ``flask sync``): one conditional UPDATE
claims the queued row with a token; every later write checks the token, so an executor that
lost the run stops instead of counting twice. Orders are read in keyset-paged chunks and
handed to a thread pool as large as the account's call cap, with a bounded number in flight,
so memory stays flat whatever the site's size. The main thread collects what each order came
to and writes outcomes, counts and a heartbeat in one short transaction per batch (about every
half second), reading back whether someone pressed Cancel or switched the sync off.

- **Orders**: every order placed in the window on the site that PressWise does not have from
  this account. Held back by a rule: *skipped* with the rules. Eligible: ``request_push`` with
  ``reconcile_first`` (an older integration may have sent it: ``find_orders`` first, adopt if
  found) and ``run_push`` right in the pool: the same claim as every other push, so a Push
  Order click or the sweep at the same moment cannot send it twice. A dry run only asks
  ``find_orders`` and writes no push row.
- **Status**: every order pushed or adopted with the account on the site: ``get_order_status``
  in the pool; item statuses through the account's mapping, new shipments under their natural
  key (insert-ignore), the partner status on the order's push row.

**Interrupted**: a worker that dies stops writing heartbeats; the sweep (``sweep_runs``) marks
its run interrupted, and Resume queues it again: orders that already have an outcome in the run
are passed over, and a push that was under way is settled by the claim (its lease runs out, the
next attempt reconciles first).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.crypto import SecretUnreadable
from portal.domain.account_health import CallOutcome, truncate
from portal.domain.orders import integration_holds
from portal.domain.push import PushState, Trigger
from portal.domain.status_mapping import StatusMap
from portal.domain.sync import (
    ACTIVE_STATES,
    ORDERS_WINDOW_DAYS,
    ItemState,
    Outcome,
    RunKind,
    RunState,
    RunTrigger,
    Schedule,
    next_run_at,
    plan_status_update,
)
from portal.extensions import db
from portal.integration.account_calls import call_signal, note_call
from portal.integration.clients import outcome_of, partner_client
from portal.integration.push import (
    PushOutcome,
    attempt_push,
    insert_ignoring_conflict,
    lease_seconds,
    request_pushes,
)
from portal.models import (
    AdminUser,
    EmbeddedServicesAccount,
    Order,
    OrderIntegration,
    OrderItem,
    Shipment,
    SiteLink,
    SyncOutcome,
    SyncRun,
)
from portal.models.sync import active_key
from portal.models.types import utcnow
from portal.partners.base import PartnerApiError, PartnerAuthError, PartnerError
from portal.transactions import commit, retrying_locked

log = logging.getLogger(__name__)

SYNC_JOB = "jobs.sync.run_sync"
IN_PARTNER = (PushState.PUSHED.value, PushState.ADOPTED.value)
FLUSH_EVERY = 200  # outcomes per progress write at most
FLUSH_SECONDS = 0.5  # a progress write at least this often while results come in
HEARTBEAT_SECONDS = 2.0  # and at least this often when none do (all calls waiting on the partner)
# Partner failures in a row that stop a run (an outage): max(this, 3 x the call cap).
CONSECUTIVE_FAILURES_TO_STOP = 20
QUEUED_GRACE_SECONDS = 30  # a queued run without a job this long is handed to the queue again


class RunRefused(Exception):
    """The run cannot start (or go on): the message says why, in the admin's words."""


@dataclass(frozen=True)
class StartResult:
    run: SyncRun
    started: bool  # False: a run of this kind was already under way, and ``run`` is that one


# --- starting, cancelling, resuming ---------------------------------------------------------

def why_not(link: SiteLink | None, kind: RunKind, *, dry_run: bool = False) -> str | None:
    """Why a run of ``kind`` cannot start on this link now, or None. The buttons show it, disabled."""
    if link is None:
        return "The account is not attached to this site any more."
    account = link.account
    if not account.subscriber.embedded_services_authorized:
        return "Embedded Services is not available to this subscriber."
    if not account.active:
        return f"“{account.name}” is inactive: reactivate it on its page first."
    if account.is_paused:
        return f"“{account.name}” is paused ({account.paused_reason}). Fix that and press Resume first."
    if not link.active:
        return f"“{account.name}” is not active on this site: tick Active and Save first."
    if not link.customer_id:
        return "This site has no PressWise customer ID for the account: enter it and Save first."
    if kind is RunKind.ORDERS and not link.sync_orders and not dry_run:
        return (f"Synchronize Orders is off for “{account.name}” on this site, so no order is pushed with it. "
                "Turn it on and Save to push orders; a dry run shows what would happen without sending anything.")
    if kind is RunKind.STATUS and not link.sync_status:
        return (f"Synchronize Status is off for “{account.name}” on this site. "
                "Turn it on and Save to bring PressWise status and shipments back to the orders.")
    return None


def active_run(site_id: int, account_id: int, kind: RunKind) -> SyncRun | None:
    return db.session.scalar(select(SyncRun).where(SyncRun.active_key == active_key(site_id, account_id, kind.value)))


def start_run(link: SiteLink, kind: RunKind, *, dry_run: bool = False, trigger: RunTrigger = RunTrigger.MANUAL,
              started_by: AdminUser | None = None, started_by_name: str = "", enqueue: bool = True) -> StartResult:
    """Queue a run of ``kind`` on ``link``, or find the one under way. Raises ``RunRefused``."""
    reason = why_not(link, kind, dry_run=dry_run)
    if reason is not None:
        raise RunRefused(reason)
    dry_run = dry_run and kind is RunKind.ORDERS
    site_id, account_id = link.site_id, link.account_id
    for _ in range(3):
        existing = active_run(site_id, account_id, kind)
        if existing is not None:
            return StartResult(existing, started=False)
        now = utcnow()
        run = SyncRun(
            kind=kind.value, site_id=site_id, account_id=account_id, trigger=trigger.value,
            started_by_id=started_by.id if started_by else None,
            started_by_name=truncate(started_by_name or (started_by.name if started_by else ""), 120),
            window_start=now - timedelta(days=ORDERS_WINDOW_DAYS) if kind is RunKind.ORDERS else None,
            window_end=now if kind is RunKind.ORDERS else None,
            dry_run=dry_run, state=RunState.QUEUED.value, active_key=active_key(site_id, account_id, kind.value),
            created_at=now,
        )
        db.session.add(run)
        try:
            commit()
        except IntegrityError:
            db.session.rollback()  # another start won the active key: show that one
            continue
        if enqueue:
            enqueue_run(run.id)
        return StartResult(run, started=True)
    existing = active_run(site_id, account_id, kind)
    if existing is None:
        raise RunRefused("Another run was starting at the same moment; try again.")
    return StartResult(existing, started=False)


def enqueue_run(run_id: int) -> bool:
    """Hand the run to a worker on the ``sync`` queue. Each hand-over gets a job of its own (the
    claim decides who executes, so a duplicate job does nothing). A Redis failure is logged and
    left to the sweep: the row is the truth."""
    from portal.queue import task_queue

    job_id = f"sync-run-{run_id}-{secrets.token_hex(4)}"
    try:
        task_queue("sync").enqueue(SYNC_JOB, run_id, job_id=job_id, job_timeout=current_app.config["SYNC_JOB_TIMEOUT"],
                                   result_ttl=3600, failure_ttl=7 * 24 * 3600, description=f"sync run {run_id}")
    except (RedisError, OSError) as error:
        log.warning("could not enqueue sync run %s (the sweep will): %s", run_id, error)
        return False
    retrying_locked(lambda: db.session.execute(update(SyncRun).where(SyncRun.id == run_id).values(job_id=job_id)))
    commit()
    return True


def cancel_run(run: SyncRun) -> bool:
    """Ask the run to stop: a queued one stops at once, a running one after the orders under way."""
    now = utcnow()
    cancelled_queued = retrying_locked(lambda: db.session.execute(
        update(SyncRun).where(SyncRun.id == run.id, SyncRun.state == RunState.QUEUED.value)
        .values(state=RunState.CANCELLED.value, active_key=None, cancel_requested_at=now, finished_at=now,
                message="Cancelled before a worker started it.")
    ).rowcount)
    asked = cancelled_queued or retrying_locked(lambda: db.session.execute(
        update(SyncRun).where(SyncRun.id == run.id, SyncRun.state == RunState.RUNNING.value)
        .values(state=RunState.CANCELLING.value, cancel_requested_at=now)
    ).rowcount)
    commit()
    return bool(asked)


def resume_run(run: SyncRun) -> StartResult:
    """Queue an interrupted (or stopped) run again; it goes on where it stopped. Raises ``RunRefused``."""
    if not RunState(run.state).resumable:
        if RunState(run.state).active:
            return StartResult(run, started=False)
        raise RunRefused("Only an interrupted or stopped run can be resumed; start a new one instead.")
    link = db.session.scalar(select(SiteLink).where(SiteLink.site_id == run.site_id,
                                                    SiteLink.account_id == run.account_id))
    kind = RunKind(run.kind)
    reason = why_not(link, kind, dry_run=run.dry_run)
    if reason is not None:
        raise RunRefused(reason)
    existing = active_run(run.site_id, run.account_id, kind)
    if existing is not None:
        return StartResult(existing, started=False)
    try:
        resumed = retrying_locked(lambda: db.session.execute(
            update(SyncRun).where(SyncRun.id == run.id, SyncRun.state.in_([s.value for s in RunState if s.resumable]))
            .values(state=RunState.QUEUED.value, active_key=active_key(run.site_id, run.account_id, run.kind),
                    resumed_count=SyncRun.resumed_count + 1, message=None, finished_at=None, cancel_requested_at=None)
        ).rowcount)
        commit()
    except IntegrityError:
        db.session.rollback()
        existing = active_run(run.site_id, run.account_id, kind)
        if existing is None:
            raise RunRefused("Another run was starting at the same moment; try again.") from None
        return StartResult(existing, started=False)
    if resumed:
        enqueue_run(run.id)
    db.session.refresh(run)
    return StartResult(run, started=bool(resumed))


# --- the sweep and the schedules -------------------------------------------------------------

@dataclass(frozen=True)
class RunSweepReport:
    interrupted: int
    requeued: int


def sweep_runs(now: datetime | None = None) -> RunSweepReport:
    """Mark runs whose executor stopped writing as interrupted; hand lost queued runs to the queue again."""
    now = now or utcnow()
    stale = now - timedelta(seconds=current_app.config["SYNC_STALE_SECONDS"])
    commit()
    interrupted = retrying_locked(lambda: db.session.execute(
        update(SyncRun).where(SyncRun.state == RunState.RUNNING.value, SyncRun.heartbeat_at < stale)
        .values(state=RunState.INTERRUPTED.value, active_key=None, owner_token=None,
                message=f"Its worker stopped answering (last heard of at {stale:%Y-%m-%d %H:%M:%S} UTC or before). "
                        "Resume goes on where it stopped.")
    ).rowcount)
    # Someone asked it to stop, and its worker is gone: it stopped.
    interrupted += retrying_locked(lambda: db.session.execute(
        update(SyncRun).where(SyncRun.state == RunState.CANCELLING.value, SyncRun.heartbeat_at < stale)
        .values(state=RunState.CANCELLED.value, active_key=None, owner_token=None, finished_at=now)
    ).rowcount)
    commit()
    waiting = db.session.execute(
        select(SyncRun.id, SyncRun.job_id).where(SyncRun.state == RunState.QUEUED.value,
                                                  SyncRun.created_at < now - timedelta(seconds=QUEUED_GRACE_SECONDS))
    ).all()
    commit()
    requeued = 0
    for run_id, job_id in waiting:
        if not _job_pending(job_id) and enqueue_run(run_id):
            requeued += 1
    if interrupted or requeued:
        log.info("sync sweep: %s run(s) interrupted, %s handed to workers again", interrupted, requeued)
    return RunSweepReport(interrupted, requeued)


def _job_pending(job_id: str | None) -> bool:
    if not job_id:
        return False
    from rq.job import Job

    from portal.queue import redis_connection

    try:
        status = redis_connection().hget(Job.key_for(job_id), "status")
    except (RedisError, OSError):
        return True  # cannot tell: leave it
    return bool(status) and status.decode() in ("queued", "started", "scheduled", "deferred")


def set_schedule(link: SiteLink, schedule: Schedule, daily_at=None, now: datetime | None = None) -> None:
    """Save a link's status schedule and when it is next due (the caller commits)."""
    link.status_schedule = schedule.value
    link.status_schedule_time = daily_at if schedule is Schedule.DAILY else None
    link.status_schedule_next_at = next_run_at(schedule, now or utcnow(), link.status_schedule_time)


def start_scheduled_runs(now: datetime | None = None) -> list[int]:
    """Start the status runs whose schedule is due; returns the IDs of the runs started.

    Each due link is taken by moving its next time forward in one conditional UPDATE, so two
    cron processes do not both start it; a run already under way is left alone (the active
    key), and a link that cannot sync now (switch off, account paused) waits for its next time.
    """
    now = now or utcnow()
    due = db.session.scalars(
        select(SiteLink).where(SiteLink.status_schedule != Schedule.OFF.value,
                               SiteLink.status_schedule_next_at <= now)
        .options(selectinload(SiteLink.account)).order_by(SiteLink.id)
    ).all()
    started = []
    for link in due:
        schedule = Schedule(link.status_schedule)
        following = next_run_at(schedule, now, link.status_schedule_time)
        taken = retrying_locked(lambda: db.session.execute(
            update(SiteLink).where(SiteLink.id == link.id,
                                   SiteLink.status_schedule_next_at == link.status_schedule_next_at)
            .values(status_schedule_next_at=following).execution_options(synchronize_session=False)
        ).rowcount)
        commit()
        if not taken:
            continue
        try:
            result = start_run(link, RunKind.STATUS, trigger=RunTrigger.SCHEDULED, started_by_name="Scheduled")
        except RunRefused as refused:
            log.info("scheduled status sync of link %s not started: %s", link.id, refused)
            continue
        if result.started:
            started.append(result.run.id)
    return started


# --- executing ----------------------------------------------------------------------------

ProgressCallback = Callable[[SyncRun], None]


def execute_run(run_id: int, *, progress: ProgressCallback | None = None) -> str:
    """Claim a queued run and carry it out here; returns its state afterwards ("not claimed" when
    it was not queued, e.g. cancelled meanwhile or taken by another executor)."""
    token = secrets.token_hex(16)
    now = utcnow()
    commit()
    claimed = retrying_locked(lambda: db.session.execute(
        update(SyncRun).where(SyncRun.id == run_id, SyncRun.state == RunState.QUEUED.value)
        .values(state=RunState.RUNNING.value, owner_token=token, heartbeat_at=now,
                started_at=func.coalesce(SyncRun.started_at, now))
    ).rowcount)
    commit()
    if claimed != 1:
        return "not claimed"
    executor = _Executor(run_id, token, progress)
    try:
        return executor.execute()
    except Exception as error:  # noqa: BLE001  the run must not stay "running" for the sweep to find
        log.exception("sync run %s stopped by an error", run_id)
        db.session.rollback()
        executor.finish(RunState.FAILED, f"Stopped by an unexpected error ({type(error).__name__}); "
                                         "it was logged. Resume goes on where it stopped.")
        return RunState.FAILED.value


@dataclass
class _Result:
    order_id: int
    outcome: Outcome
    detail: str = ""
    partner_order_id: str | None = None
    flagged: bool = False
    partner_failure: bool = False  # the partner (not the order) failed: counts towards an outage
    stop: str | None = None  # stop the run with this message (the account was paused)
    status_answer: object | None = None  # status runs: applied in the next progress write
    context: tuple | None = None
    signal: CallOutcome | None = None  # what the run's own call says about the account (pushes note theirs)


class _Executor:
    """One execution of one run (see the module docstring)."""

    def __init__(self, run_id: int, token: str, progress: ProgressCallback | None):
        self.app = current_app._get_current_object()
        self.run_id = run_id
        self.token = token
        self.progress = progress
        db.session().expire_on_commit = False
        self.run = db.session.get(SyncRun, run_id)
        self.kind = RunKind(self.run.kind)
        self.account = db.session.scalar(
            select(EmbeddedServicesAccount).where(EmbeddedServicesAccount.id == self.run.account_id)
            .options(selectinload(EmbeddedServicesAccount.subscriber)))
        self.link = db.session.scalar(select(SiteLink).where(SiteLink.site_id == self.run.site_id,
                                                             SiteLink.account_id == self.run.account_id))
        self.cap = max(1, self.account.max_concurrent_calls)
        # More threads than call slots: while some write to the database, the others keep every slot busy.
        self.pool_size = min(2 * self.cap, 64)
        self.chunk_size = int(self.app.config["SYNC_CHUNK_SIZE"])
        self.pending: dict[Future, int] = {}
        self.to_request: list[int] = []  # eligible orders whose pushes are asked for in one batch
        self.buffer: list[_Result] = []
        self.stop_state: RunState | None = None
        self.stop_message: str | None = None
        self.lost = False
        self.failures_in_a_row = 0
        self.answered: CallOutcome | None = None  # since the last progress write: noted on the account
        self.failing: CallOutcome | None = None
        self.an_answer = call_signal(None, self.account.partner_name)
        self.failures_to_stop = max(CONSECUTIVE_FAILURES_TO_STOP, 3 * self.cap)
        self.last_write = time.monotonic()
        self.status_map = StatusMap(self.account.status_mapping)
        trigger = RunTrigger(self.run.trigger)
        self.push_trigger = Trigger.AUTOMATIC if trigger is RunTrigger.SCHEDULED else Trigger.MANUAL
        self.requested_by = truncate(f"{self.run.who} ({self.kind.label})", 120)

    # -- the loop --

    def execute(self) -> str:
        reason = why_not(self.link, self.kind, dry_run=self.run.dry_run)
        if reason is not None:
            self.finish(RunState.FAILED, reason)
            return RunState.FAILED.value
        if self.run.resumed_count == 0 and self.run.done == 0:
            self._write_total()
        try:
            self.client = partner_client(self.account, bulk=True)
        except SecretUnreadable:
            self.finish(RunState.FAILED, "The stored password cannot be decrypted with the configured keys. "
                                         "Enter the password and authorization code again on the account.")
            return RunState.FAILED.value
        with ThreadPoolExecutor(max_workers=self.pool_size, thread_name_prefix=f"sync-run-{self.run_id}") as pool:
            self.pool = pool
            try:
                for chunk in self._chunks():
                    for entry in chunk:
                        if self.stopping:
                            break
                        self._handle(entry)
                        while len(self.pending) >= 4 * self.cap:
                            self._collect()
                    if self.stopping:
                        break
                    self._request_pushes()
                while self.pending:
                    self._collect()
            except KeyboardInterrupt:  # flask sync: Ctrl-C stops the run cleanly
                self.stop_state, self.stop_message = RunState.CANCELLED, "Cancelled from the command line."
                while self.pending:
                    self._collect()
        self._write()
        if self.lost:
            return "lost"
        if self.stop_state is not None:
            self.finish(self.stop_state, self.stop_message)
        else:
            self.finish(RunState.FINISHED, None)
        return (self.stop_state or RunState.FINISHED).value

    @property
    def stopping(self) -> bool:
        return self.lost or self.stop_state is not None

    def _collect(self) -> None:
        done, _ = wait(list(self.pending), timeout=1.0, return_when=FIRST_COMPLETED)
        for future in done:
            order_id = self.pending.pop(future)
            try:
                result = future.result()
            except Exception as error:  # noqa: BLE001  one order's surprise must not end the run
                log.exception("sync run %s: order %s", self.run_id, order_id)
                result = _Result(order_id, Outcome.FAILED, f"Unexpected error ({type(error).__name__}); it was logged.")
            if result is not None:  # None: not started, the run was stopping
                self._record(result)
        self._maybe_write()

    def _record(self, result: _Result) -> None:
        if result.signal is not None:
            if result.signal.ok:
                self.answered = result.signal
            else:
                self.failing = result.signal
        if result.partner_failure:
            self.failures_in_a_row += 1
            if self.failures_in_a_row >= self.failures_to_stop and self.stop_state is None:
                self.stop_state = RunState.FAILED
                self.stop_message = (f"{self.account.partner_name} failed {self.failures_in_a_row} calls in a row "
                                     f"(last: {result.detail}) The run stopped; press Resume once it answers again.")
        elif result.outcome is not Outcome.SKIPPED:
            self.failures_in_a_row = 0
        if result.stop and self.stop_state is None:
            self.stop_state, self.stop_message = RunState.FAILED, result.stop
        self.buffer.append(result)

    def _maybe_write(self) -> None:
        since = time.monotonic() - self.last_write
        if len(self.buffer) >= FLUSH_EVERY or (self.buffer and since >= FLUSH_SECONDS) or since >= HEARTBEAT_SECONDS:
            self._write()

    # -- reading the orders, a chunk at a time --

    def _chunks(self):
        reader = self._order_chunks if self.kind is RunKind.ORDERS else self._status_chunks
        for chunk in reader():
            if self.run.resumed_count:
                ids = [entry[0] for entry in chunk]
                seen = set(db.session.scalars(select(SyncOutcome.order_id).where(
                    SyncOutcome.run_id == self.run_id, SyncOutcome.order_id.in_(ids))))
                chunk = [entry for entry in chunk if entry[0] not in seen]
            commit()
            yield chunk

    def _orders_query(self):
        run = self.run
        row = OrderIntegration
        return (
            select(Order.id, Order.placed_at)
            .outerjoin(row, and_(row.order_id == Order.id, row.account_id == run.account_id))
            .where(Order.site_id == run.site_id, Order.placed_at >= run.window_start,
                   Order.placed_at <= run.window_end,
                   # Not in PressWise from this account, or put there while this run was under way.
                   or_(row.id.is_(None), row.state.not_in(IN_PARTNER), row.pushed_at >= run.created_at))
        )

    def _write_total(self) -> None:
        if self.kind is RunKind.ORDERS:
            total = db.session.scalar(select(func.count()).select_from(self._orders_query().subquery()))
        else:
            total = db.session.scalar(select(func.count()).select_from(self._status_query().subquery()))
        commit()
        self._update(total=total)
        commit()

    def _order_chunks(self):
        cursor = None
        query = self._orders_query().order_by(Order.placed_at, Order.id).limit(self.chunk_size)
        while True:
            page = query if cursor is None else query.where(
                or_(Order.placed_at > cursor[0], and_(Order.placed_at == cursor[0], Order.id > cursor[1])))
            keys = db.session.execute(page).all()
            if not keys:
                return
            cursor = (keys[-1].placed_at, keys[-1].id)
            orders = db.session.scalars(
                select(Order).where(Order.id.in_([key.id for key in keys])).options(selectinload(Order.items))
            ).all()
            states = dict(db.session.execute(
                select(OrderIntegration.order_id, OrderIntegration)
                .where(OrderIntegration.account_id == self.run.account_id,
                       OrderIntegration.order_id.in_([key.id for key in keys]))).all())
            by_id = {order.id: order for order in orders}
            chunk = [(key.id, by_id[key.id], states.get(key.id)) for key in keys if key.id in by_id]
            yield chunk
            for loaded in [*orders, *states.values()]:  # memory stays flat: the session forgets each chunk
                db.session.expunge(loaded)

    def _status_query(self):
        row = OrderIntegration
        return (
            select(row.order_id, row.id, row.partner_order_id, row.partner_job_ids, row.partner_status)
            .join(Order, Order.id == row.order_id)
            .where(row.account_id == self.run.account_id, row.state.in_(IN_PARTNER),
                   row.partner_order_id.is_not(None), Order.site_id == self.run.site_id)
        )

    def _status_chunks(self):
        cursor = 0
        query = self._status_query().order_by(OrderIntegration.id).limit(self.chunk_size)
        while True:
            rows = db.session.execute(query.where(OrderIntegration.id > cursor)).all()
            if not rows:
                return
            cursor = rows[-1].id
            yield [tuple(r) for r in rows]

    # -- one order --

    def _handle(self, entry) -> None:
        if self.kind is RunKind.STATUS:
            order_id, _, partner_order_id, _, _ = entry
            self._submit(order_id, self._status_task, order_id, partner_order_id, entry)
            return
        order_id, order, integration = entry
        if integration is not None and integration.state in IN_PARTNER:
            # PressWise got it while this run was under way (from this run before an interruption, or from
            # an automatic push): counted here, not sent again.
            self._record(_Result(order_id, Outcome(integration.state),
                                 "In PressWise since " + (f"{integration.pushed_at:%H:%M:%S} UTC" if integration.pushed_at
                                                          else "during this run") + "; not sent again.",
                                 integration.partner_order_id))
            return
        holds = integration_holds(order)
        if holds:
            self._record(_Result(order_id, Outcome.SKIPPED, " ".join(hold.message for hold in holds)))
            return
        if self.run.dry_run:
            self._submit(order_id, self._dry_run_task, order_id, order.number)
        else:
            self.to_request.append(order_id)
            if len(self.to_request) >= self.cap:
                self._request_pushes()

    def _request_pushes(self) -> None:
        """Ask for the pushes of a batch of eligible orders (one short write, ``request_push`` semantics:
        reconcile first), then hand each to the pool to attempt.

        Only as many as there are idle threads: an order asked for is attempted at once, so Cancel
        (or a stop) never leaves one queued behind for the sweep to send after the run stopped."""
        batch, self.to_request = self.to_request, []
        while self.pending and len(self.pending) + len(batch) > self.pool_size and not self.stopping:
            self._collect()
        if not batch or self.stopping:
            return

        def ask():
            asked = request_pushes(batch, self.account, trigger=self.push_trigger, requested_by=self.requested_by,
                                   reconcile_first=True)
            db.session.commit()
            return asked

        commit()
        asked = retrying_locked(ask)
        for order_id in batch:
            self._submit(order_id, self._push_task, order_id, asked[order_id].integration_id)

    def _submit(self, order_id: int, task, *args) -> None:
        self.pending[self.pool.submit(task, *args)] = order_id

    def _dry_run_task(self, order_id: int, number: str) -> _Result | None:
        if self.stopping:
            return None
        try:
            found = self.client.find_orders(number, customer_id=self.link.customer_id)
        except PartnerError as error:
            return self._partner_failure(order_id, error)
        if found:
            return _Result(order_id, Outcome.ADOPTED, f"PressWise already has it as order {found[0].partner_order_id}: "
                                                      "it would be adopted, not sent.", found[0].partner_order_id,
                           signal=self.an_answer)
        return _Result(order_id, Outcome.PUSHED, "PressWise does not have it: it would be sent.", signal=self.an_answer)

    def _push_task(self, order_id: int, integration_id: int) -> _Result:
        """One attempt on the same exactly-once path as every push (the claim decides who sends)."""
        with self.app.app_context():
            outcome = attempt_push(integration_id, bulk=True)
            if outcome.state == "not claimed":  # another worker holds it (a Push Order click, the sweep): let it finish
                outcome = self._wait_until_settled(integration_id)
        state, partner_order_id = outcome.state, outcome.partner_order_id
        if state == "gone":
            return _Result(order_id, Outcome.SKIPPED, "The order is gone.")
        if state == PushState.PUSHED.value:
            return _Result(order_id, Outcome.PUSHED, f"PressWise order {partner_order_id}.", partner_order_id)
        if state == PushState.ADOPTED.value:
            return _Result(order_id, Outcome.ADOPTED, f"PressWise already had it as order {partner_order_id}: "
                                                      "adopted, not sent again.", partner_order_id)
        if state in ("waiting", PushState.QUEUED.value):  # the account is paused (maybe by this very attempt)
            reason = outcome.error or f"“{self.account.name}” is paused or inactive."
            return _Result(order_id, Outcome.FAILED, reason, stop=f"Stopped: the account cannot be used now. {reason}")
        if state in (PushState.RETRYING.value, PushState.UNKNOWN.value):
            return _Result(order_id, Outcome.FAILED, outcome.error or state, partner_failure=True)
        if state == PushState.FAILED.value:
            return _Result(order_id, Outcome.FAILED, outcome.error or "Failed.")
        return _Result(order_id, Outcome.SKIPPED, "Another worker is pushing it right now; it finishes on its own "
                                                  "(see the order).")

    def _wait_until_settled(self, integration_id: int) -> PushOutcome:
        """Another worker holds the push's lease. Let it finish; if its lease runs out first (that
        worker died), take the push over: the claim then reconciles before sending anything."""
        deadline = time.monotonic() + lease_seconds() + 5
        while time.monotonic() < deadline and not self.stopping:
            time.sleep(0.2)
            outcome = attempt_push(integration_id, bulk=True)
            if outcome.state != "not claimed":
                return outcome
        return PushOutcome("not claimed")

    def _status_task(self, order_id: int, partner_order_id: str, context: tuple) -> _Result | None:
        if self.stopping:
            return None
        try:
            answer = self.client.get_order_status(partner_order_id)
        except PartnerError as error:
            return self._partner_failure(order_id, error)
        return _Result(order_id, Outcome.UNCHANGED, partner_order_id=partner_order_id, status_answer=answer,
                       context=context, signal=self.an_answer)

    def _partner_failure(self, order_id: int, error: PartnerError) -> _Result:
        message = outcome_of(error, self.account.partner_name).message
        if isinstance(error, PartnerAuthError):
            return _Result(order_id, Outcome.FAILED, message, stop=self._pause_account(error))
        return _Result(order_id, Outcome.FAILED, message, partner_failure=not isinstance(error, PartnerApiError),
                       signal=call_signal(error, self.account.partner_name))

    def _pause_account(self, error: PartnerError) -> str:
        outcome = outcome_of(error, self.account.partner_name)
        with self.app.app_context():
            def write() -> None:
                account = db.session.get(EmbeddedServicesAccount, self.account.id)
                account.record_outcome(outcome)
                account.pause(outcome.message)
                db.session.commit()

            retrying_locked(write)
        return f"Stopped: {outcome.message} The account is paused; fix it, press Resume there, then resume this run."

    # -- writing progress --

    def _update(self, **values) -> int:
        return retrying_locked(lambda: db.session.execute(
            update(SyncRun).where(SyncRun.id == self.run_id, SyncRun.owner_token == self.token).values(**values)
        ).rowcount)

    def _write(self) -> None:
        """Outcomes, counts and heartbeat of the results so far, in one transaction; read back Cancel."""
        batch, self.buffer = self.buffer, []
        self.last_write = time.monotonic()
        commit()

        def write():
            now = utcnow()
            owned = db.session.execute(
                update(SyncRun).where(SyncRun.id == self.run_id, SyncRun.owner_token == self.token)
                .values(heartbeat_at=now)).rowcount
            if owned != 1:
                db.session.rollback()
                return None
            if self.kind is RunKind.STATUS:
                self._apply_status(batch)
            counts = Counter()
            rows = []
            for result in batch:
                counts[result.outcome.value] += 1
                counts["unmapped"] += result.flagged
                rows.append({"run_id": self.run_id, "order_id": result.order_id, "outcome": result.outcome.value,
                             "flagged": result.flagged, "detail": truncate(result.detail, 500),
                             "partner_order_id": result.partner_order_id, "created_at": now})
            if rows:
                insert_ignoring_conflict(SyncOutcome.__table__, rows, ("run_id", "order_id"))
                run = SyncRun
                db.session.execute(
                    update(run).where(run.id == self.run_id)
                    .values(done=run.done + len(rows), pushed=run.pushed + counts["pushed"],
                            adopted=run.adopted + counts["adopted"], skipped=run.skipped + counts["skipped"],
                            failed=run.failed + counts["failed"], updated=run.updated + counts["updated"],
                            unmapped=run.unmapped + counts["unmapped"]))
            control = db.session.execute(
                select(SyncRun.cancel_requested_at, SiteLink.active, SiteLink.sync_orders, SiteLink.sync_status,
                       EmbeddedServicesAccount.active.label("account_active"), EmbeddedServicesAccount.paused_at,
                       EmbeddedServicesAccount.paused_reason)
                .select_from(SyncRun)
                .join(EmbeddedServicesAccount, EmbeddedServicesAccount.id == SyncRun.account_id)
                .outerjoin(SiteLink, and_(SiteLink.site_id == SyncRun.site_id, SiteLink.account_id == SyncRun.account_id))
                .where(SyncRun.id == self.run_id)).one()
            db.session.commit()
            return control

        control = retrying_locked(write)
        if control is None:
            log.warning("sync run %s: another executor owns it now; this one stops", self.run_id)
            self.lost = True
            return
        self._note_calls()
        self._react(control)
        if self.progress is not None:
            self.progress(self._snapshot())

    def _note_calls(self) -> None:
        """The account's call history: failures first, so a batch the partner also answered ends healthy."""
        failing, answered, self.failing, self.answered = self.failing, self.answered, None, None
        note_call(self.account.id, failing)
        note_call(self.account.id, answered)

    def _react(self, control) -> None:
        if self.stop_state is not None:
            return
        if control.cancel_requested_at is not None:
            self.stop_state, self.stop_message = RunState.CANCELLED, None
        elif control.active is None:
            self.stop_state, self.stop_message = RunState.FAILED, "Stopped: the account was detached from the site."
        elif not control.active or not control.account_active:
            self.stop_state, self.stop_message = RunState.FAILED, "Stopped: the account was switched off."
        elif control.paused_at is not None:
            self.stop_state = RunState.FAILED
            self.stop_message = f"Stopped: the account was paused ({control.paused_reason})."
        elif self.kind is RunKind.ORDERS and not self.run.dry_run and not control.sync_orders:
            self.stop_state, self.stop_message = RunState.FAILED, "Stopped: Synchronize Orders was turned off."
        elif self.kind is RunKind.STATUS and not control.sync_status:
            self.stop_state, self.stop_message = RunState.FAILED, "Stopped: Synchronize Status was turned off."

    def _snapshot(self) -> SyncRun:
        snapshot = db.session.get(SyncRun, self.run_id, populate_existing=True)
        db.session.commit()
        return snapshot

    def _apply_status(self, batch: list[_Result]) -> None:
        """Item statuses, shipments and partner statuses of a batch of status answers (inside ``_write``)."""
        answered = [result for result in batch if result.status_answer is not None]
        if not answered:
            return
        order_ids = [result.order_id for result in answered]
        items: dict[int, list[ItemState]] = {}
        for item_id, order_id, number, status in db.session.execute(
                select(OrderItem.id, OrderItem.order_id, OrderItem.number, OrderItem.status)
                .where(OrderItem.order_id.in_(order_ids)).order_by(OrderItem.order_id, OrderItem.number)):
            items.setdefault(order_id, []).append(ItemState(item_id, number, status))
        known = set(db.session.execute(
            select(Shipment.item_id, Shipment.partner_key).join(OrderItem, OrderItem.id == Shipment.item_id)
            .where(OrderItem.order_id.in_(order_ids), Shipment.partner_key.is_not(None))).all())
        item_updates, shipments, status_updates = [], [], []
        for result in answered:
            _, integration_id, _, job_ids, stored_status = result.context
            answer = result.status_answer
            plan = plan_status_update(answer, items.get(result.order_id, []), job_ids or {}, self.status_map, known)
            item_updates += [{"id": item_id, "status": status} for item_id, status in plan.item_statuses.items()]
            shipments += [{"item_id": s.item_id, "partner_key": s.key, "ship_date": s.ship_date, "method": s.method[:80],
                           "carrier": s.carrier[:80], "tracking_number": s.tracking_number[:80], "cost": s.cost,
                           "created_at": utcnow()} for s in plan.shipments]
            changed = plan.changed
            if answer.status and answer.status != stored_status:
                status_updates.append({"id": integration_id, "partner_status": answer.status[:80]})
                plan.changes.insert(0, f"PressWise status: {stored_status or 'none'} → {answer.status}.")
                changed = True
            result.outcome = Outcome.UPDATED if changed else Outcome.UNCHANGED
            result.flagged = bool(plan.unmapped)
            result.detail = plan.describe()
            result.status_answer = None
        if item_updates:
            db.session.execute(update(OrderItem), item_updates)
        if status_updates:
            db.session.execute(update(OrderIntegration), status_updates)
        if shipments:
            insert_ignoring_conflict(Shipment.__table__, shipments, ("item_id", "partner_key"))

    def finish(self, state: RunState, message: str | None) -> None:
        now = utcnow()
        commit()
        retrying_locked(lambda: db.session.execute(
            update(SyncRun).where(SyncRun.id == self.run_id, SyncRun.owner_token == self.token)
            .values(state=state.value, active_key=None, owner_token=None, finished_at=now, heartbeat_at=now,
                    message=truncate(message, 500) if message else None)))
        commit()
        if self.progress is not None:
            self.progress(self._snapshot())


def run_states_active() -> list[str]:
    return [state.value for state in ACTIVE_STATES]
