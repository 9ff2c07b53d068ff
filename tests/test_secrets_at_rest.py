"""Passwords and authorization codes are Fernet ciphertext in the database, never shown,
never logged; key rotation keeps old rows readable and ``flask secrets rotate`` moves
them to the newest key.
"""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from portal import crypto
from portal.extensions import db
from portal.models import EmbeddedServicesAccount
from tests import embedded_factories, factories
from portal.integration.connection import check_connection
from tests.conftest import soup, wait_for_connection_test

PASSWORD = "Pw-plain-4f1c9e-never-shown"
AUTH_CODE = "AC-plain-77d2b0-never-shown"


@pytest.fixture
def authorized(logged_in, subscriber):
    embedded_factories.authorize(subscriber)
    db.session.commit()
    return logged_in


def _raw_row(account_id: int) -> dict:
    db.session.expire_all()
    row = db.session.execute(
        text("SELECT * FROM embedded_services_account WHERE id = :id"), {"id": account_id}
    ).mappings().one()
    return dict(row)


def test_database_row_holds_no_plaintext_secret(app, subscriber):
    account = embedded_factories.account(subscriber, username="printco", password=PASSWORD, authorization_code=AUTH_CODE)
    db.session.commit()
    row = _raw_row(account.id)
    dump = " ".join(str(value) for value in row.values())
    assert PASSWORD not in dump and AUTH_CODE not in dump
    assert row["username"] == "printco", "the username is not a secret"
    assert row["password_encrypted"].startswith("gAAAA"), "Fernet tokens start with the version byte"
    assert account.password == PASSWORD and account.authorization_code == AUTH_CODE
    settings = account.partner_settings()
    assert (settings.password, settings.authorization_code) == (PASSWORD, AUTH_CODE)
    assert PASSWORD not in repr(settings) and AUTH_CODE not in repr(settings)


def test_no_page_no_log_line_and_no_job_argument_contains_a_secret(app, authorized, subscriber, caplog, presswise,
                                                                  rq_worker):
    # The emulator's credentials, so Test connection really signs in.
    PASSWORD, AUTH_CODE = presswise.account.password, presswise.account.authorization_code  # noqa: N806
    caplog.set_level(logging.DEBUG)
    site = factories.site(subscriber, name="Main store")
    db.session.commit()
    pages = []

    created = authorized.post("/embedded-services/new", data={
        "partner": "presswise", "name": "Prod", "url": presswise.url, "username": presswise.account.username,
        "password": PASSWORD, "authorization_code": AUTH_CODE, "initial_status": "New",
    })
    assert created.status_code == 302
    account = db.session.scalars(db.select(EmbeddedServicesAccount)).one()
    # A form that fails validation re-renders without echoing the secrets typed into it.
    pages.append(authorized.post("/embedded-services/new", data={
        "name": "", "url": "ftp://x", "username": "u", "password": PASSWORD, "authorization_code": AUTH_CODE}))
    assert pages[-1].status_code == 422
    pages.append(authorized.post(f"/embedded-services/{account.id}/edit", data={
        "partner": "presswise", "name": "", "url": presswise.url, "username": "printco",
        "password": PASSWORD, "authorization_code": AUTH_CODE, "initial_status": "New"}))
    assert pages[-1].status_code == 422
    authorized.post(f"/embedded-services/sites/{site.id}/attach", data={"account_id": account.id, "customer_id": "42"})
    for url in ["/embedded-services/", f"/embedded-services/{account.id}", f"/embedded-services/{account.id}/edit",
                f"/embedded-services/sites/{site.id}", "/embedded-services/new"]:
        pages.append(authorized.get(url))
        assert pages[-1].status_code == 200, url
    worker_log_start = rq_worker.log_path.stat().st_size
    fragments = [wait_for_connection_test(authorized, account)]
    assert "Connection OK" in str(fragments[-1])
    # Wrong credentials at the partner: the error path must not echo them either.
    account.password = PASSWORD + "-wrong"
    db.session.commit()
    fragments.append(wait_for_connection_test(authorized, account))
    assert "Wrong credentials" in str(fragments[-1])
    # The same call in this process, so the client's own log lines are captured below.
    assert check_connection(account).outcome.value == "wrong_credentials"
    db.session.rollback()

    edit_form = soup(authorized.get(f"/embedded-services/{account.id}/edit"))
    assert edit_form.select_one("#password").get("value", "") == ""
    assert edit_form.select_one("#authorization_code").get("value", "") == ""
    for page in pages:
        body = page.get_data(as_text=True)
        for secret in (PASSWORD, AUTH_CODE):
            assert secret not in body, f"{page.request.path} shows a secret"
    for fragment in fragments:
        assert PASSWORD not in str(fragment) and AUTH_CODE not in str(fragment)
    # The worker logs each job with its arguments: account IDs, never a secret.
    worker_lines = rq_worker.log_path.read_bytes()[worker_log_start:].decode("utf-8", "replace")
    assert "jobs.connection.test_connection(" in worker_lines, "the check reads real worker lines"
    assert PASSWORD not in worker_lines and AUTH_CODE not in worker_lines
    assert caplog.records, "the partner client logs its calls, so this check looks at real lines"
    for record in caplog.records:
        line = record.getMessage() + " " + str(record.args)
        assert PASSWORD not in line and AUTH_CODE not in line, f"log line from {record.name} has a secret"


def test_blank_secret_on_edit_keeps_the_stored_value(authorized, subscriber):
    account = embedded_factories.account(subscriber, name="Prod", password=PASSWORD, authorization_code=AUTH_CODE)
    db.session.commit()
    before = _raw_row(account.id)
    response = authorized.post(f"/embedded-services/{account.id}/edit", data={
        "partner": "presswise", "name": "Prod renamed", "url": account.url, "username": "printco",
        "password": "", "authorization_code": "", "initial_status": "New"})
    assert response.status_code == 302
    after = _raw_row(account.id)
    assert after["name"] == "Prod renamed"
    assert after["password_encrypted"] == before["password_encrypted"]
    assert after["authorization_code_encrypted"] == before["authorization_code_encrypted"]

    authorized.post(f"/embedded-services/{account.id}/edit", data={
        "partner": "presswise", "name": "Prod renamed", "url": account.url, "username": "printco",
        "password": "new-password", "authorization_code": "", "initial_status": "New"})
    db.session.expire_all()
    assert account.password == "new-password"
    assert account.authorization_code == AUTH_CODE


def test_rotation_keeps_old_rows_readable_and_rotate_moves_them_to_the_new_key(app, subscriber):
    old_key = app.config["ENCRYPTION_KEYS"][0]
    account = embedded_factories.account(subscriber, password=PASSWORD, authorization_code=AUTH_CODE)
    db.session.commit()
    old_token = _raw_row(account.id)["password_encrypted"]

    new_key = Fernet.generate_key().decode()
    app.config["ENCRYPTION_KEYS"] = [new_key, old_key]
    db.session.expire_all()
    assert account.password == PASSWORD, "rows written with the old key stay readable"

    result = app.test_cli_runner().invoke(args=["secrets", "rotate"])
    assert result.exit_code == 0, result.output
    assert "1 account" in result.output
    assert PASSWORD not in result.output
    row = _raw_row(account.id)
    assert row["password_encrypted"] != old_token
    assert Fernet(new_key.encode()).decrypt(row["password_encrypted"].encode()).decode() == PASSWORD

    app.config["ENCRYPTION_KEYS"] = [new_key]
    db.session.expire_all()
    assert (account.password, account.authorization_code) == (PASSWORD, AUTH_CODE)


def test_a_secret_no_configured_key_can_read_is_reported_not_a_500(app, authorized, subscriber):
    account = embedded_factories.account(subscriber, password=PASSWORD)
    db.session.commit()
    app.config["ENCRYPTION_KEYS"] = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.SecretUnreadable) as caught:
        account.partner_settings()
    assert PASSWORD not in str(caught.value)
    assert "cannot be decrypted" in check_connection(account).message

    # The remedy works: the edit form opens (it never decrypts) and new secrets are stored.
    assert authorized.get(f"/embedded-services/{account.id}/edit").status_code == 200
    response = authorized.post(f"/embedded-services/{account.id}/edit", data={
        "partner": "presswise", "name": account.name, "url": account.url, "username": account.username,
        "password": "fresh-password", "authorization_code": "fresh-code", "initial_status": "New"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (account.password, account.authorization_code) == ("fresh-password", "fresh-code")
