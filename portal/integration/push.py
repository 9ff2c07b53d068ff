"""The exactly-once push of an order to a partner account.

Asking for a push (an order became eligible, an admin pressed Push Order, the sweep) only
writes a row and enqueues its ID. The work happens in ``run_push``, in a worker:

1. **Claim**: one conditional UPDATE moves the row to SENDING with a lease, and only the
   worker whose UPDATE changed a row may call the partner. It is committed before any call,
   so a worker killed mid-call leaves a SENDING row whose lease runs out; whoever claims it
   next must reconcile first.
2. **Reconcile** when a request may already have reached the partner: ``find_orders`` by order
   number; an order found there is *adopted*, never sent again.
3. **User**: the ordering site user's partner login, created (or found) once per account.
4. **Send** ``add_purchase_order`` and store the partner's order and job numbers; a failure
   moves the row as ``portal.domain.push.after_failure`` says (retry later, unknown, failed,
   or waiting for a paused account).

Every write after the claim checks the lease token, so a worker that lost its lease cannot
overwrite what another did. Writes are short transactions of their own (SQLite serialises
writers; no transaction holds a lock while the partner is called).
"""

from __future__ import annotations

import functools
import logging
import random
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import and_, bindparam, case, insert, or_, select, update
from sqlalchemy.orm import joinedload

from portal.crypto import SecretUnreadable
from portal.domain.account_health import CallOutcome, Outcome, truncate
from portal.domain.orders import integration_holds, is_eligible
from portal.domain.push import RESTARTABLE, PushState, Trigger, after_failure
from portal.extensions import db
from portal.integration.account_calls import call_signal, note_call
from portal.integration.clients import job_timeout, outcome_of, partner_client
from portal.models import (
    EmbeddedServicesAccount,
    Order,
    OrderIntegration,
    PushAttempt,
    SiteLink,
    Subscriber,
    UserIntegration,
)
from portal.models.types import UTCDateTime, utcnow
from portal.partners.base import Partner, PartnerError
from portal.partners.presswise.mapping import INITIAL_STATUSES
from portal.queue import redis_connection, task_queue
from portal.transactions import commit, retrying_locked

log = logging.getLogger(__name__)

PUSH_JOB = "jobs.push.push_order"
# Calls one push may make: find_orders (reconcile), create_user, add_purchase_order.
CALLS_PER_PUSH = 3
PENDING_JOB_STATES = {"queued", "started", "scheduled", "deferred"}
# A claim's calls end this long before its lease does: the workers' clocks may differ a little.
LEASE_MARGIN_SECONDS = 0.5


# --- asking for a push -------------------------------------------------------------------

@dataclass(frozen=True)
class PushRequest:
    integration_id: int
    state: PushState
    queued: bool  # this request (re)started the push; False: it was already in PressWise or under way


def push_when_eligible(order: Order) -> list[PushRequest]:
    """Queue ``order`` for every account of its site that pushes orders automatically.

    Called when the order's last integration rule became true, or when it arrived already
    eligible. Commits the rows, then enqueues: a worker never picks up a row it cannot see,
    and if Redis is down the queued rows wait for the sweep.
    """
    if not is_eligible(order):
        return []
    links = db.session.scalars(
        select(SiteLink).join(SiteLink.account)
        .join(EmbeddedServicesAccount.subscriber)
        .where(SiteLink.site_id == order.site_id, SiteLink.active.is_(True), SiteLink.sync_orders.is_(True),
               EmbeddedServicesAccount.active.is_(True), Subscriber.embedded_services_authorized_at.is_not(None))
        .order_by(SiteLink.id)
    ).all()
    requests = [request_push(order, link.account, trigger=Trigger.AUTOMATIC) for link in links if link.customer_id]
    commit()
    for request in requests:
        if request.queued:
            enqueue_push(request.integration_id)
    return requests


def request_push(order: Order, account: EmbeddedServicesAccount, *, trigger: Trigger, requested_by: str = "",
                 reconcile_first: bool = False) -> PushRequest:
    """Make sure a push of ``order`` to ``account`` is queued, unless PressWise has it or one is under way.

    Safe when many ask at once: the row is inserted with ON CONFLICT DO NOTHING and restarted
    with a conditional UPDATE. The caller commits, then calls ``enqueue_push`` when ``queued``.
    """
    insert_ignoring_conflict(OrderIntegration.__table__, {
        "order_id": order.id, "account_id": account.id, "state": PushState.QUEUED.value,
        "partner_job_ids": {}, "attempt_count": 0, "reconcile_first": reconcile_first,
        "trigger": trigger.value, "requested_by": requested_by, "created_at": utcnow(), "updated_at": utcnow(),
    }, ("order_id", "account_id"))
    row = OrderIntegration
    restarted = db.session.execute(
        update(row)
        .where(row.order_id == order.id, row.account_id == account.id,
               row.state.in_([state.value for state in RESTARTABLE]))
        .values(state=PushState.QUEUED.value, next_attempt_at=None, trigger=trigger.value, requested_by=requested_by,
                reconcile_first=or_(row.reconcile_first, reconcile_first), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    integration_id, state = db.session.execute(
        select(row.id, row.state).where(row.order_id == order.id, row.account_id == account.id)
    ).one()
    return PushRequest(integration_id, PushState(state), queued=restarted)


def request_pushes(order_ids: list[int], account: EmbeddedServicesAccount, *, trigger: Trigger,
                   requested_by: str = "", reconcile_first: bool = False) -> dict[int, PushRequest]:
    """``request_push`` for many orders of one account at once (a sync run asks for a batch before
    attempting each): the same insert-ignore and conditional restart, in three statements whatever
    the number of orders. Returns each order's request; the caller commits."""
    if not order_ids:
        return {}
    now = utcnow()
    insert_ignoring_conflict(OrderIntegration.__table__, [{
        "order_id": order_id, "account_id": account.id, "state": PushState.QUEUED.value, "partner_job_ids": {},
        "attempt_count": 0, "reconcile_first": reconcile_first, "trigger": trigger.value,
        "requested_by": requested_by, "created_at": now, "updated_at": now,
    } for order_id in order_ids], ("order_id", "account_id"))
    row = OrderIntegration
    db.session.execute(
        update(row)
        .where(row.order_id.in_(order_ids), row.account_id == account.id,
               row.state.in_([state.value for state in RESTARTABLE]))
        .values(state=PushState.QUEUED.value, next_attempt_at=None, trigger=trigger.value, requested_by=requested_by,
                reconcile_first=or_(row.reconcile_first, reconcile_first), updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return {order_id: PushRequest(integration_id, PushState(state), queued=state == PushState.QUEUED.value)
            for integration_id, order_id, state in db.session.execute(
                select(row.id, row.order_id, row.state).where(row.order_id.in_(order_ids), row.account_id == account.id))}


def insert_ignoring_conflict(table, values: dict | list[dict], conflict_columns: tuple[str, ...]) -> None:
    """INSERT … ON CONFLICT DO NOTHING of one row, or of many in one executemany (SQLite and PostgreSQL)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns))
    if isinstance(values, list):
        db.session.execute(statement, values)  # executemany
    else:
        db.session.execute(statement.values(**values))


def enqueue_push(integration_id: int, *, at: datetime | None = None, attempt: int | None = None,
                 recovering_attempt: int | None = None) -> bool:
    """Hand the row to a worker now, or at ``at`` for the retry after attempt ``attempt``.

    A job for now has the row's ID, and RQ refuses a second one while the first exists, so a
    double click or the sweep does not queue it twice; a failed job's leftovers are replaced.
    A scheduled retry has an ID of its own per attempt (it is scheduled by the running job, whose
    ID is taken until it ends), and so has the recovery of a claim whose worker died (RQ may call
    the dead job "started" for minutes). Whichever job comes first, the claim decides who sends.
    A Redis failure is logged and left to the sweep: the row is the truth.
    """
    from rq.exceptions import DuplicateJobError, NoSuchJobError
    from rq.job import Job

    queue = task_queue("push")
    if recovering_attempt is not None:
        # The sweep recovering a claim whose worker died: one job per dead claim.
        job_id = f"{push_job_id(integration_id)}-recover-{recovering_attempt}"
    elif at is None:
        job_id = push_job_id(integration_id)
    else:
        # RQ's scheduler keeps whole seconds and may start a job up to a second before its time;
        # a retry that arrives before its row is due is not claimed, so it goes a second late instead.
        at = at.replace(microsecond=0) + timedelta(seconds=2)
        job_id = f"{push_job_id(integration_id)}-retry-{attempt}"
    options = dict(job_id=job_id, unique=True, job_timeout=push_job_timeout(),
                   result_ttl=0, failure_ttl=24 * 3600, description=f"push order integration {integration_id}")
    try:
        for _ in range(2):
            try:
                if at is None:
                    queue.enqueue(PUSH_JOB, integration_id, **options)
                else:
                    queue.enqueue_at(at, PUSH_JOB, integration_id, **options)
                return True
            except DuplicateJobError:
                try:
                    existing = Job.fetch(job_id, connection=queue.connection)
                except NoSuchJobError:
                    continue  # it finished meanwhile: enqueue again
                status = existing.get_status(refresh=False)
                if getattr(status, "value", status) in PENDING_JOB_STATES:
                    return True
                existing.delete()  # a failed or stopped job's leftovers
        return False
    except (RedisError, OSError) as error:
        log.warning("could not enqueue push %s (the sweep will): %s", integration_id, error)
        return False


def push_job_id(integration_id: int) -> str:
    return f"push-{integration_id}"


def push_job_timeout() -> int:
    """The job's own push, the time it may go on with the account's waiting orders, and the last push
    of that round (started just before the round ends, it may also wait for the other lane's calls).
    Only a backstop: every call ends by its claim's lease whatever the job's timeout."""
    return job_timeout(calls=3 * CALLS_PER_PUSH) + int(current_app.config["PUSH_DRAIN_SECONDS"])


def push_and_send_waiting(integration_id: int) -> str:
    """``run_push``, then, while ``PUSH_DRAIN_SECONDS`` allow, the same account's other queued orders.

    A backlog (Resume on a paused account, Redis back after an outage, a burst of orders) would
    otherwise cost a job each, and RQ's bookkeeping of a job is as much work as the push itself.
    Each order still goes through ``run_push`` and its claim, so nothing can be sent twice; its own
    job, if still waiting in the queue, is taken out of it (if a worker already took it, the claim
    turns it away). The first push that does not end in PressWise (a failure, a paused account)
    stops the round: its jobs take it from there.

    The round runs in two lanes (this thread and one more) that take turns at the partner: one
    call at a time, as for a single push, while the other lane reads, claims and records its own
    push in the database. The partner's latency then hides the rest of the work.
    """
    started = time.monotonic()
    state = run_push(integration_id)
    drain_seconds = current_app.config["PUSH_DRAIN_SECONDS"]
    if state not in SENT or not drain_seconds:
        return state
    account_id = db.session.scalar(select(OrderIntegration.account_id).where(OrderIntegration.id == integration_id))
    commit()
    backlog = _BacklogRound(account_id, ends_at=started + drain_seconds)
    other_lane = threading.Thread(target=backlog.lane_in_app_context, args=(current_app._get_current_object(),),
                                  name=f"push-backlog-{integration_id}", daemon=True)
    other_lane.start()
    try:
        backlog.lane()
    except BaseException:  # RQ's timeout among them: the other lane ends its push and starts no other
        backlog.stopped.set()
        raise
    finally:
        other_lane.join()
    return state


class _BacklogRound:
    """The account's queued orders, sent by lanes that share one turn at the partner."""

    def __init__(self, account_id: int, ends_at: float):
        self.account_id = account_id
        self.ends_at = ends_at
        self.turn = threading.Lock()
        self.stopped = threading.Event()

    def lane(self) -> None:
        while not self.stopped.is_set() and time.monotonic() < self.ends_at:
            # Not the rows that must be reconciled first (a sync run's among them: its own threads send those).
            waiting = db.session.scalars(_waiting_rows(), {"account_id": self.account_id}).all()
            commit()
            if not waiting:
                return
            next_id = random.choice(waiting)
            next_state = run_push(next_id, turn=self.turn)
            if next_state in SENT:
                _take_out_of_the_queue(next_id)
            elif next_state != "not claimed":  # taken meanwhile by another worker or lane: try another
                self.stopped.set()

    def lane_in_app_context(self, app) -> None:
        with app.app_context():
            try:
                self.lane()
            except Exception:  # a claimed row is recovered by the sweep when its lease runs out
                log.exception("push backlog lane of account %s stopped", self.account_id)
                self.stopped.set()


@functools.cache
def _waiting_rows():
    row = OrderIntegration
    return (select(row.id)
            .where(row.account_id == bindparam("account_id"), row.state == PushState.QUEUED.value,
                   row.reconcile_first.is_(False))
            .limit(DRAIN_CANDIDATES))


SENT = (PushState.PUSHED.value, PushState.ADOPTED.value)
# Drawn at random from this many waiting rows, so lanes draining one account
# at once seldom pick the same row (the claim would turn one away, after it read the row for nothing).
DRAIN_CANDIDATES = 64


# Delete a job only if it is still waiting in the queue list: LREM is atomic against a worker's
# dequeue (which moves the ID out of that list), and a job waiting there is in no RQ registry yet.
_DELETE_IF_WAITING = """
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 1 then
    redis.call('DEL', KEYS[2], KEYS[3])
    return 1
end
return 0
"""


def _take_out_of_the_queue(integration_id: int) -> None:
    """Delete the row's waiting job, unless a worker already took it (then the claim turns it away)."""
    from rq.job import Job

    queue = task_queue("push")
    job = Job(push_job_id(integration_id), connection=queue.connection)
    try:
        queue.connection.eval(_DELETE_IF_WAITING, 3, queue.key, job.key, job.dependents_key, job.id)
    except (RedisError, OSError) as error:  # the job runs later and finds the row sent
        log.info("push %s: its waiting job stays (%s)", integration_id, error)


def pending_push_jobs(integration_ids: list[int]) -> set[int]:
    """Which of these rows have a job waiting, scheduled or running (one Redis round trip)."""
    from rq.job import Job

    connection = redis_connection()
    with connection.pipeline(transaction=False) as pipe:
        for integration_id in integration_ids:
            pipe.hget(Job.key_for(push_job_id(integration_id)), "status")
        statuses = pipe.execute()
    return {i for i, status in zip(integration_ids, statuses) if status and status.decode() in PENDING_JOB_STATES}


def resume_pushes(account: EmbeddedServicesAccount) -> int:
    """After Resume: hand every order waiting for the account to the workers again."""
    waiting = db.session.scalars(
        select(OrderIntegration.id).where(
            OrderIntegration.account_id == account.id,
            OrderIntegration.state.in_([PushState.QUEUED.value, PushState.RETRYING.value, PushState.UNKNOWN.value]),
        )
    ).all()
    for integration_id in waiting:
        enqueue_push(integration_id)
    return len(waiting)


# --- doing it (in a worker) -------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    integration_id: int
    token: str
    started_at: datetime
    attempt: int
    reconcile_first: bool
    trigger: str
    requested_by: str


def lease_seconds() -> float:
    configured = current_app.config.get("PUSH_LEASE_SECONDS") or 0
    # Longer than one push may take: its calls end first (``calls_end_by``), then the lease lets another take over.
    return configured or job_timeout(calls=CALLS_PER_PUSH) + 30


def claim(integration_id: int, now: datetime | None = None) -> Claim | None:
    """Take the row for one attempt, or None when it is not ours to take (sent, being sent, not due).

    One conditional UPDATE decides, checked by its row count: two workers, two jobs for one
    row, or a job delivered twice cannot both get it. A SENDING row whose lease ran out is
    taken too, and must then be reconciled: its worker may have sent the order before dying.
    """
    now = now or utcnow()
    token = secrets.token_hex(16)
    commit()  # no read transaction may be open when the write starts (SQLite)
    # RETURNING hands back what the claim set, in the same statement (SQLite >= 3.35, PostgreSQL).
    taken = retrying_locked(lambda: db.session.connection().execute(_claim_statement(), {
        "integration_id": integration_id, "now": now, "token": token,
        "lease_until": now + timedelta(seconds=lease_seconds()),
    }).all())
    if len(taken) != 1:
        db.session.rollback()
        return None
    (taken,) = taken
    commit()
    return Claim(integration_id, token, now, taken.attempt_count, taken.reconcile_first, taken.trigger,
                 taken.requested_by)


# The claim and the attempt's end run for every push: built once, not per call (building a
# statement and its cache key cost about as much as running it on SQLite).

@functools.cache
def _claim_statement():
    row = OrderIntegration.__table__.c
    now = bindparam("now", type_=UTCDateTime)
    return (
        update(OrderIntegration.__table__)
        .where(row.id == bindparam("integration_id"), or_(
            row.state == PushState.QUEUED.value,
            and_(row.state.in_([PushState.RETRYING.value, PushState.UNKNOWN.value]),
                 or_(row.next_attempt_at.is_(None), row.next_attempt_at <= now)),
            and_(row.state == PushState.SENDING.value, row.lease_expires_at < now),
        ))
        .values(state=PushState.SENDING.value, lease_token=bindparam("token"),
                lease_expires_at=bindparam("lease_until", type_=UTCDateTime),
                attempt_count=row.attempt_count + 1, next_attempt_at=None, updated_at=now,
                reconcile_first=case((row.state == PushState.SENDING.value, True), else_=row.reconcile_first))
        .returning(row.attempt_count, row.reconcile_first, row.trigger, row.requested_by)
    )


@functools.lru_cache(maxsize=32)
def _finish_statement(names: tuple[str, ...]):
    """The UPDATE that writes an attempt's end, setting ``names`` besides the fixed columns."""
    table = OrderIntegration.__table__
    row = table.c
    now = bindparam("now", type_=UTCDateTime)
    return (
        update(table)
        .where(row.id == bindparam("integration_id"), row.lease_token == bindparam("token"),
               row.state == PushState.SENDING.value)
        .values(state=bindparam("new_state"), lease_token=None, lease_expires_at=None, last_attempt_at=now,
                updated_at=now, trigger=Trigger.AUTOMATIC.value, requested_by="",
                **{name: bindparam(f"new_{name}", type_=row[name].type) for name in names})
    )


_ATTEMPT_INSERT = insert(PushAttempt.__table__)


@functools.cache
def _row_with_all_it_needs():
    """The row with its account (and subscriber) and its order (with items and site user), in one query."""
    return (select(OrderIntegration).where(OrderIntegration.id == bindparam("integration_id"))
            .options(joinedload(OrderIntegration.account).joinedload(EmbeddedServicesAccount.subscriber),
                     joinedload(OrderIntegration.order).joinedload(Order.items),
                     joinedload(OrderIntegration.order).joinedload(Order.site_user)))


@functools.cache
def _site_link():
    return select(SiteLink).where(SiteLink.site_id == bindparam("site_id"),
                                  SiteLink.account_id == bindparam("account_id"))


@dataclass(frozen=True)
class PushOutcome:
    """What one attempt came to: the row's state afterwards (or "gone", "waiting", "not claimed"),
    and, when this attempt knows them, the partner's order number and the reason it failed."""

    state: str
    partner_order_id: str | None = None
    error: str | None = None


def run_push(integration_id: int, *, bulk: bool = False, turn: threading.Lock | None = None) -> str:
    """One attempt at getting the row's order into PressWise; returns the row's state afterwards."""
    return attempt_push(integration_id, bulk=bulk, turn=turn).state


def attempt_push(integration_id: int, *, bulk: bool = False, turn: threading.Lock | None = None) -> PushOutcome:
    """One attempt at getting the row's order into PressWise (``run_push``), saying what it came to.

    ``bulk``: part of a sync run, whose calls give way to single pushes waiting for a call slot
    (``portal.integration.slots``). ``turn``: shared by a backlog round's lanes (one call at a time).

    The row, its order (with items and customer) and its account are read once, up front; no
    transaction stays open while the partner is called, and loaded objects are not expired by
    the commits in between (decisions are made by conditional UPDATEs, not by these objects).
    """
    db.session().expire_on_commit = False
    row = db.session.scalars(_row_with_all_it_needs(), {"integration_id": integration_id}).unique().one_or_none()
    if row is None:
        return PushOutcome("gone")
    if not PushState(row.state).in_progress:
        return PushOutcome(row.state, row.partner_order_id, row.last_error)
    account, order = row.account, row.order
    if not account.is_usable or not account.subscriber.embedded_services_authorized:
        # Paused, inactive, or Embedded Services withdrawn by staff: the row stays as it is, and
        # Resume (or Reactivate) hands it back.
        return PushOutcome("waiting", error=row.last_error)
    link = db.session.scalar(_site_link(), {"site_id": order.site_id, "account_id": account.id})
    problem = _why_it_cannot_be_sent(order, link)
    if problem is not None:
        _fail_unclaimed(row, problem)
        return PushOutcome(PushState.FAILED.value, error=problem)
    customer_id = link.customer_id

    claiming_at = time.monotonic()
    taken = claim(integration_id)
    if taken is None:
        return PushOutcome("not claimed")
    try:
        # Every call ends while the lease holds (a margin for clocks): past it, another worker may take over.
        client = partner_client(account, bulk=bulk, calls_end_by=claiming_at + lease_seconds() - LEASE_MARGIN_SECONDS,
                                turn=turn)
    except SecretUnreadable:
        reason = ("The stored password cannot be decrypted with the configured keys. "
                  "Enter the password and authorization code again, then press Resume.")
        _release_waiting(taken, account, reason)
        return PushOutcome("waiting", error=reason)
    try:
        if taken.reconcile_first:
            found = client.find_orders(order.number, customer_id=customer_id)
            if found:
                oldest = found[0]
                _finish(taken, PushState.ADOPTED, message=f"PressWise already had it as order {oldest.partner_order_id}; "
                                                        "adopted instead of sending it again.",
                        partner_order_id=oldest.partner_order_id, partner_status=oldest.status or None,
                        last_error=None, last_error_code=None, pushed_at=utcnow())
                note_call(account.id, call_signal(None, account.partner_name))
                return PushOutcome(PushState.ADOPTED.value, oldest.partner_order_id)
        user_id = ensure_partner_user(client, order.site_user, account, customer_id) if order.site_user else None
        result = client.push_order(order, customer_id=customer_id, user_id=user_id)
    except PartnerError as error:
        return _record_failure(taken, account, error)
    _finish(taken, PushState.PUSHED, message=f"PressWise order {result.partner_order_id}.",
            partner_order_id=result.partner_order_id, partner_job_ids=result.job_ids,
            partner_status=INITIAL_STATUSES.get(account.initial_status, account.initial_status),
            last_error=None, last_error_code=None, pushed_at=utcnow())
    note_call(account.id, call_signal(None, account.partner_name))
    return PushOutcome(PushState.PUSHED.value, result.partner_order_id)


def _why_it_cannot_be_sent(order: Order, link: SiteLink | None) -> str | None:
    if link is None:
        return "Not sent: the account is not attached to this order's site any more."
    if not link.active:
        return "Not sent: the account is switched off on this order's site."
    if not link.customer_id:
        return "Not sent: the site has no PressWise customer ID for this account. Enter it on the site's Embedded Services tab."
    holds = integration_holds(order)
    if holds:
        return "Not sent: " + " ".join(hold.message for hold in holds)
    return None


def ensure_partner_user(client: Partner, site_user, account: EmbeddedServicesAccount, customer_id: str) -> str:
    """The site user's partner user ID for this account, creating (or adopting) the login once."""
    known = db.session.scalar(select(UserIntegration.partner_user_id).where(
        UserIntegration.site_user_id == site_user.id, UserIntegration.account_id == account.id))
    if known:
        return known
    commit()  # no transaction stays open during the call
    created = client.create_user(site_user, customer_id=customer_id)
    retrying_locked(lambda: insert_ignoring_conflict(UserIntegration.__table__, {
        "site_user_id": site_user.id, "account_id": account.id, "partner_user_id": created.partner_user_id,
        "adopted": created.adopted, "created_at": utcnow(),
    }, ("site_user_id", "account_id")))
    commit()
    # Two orders of one user pushed at once both create (the second adopts): the first row stands.
    return db.session.scalar(select(UserIntegration.partner_user_id).where(
        UserIntegration.site_user_id == site_user.id, UserIntegration.account_id == account.id))


def _record_failure(taken: Claim, account: EmbeddedServicesAccount, error: PartnerError) -> PushOutcome:
    now = utcnow()
    decision = after_failure(error.next_step, attempts=taken.attempt, reconcile_first=taken.reconcile_first,
                             now=now, delays=current_app.config["PUSH_RETRY_DELAYS"])
    reason = outcome_of(error, account.partner_name).message
    if decision.pause_account:
        message = f"{reason} The account is paused; the order is sent once it is resumed."
    elif decision.gave_up:
        message = f"Gave up after {taken.attempt} attempts. {reason}"
    elif decision.next_attempt_at is not None:
        message = f"{reason} Next attempt at {decision.next_attempt_at:%H:%M:%S} UTC."
    else:
        message = reason
    code = getattr(error, "code", None)
    _finish(taken, decision.state, outcome=decision.attempt_outcome, message=message,
            partner_code=str(code) if code is not None else None,
            last_error=truncate(message), last_error_code=str(code) if code is not None else error.failure.value,
            next_attempt_at=decision.next_attempt_at, reconcile_first=decision.reconcile_first)
    if decision.pause_account:
        _pause_account(account.id, outcome_of(error, account.partner_name))
    else:
        note_call(account.id, call_signal(error, account.partner_name))
    if decision.next_attempt_at is not None:
        enqueue_push(taken.integration_id, at=decision.next_attempt_at, attempt=taken.attempt)
    return PushOutcome(decision.state.value, error=truncate(message))


def _finish(taken: Claim, state: PushState, *, message: str, outcome=None, partner_code: str | None = None,
            **values) -> bool:
    """Write the attempt's end, if the lease is still ours; the attempt joins the row's history."""
    from portal.domain.push import AttemptOutcome

    now = utcnow()

    def write() -> bool:
        connection = db.session.connection()
        changed = connection.execute(_finish_statement(tuple(sorted(values))), {
            "integration_id": taken.integration_id, "token": taken.token, "new_state": state.value, "now": now,
            **{f"new_{name}": value for name, value in values.items()},
        }).rowcount
        if changed != 1:
            db.session.rollback()
            return False
        connection.execute(_ATTEMPT_INSERT, {
            "integration_id": taken.integration_id, "started_at": taken.started_at, "finished_at": now,
            "trigger": taken.trigger, "requested_by": taken.requested_by,
            "outcome": (outcome or AttemptOutcome(state.value)).value, "partner_code": partner_code,
            "message": truncate(message)})
        db.session.commit()
        return True

    commit()
    written = retrying_locked(write)
    if not written:
        log.warning("push %s: lease lost before its outcome (%s) could be written", taken.integration_id, state.value)
    return written


def _fail_unclaimed(row: OrderIntegration, problem: str) -> None:
    """A row that cannot be sent as things stand (rules, site link) fails with the reason, unsent."""
    from portal.domain.push import AttemptOutcome

    integration_id, trigger, requested_by = row.id, row.trigger, row.requested_by
    now = utcnow()

    def write() -> bool:
        changed = db.session.execute(
            update(OrderIntegration)
            .where(OrderIntegration.id == integration_id,
                   OrderIntegration.state.in_([PushState.QUEUED.value, PushState.RETRYING.value,
                                               PushState.UNKNOWN.value]))
            .values(state=PushState.FAILED.value, last_error=truncate(problem), last_error_code="rules",
                    next_attempt_at=None, last_attempt_at=now, updated_at=now, trigger=Trigger.AUTOMATIC.value,
                    requested_by="")
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed == 1:
            db.session.add(PushAttempt(integration_id=integration_id, started_at=now, finished_at=now, trigger=trigger,
                                       requested_by=requested_by, outcome=AttemptOutcome.FAILED.value,
                                       message=truncate(problem)))
        db.session.commit()
        return changed == 1

    commit()
    retrying_locked(write)


def _release_waiting(taken: Claim, account: EmbeddedServicesAccount, reason: str) -> None:
    """Give the row back, unsent, and pause the account: no order of it can be sent until a person acts."""
    from portal.domain.push import AttemptOutcome

    _finish(taken, PushState.QUEUED, outcome=AttemptOutcome.WAITING, message=reason, last_error=truncate(reason),
            last_error_code="secrets")
    _pause_account(account.id, CallOutcome(Outcome.REFUSED, reason))


def _pause_account(account_id: int, outcome: CallOutcome) -> None:
    def write() -> None:
        account = db.session.get(EmbeddedServicesAccount, account_id)
        account.record_outcome(outcome)
        account.pause(outcome.message)
        db.session.commit()

    commit()
    retrying_locked(write)
