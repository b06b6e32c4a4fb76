"""Sign-in and password forms with the project's own plain wording, in all six languages.

Every label and error a person sees here is defined, and translated, in this project rather than
borrowed from Django's catalogues, so the wording stays plain and the same in every language.
"""

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
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

    def clean(self):
        # Tries for one account take turns: the lock check, the password and the count of a
        # failure happen together, so parallel guesses cannot all pass before any is counted.
        # (A refused sign-in leaves the block normally, so that its counted failure is kept.)
        email = User.objects.normalize_email(self.cleaned_data.get("username"))
        with transaction.atomic():
            User.objects.select_for_update().filter(email=email).first()
            try:
                return super().clean()
            except ValidationError as error:
                refused = error
        raise refused


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Queue the e-mail instead of sending it during the request.

    The request does the same work whether or not the address has an account: one look-up, one
    task queued (for an unknown address, a task that sends nothing). So the answer, and the time
    it takes, say nothing about the address. The e-mail is written in the account's language, not
    the requester's.
    """

    email = _email_field()

    def get_users(self, email):
        """The active account with exactly this address (as stored: normalised), if any.

        Not Django's case-insensitive match: in PostgreSQL it takes a long s (U+017F) for an s,
        while the per-address limit counts the two spellings apart."""
        return User.objects.filter(
            email=User.objects.normalize_email(email), is_active=True
        ).exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)

    def save(self, *, domain_override=None, use_https=False, request=None, **kwargs) -> None:
        from clemency.accounts.tasks import send_password_reset

        domain = domain_override or request.get_host()
        user = next(iter(self.get_users(self.cleaned_data["email"])), None)
        user_id = user.pk if user is not None else None
        transaction.on_commit(
            lambda: send_password_reset.enqueue(user_id=user_id, domain=domain, use_https=use_https)
        )


class SetPasswordForm(auth_forms.SetPasswordForm):
    """A new password ends every session of the account (PasswordChangeView keeps the one that
    changed it)."""

    error_messages = {"password_mismatch": _("The two passwords are not the same.")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _new_password_fields(self)

    def save(self, commit: bool = True):
        self.user.end_sessions(save=False)
        return super().save(commit=commit)


class PasswordChangeForm(SetPasswordForm, auth_forms.PasswordChangeForm):
    error_messages = {
        "password_mismatch": _("The two passwords are not the same."),
        "password_incorrect": _("Your current password is not right. Try again."),
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Current password")
        self.fields["old_password"].error_messages["required"] = _("Enter your current password.")
        _new_password_fields(self)


class AdminPasswordChangeForm(auth_forms.AdminPasswordChangeForm):
    """For the admin site: a password set there ends the person's sessions too."""

    def save(self, commit: bool = True):
        self.user.end_sessions(save=False)
        return super().save(commit=commit)


def _code_field(label, **attrs) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=32,
        error_messages={"required": _("Enter the code.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "spellcheck": "false", "dir": "ltr", **attrs}
        ),
    )


class AppCodeForm(forms.Form):
    """One code from an authenticator app."""

    token = _code_field(
        _("6-digit code from your authenticator app"),
        inputmode="numeric",
        pattern="[0-9 ]*",
        autofocus=True,
    )

    def clean_token(self) -> str:
        token = "".join(self.cleaned_data["token"].split())
        if not (token.isdigit() and len(token) == 6):
            raise forms.ValidationError(
                _("The code has 6 digits. Type the one your app shows now."), code="format"
            )
        return token


class RecoveryCodeForm(forms.Form):
    recovery_code = _code_field(_("Recovery code"), autocapitalize="none")


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
