"""What a visitor without a session gets: the sign-in page, and a way back to where they were."""

from __future__ import annotations

from urllib.parse import unquote, urlencode, urlsplit

from flask import current_app, flash, redirect, request, url_for

from portal.htmx import wants_fragment


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _same_site_referrer() -> str | None:
    referrer = request.referrer
    if not referrer or urlsplit(referrer).netloc != request.host:
        return None
    return _path_and_query(referrer)


def page_to_return_to() -> str | None:
    """The page to open after signing in, if there is a safe one.

    Only a GET can be repeated by the browser after sign-in: the URL of a POST-only action
    (approve an item) would answer 405, so a POST returns to the page the form was on (its
    same-site Referer). An HTMX request returns to the page in the address bar (HX-Current-URL),
    not to the fragment URL it asked for. A history restore shows whatever page it gets, so it
    is treated like a plain GET.
    """
    from portal.auth.views import safe_next_url

    if wants_fragment():
        candidate = _path_and_query(request.headers.get("HX-Current-URL", "")) or _same_site_referrer()
    elif request.method == "GET":
        candidate = request.full_path if request.query_string else request.path
    else:
        candidate = _same_site_referrer()
    return safe_next_url(candidate)


ACTION_HEADER = "X-Portal-Action"
ACTION_NAME_MAX_LENGTH = 80


def action_not_done_message() -> str | None:
    """For an HTMX action (not a GET) that arrived after the session ended: say it was not done.

    static/app.js names the action in words (the text of the button pressed, URL-encoded) in the
    X-Portal-Action header of every HTMX request that changes something; the name is only ever
    shown back to the browser that sent it, escaped like any text.
    """
    if not wants_fragment() or request.method == "GET":
        return None
    from portal.forms import clean_text

    name = clean_text(unquote(request.headers.get(ACTION_HEADER, "")))[:ACTION_NAME_MAX_LENGTH]
    what = f"“{' '.join(name.split())}”" if name else "your last action"
    return (f"You were signed out, so {what} was not done. Sign in and you are back on the page "
            "you were on, to do it again.")


def answer_unauthorized():
    """Send the visitor to sign in, then back (Flask-Login's ``unauthorized_handler``).

    HTMX follows a redirect itself and would swap the whole sign-in page into the panel that
    asked, so an HTMX request gets 401 with ``HX-Redirect``: the browser loads the sign-in page
    as a page. When it was an action (recording a payment, approving an item), the sign-in page
    says that it was not done, and signing in brings the admin back to the page.
    """
    login_manager = current_app.login_manager
    not_done = action_not_done_message()
    if not_done:
        flash(not_done, "warning")
    else:
        flash(login_manager.login_message, login_manager.login_message_category)
    target = page_to_return_to()
    login_url = url_for("auth.login") + (f"?{urlencode({'next': target})}" if target else "")
    if wants_fragment():
        return "", 401, {"HX-Redirect": login_url}
    return redirect(login_url)
