"""Forms of Admin > Embedded Services and of the site's Embedded Services tab."""

from __future__ import annotations

import re

from urllib.parse import urlsplit

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from portal.domain.partner_urls import MAX_URL_LENGTH, PartnerUrlError, PartnerUrlRules, validate_partner_url
from portal.forms import strip_control_characters, strip_whitespace
from portal.models.embedded import INITIAL_STATUS_CHOICES
from portal.partners import PARTNER_NAMES, PARTNER_URL_PATHS

SECRET_MAX_LENGTH = 200
CUSTOMER_ID_MAX_LENGTH = 20


def _origin(url: str | None) -> tuple[str, str, int | None]:
    parts = urlsplit(url or "")
    try:
        port = parts.port
    except ValueError:
        port = None
    default_port = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").rstrip(".").lower(), port or default_port


class AccountForm(FlaskForm):
    """Create or edit an account. Secrets are write-only: blank on edit keeps the stored value.

    Every rule is checked here, on the server, and said in words next to its field; the
    browser's own checks are off (``novalidate``), so they cannot hide these messages.
    """

    partner = SelectField(
        "Partner", choices=[SelectChoice(key, label) for key, label in PARTNER_NAMES.items()], default="presswise",
        validate_choice=False,
    )
    name = StringField(
        "Name",
        validators=[DataRequired("Enter a name for this account."),
                    Length(max=120, message="The name can be at most 120 characters.")],
        filters=[strip_control_characters, strip_whitespace],
        description="Shown in the portal only, e.g. “PressWise production”.",
    )
    url = StringField(
        "PressWise URL",
        validators=[DataRequired("Enter the PressWise URL."),
                    Length(max=MAX_URL_LENGTH, message=f"The URL can be at most {MAX_URL_LENGTH} characters.")],
        filters=[strip_control_characters, strip_whitespace],
        description="The SOAP address PressWise gave you, e.g. https://yourcompany.presswise.com/r/wsdl-order2.php",
    )
    url_confirmed = BooleanField("This URL is right: save it anyway", validators=[Optional()])
    username = StringField(
        "Username",
        validators=[DataRequired("Enter the PressWise username."),
                    Length(max=120, message="The username can be at most 120 characters.")],
        filters=[strip_control_characters, strip_whitespace],
    )
    password = PasswordField(
        "Password",
        validators=[Length(max=SECRET_MAX_LENGTH, message=f"The password can be at most {SECRET_MAX_LENGTH} characters.")],
    )
    authorization_code = PasswordField(
        "Authorization code",
        validators=[Length(max=SECRET_MAX_LENGTH,
                           message=f"The authorization code can be at most {SECRET_MAX_LENGTH} characters.")],
    )
    initial_status = SelectField(
        "Initial status",
        choices=[SelectChoice(status, status) for status in INITIAL_STATUS_CHOICES],
        default=INITIAL_STATUS_CHOICES[0],
        description="The status new orders get in PressWise. New is the only choice today.",
        validate_choice=False,
    )
    send_pricing_in_notes = BooleanField("Send pricing information in the notes field")

    def __init__(self, *args, stored_url: str | None = None, **kwargs):
        """``stored_url`` is the account's saved URL when editing (None when creating)."""
        super().__init__(*args, **kwargs)
        self.stored_url = stored_url
        self.url_questioned = False

    @property
    def editing(self) -> bool:
        return self.stored_url is not None

    def keeps_stored_secrets_for_another_server(self) -> bool:
        """Stored secrets go only to the server they were entered for: a new scheme, host or
        port with a blank secret would let anyone who can edit the account send them elsewhere."""
        return self.editing and _origin(self.url.data) != _origin(self.stored_url)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.keeps_stored_secrets_for_another_server():
            message = "The URL now points at another server: enter this again (stored secrets are only sent to the server they were entered for)."
            for secret in (self.password, self.authorization_code):
                if not secret.data:
                    secret.errors.append(message)
                    valid = False
        return valid

    def secrets_to_type_again(self) -> list:
        """After an error: the secret fields the person filled in, which the page does not send back.

        A secret with an error of its own says so itself; a blank one on edit keeps the stored value.
        """
        if not self.errors:
            return []
        return [secret for secret in (self.password, self.authorization_code) if secret.data and not secret.errors]

    def validate_partner(self, field) -> None:
        if field.data not in PARTNER_NAMES:
            raise ValidationError("Choose a partner from the list.")

    def validate_initial_status(self, field) -> None:
        if field.data not in INITIAL_STATUS_CHOICES:
            raise ValidationError(f"Choose {' or '.join(INITIAL_STATUS_CHOICES)}: "
                                  f"{'it is the only initial status' if len(INITIAL_STATUS_CHOICES) == 1 else 'the initial statuses'} today.")

    def validate_url(self, field) -> None:
        try:
            field.data = validate_partner_url(field.data, PartnerUrlRules.from_config(current_app.config))
        except PartnerUrlError as error:
            raise ValidationError(str(error)) from None
        self._question_unusual_path(field)

    def _question_unusual_path(self, field) -> None:
        """A URL whose path is not the partner's API is most likely a typo or a home page: ask once.

        Test connection would only say "not found" later. An unchanged URL on edit was asked about
        when it was saved; ticking "This URL is right" saves it as it is.
        """
        expected = PARTNER_URL_PATHS.get(self.partner.data)
        if not expected or self.url_confirmed.data or (self.editing and field.data == self.stored_url):
            return
        path = urlsplit(field.data).path.rstrip("/")
        if path.lower().endswith(expected.lower()):
            return
        self.url_questioned = True
        name = PARTNER_NAMES.get(self.partner.data, "Partner")
        raise ValidationError(
            f"{name} URLs end in {expected}, and this one does not: check it. If it is right, "
            f"tick “{self.url_confirmed.label.text}” below and save again."
        )

    def validate_password(self, field) -> None:
        if not self.editing and not field.data:
            raise ValidationError("Enter the PressWise password.")
        _refuse_what_xml_cannot_carry(field, "password")

    def validate_authorization_code(self, field) -> None:
        if not self.editing and not field.data:
            raise ValidationError("Enter the PressWise authorization code.")
        _refuse_what_xml_cannot_carry(field, "authorization code")


def _refuse_what_xml_cannot_carry(field, what: str) -> None:
    """A secret is sent as typed (no filter may change it), and SOAP cannot carry control characters:
    one that would lose a character on the way would be refused by PressWise as wrong, so say so now."""
    if field.data and _NOT_IN_XML.search(field.data):
        raise ValidationError(f"The {what} contains a control character (such as a pasted tab or line break), "
                              "which PressWise cannot receive: type it again.")


_NOT_IN_XML = re.compile("[^\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class _CustomerIdForm(FlaskForm):
    """The site's customer ID at the partner, as both attaching and editing a link ask for it."""

    customer_id = StringField(
        "PressWise customer ID",
        validators=[
            DataRequired("Enter the PressWise customer ID for this site."),
            Length(max=CUSTOMER_ID_MAX_LENGTH,
                   message=f"The customer ID can be at most {CUSTOMER_ID_MAX_LENGTH} digits."),
            Regexp(r"^[0-9]+$", message="The customer ID is digits only, as PressWise shows it under Customers "
                                        "(e.g. 1001)."),
        ],
        filters=[strip_control_characters, strip_whitespace],
    )


class AttachForm(_CustomerIdForm):
    """Attach one of the subscriber's accounts to a site."""

    account_id = HiddenField(validators=[InputRequired()])


class SiteLinkForm(_CustomerIdForm):
    """The settings of one account on one site."""

    active = BooleanField("Active", validators=[Optional()])
    sync_orders = BooleanField("Synchronize Orders", validators=[Optional()])
    sync_status = BooleanField("Synchronize Status", validators=[Optional()])

    def __init__(self, *args, link_id: int, **kwargs):
        """``link_id`` makes the element IDs unique on a tab with several links (and labels point at them)."""
        super().__init__(*args, **kwargs)
        for field in (self.customer_id, self.active, self.sync_orders, self.sync_status):
            field.id = field.label.field_id = f"{field.name.replace('_', '-')}-link-{link_id}"


# --- synchronization ---------------------------------------------------------------------

class ScheduleForm(FlaskForm):
    """A link's scheduled Order Status Synchronization: off, hourly, every 4 hours, or daily at a time (UTC)."""

    schedule = SelectField("Scheduled status sync", choices=[], default="off")
    daily_at = TimeField("Time (UTC)", validators=[Optional()], format="%H:%M")

    def __init__(self, *args, link_id: int, **kwargs):
        from portal.domain.sync import Schedule

        super().__init__(*args, **kwargs)
        self.schedule.choices = [SelectChoice(s.value, s.label) for s in Schedule]
        for field in (self.schedule, self.daily_at):
            field.id = field.label.field_id = f"{field.name.replace('_', '-')}-link-{link_id}"

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Not an inline validator: Optional() ends the field's chain when it is blank.
        if valid and self.schedule.data == "daily" and self.daily_at.data is None:
            self.daily_at.errors.append("Enter the time of day (UTC) for the daily run, e.g. 06:30.")
            valid = False
        return valid


class _MappingRow(Form):
    """One PressWise status and the item status it means (blank: keep the item's status, flag it)."""

    status = HiddenField(filters=[strip_control_characters, strip_whitespace],
                         validators=[DataRequired(), Length(max=80)])
    item_status = SelectField(choices=[], validate_choice=True)


def _item_status_choices() -> list[SelectChoice]:
    from portal.domain.status_mapping import ITEM_STATUSES, UNMAPPED

    return [SelectChoice(UNMAPPED, "— keep the item status (flag the order)")] + [
        SelectChoice(status, status) for status in ITEM_STATUSES]


class SyncSettingsForm(FlaskForm):
    """How an account synchronizes: its call cap and its PressWise status -> item status mapping."""

    max_concurrent_calls = IntegerField(
        "Partner calls at once",
        validators=[InputRequired("Enter how many calls may be under way at once."),
                    NumberRange(min=1, max=64, message="Between 1 and 64.")],
        description="How many calls to PressWise this account may have under way at once, for sync runs and "
                    "single pushes together. 8 suits most servers; lower it if PressWise asks you to.",
    )
    rows = FieldList(FormField(_MappingRow))
    new_status = StringField("Another PressWise status", filters=[strip_control_characters, strip_whitespace],
                             validators=[Optional(), Length(max=80)])
    new_item_status = SelectField("Means", choices=[], validate_choice=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = _item_status_choices()
        self.new_item_status.choices = choices
        for row in self.rows:
            row.item_status.choices = choices
