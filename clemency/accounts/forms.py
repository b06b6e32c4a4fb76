"""Sign-in and password forms with the project's own plain wording, in all six languages.

Every label and error a person sees here is defined, and translated, in this project rather than
borrowed from Django's catalogues, so the wording stays plain and the same in every language.
"""

from django import forms
from django.contrib.auth import forms as auth_forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clemency.accounts.models import User

EMAIL_REQUIRED = _("Enter your email address.")
PASSWORD_REQUIRED = _("Enter your password.")


def _email_field(**kwargs) -> forms.EmailField:
    return forms.EmailField(
        label=_("Email address"),
        max_length=254,
        error_messages={"required": EMAIL_REQUIRED, "invalid": _("Enter a valid email address.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        **kwargs,
    )


def _new_password_fields(form: forms.Form) -> None:
    form.fields["new_password1"].label = _("New password")
    form.fields["new_password1"].error_messages["required"] = _("Enter a new password.")
    form.fields["new_password2"].label = _("New password again")
    form.fields["new_password2"].help_text = _("Type the same password again, to check it.")
    form.fields["new_password2"].error_messages["required"] = _("Type the new password again.")


class LoginForm(auth_forms.AuthenticationForm):
    username = _email_field()
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        error_messages={"required": PASSWORD_REQUIRED},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": _(
            "That email address and password do not match an account. Check both and try again."
        ),
        "inactive": _("This account is switched off. Ask an administrator."),
    }

    def __init__(self, request=None, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update(autocomplete="username", autofocus=True)


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Queue the e-mail instead of sending it during the request.

    The answer then takes the same time whether or not the address has an account, and the
    e-mail is written in the account's language, not the requester's.
    """

    email = _email_field()

    def save(self, *, domain_override=None, use_https=False, request=None, **kwargs) -> None:
        from clemency.accounts.tasks import send_password_reset

        domain = domain_override or request.get_host()
        for user in self.get_users(self.cleaned_data["email"]):
            transaction.on_commit(
                lambda pk=user.pk: send_password_reset.enqueue(
                    user_id=pk, domain=domain, use_https=use_https
                )
            )


class SetPasswordForm(auth_forms.SetPasswordForm):
    error_messages = {"password_mismatch": _("The two passwords are not the same.")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _new_password_fields(self)


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    error_messages = {
        "password_mismatch": _("The two passwords are not the same."),
        "password_incorrect": _("Your current password is not right. Try again."),
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Current password")
        self.fields["old_password"].error_messages["required"] = _("Enter your current password.")
        _new_password_fields(self)


class UserCreationForm(auth_forms.BaseUserCreationForm):
    """For the admin site."""

    class Meta:
        model = User
        fields = ("email", "language")


class UserChangeForm(auth_forms.UserChangeForm):
    """For the admin site."""

    class Meta:
        model = User
        fields = "__all__"
