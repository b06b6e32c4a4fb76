from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy

from clemency.accounts import forms


def home(request: HttpRequest) -> HttpResponse:
    """Send a signed-in person to their role's page."""
    url_name = request.user.home_url_name()
    if url_name:
        return redirect(url_name)
    if request.user.is_staff:
        return redirect("admin:index")
    return render(request, "accounts/no_role.html")


login = auth_views.LoginView.as_view(
    authentication_form=forms.LoginForm, redirect_authenticated_user=True
)
logout = auth_views.LogoutView.as_view()
password_change = auth_views.PasswordChangeView.as_view(
    form_class=forms.PasswordChangeForm, success_url=reverse_lazy("accounts:password-change-done")
)
password_change_done = auth_views.PasswordChangeDoneView.as_view()
password_reset = auth_views.PasswordResetView.as_view(
    form_class=forms.PasswordResetForm,
    success_url=reverse_lazy("accounts:password-reset-done"),
    email_template_name="registration/password_reset_email.txt",
    subject_template_name="registration/password_reset_subject.txt",
)
password_reset_done = auth_views.PasswordResetDoneView.as_view()
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    form_class=forms.SetPasswordForm, success_url=reverse_lazy("accounts:password-reset-complete")
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view()
