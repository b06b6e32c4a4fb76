from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from clemency.accounts import forms, throttle, twofactor
from clemency.accounts.middleware import second_factor_not_required
from clemency.audit.log import record
from clemency.clientip import client_address

WRONG_APP_CODE = _lazy(
    "That code is not right. Type the code your app shows now; if it keeps failing, check that "
    "your phone's clock is right."
)
WRONG_RECOVERY_CODE = _lazy(
    "That is not one of your unused recovery codes. Check it and try again."
)


def home(request: HttpRequest) -> HttpResponse:
    """Send a signed-in person to their role's page."""
    url_name = request.user.home_url_name()
    if url_name:
        return redirect(url_name)
    if request.user.is_staff:
        return redirect("admin:index")
    return render(request, "accounts/no_role.html")


class LoginView(auth_views.LoginView):
    """The password; then the second factor (verification or enrolment), then `next`."""

    authentication_form = forms.LoginForm
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        destination = super().get_success_url()
        if twofactor.is_verified(self.request.user):
            return destination
        return twofactor.second_factor_url(self.request.user, destination)


login = LoginView.as_view()
logout = second_factor_not_required(auth_views.LogoutView.as_view())
password_change = auth_views.PasswordChangeView.as_view(
    form_class=forms.PasswordChangeForm, success_url=reverse_lazy("accounts:password-change-done")
)
password_change_done = auth_views.PasswordChangeDoneView.as_view()


class PasswordResetView(auth_views.PasswordResetView):
    """Limited per client address and per e-mail address; the same answer for every address."""

    form_class = forms.PasswordResetForm
    success_url = reverse_lazy("accounts:password-reset-done")
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form):
        try:
            throttle.password_reset_request(
                client=client_address(self.request), email=form.cleaned_data["email"]
            )
        except throttle.Throttled as refused:
            context = self.get_context_data(form=form, error=refused.message)
            response = self.render_to_response(context, status=429)
            response.headers["Retry-After"] = str(throttle.minutes_until(refused.retry_at) * 60)
            return response
        return super().form_valid(form)


password_reset = PasswordResetView.as_view()
password_reset_done = auth_views.PasswordResetDoneView.as_view()
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    form_class=forms.SetPasswordForm, success_url=reverse_lazy("accounts:password-reset-complete")
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view()


# --- The second factor ------------------------------------------------------------------------


def _next(request: HttpRequest) -> str:
    return twofactor.safe_next(request, request.POST.get("next") or request.GET.get("next"))


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _reverify(request: HttpRequest, next_url: str) -> HttpResponse:
    """Ask for the second factor again before a change to the ways of giving it."""
    messages.info(request, _("For your safety, confirm it is you before changing this."))
    return redirect(_with_next(reverse("accounts:verify"), next_url))


def _may_add_device(request: HttpRequest) -> HttpResponse | None:
    """None when this session may add a device: a first one at enrolment, or another one after
    giving the second factor recently; otherwise the page to go to."""
    if not twofactor.is_enrolled(request.user):
        return None
    if twofactor.recently_verified(request):
        return None
    return _reverify(request, request.get_full_path())


def _wait_message(until) -> str:
    seconds = max(1, int((until - timezone.now()).total_seconds()) + 1)
    return ngettext(
        "Too many wrong codes. Wait %(seconds)d second, then try again.",
        "Too many wrong codes. Wait %(seconds)d seconds, then try again.",
        seconds,
    ) % {"seconds": seconds}


@second_factor_not_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second factor: a code from an authenticator app, a recovery code, or a passkey.

    Also asked again, by a verified session, before it changes the ways of giving it.
    """
    user = request.user
    next_url = _next(request)
    if not twofactor.is_enrolled(user):
        return redirect(_with_next(reverse("accounts:enroll"), next_url))
    has_app = twofactor.apps_of(user).exists()
    app_form = forms.AppCodeForm(prefix="app")
    recovery_form = forms.RecoveryCodeForm(prefix="recovery")
    if request.method == "POST":
        if "recovery-recovery_code" in request.POST:
            recovery_form = forms.RecoveryCodeForm(request.POST, prefix="recovery")
            device = _check_code(
                request,
                recovery_form,
                "recovery_code",
                method="recovery",
                wait=twofactor.recovery_wait(user),
                check=twofactor.use_recovery_code,
                wrong=WRONG_RECOVERY_CODE,
            )
        elif has_app:
            app_form = forms.AppCodeForm(request.POST, prefix="app")
            device = _check_code(
                request,
                app_form,
                "token",
                method="app",
                wait=twofactor.app_wait(user),
                check=twofactor.verify_app_code,
                wrong=WRONG_APP_CODE,
            )
        else:
            device = None
        if device is not None:
            twofactor.mark_verified(request, device)
            if recovery_form.is_bound:
                _after_recovery_code(request)
            return HttpResponseRedirect(next_url or reverse("accounts:home"))
    return render(
        request,
        "accounts/verify.html",
        {
            "next": next_url,
            "has_app": has_app,
            "has_passkey": twofactor.has_passkey(user),
            "app_form": app_form,
            "recovery_form": recovery_form,
            "recovery_open": recovery_form.is_bound or not has_app,
        },
    )


def _check_code(request, form, field: str, *, method: str, wait, check, wrong):
    """The device that accepts the code typed in `form`, or None with the form's error set.
    A wrong code is audited; while the devices wait after too many, no code is tried."""
    if not form.is_valid():
        return None
    if wait is not None:
        form.add_error(field, _wait_message(wait))
        return None
    device = check(request.user, form.cleaned_data[field])
    if device is None:
        form.add_error(field, wrong)
        record("account.verification_failed", actor=request.user, data={"method": method})
    return device


def _after_recovery_code(request: HttpRequest) -> None:
    left = twofactor.recovery_codes_left(request.user)
    record("account.recovery_code_used", actor=request.user, data={"left": left})
    message = ngettext(
        "You used a recovery code. You have %(count)d left.",
        "You used a recovery code. You have %(count)d left.",
        left,
    ) % {"count": left}
    if left <= 3:
        message += " " + _("Make new recovery codes on your account's security page.")
    messages.warning(request, message)


@second_factor_not_required
@require_safe
def enroll(request: HttpRequest) -> HttpResponse:
    """First sign-in: choose a passkey or an authenticator app."""
    next_url = _next(request)
    if twofactor.is_enrolled(request.user):
        if twofactor.is_verified(request.user):
            return redirect("accounts:security")
        return redirect(_with_next(reverse("accounts:verify"), next_url))
    return render(request, "accounts/enroll.html", {"next": next_url})


@second_factor_not_required
@require_http_methods(["GET", "POST"])
def enroll_app(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the key), then give one code."""
    refusal = _may_add_device(request)
    if refusal is not None:
        return refusal
    next_url = _next(request)
    first = not twofactor.is_enrolled(request.user)
    device = twofactor.pending_app(request.user)
    form = forms.AppCodeForm(request.POST or None, prefix="app")
    if form.is_valid():
        wait = twofactor.device_wait(device)
        if wait:
            form.add_error("token", _wait_message(wait))
        elif twofactor.confirm_app(request, device, form.cleaned_data["token"]):
            return _device_added(request, device, first=first, next_url=next_url)
        else:
            form.add_error("token", WRONG_APP_CODE)
    return render(
        request,
        "accounts/enroll_app.html",
        {
            "form": form,
            "next": next_url,
            "first": first,
            "qr": twofactor.app_qr_svg(
                device, _("QR code to add this account to your authenticator app")
            ),
            "secret_groups": twofactor.app_secret_groups(device),
        },
    )


def _device_added(request: HttpRequest, device, *, first: bool, next_url: str) -> HttpResponse:
    if not twofactor.is_verified(request.user):
        twofactor.mark_verified(request, device)
    if first:
        request.session[twofactor.SHOW_NEW_RECOVERY_CODES] = True
        return redirect(_with_next(reverse("accounts:recovery-codes"), next_url))
    messages.success(request, _("Added. You can now use it to sign in."))
    return redirect("accounts:security")


@second_factor_not_required
@require_safe
def enroll_passkey(request: HttpRequest) -> HttpResponse:
    """Create a passkey (static/js/passkey.js runs the ceremony with the passkey views)."""
    refusal = _may_add_device(request)
    if refusal is not None:
        return refusal
    return render(
        request,
        "accounts/enroll_passkey.html",
        {"first": not twofactor.is_enrolled(request.user), "next": _next(request)},
    )


@require_GET  # not HEAD: the visit that shows the codes makes them
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown once: made on the visit that shows them, never stored readable."""
    codes = None
    if request.session.pop(twofactor.SHOW_NEW_RECOVERY_CODES, False):
        codes = twofactor.new_recovery_codes(request.user)
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "next": _next(request) or reverse("accounts:home")},
    )


@require_POST
def recovery_codes_new(request: HttpRequest) -> HttpResponse:
    if not twofactor.recently_verified(request):
        return _reverify(request, reverse("accounts:security"))
    request.session[twofactor.SHOW_NEW_RECOVERY_CODES] = True
    return redirect(_with_next(reverse("accounts:recovery-codes"), reverse("accounts:security")))


@require_safe
def security(request: HttpRequest) -> HttpResponse:
    """The account page: ways of giving the second factor, recovery codes, password, sessions."""
    devices = twofactor.primary_devices(request.user)
    return render(
        request,
        "accounts/security.html",
        {
            "devices": devices,
            "may_remove": len(devices) > 1,
            "recovery_codes_left": twofactor.recovery_codes_left(request.user),
            "recovery_code_count": twofactor.RECOVERY_CODE_COUNT,
        },
    )


@require_http_methods(["GET", "POST"])
def device_remove(request: HttpRequest, kind: str, device_id: int) -> HttpResponse:
    """Confirm, then remove one of the person's own passkeys or apps (never the last one)."""
    model = twofactor.KINDS.get(kind)
    if model is None:
        raise Http404
    device = get_object_or_404(model, pk=device_id, user=request.user, confirmed=True)
    if not twofactor.recently_verified(request):
        return _reverify(request, request.path)
    if request.method == "POST":
        try:
            twofactor.remove_device(request, kind=kind, device=device)
        except twofactor.LastDevice:
            messages.error(
                request, _("This is your only passkey or app. Add another one before removing it.")
            )
        else:
            messages.success(request, _("Removed. It can no longer be used to sign in."))
        return redirect("accounts:security")
    row = twofactor.DeviceRow(kind, device.pk, device.created_at, device.last_used_at)
    return render(
        request,
        "accounts/device_remove.html",
        {"device": row, "last": len(twofactor.primary_devices(request.user)) <= 1},
    )


@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    """End every session of this person, on every device, this one included."""
    user = request.user
    user.end_sessions()
    record("account.signed_out_everywhere", actor=user)
    auth_logout(request)
    messages.success(
        request, _("You are signed out on every device, this one included. Sign in again here.")
    )
    return redirect(settings.LOGIN_URL)
