"""Synchronization runs: their kinds, states and per-order outcomes, the progress shown while
they run, the schedules of scheduled status runs, and what one PressWise status answer changes
on an order. No Flask, no database here.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from portal.domain.status_mapping import StatusMap

# Order Synchronization looks at orders placed this many days back (the seed's "last 30 days").
ORDERS_WINDOW_DAYS = 30


class RunKind(str, enum.Enum):
    ORDERS = "orders"
    STATUS = "status"

    @property
    def label(self) -> str:
        return {"orders": "Order Synchronization", "status": "Order Status Synchronization"}[self.value]

    @property
    def switch(self) -> str:
        return {"orders": "Synchronize Orders", "status": "Synchronize Status"}[self.value]


class RunTrigger(str, enum.Enum):
    MANUAL = "manual"  # an admin pressed the button
    SCHEDULED = "scheduled"  # the site link's schedule
    CLI = "cli"  # flask sync …


class RunState(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    CANCELLING = "cancelling"  # asked to stop: finishes the orders under way, starts no other
    FINISHED = "finished"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # its worker stopped answering; Resume goes on where it stopped
    FAILED = "failed"  # stopped by something no order could get past (account paused, switch off)

    @property
    def active(self) -> bool:
        """A worker owns it, or will: at most one per (site, account, kind)."""
        return self in ACTIVE_STATES

    @property
    def resumable(self) -> bool:
        return self in (RunState.INTERRUPTED, RunState.FAILED)

    @property
    def label(self) -> str:
        return {"queued": "Waiting for a worker", "running": "Running", "cancelling": "Cancelling",
                "finished": "Done", "cancelled": "Cancelled", "interrupted": "Interrupted",
                "failed": "Stopped"}[self.value]

    @property
    def badge(self) -> str:
        return {"finished": "ok", "cancelled": "", "interrupted": "warn", "failed": "bad", "running": "info",
                "queued": "info", "cancelling": "warn"}[self.value]


ACTIVE_STATES = (RunState.QUEUED, RunState.RUNNING, RunState.CANCELLING)


class Outcome(str, enum.Enum):
    """What a run did with one order."""

    PUSHED = "pushed"
    ADOPTED = "adopted"
    SKIPPED = "skipped"
    FAILED = "failed"
    UPDATED = "updated"
    UNCHANGED = "unchanged"

    def label(self, dry_run: bool = False) -> str:
        if dry_run:
            return {"pushed": "Would be pushed", "adopted": "Would be adopted"}.get(self.value, self.value.title())
        return {"pushed": "Pushed", "adopted": "Adopted", "skipped": "Skipped", "failed": "Failed",
                "updated": "Updated", "unchanged": "Unchanged"}[self.value]

    @property
    def badge(self) -> str:
        return {"pushed": "ok", "adopted": "ok", "updated": "ok", "failed": "bad", "skipped": "warn"}.get(self.value, "")


# The outcome filters of the run page, per kind; "unmapped" is a flag, not an outcome.
OUTCOME_FILTERS = {
    RunKind.ORDERS: ("pushed", "adopted", "skipped", "failed"),
    RunKind.STATUS: ("updated", "unchanged", "unmapped", "failed"),
}
COUNTERS = ("pushed", "adopted", "skipped", "failed", "updated", "unmapped")


# --- progress ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Progress:
    total: int
    done: int
    elapsed: float  # seconds since the run started working

    @property
    def percent(self) -> int:
        if self.total <= 0:
            return 100 if self.done else 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def seconds_left(self) -> float | None:
        """At the pace so far; None until there is a pace to go by."""
        if self.done <= 0 or self.elapsed <= 0:
            return None
        remaining = max(0, self.total - self.done)
        return remaining * self.elapsed / self.done


def format_duration(seconds: float | None) -> str:
    """``4 s``, ``2 min 05 s``, ``1 h 02 min``."""
    if seconds is None:
        return "—"
    seconds = int(round(max(0.0, seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


# --- schedules of status runs -----------------------------------------------------------

class Schedule(str, enum.Enum):
    OFF = "off"
    HOURLY = "hourly"
    EVERY_4_HOURS = "every_4_hours"
    DAILY = "daily"

    @property
    def label(self) -> str:
        return {"off": "Off", "hourly": "Every hour", "every_4_hours": "Every 4 hours",
                "daily": "Daily at a time (UTC)"}[self.value]


def next_run_at(schedule: Schedule, after: datetime, daily_at: time | None = None) -> datetime | None:
    """The first moment strictly after ``after`` (UTC) when a run is due; None when off.

    Hourly runs start on the hour, four-hourly ones at 00:00, 04:00, … UTC, daily ones at
    ``daily_at`` (UTC): aligned times, so a late cron tick does not make the schedule drift.
    """
    if schedule is Schedule.OFF:
        return None
    after = after.astimezone(timezone.utc)
    if schedule is Schedule.DAILY:
        if daily_at is None:
            raise ValueError("a daily schedule needs a time of day")
        candidate = datetime.combine(after.date(), daily_at.replace(tzinfo=None), tzinfo=timezone.utc)
        return candidate if candidate > after else candidate + timedelta(days=1)
    step = 1 if schedule is Schedule.HOURLY else 4
    hour = after.replace(minute=0, second=0, microsecond=0)
    hour -= timedelta(hours=hour.hour % step)
    while hour <= after:
        hour += timedelta(hours=step)
    return hour


# --- what a status answer changes -------------------------------------------------------

def shipment_key(ship_date: date | None, carrier: str, tracking_number: str, method: str) -> str:
    """The natural key of a parcel: the same shipment reported twice gets the same key.

    Tracking number, carrier and date identify a parcel; without a tracking number the
    method stands in. Case and blanks do not count. A digest keeps the column short.
    """
    def norm(text: str) -> str:
        return " ".join((text or "").split()).casefold()

    parts = [ship_date.isoformat() if ship_date else "", norm(carrier), norm(tracking_number).replace(" ", "")]
    if not parts[2]:
        parts.append(norm(method))
    return hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ItemState:
    id: int
    number: int
    status: str


@dataclass(frozen=True)
class NewShipment:
    item_id: int
    key: str
    ship_date: date | None
    method: str
    carrier: str
    tracking_number: str
    cost: Decimal


@dataclass
class StatusPlan:
    """What one ``get_order_status`` answer changes on an order."""

    partner_status: str
    item_statuses: dict[int, str] = field(default_factory=dict)  # item id -> new status
    shipments: list[NewShipment] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)  # partner statuses without a mapping
    changes: list[str] = field(default_factory=list)  # in words, for the run page
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.item_statuses or self.shipments)

    def describe(self) -> str:
        words = list(self.changes)
        if self.unmapped:
            words.append("No mapping for PressWise status " + ", ".join(f"“{s}”" for s in self.unmapped)
                         + ": item status kept.")
        words.extend(self.notes)
        return " ".join(words) or "Nothing changed."


def plan_status_update(answer, items: Sequence[ItemState], job_ids: Mapping[str, str], status_map: StatusMap,
                       known_shipment_keys: Iterable[tuple[int, str]] = ()) -> StatusPlan:
    """Item statuses and new shipments from a PressWise ``PartnerOrderStatus`` (``answer``).

    Each item takes its job's status, or the order's when the job has none; a status without
    a mapping leaves the item as it is and is listed in ``unmapped``. A shipment goes to the
    item its ``sourceJobID`` names, to every item when it names none, and is left out when the
    item already has it (``known_shipment_keys``: (item id, key) pairs).
    """
    plan = StatusPlan(partner_status=answer.status)
    by_number = {str(item.number): item for item in items}
    by_job_id = {job_id: number for number, job_id in job_ids.items()}
    job_status: dict[str, str] = {}
    for job in answer.jobs:
        number = job.source_job_id if job.source_job_id in by_number else by_job_id.get(job.partner_job_id)
        if number is not None and job.status:
            job_status[number] = job.status

    unmapped: list[str] = []
    for item in items:
        partner_status = job_status.get(str(item.number)) or answer.status
        if not partner_status:
            continue
        new_status = status_map.item_status(partner_status)
        if new_status is None:
            if partner_status not in unmapped:
                unmapped.append(partner_status)
            continue
        if new_status != item.status:
            plan.item_statuses[item.id] = new_status
            plan.changes.append(f"Item #{item.number}: {item.status} → {new_status}.")
    plan.unmapped = unmapped

    known = set(known_shipment_keys)
    for shipment in answer.shipments:
        if shipment.source_job_id:
            target = by_number.get(shipment.source_job_id)
            if target is None and shipment.source_job_id in by_job_id:
                target = by_number.get(by_job_id[shipment.source_job_id])
            if target is None:
                plan.notes.append(f"A shipment for job {shipment.source_job_id}, which is not an item of this "
                                  "order, was left out.")
                continue
            targets = [target]
        else:
            targets = list(items)
        key = shipment_key(shipment.ship_date, shipment.carrier, shipment.tracking_number, shipment.method)
        added = []
        for item in targets:
            if (item.id, key) in known:
                continue
            known.add((item.id, key))
            plan.shipments.append(NewShipment(item.id, key, shipment.ship_date, shipment.method, shipment.carrier,
                                              shipment.tracking_number, shipment.cost))
            added.append(item.number)
        if added:
            what = shipment.tracking_number or shipment.method or "without tracking number"
            plan.changes.append(f"Shipment {what} ({shipment.carrier or 'no carrier'}, "
                                f"{shipment.ship_date.isoformat() if shipment.ship_date else 'no date'}) added to "
                                f"item{'' if len(added) == 1 else 's'} {', '.join(f'#{n}' for n in added)}.")
    return plan
