"""Passkey ceremonies (django-otp-webauthn's JSON views), with the project's rules.

- Registering: allowed for a first device at enrolment, and afterwards only to a session that
  gave its second factor recently (a stolen session cannot add its own passkey).
- Verifying: the password comes first (no passkey-only sign-in); success marks the session as
  verified the same way as a code does, and a failure is audited.

static/js/passkey.js drives them; the page gives it these URLs.
"""

import logging
from urllib.parse import urlencode

from django.http import JsonResponse
from django.urls import reverse
from django_otp_webauthn import exceptions
from django_otp_webauthn.settings import app_settings
from django_otp_webauthn.utils import rewrite_exceptions
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from clemency.accounts import twofactor
from clemency.accounts.middleware import second_factor_not_required
from clemency.audit.log import record


class ReverifyFirst(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_code = "reverify"


class RegistrationRules:
    def check_can_register(self) -> None:
        request = self.request
        if twofactor.is_enrolled(request.user) and not twofactor.recently_verified(request):
            raise ReverifyFirst()


class RegisterBegin(RegistrationRules, BeginCredentialRegistrationView):
    pass


class RegisterComplete(RegistrationRules, CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        user = self.get_user()
        first = not twofactor.is_enrolled(user)
        state = self.get_state()
        with rewrite_exceptions(logger=_logger()):
            device = self.get_helper().register_complete(
                user=user, state=state, data=self.request.data
            )
        record("account.device_added", actor=user, data={"kind": "passkey", "device_id": device.pk})
        if first:
            twofactor.mark_verified(self.request, device)
            self.request.session[twofactor.SHOW_NEW_RECOVERY_CODES] = True
            next_url = reverse("accounts:recovery-codes")
            then = twofactor.safe_next(self.request, self.request.GET.get("next"))
            if then:
                next_url += "?" + urlencode({"next": then})
        else:
            next_url = reverse("accounts:security")
        return JsonResponse({"id": device.pk, "redirect_url": next_url})


class VerifyBegin(BeginCredentialAuthenticationView):
    pass


class VerifyComplete(CompleteCredentialAuthenticationView):
    def complete_auth(self, device) -> None:
        if not self.request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        twofactor.mark_verified(self.request, device)

    def get_success_url(self) -> str:
        return twofactor.safe_next(self.request, self.request.GET.get("next")) or reverse(
            "accounts:home"
        )

    def handle_exception(self, exc):
        user = self.request.user
        if isinstance(exc, exceptions.OTPWebAuthnApiError) and user.is_authenticated:
            record("account.verification_failed", actor=user, data={"method": "passkey"})
        return super().handle_exception(exc)


def _logger() -> logging.Logger | None:
    name = app_settings.OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME
    return logging.getLogger(name) if name else None


register_begin = second_factor_not_required(RegisterBegin.as_view())
register_complete = second_factor_not_required(RegisterComplete.as_view())
verify_begin = second_factor_not_required(VerifyBegin.as_view())
verify_complete = second_factor_not_required(VerifyComplete.as_view())
