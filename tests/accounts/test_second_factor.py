"""The second factor: enrolment at first sign-in, verification, recovery codes, devices."""

import re
import time

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from clemency.accounts import twofactor
from clemency.audit.models import AuditEvent
from tests.accounts.otp import app_of, next_code
from tests.factories import PASSWORD, UserFactory

LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:verify")
ENROLL = reverse("accounts:enroll")
ENROLL_APP = reverse("accounts:enroll-app")
RECOVERY = reverse("accounts:recovery-codes")
SECURITY = reverse("accounts:security")
CODE = re.compile(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>")


def actions() -> list[str]:
    return list(AuditEvent.objects.values_list("action", flat=True))


def sign_in_with_password(client, user) -> str:
    response = client.post(LOGIN, {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response.url


def make_old(client) -> None:
    """As if the second factor was given long ago."""
    session = client.session
    session[twofactor.VERIFIED_AT] = int(time.time()) - 3600
    session.save()


def add_passkey(user) -> WebAuthnCredential:
    return WebAuthnCredential.objects.create(
        user=user,
        name="passkey",
        credential_id=b"credential-" + str(user.pk).encode(),
        public_key=b"not a real key",
        sign_count=0,
    )


# --- First sign-in: enrolment -----------------------------------------------------------------


def test_first_sign_in_enrols_an_app_then_shows_recovery_codes_once(client, staff):
    assert sign_in_with_password(client, staff) == ENROLL + "?next=%2Faccounts%2Fhome%2F"
    choose = client.get(ENROLL + "?next=/accounts/home/")
    assert choose.status_code == 200
    assert ENROLL_APP + "?next=%2Faccounts%2Fhome%2F" in choose.text

    page = client.get(ENROLL_APP + "?next=/accounts/home/")
    assert page.status_code == 200
    assert '<svg role="img"' in page.text
    assert "<title>" in page.text
    assert "data:" not in page.text
    assert "style=" not in page.text
    device = TOTPDevice.objects.get(user=staff)
    assert not device.confirmed
    groups = re.search(r'class="code secret"[^>]*>(.*?)</p>', page.text).group(1)
    assert "".join(re.findall(r"<span>(\w{1,4})</span>", groups)) == "".join(
        twofactor.app_secret_groups(device)
    )
    assert client.get(ENROLL_APP).text.count(groups) == 1  # reloading keeps the same key

    wrong = client.post(ENROLL_APP, {"app-token": "000000", "next": "/accounts/home/"})
    assert wrong.status_code == 200
    assert "That code is not right" in wrong.text
    assert 'value="000000"' in wrong.text
    device.refresh_from_db()
    device.throttle_reset()  # a wrong code makes the next try wait a second

    response = client.post(ENROLL_APP, {"app-token": next_code(device), "next": "/accounts/home/"})
    assert response.url == RECOVERY + "?next=%2Faccounts%2Fhome%2F"
    device.refresh_from_db()
    assert device.confirmed
    assert "account.device_added" in actions()

    shown = client.get(response.url)
    codes = CODE.findall(shown.text)
    assert len(codes) == twofactor.RECOVERY_CODE_COUNT == len(set(codes))
    assert 'href="/accounts/home/"' in shown.text
    # Stored only as keyed hashes.
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert len(stored) == len(codes)
    assert not {code.replace("-", "") for code in codes} & stored
    # Shown once.
    again = client.get(RECOVERY)
    assert CODE.findall(again.text) == []
    assert StaticToken.objects.count() == len(codes)

    home = client.get(reverse("accounts:home"))
    assert home.url == reverse("cases:pipeline")
    assert client.get(home.url).status_code == 200


def test_enrolment_code_typed_with_spaces_works_and_format_errors_explain(client, staff):
    client.force_login_password_only(staff)
    client.get(ENROLL_APP)
    device = TOTPDevice.objects.get(user=staff)
    response = client.post(ENROLL_APP, {"app-token": "12ab"})
    assert "The code has 6 digits" in response.text
    code = next_code(device)
    response = client.post(ENROLL_APP, {"app-token": f"{code[:3]} {code[3:]}"})
    assert response.url == RECOVERY


def test_a_verified_session_needs_recent_verification_to_add_a_device(client, staff):
    client.force_login(staff)
    assert client.get(ENROLL_APP).status_code == 200
    make_old(client)
    response = client.get(ENROLL_APP)
    assert response.url == VERIFY + "?next=%2Faccounts%2Ftwo-factor%2Fapp%2F"
    response = client.post(VERIFY, {"app-token": next_code(app_of(staff)), "next": ENROLL_APP})
    assert response.url == ENROLL_APP
    assert client.get(ENROLL_APP).status_code == 200


def test_adding_a_second_app_goes_back_to_the_security_page(client, staff):
    client.force_login(staff)
    client.get(ENROLL_APP)
    pending = TOTPDevice.objects.get(user=staff, confirmed=False)
    response = client.post(ENROLL_APP, {"app-token": next_code(pending)})
    assert response.url == SECURITY
    assert TOTPDevice.objects.filter(user=staff, confirmed=True).count() == 2
    assert StaticToken.objects.count() == 0  # recovery codes come with the first device only


# --- Verification -----------------------------------------------------------------------------


def test_verification_with_the_app(client, staff):
    device = app_of(staff)
    assert sign_in_with_password(client, staff) == VERIFY + "?next=%2Faccounts%2Fhome%2F"
    page = client.get(VERIFY)
    assert 'autocomplete="one-time-code"' in page.text
    assert 'inputmode="numeric"' in page.text

    wrong = client.post(VERIFY, {"app-token": "123456"})
    assert "That code is not right" in wrong.text
    assert actions() == ["account.verification_failed"]
    waiting = client.post(VERIFY, {"app-token": next_code(device)})
    assert "Too many wrong codes. Wait" in waiting.text  # one second after one failure

    device.refresh_from_db()
    device.throttle_reset()
    session_before = client.cookies["sessionid"].value
    code = next_code(device)
    assert client.post(VERIFY, {"app-token": code}).url == reverse("accounts:home")
    assert client.cookies["sessionid"].value != session_before  # a new session key
    assert client.get(reverse("cases:pipeline")).status_code == 200

    # A code works once.
    other = client.__class__()
    sign_in_with_password(other, staff)
    response = other.post(VERIFY, {"app-token": code})
    assert "That code is not right" in response.text


def test_recovery_codes_work_once_each(client, staff):
    app_of(staff)
    codes = twofactor.new_recovery_codes(staff)
    sign_in_with_password(client, staff)
    response = client.post(VERIFY, {"recovery-recovery_code": codes[0].upper().replace("-", " ")})
    assert response.url == reverse("accounts:home")
    assert twofactor.recovery_codes_left(staff) == len(codes) - 1
    assert "account.recovery_code_used" in actions()
    messages = client.get(reverse("accounts:home"), follow=True).text
    assert "You used a recovery code" in messages

    other = client.__class__()
    sign_in_with_password(other, staff)
    again = other.post(VERIFY, {"recovery-recovery_code": codes[0]})
    assert again.status_code == 200
    assert "not one of your unused recovery codes" in again.text
    assert '<details class="recovery" open>' in again.text
    assert other.get(reverse("cases:pipeline")).status_code != 200


def test_new_recovery_codes_replace_the_old_ones(client, staff):
    client.force_login(staff)
    old = twofactor.new_recovery_codes(staff)
    response = client.post(reverse("accounts:recovery-codes-new"))
    assert response.url.startswith(RECOVERY)
    new = CODE.findall(client.get(response.url).text)
    assert len(new) == twofactor.RECOVERY_CODE_COUNT
    assert twofactor.use_recovery_code(staff, new[0]) is not None
    assert twofactor.use_recovery_code(staff, old[0]) is None


def test_new_recovery_codes_need_recent_verification(client, staff):
    client.force_login(staff)
    make_old(client)
    response = client.post(reverse("accounts:recovery-codes-new"))
    assert response.url == VERIFY + "?next=%2Faccounts%2Fsecurity%2F"
    assert not client.session.get(twofactor.SHOW_NEW_RECOVERY_CODES)


# --- Passkey ceremonies -----------------------------------------------------------------------


PASSKEY_URLS = [
    "accounts:passkey-register-begin",
    "accounts:passkey-register-complete",
    "accounts:passkey-verify-begin",
    "accounts:passkey-verify-complete",
]


@pytest.mark.parametrize("name", PASSKEY_URLS)
def test_passkey_ceremonies_refuse_anonymous_visitors(client, db, name):
    response = client.post(reverse(name), "{}", content_type="application/json")
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_passkey_registration_begins_at_enrolment(client, staff):
    client.force_login_password_only(staff)
    page = client.get(reverse("accounts:enroll-passkey"))
    assert 'data-passkey="register"' in page.text
    assert "<script src=" in page.text
    assert "js/passkey.js" in page.text
    response = client.post(reverse("accounts:passkey-register-begin"))
    assert response.status_code == 200
    options = response.json()
    assert options["rp"]["id"] == "localhost"
    assert options["user"]["name"] == staff.email
    assert options["challenge"]
    # Completing with nonsense fails and registers nothing.
    response = client.post(
        reverse("accounts:passkey-register-complete"), {"id": "x"}, content_type="application/json"
    )
    assert response.status_code >= 400
    assert not WebAuthnCredential.objects.exists()


def test_passkey_registration_needs_recent_verification_once_enrolled(client, staff):
    client.force_login(staff)
    assert client.post(reverse("accounts:passkey-register-begin")).status_code == 200
    make_old(client)
    response = client.post(reverse("accounts:passkey-register-begin"))
    assert response.status_code == 403
    assert response.json()["code"] == "reverify"


def test_passkey_verification_begins_for_a_signed_in_person(client, staff):
    add_passkey(staff)
    client.force_login_password_only(staff)
    page = client.get(VERIFY)
    assert 'data-passkey="verify"' in page.text
    response = client.post(reverse("accounts:passkey-verify-begin"))
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["allowCredentials"]]
    response = client.post(
        reverse("accounts:passkey-verify-complete"), {"id": "x"}, content_type="application/json"
    )
    assert response.status_code >= 400
    assert "account.verification_failed" in actions()
    assert client.get(reverse("cases:pipeline")).status_code == 302


# --- The security page ------------------------------------------------------------------------


def test_security_page_lists_devices_and_offers_the_actions(client, staff):
    client.force_login(staff)
    add_passkey(staff)
    twofactor.new_recovery_codes(staff)
    page = client.get(SECURITY)
    assert page.status_code == 200
    assert "Authenticator app" in page.text
    assert "Passkey" in page.text
    assert "You have 10 recovery codes left, of 10." in page.text
    assert page.text.count("/remove/") == 2
    for name in ("enroll-passkey", "enroll-app", "recovery-codes-new", "sign-out-everywhere"):
        assert reverse(f"accounts:{name}") in page.text


def test_removing_a_device_asks_again_and_never_removes_the_last(client, staff):
    client.force_login(staff)
    app = app_of(staff)
    passkey = add_passkey(staff)
    app_url = reverse("accounts:device-remove", kwargs={"kind": "app", "device_id": app.pk})
    passkey_url = reverse(
        "accounts:device-remove", kwargs={"kind": "passkey", "device_id": passkey.pk}
    )
    make_old(client)
    assert client.post(app_url).url == VERIFY + "?next=" + app_url.replace("/", "%2F")
    assert TOTPDevice.objects.filter(pk=app.pk).exists()

    client.post(VERIFY, {"app-token": next_code(app)})
    assert "Remove" in client.get(app_url).text
    assert client.post(app_url).url == SECURITY  # the app verified this session
    assert not TOTPDevice.objects.filter(pk=app.pk).exists()
    assert "account.device_removed" in actions()
    assert client.get(SECURITY).status_code == 200  # still verified

    response = client.post(passkey_url, follow=True)
    assert "This is your only passkey or app" in response.text
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()


def test_someone_elses_device_is_not_found(client, staff, coordinator):
    theirs = app_of(coordinator)
    client.force_login(staff)
    url = reverse("accounts:device-remove", kwargs={"kind": "app", "device_id": theirs.pk})
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    bad_kind = reverse("accounts:device-remove", kwargs={"kind": "static", "device_id": 1})
    assert client.get(bad_kind).status_code == 404
    assert TOTPDevice.objects.filter(pk=theirs.pk).exists()


# --- The test clients themselves ----------------------------------------------------------------


def test_force_login_gives_both_factors_and_password_only_gives_one(client, staff):
    client.force_login(staff)
    assert client.get(reverse("cases:pipeline")).status_code == 200
    other = client.__class__()
    other.force_login_password_only(staff)
    response = other.get(reverse("cases:pipeline"))
    assert response.url == VERIFY + "?next=%2Fcases%2F"


def test_admin_reset_makes_the_person_enrol_again(client, administrator, staff):
    app_of(staff)
    twofactor.new_recovery_codes(staff)
    theirs = client.__class__()
    theirs.force_login(staff)
    client.force_login(administrator)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [staff.pk]},
    )
    assert response.status_code == 302
    assert not twofactor.is_enrolled(staff)
    assert not StaticToken.objects.exists()
    assert theirs.get(reverse("cases:pipeline")).url.startswith(LOGIN)  # signed out
    assert "account.second_factor_reset" in actions()
    fresh = client.__class__()
    assert sign_in_with_password(fresh, staff).startswith(ENROLL)


def test_people_without_a_role_enrol_too(client, db):
    person = UserFactory()
    assert sign_in_with_password(client, person).startswith(ENROLL)
