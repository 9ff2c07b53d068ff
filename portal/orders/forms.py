"""Forms of the orders area: the list's filter form (GET) and the payment form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SearchField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from portal.domain.order_actions import PAYMENT_METHODS_RECEIVED, PAYMENT_REFERENCE_MAX_LENGTH
from portal.forms import strip_control_characters, strip_whitespace

def _choices(*pairs: tuple[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


PAYMENT_FILTERS = _choices(("", "Any payment"), ("paid", "Paid"), ("unpaid", "Unpaid"), ("open_terms", "Open terms"))
APPROVAL_FILTERS = _choices(
    ("", "Any approval"),
    ("approved", "All items approved"),
    ("pending", "Has pending items"),
    ("denied", "Has denied items"),
)
EDOC_FILTERS = _choices(("", "Any eDoc state"), ("pending", "eDoc file pending"))
PUSH_FILTERS = _choices(
    ("", "Any partner state"),
    ("failed", "Failed"),
    ("unknown", "Outcome unknown"),
    ("retrying", "Retrying"),
    ("queued", "Queued"),
    ("sending", "Sending"),
    ("pushed", "Pushed"),
    ("adopted", "Adopted"),
    ("not_eligible", "Held back by a rule"),
    ("no_account", "Eligible, no account"),
)


class OrderFilterForm(FlaskForm):
    """Search and filters of the orders list; read from the query string, so no CSRF."""

    class Meta:
        csrf = False

    q = SearchField(
        "Search",
        filters=[strip_control_characters, strip_whitespace],
        validators=[Length(max=100, message="Search for at most 100 characters.")],
        render_kw={"placeholder": "Order, PO, e-mail, name"},
    )
    site = SelectField("Site", choices=_choices(("", "All sites")))
    payment = SelectField("Payment", choices=PAYMENT_FILTERS)
    approval = SelectField("Approval", choices=APPROVAL_FILTERS)
    edoc = SelectField("eDoc", choices=EDOC_FILTERS)
    push = SelectField("Partner", choices=PUSH_FILTERS)

    def __init__(self, formdata, sites, **kwargs):
        super().__init__(formdata=formdata, **kwargs)
        self.site.choices = _choices(("", "All sites"), *((str(site.id), site.name) for site in sites))
        for field in (self.site, self.payment, self.approval, self.edoc, self.push):
            field.pre_validate = _lenient_choice(field)

    def valid_value(self, name: str):
        """The field's value when it is valid, else None: a bad filter is ignored, not obeyed."""
        field = self[name]
        if field.errors or field.data in (None, ""):
            return None
        return field.data


def _lenient_choice(field):
    """Replace WTForms' 'Not a valid choice' with a message that says what happens."""

    def pre_validate(form):
        allowed = {choice.value for choice in field.choices}
        if field.data is not None and field.data not in allowed:
            field.data = None
            raise ValidationError(f"Unknown {field.label.text.lower()} filter; it was ignored.")

    return pre_validate


class PaymentForm(FlaskForm):
    """Record that an order was paid; ``portal.domain.order_actions.record_payment`` judges the method."""

    method = SelectField(
        "Payment method",
        choices=_choices(("", "Choose how it was paid"), *((m.value, m.label) for m in PAYMENT_METHODS_RECEIVED)),
        validators=[InputRequired(message="Choose a payment method.")],
        validate_choice=False,
    )
    reference = StringField(
        "Reference",
        filters=[strip_control_characters, strip_whitespace],
        validators=[
            Length(
                max=PAYMENT_REFERENCE_MAX_LENGTH,
                message=f"The reference can be at most {PAYMENT_REFERENCE_MAX_LENGTH} characters.",
            )
        ],
        render_kw={"placeholder": "Check no., transaction ID…", "maxlength": PAYMENT_REFERENCE_MAX_LENGTH},
    )
