"""The sign-in form."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from portal.forms import strip_control_characters


class LoginForm(FlaskForm):
    # The e-mail is looked up in the database (no NUL there); the password is only hashed, so it stays as typed.
    email = EmailField(
        "E-mail", filters=[strip_control_characters], validators=[DataRequired(), Email(), Length(max=254)]
    )
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in")
