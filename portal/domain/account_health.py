"""How a partner account is doing, from the outcome of the calls made with it.

Wrong credentials pause the account (every further call would fail the same way and
could lock the partner login); a partner outage may pause it too, when the caller
says so. A paused account is used again only after a person presses Resume (or a
"Save and test" whose test passes).

``account_state`` is the one place that says which state an account is in, in words,
with the one next action: every page that names an account shows that and nothing
that contradicts it. No Flask here.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from portal.domain.partner_calls import Failure

MAX_REASON_LENGTH = 500


class Health(str, enum.Enum):
    UNTESTED = "untested"
    OK = "ok"
    FAILING = "failing"
    PAUSED = "paused"
    INACTIVE = "inactive"

    @property
    def label(self) -> str:
        """The account's state in a word or three; an active account says "Active" first."""
        return {
            "untested": "Active, not tested yet",
            "ok": "Active",
            "failing": "Active, last call failed",
            "paused": "Paused",
            "inactive": "Inactive",
        }[self.value]

    @property
    def badge(self) -> str:
        return {"untested": "", "ok": "ok", "failing": "warn", "paused": "bad", "inactive": ""}[self.value]


class Outcome(str, enum.Enum):
    OK = "ok"
    WRONG_CREDENTIALS = "wrong_credentials"
    UNREACHABLE = "unreachable"
    UNCLEAR_ANSWER = "unclear_answer"
    REFUSED = "refused"
    WRONG_ADDRESS = "wrong_address"
    NOT_CALLED = "not_called"

    @property
    def label(self) -> str:
        return {
            "ok": "Connection OK",
            "wrong_credentials": "Wrong credentials",
            "unreachable": "Unreachable",
            "unclear_answer": "Unexpected answer",
            "refused": "Refused by the partner",
            "wrong_address": "Wrong address",
            "not_called": "Not tested",  # the portal did not call: the URL's rules, unreadable secrets
        }[self.value]


@dataclass(frozen=True)
class CallOutcome:
    outcome: Outcome
    message: str

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    @property
    def pauses_account(self) -> bool:
        return self.outcome is Outcome.WRONG_CREDENTIALS


def classify(failure: Failure | None, reason: str = "", partner_name: str = "The partner") -> CallOutcome:
    """Turn a partner call's result (``failure`` None: success) into what we tell people and record.

    Every message is a whole sentence (it ends with a full stop), so whatever follows it on a
    page or in an order's error ("The account is paused; …") starts a sentence of its own.
    """
    if failure is None:
        return CallOutcome(Outcome.OK, f"{partner_name} answered and accepted the credentials.")
    detail = truncate(reason or failure.value.replace("_", " "), MAX_REASON_LENGTH - 80)

    def say(prefix: str, text: str = detail) -> str:
        # Client messages mostly lead with what happened with the partner already ("PressWise refused
        # the credentials: …", "Cannot connect to PressWise: …"): a prefix would say it twice.
        return sentence(text if _lead_names(text, partner_name) else f"{partner_name} {prefix}: {text}")

    if failure is Failure.WRONG_CREDENTIALS:
        return CallOutcome(Outcome.WRONG_CREDENTIALS, say("refused the credentials"))
    if failure is Failure.NOT_SENT:
        return CallOutcome(Outcome.UNREACHABLE, say("could not be reached"))
    if failure is Failure.BAD_ANSWER:
        return CallOutcome(Outcome.UNCLEAR_ANSWER, say("gave no usable answer"))
    if failure is Failure.UNKNOWN_OUTCOME:
        # No answer in time (or the connection dropped): for people that is "unreachable".
        # The client's wording is about pushes ("…; the order may have been stored"): keep the reason.
        return CallOutcome(Outcome.UNREACHABLE, say("did not answer", detail.split(";")[0]))
    if failure is Failure.NO_SERVICE:
        # A web server answered "not found": the URL is wrong, nobody refused anything.
        return CallOutcome(Outcome.WRONG_ADDRESS,
                           f"No {partner_name} service at this address: check the URL "
                           "(the server answered HTTP 404, not found).")
    if failure is Failure.ADDRESS_REFUSED:
        # The portal stopped the call before sending anything: the partner never saw it.
        return CallOutcome(Outcome.NOT_CALLED, sentence(detail))
    return CallOutcome(Outcome.REFUSED, say("refused the request"))


def account_answered(failure: Failure | None) -> bool | None:
    """What one call with the account says about the account itself, as pushes and sync runs see it.

    True: the partner answered and took the credentials, even when it refused the request (an
    invalid order, an unknown order number: the order's problem, not the account's). False: the
    account's calls fail (no answer, no usable answer, no service at the URL, an address the
    portal will not call). None: wrong credentials, which pause the account on a path of their own.
    """
    if failure is None or failure is Failure.REFUSED:
        return True
    if failure is Failure.WRONG_CREDENTIALS:
        return None
    return False


def sentence(text: str) -> str:
    """``text`` ending with a full stop (unless it ends with one already, or with ? ! or …)."""
    text = text.rstrip()
    return text if not text or text[-1] in ".?!…" else f"{text}."


def _lead_names(text: str, partner_name: str) -> bool:
    """Whether the message's lead (up to its first colon) names the partner."""
    lead = text.split(":", 1)[0]
    return re.search(rf"\b{re.escape(partner_name)}\b", lead, re.IGNORECASE) is not None


def truncate(text: str, limit: int = MAX_REASON_LENGTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def health_of(
    *,
    active: bool,
    paused_at: datetime | None,
    last_success_at: datetime | None,
    last_error_at: datetime | None,
) -> Health:
    """The one word shown next to an account: inactive and paused win over call history."""
    if not active:
        return Health.INACTIVE
    if paused_at is not None:
        return Health.PAUSED
    if last_error_at is not None and (last_success_at is None or last_error_at > last_success_at):
        return Health.FAILING
    if last_success_at is not None:
        return Health.OK
    return Health.UNTESTED


class NextAction(str, enum.Enum):
    """The one thing a person should do next about an account, as its state says."""

    NONE = "none"
    TEST_CONNECTION = "test_connection"
    FIX_CREDENTIALS = "fix_credentials"  # correct the password or code, then Resume
    REACTIVATE = "reactivate"


# What fixes a pause: pauses come from wrong credentials or secrets the portal cannot read.
PAUSED_FIX = ("Correct the password or authorization code, then Resume. "
              "“Save and test” on the Edit page does both: a passing test resumes the account.")


@dataclass(frozen=True)
class AccountState:
    """The state of an account in words: one label, why, and the one next action.

    ``label`` and ``badge`` go in the badge; ``summary`` says what it means for orders;
    ``reason`` is why (the pause reason or the last error); ``fix`` is what to do, in words.
    """

    health: Health
    summary: str
    next_action: NextAction
    reason: str | None = None
    fix: str | None = None
    since: datetime | None = None  # paused since, or the last error's time

    @property
    def label(self) -> str:
        return self.health.label

    @property
    def badge(self) -> str:
        return self.health.badge

    @property
    def sends_orders(self) -> bool:
        return self.health not in (Health.PAUSED, Health.INACTIVE)


def account_state(
    *,
    active: bool,
    paused_at: datetime | None,
    paused_reason: str | None,
    last_success_at: datetime | None,
    last_error_at: datetime | None,
    last_error: str | None,
) -> AccountState:
    """The one state an account is in: inactive wins over paused, paused over the call history."""
    health = health_of(active=active, paused_at=paused_at, last_success_at=last_success_at,
                       last_error_at=last_error_at)
    if health is Health.INACTIVE:
        # A pause underneath is not a second state: Reactivate shows it, with its fix, when it matters.
        return AccountState(health, "Nothing is sent with it on any site. Reactivate it to use it again.",
                            NextAction.REACTIVATE)
    if health is Health.PAUSED:
        return AccountState(health, "Nothing is sent with it until it is resumed; orders wait for it.",
                            NextAction.FIX_CREDENTIALS, reason=sentence(paused_reason or "No reason was recorded"),
                            fix=PAUSED_FIX, since=paused_at)
    if health is Health.FAILING:
        return AccountState(health, "Orders are still sent with it; failed pushes are retried.",
                            NextAction.TEST_CONNECTION, reason=sentence(last_error) if last_error else None,
                            fix="Test connection to see whether the partner answers now.", since=last_error_at)
    if health is Health.UNTESTED:
        return AccountState(health, "Not used yet. Test connection checks the URL and the credentials.",
                            NextAction.TEST_CONNECTION)
    return AccountState(health, "Healthy: orders are sent with it.", NextAction.NONE, since=last_success_at)
