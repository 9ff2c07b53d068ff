"""What the order page's Embedded Services tab shows: one panel per partner account of the order."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.domain.push import PushState
from portal.extensions import db
from portal.models import EmbeddedServicesAccount, Order, OrderIntegration, SiteLink

ATTEMPTS_SHOWN = 10


@dataclass
class AccountPanel:
    """One account's side of an order: its link to the order's site, and the push row if any."""

    account: EmbeddedServicesAccount
    link: SiteLink | None
    integration: OrderIntegration | None

    @property
    def state(self) -> PushState | None:
        return self.integration.push_state if self.integration else None

    @property
    def can_push(self) -> bool:
        """Push Order is offered whenever PressWise does not have the order and nothing is sending it."""
        return self.link is not None and (self.state is None or self.state not in (
            PushState.PUSHED, PushState.ADOPTED, PushState.SENDING))

    @property
    def polling(self) -> bool:
        """The panel refreshes itself while a worker will still act on the row."""
        return self.state is not None and self.state.in_progress and self.account.is_usable

    def outlook(self, holds: list) -> tuple[str, str]:
        """Whether and how the order goes to this account, as (kind, sentence), for the order page.

        kind is one of: state (a push exists), automatic, by_hand, not_sent.
        """
        if self.integration is not None:
            row = self.integration
            text = self.state.label
            if row.partner_order_id:
                text += f": PressWise order {row.partner_order_id}"
            elif row.last_error and self.state in (PushState.FAILED, PushState.RETRYING, PushState.UNKNOWN):
                text += f": {row.last_error}"
            waiting = self.waiting_for_account
            return "state", f"{text}. {waiting}" if waiting else text
        link, account = self.link, self.account
        if not account.active:
            return "not_sent", "Not sent: the account is inactive."
        if link is None or not link.active:
            return "not_sent", "Not sent: the account is switched off on this site."
        if not link.customer_id:
            return "not_sent", "Not sent: the site has no PressWise customer ID for this account."
        if not link.sync_orders:
            return "by_hand", ("Sent by hand only: Synchronize Orders is off on this site (an older integration "
                               "may send it). Push Order looks it up in PressWise first.")
        if account.is_paused:
            return "automatic", "Sent automatically once the rules are met and the account is resumed (it is paused)."
        if holds:
            return "automatic", "Sent automatically once the rules above are met."
        return "automatic", "Sent automatically: it is being queued."

    @property
    def waiting_for_account(self) -> str | None:
        if self.state is None or not self.state.in_progress:
            return None
        if not self.account.active:
            return "Waiting: the account is inactive. Reactivate it to send."
        if self.account.is_paused:
            return "Waiting: the account is paused. Fix what its page says, then press Resume there."
        return None


def has_integrations(order: Order) -> bool:
    """The tab exists once a push was tried (or asked for) with any account."""
    return db.session.scalar(select(func.count()).select_from(OrderIntegration)
                             .where(OrderIntegration.order_id == order.id)) > 0


def account_panels(order: Order, subscriber_id: int, account_id: int | None = None) -> list[AccountPanel]:
    """Every account attached to the order's site, plus any other that has a row for it (detached since)."""
    integrations = db.session.scalars(
        select(OrderIntegration).where(OrderIntegration.order_id == order.id)
        .options(selectinload(OrderIntegration.attempts), selectinload(OrderIntegration.account))
    ).all()
    by_account = {row.account_id: row for row in integrations}
    links = db.session.scalars(
        select(SiteLink).join(SiteLink.account)
        .where(SiteLink.site_id == order.site_id, EmbeddedServicesAccount.subscriber_id == subscriber_id)
        .options(selectinload(SiteLink.account))
    ).all()
    panels = {link.account_id: AccountPanel(link.account, link, by_account.get(link.account_id)) for link in links}
    for row in integrations:
        if row.account_id not in panels and row.account.subscriber_id == subscriber_id:
            panels[row.account_id] = AccountPanel(row.account, None, row)
    chosen = [panel for panel in panels.values() if account_id is None or panel.account.id == account_id]
    return sorted(chosen, key=lambda panel: (panel.account.name.lower(), panel.account.id))
