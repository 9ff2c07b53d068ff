"""Site settings > Embedded Services tab: which accounts serve a site, and how.

A site can have several accounts and an account can serve several sites; each
link carries the site's PressWise customer ID, an active flag and the two sync
switches. Every action answers with a fragment to HTMX and a redirect otherwise.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.accounts.access import accounts_query, get_account_or_404, get_site_link_or_404
from portal.accounts.forms import AttachForm, SiteLinkForm
from portal.accounts.blueprint import bp
from portal.extensions import db
from portal.integration.push import resume_pushes
from portal.models import EmbeddedServicesAccount, SiteLink
from portal.tenancy import get_site_or_404
from portal.routing import id_or_none
from portal.htmx import targets, wants_fragment


def _panel_context(site, attach_form: AttachForm | None = None, attach_account_id: int | None = None,
                   link_forms: dict | None = None, message: str | None = None, message_category: str = "success"):
    accounts = db.session.scalars(
        accounts_query().order_by(EmbeddedServicesAccount.name, EmbeddedServicesAccount.id)
    ).all()
    links = db.session.scalars(
        select(SiteLink)
        .join(SiteLink.account)
        .where(SiteLink.site_id == site.id, EmbeddedServicesAccount.subscriber_id == site.subscriber_id)
        .order_by(EmbeddedServicesAccount.name, SiteLink.id)
    ).all()
    linked_ids = {link.account_id for link in links}
    link_forms = dict(link_forms or {})
    for link in links:
        link_forms.setdefault(link.id, SiteLinkForm(obj=link, formdata=None, link_id=link.id))
    return {
        "site": site,
        "links": links,
        "link_forms": link_forms,
        "available_accounts": [a for a in accounts if a.id not in linked_ids],
        "attach_form": attach_form,
        "attach_account_id": attach_account_id,
        "has_accounts": bool(accounts),
        "message": message,
        "message_category": message_category,
    }


def _render_panel(site, status: int = 200, **kwargs):
    # A tab click targets the whole tab frame (the site layout answers it); actions target the panel.
    template = "accounts/_site_tab_panel.html" if wants_fragment() and not targets("site-tabs") else "accounts/site_tab.html"
    return render_template(template, active_tab="embedded_services", **_panel_context(site, **kwargs)), status



@bp.route("/sites/<id:site_id>")
def site_tab(site_id: int):
    """The Embedded Services tab of a site: attached accounts, their switches, and accounts to attach."""
    site = get_site_or_404(site_id)
    return render_template("accounts/site_tab.html", active_tab="embedded_services", **_panel_context(site))


@bp.route("/sites/<id:site_id>/attach", methods=["POST"])
def attach(site_id: int):
    """Attach one of the subscriber's accounts to this site with the site's customer ID."""
    site = get_site_or_404(site_id)
    form = AttachForm()
    account_id = id_or_none(form.account_id.data)
    if account_id is None:
        return _render_panel(site, status=422)
    account = get_account_or_404(account_id)
    if not form.validate_on_submit():
        return _render_panel(site, status=422, attach_form=form, attach_account_id=account.id)
    existing = db.session.execute(
        select(SiteLink).where(SiteLink.account_id == account.id, SiteLink.site_id == site.id)
    ).scalar_one_or_none()
    if existing is None:
        # The seed's advice for a switch from an older integration: status on, orders off.
        SiteLink.attach(account, site, customer_id=form.customer_id.data, active=True,
                        sync_status=True, sync_orders=False)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # a concurrent attach of the same pair won; one link is what we want

    note = _not_sending_yet(account)
    return _done(site, f"“{account.name}” attached to {site.name}.{note}", category="warning" if note else "success")


def _not_sending_yet(account: EmbeddedServicesAccount) -> str:
    """Attaching a paused or inactive account is allowed (fix it later), but never without a word."""
    state = account.state
    if state.sends_orders:
        return ""
    return f" Note: the account is {state.label.lower()}. {state.summary}{f' {state.fix}' if state.fix else ''}"


@bp.route("/sites/<id:site_id>/links/<id:link_id>", methods=["POST"])
def update_link(site_id: int, link_id: int):
    """Save the customer ID, active flag and sync switches of one account on this site (the card's Save).

    HTMX gets the card back with "Saved." or its field errors; nothing is saved on a mere change.
    """
    site = get_site_or_404(site_id)
    link = get_site_link_or_404(site, link_id)
    form = SiteLinkForm(link_id=link.id)
    if not form.validate_on_submit():
        if wants_fragment():
            return render_template("accounts/_site_link.html", site=site, link=link, form=form), 422
        return _render_panel(site, status=422, link_forms={link.id: form})
    link.customer_id = form.customer_id.data
    link.active = bool(form.active.data)
    link.sync_orders = bool(form.sync_orders.data)
    link.sync_status = bool(form.sync_status.data)
    db.session.commit()
    if wants_fragment():
        saved = SiteLinkForm(obj=link, formdata=None, link_id=link.id)
        return render_template("accounts/_site_link.html", site=site, link=link, form=saved, saved=True)
    flash(f"Settings of “{link.account.name}” on {site.name} saved.", "success")
    return redirect(url_for("accounts.site_tab", site_id=site.id))


@bp.route("/sites/<id:site_id>/links/<id:link_id>/detach", methods=["POST"])
def detach(site_id: int, link_id: int):
    """Detach an account from this site (the account itself stays)."""
    site = get_site_or_404(site_id)
    link = get_site_link_or_404(site, link_id)
    name = link.account.name
    db.session.delete(link)
    db.session.commit()
    return _done(site, f"“{name}” detached from {site.name}.")


@bp.route("/sites/<id:site_id>/links/<id:link_id>/resume", methods=["POST"])
def resume_link_account(site_id: int, link_id: int):
    """Resume the paused account of a link, from the site tab."""
    site = get_site_or_404(site_id)
    link = get_site_link_or_404(site, link_id)
    link.account.resume()
    db.session.commit()
    if link.account.is_usable:
        resume_pushes(link.account)
    if wants_fragment():
        form = SiteLinkForm(obj=link, formdata=None, link_id=link.id)
        return render_template("accounts/_site_link.html", site=site, link=link, form=form)
    flash(f"“{link.account.name}” resumed.", "success")
    return redirect(url_for("accounts.site_tab", site_id=site.id))


def _done(site, message: str, category: str = "success"):
    if wants_fragment():
        return _render_panel(site, status=200, message=message, message_category=category)
    flash(message, category)
    return redirect(url_for("accounts.site_tab", site_id=site.id))

