from django.urls import path

from clemency.accounts import passkeys, views

app_name = "accounts"

urlpatterns = [
    path("home/", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("password/change/", views.password_change, name="password-change"),
    path("password/change/done/", views.password_change_done, name="password-change-done"),
    path("password/reset/", views.password_reset, name="password-reset"),
    path("password/reset/sent/", views.password_reset_done, name="password-reset-done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password-reset-confirm",
    ),
    path("password/reset/done/", views.password_reset_complete, name="password-reset-complete"),
    # The second factor.
    path("verify/", views.verify, name="verify"),
    path("two-factor/", views.enroll, name="enroll"),
    path("two-factor/app/", views.enroll_app, name="enroll-app"),
    path("two-factor/passkey/", views.enroll_passkey, name="enroll-passkey"),
    path("two-factor/recovery-codes/", views.recovery_codes, name="recovery-codes"),
    path("passkeys/register/begin/", passkeys.register_begin, name="passkey-register-begin"),
    path(
        "passkeys/register/complete/", passkeys.register_complete, name="passkey-register-complete"
    ),
    path("passkeys/verify/begin/", passkeys.verify_begin, name="passkey-verify-begin"),
    path("passkeys/verify/complete/", passkeys.verify_complete, name="passkey-verify-complete"),
    # The account's security page.
    path("security/", views.security, name="security"),
    path("security/recovery-codes/", views.recovery_codes_new, name="recovery-codes-new"),
    path(
        "security/<slug:kind>/<int:device_id>/remove/",
        views.device_remove,
        name="device-remove",
    ),
    path("security/sign-out-everywhere/", views.sign_out_everywhere, name="sign-out-everywhere"),
]
