"""Forms of Admin > Embedded Services and of the site's Embedded Services tab."""

from __future__ import annotations

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
from portal.partners import PARTNER_NAMES

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
    """Create or edit an account. Secrets are write-only: blank on edit keeps the stored value."""

    partner = SelectField(
        "Partner", choices=[SelectChoice(key, label) for key, label in PARTNER_NAMES.items()], default="presswise"
    )
    name = StringField(
        "Name",
        validators=[DataRequired("Enter a name for this account."), Length(max=120)],
        filters=[strip_control_characters, strip_whitespace],
        description="Shown in the portal only, e.g. “PressWise production”.",
    )
    url = StringField(
        "PressWise URL",
        validators=[DataRequired("Enter the PressWise URL."), Length(max=MAX_URL_LENGTH)],
        filters=[strip_control_characters, strip_whitespace],
        description="The SOAP address PressWise gave you, e.g. https://yourcompany.presswise.com/r/wsdl-order2.php",
    )
    username = StringField(
        "Username",
        validators=[DataRequired("Enter the PressWise username."), Length(max=120)],
        filters=[strip_control_characters, strip_whitespace],
    )
    password = PasswordField("Password", validators=[Length(max=SECRET_MAX_LENGTH)])
    authorization_code = PasswordField("Authorization code", validators=[Length(max=SECRET_MAX_LENGTH)])
    initial_status = SelectField(
        "Initial status",
        choices=[SelectChoice(status, status) for status in INITIAL_STATUS_CHOICES],
        default=INITIAL_STATUS_CHOICES[0],
        description="The status new orders get in PressWise. New is the only choice today.",
    )
    send_pricing_in_notes = BooleanField("Send pricing information in the notes field")

    def __init__(self, *args, stored_url: str | None = None, **kwargs):
        """``stored_url`` is the account's saved URL when editing (None when creating)."""
        super().__init__(*args, **kwargs)
        self.stored_url = stored_url

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

    def validate_url(self, field) -> None:
        try:
            field.data = validate_partner_url(field.data, PartnerUrlRules.from_config(current_app.config))
        except PartnerUrlError as error:
            raise ValidationError(str(error)) from None

    def validate_password(self, field) -> None:
        if not self.editing and not field.data:
            raise ValidationError("Enter the PressWise password.")

    def validate_authorization_code(self, field) -> None:
        if not self.editing and not field.data:
            raise ValidationError("Enter the PressWise authorization code.")


class _CustomerIdForm(FlaskForm):
    """The site's customer ID at the partner, as both attaching and editing a link ask for it."""

    customer_id = StringField(
        "PressWise customer ID",
        validators=[
            DataRequired("Enter the PressWise customer ID for this site."),
            Length(max=CUSTOMER_ID_MAX_LENGTH),
            Regexp(r"^[0-9]+$", message="The customer ID is digits only."),
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
