"""The plain rules behind sync runs: the status mapping, what a status answer changes, shipment keys,
schedules and the progress estimate. No database, no Flask."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from decimal import Decimal

import pytest

from portal.domain.orders import ItemStatus
from portal.domain.status_mapping import (
    CONTRACT_STATUSES,
    DEFAULT_MAPPING,
    UNMAPPED,
    StatusMap,
    chosen_item_status,
    effective_mapping,
    overrides_from,
    statuses_to_show,
)
from portal.domain.sync import (
    ItemState,
    Progress,
    RunState,
    Schedule,
    format_duration,
    next_run_at,
    plan_status_update,
    shipment_key,
)
from portal.partners.base import PartnerJobStatus, PartnerOrderStatus, PartnerShipment


def test_every_contract_status_has_a_sensible_default():
    assert len(CONTRACT_STATUSES) == 21 == len(set(CONTRACT_STATUSES))
    assert set(DEFAULT_MAPPING) == set(CONTRACT_STATUSES)
    assert set(DEFAULT_MAPPING.values()) <= {status.value for status in ItemStatus}
    assert DEFAULT_MAPPING["Shipped"] == "Shipped" and DEFAULT_MAPPING["Closed"] == "Completed"
    assert DEFAULT_MAPPING["Cancelled"] == "Cancelled" and DEFAULT_MAPPING["Production"] == "In Production"
    assert DEFAULT_MAPPING["AUTO New"] == DEFAULT_MAPPING["New"] == "Received"


def test_overrides_change_the_defaults_and_unmapped_keeps_the_item():
    status_map = StatusMap({"Prepress Review": "On Hold", "Shipped": UNMAPPED, "Waiting on Paper": "On Hold"})
    assert status_map.item_status("Prepress Review") == "On Hold"
    assert status_map.item_status("  prepress   REVIEW ") == "On Hold", "case and blanks do not count"
    assert status_map.item_status("Shipped") is None
    assert status_map.item_status("Waiting on Paper") == "On Hold"
    assert status_map.item_status("Something new") is None
    assert status_map.item_status("Production") == "In Production"
    assert "Shipped" not in effective_mapping({"Shipped": UNMAPPED})


def test_only_differences_from_the_defaults_are_stored():
    chosen = {status: DEFAULT_MAPPING[status] for status in CONTRACT_STATUSES}
    chosen["Ready"] = "Prepress"
    chosen["Custom"] = UNMAPPED
    chosen["Another"] = "Shipped"
    assert overrides_from(chosen) == {"Ready": "Prepress", "Another": "Shipped"}
    with pytest.raises(ValueError):
        overrides_from({"Shipped": "Teleported"})
    with pytest.raises(ValueError):
        overrides_from({"x" * 81: "Shipped"})


def test_the_form_lists_the_contract_then_what_the_account_mapped_or_saw():
    shown = statuses_to_show({"Custom": "Shipped"}, seen=["custom", "Seen Only", "Shipped"])
    assert shown[:21] == list(CONTRACT_STATUSES) and shown[21:] == ["Custom", "Seen Only"]
    assert chosen_item_status("Custom", {"Custom": "Shipped"}) == "Shipped"
    assert chosen_item_status("Seen Only", {}) == UNMAPPED
    assert chosen_item_status("Ready", None) == DEFAULT_MAPPING["Ready"]


def _answer(status="Production", jobs=(), shipments=()):
    return PartnerOrderStatus(partner_order_id="10500", status=status, last_modified="", jobs=list(jobs),
                              shipments=list(shipments))


def _shipment(source="", tracking="1Z1", day=date(2026, 11, 4), carrier="UPS", method="UPS Ground"):
    return PartnerShipment(source_job_id=source, ship_date=day, method=method, carrier=carrier,
                           tracking_number=tracking, cost=Decimal("12.40"))


ITEMS = [ItemState(11, 1, "Received"), ItemState(12, 2, "Received")]


def test_items_take_their_jobs_status_or_the_orders():
    answer = _answer("Prepress Review", jobs=[PartnerJobStatus("88201", "1", "Production"),
                                             PartnerJobStatus("88202", "2", "")])
    plan = plan_status_update(answer, ITEMS, {"1": "88201", "2": "88202"}, StatusMap())
    assert plan.item_statuses == {11: "In Production", 12: "Prepress"}
    assert plan.changed and not plan.unmapped
    assert "Item #1: Received → In Production." in plan.describe()


def test_a_job_is_found_by_its_partner_number_too():
    answer = _answer("New", jobs=[PartnerJobStatus("88202", "", "Shipped")])
    plan = plan_status_update(answer, ITEMS, {"2": "88202"}, StatusMap())
    assert plan.item_statuses == {12: "Shipped"}


def test_an_unmapped_status_keeps_the_items_and_is_flagged():
    plan = plan_status_update(_answer("Waiting on Paper"), ITEMS, {}, StatusMap())
    assert plan.item_statuses == {} and plan.unmapped == ["Waiting on Paper"]
    assert not plan.changed and "No mapping" in plan.describe() and "Waiting on Paper" in plan.describe()


def test_a_shipment_without_a_job_goes_to_every_item_once():
    answer = _answer("Shipped", shipments=[_shipment(), _shipment()])  # reported twice in one answer
    plan = plan_status_update(answer, ITEMS, {}, StatusMap())
    assert [(s.item_id, s.tracking_number) for s in plan.shipments] == [(11, "1Z1"), (12, "1Z1")]
    key = plan.shipments[0].key
    again = plan_status_update(answer, [ItemState(11, 1, "Shipped"), ItemState(12, 2, "Shipped")], {}, StatusMap(),
                               known_shipment_keys=[(11, key), (12, key)])
    assert again.shipments == [] and not again.changed


def test_a_shipment_for_one_job_goes_to_that_item_and_an_unknown_job_is_left_out():
    answer = _answer("Shipped", shipments=[_shipment(source="2", tracking="A"), _shipment(source="9", tracking="B"),
                                           _shipment(source="88201", tracking="C")])
    plan = plan_status_update(answer, ITEMS, {"1": "88201"}, StatusMap())
    assert [(s.item_id, s.tracking_number) for s in plan.shipments] == [(12, "A"), (11, "C")]
    assert "job 9" in plan.describe()


def test_the_shipment_key_ignores_case_and_blanks_and_falls_back_to_the_method():
    assert shipment_key(date(2026, 1, 2), "UPS", "1Z 999", "Ground") == shipment_key(date(2026, 1, 2), "ups ", "1z999", "Air")
    assert shipment_key(date(2026, 1, 2), "UPS", "1Z999", "x") != shipment_key(date(2026, 1, 3), "UPS", "1Z999", "x")
    assert shipment_key(None, "", "", "Pickup") != shipment_key(None, "", "", "Courier")
    assert len(shipment_key(None, "", "", "")) == 40


UTC = timezone.utc


@pytest.mark.parametrize("schedule, after, daily_at, expected", [
    (Schedule.OFF, datetime(2026, 12, 4, 9, 30, tzinfo=UTC), None, None),
    (Schedule.HOURLY, datetime(2026, 12, 4, 9, 30, tzinfo=UTC), None, datetime(2026, 12, 4, 10, 0, tzinfo=UTC)),
    (Schedule.HOURLY, datetime(2026, 12, 4, 10, 0, tzinfo=UTC), None, datetime(2026, 12, 4, 11, 0, tzinfo=UTC)),
    (Schedule.EVERY_4_HOURS, datetime(2026, 12, 4, 9, 30, tzinfo=UTC), None, datetime(2026, 12, 4, 12, 0, tzinfo=UTC)),
    (Schedule.EVERY_4_HOURS, datetime(2026, 12, 4, 23, 59, tzinfo=UTC), None, datetime(2026, 12, 5, 0, 0, tzinfo=UTC)),
    (Schedule.DAILY, datetime(2026, 12, 4, 5, 0, tzinfo=UTC), time(6, 30), datetime(2026, 12, 4, 6, 30, tzinfo=UTC)),
    (Schedule.DAILY, datetime(2026, 12, 4, 6, 30, tzinfo=UTC), time(6, 30), datetime(2026, 12, 5, 6, 30, tzinfo=UTC)),
    (Schedule.DAILY, datetime(2026, 12, 31, 23, 0, tzinfo=UTC), time(6, 30), datetime(2027, 1, 1, 6, 30, tzinfo=UTC)),
])
def test_schedules_fall_on_aligned_times(schedule, after, daily_at, expected):
    assert next_run_at(schedule, after, daily_at) == expected


def test_a_daily_schedule_needs_a_time():
    with pytest.raises(ValueError):
        next_run_at(Schedule.DAILY, datetime(2026, 12, 4, tzinfo=UTC))


def test_the_time_left_follows_the_pace_so_far():
    assert Progress(total=200, done=50, elapsed=10.0).seconds_left == pytest.approx(30.0)
    assert Progress(total=200, done=50, elapsed=10.0).percent == 25
    assert Progress(total=200, done=0, elapsed=3.0).seconds_left is None
    assert Progress(total=0, done=0, elapsed=0).percent == 0
    assert [format_duration(s) for s in (None, 4.4, 125, 3720)] == ["—", "4 s", "2 min 05 s", "1 h 02 min"]


def test_only_active_runs_hold_their_slot_and_only_stopped_ones_resume():
    assert {state for state in RunState if state.active} == {RunState.QUEUED, RunState.RUNNING, RunState.CANCELLING}
    assert {state for state in RunState if state.resumable} == {RunState.INTERRUPTED, RunState.FAILED}
