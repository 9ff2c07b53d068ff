"""The sign-in form."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from portal.forms import strip_control_characters


class LoginForm(FlaskForm):
    # The e-mail is looked up in the database (no NUL there); the password is only hashed, so it stays as typed.
    email = EmailField(
        "E-mail", filters=[strip_control_characters],
        validators=[DataRequired("Enter your e-mail address."),
                    Email("Enter an e-mail address like name@example.com."),
                    Length(max=254, message="An e-mail address has at most 254 characters.")],
    )
    password = PasswordField("Password", validators=[DataRequired("Enter your password."),
                                                     Length(max=200, message="A password has at most 200 characters.")])
    remember = BooleanField("Keep me signed in")
