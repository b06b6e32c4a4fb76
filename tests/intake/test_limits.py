"""The public intake's limits behind the production reverse proxy: per person, fair to a right
code, global where it protects the service, and counted exactly when requests race."""

import re
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from clemency import limits
from intake import services, throttle
from intake.models import Draft
from tests.intake.test_views import started

pytestmark = pytest.mark.django_db

PROXY = "172.30.0.10"  # the reverse proxy's address (docker-compose.yml)
WRONG_RESUME = "AAAA-BBBB-CCCC-DDDD"


@pytest.fixture(autouse=True)
def behind_the_proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.CLIENT_ADDRESS_HEADER = "x-forwarded-for"


def person(address: str, *, spoofed: str = "") -> Client:
    """A browser at `address`, reaching the app through the proxy (which appends the address it
    saw to whatever the browser sent)."""
    forwarded = f"{spoofed}, {address}" if spoofed else address
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def resume(client: Client, code: str):
    return client.post(reverse("intake:resume"), {"code": code})


def test_ten_people_with_wrong_codes_do_not_block_an_eleventh(settings):
    owner = person("198.51.100.11")
    code = started(owner)
    for number in range(1, 11):
        assert resume(person(f"198.51.100.{number}"), WRONG_RESUME).status_code == 400
    assert resume(person("198.51.100.12"), WRONG_RESUME).status_code == 400  # judged, not blocked
    assert resume(person("198.51.100.11"), code).status_code == 302


def test_thirty_one_applications_from_thirty_one_addresses_are_all_accepted():
    for number in range(1, 32):
        assert person(f"203.0.113.{number}").post(reverse("intake:start")).status_code == 200
    assert Draft.objects.count() == 31


def test_one_address_is_limited_and_told_when_to_try_again(settings):
    settings.INTAKE_GUESS_LIMIT = 3
    code = started(person("198.51.100.20"))
    guesser = person("198.51.100.30")
    for _ in range(3):
        assert resume(guesser, WRONG_RESUME).status_code == 400
    blocked = resume(guesser, WRONG_RESUME)
    assert blocked.status_code == 429
    assert re.search(r"Please try again in \d+ minutes?\.", blocked.text)
    assert 0 < int(blocked.headers["Retry-After"]) <= 3600
    assert WRONG_RESUME in blocked.text  # what was typed is kept
    # A right code is still judged on its merits, from the same shared address.
    assert resume(person("198.51.100.30"), code).status_code == 302


def test_a_forged_forwarding_header_neither_escapes_nor_frames_anyone(settings):
    settings.INTAKE_GUESS_LIMIT = 3
    for number in range(4):
        # The browser claims a new address each time; the proxy appends the real one.
        response = resume(person("198.51.100.40", spoofed=f"10.9.9.{number}"), WRONG_RESUME)
    assert response.status_code == 429
    # Someone whose address was claimed is not blocked.
    assert resume(person("10.9.9.1"), WRONG_RESUME).status_code == 400
    # Without the proxy in between, the header is not believed at all.
    direct = [
        Client(REMOTE_ADDR="192.0.2.50", HTTP_X_FORWARDED_FOR=f"10.8.8.{n}") for n in range(4)
    ]
    assert [resume(c, WRONG_RESUME).status_code for c in direct] == [400, 400, 400, 429]


def test_new_applications_from_one_address_and_from_everyone(settings):
    settings.INTAKE_START_LIMIT = 2
    settings.INTAKE_START_GLOBAL_LIMIT = 4
    office = person("198.51.100.60")
    # Three applications started one after the other in one browser ("start another").
    starts = [office.post(reverse("intake:start"), {"another": "1"}) for _ in range(3)]
    assert [response.status_code for response in starts] == [200, 200, 429]
    assert person("198.51.100.61").post(reverse("intake:start")).status_code == 200
    assert person("198.51.100.62").post(reverse("intake:start")).status_code == 200
    busy = person("198.51.100.63").post(reverse("intake:start"))
    assert busy.status_code == 429
    assert "Many people are using this service right now" in busy.text
    assert Draft.objects.count() == 4


@pytest.fixture
def submitted(django_capture_on_commit_callbacks):
    """A sent application: (reference, status code)."""
    draft, dek, _code = services.draft_start(language="en")
    services.draft_save_step(draft=draft, dek=dek, step="story", data={"text": "Story."})
    with django_capture_on_commit_callbacks(execute=False):
        return services.draft_submit(draft=draft, dek=dek)


def status(client: Client, reference: str, code: str):
    # The right code opens the page in this browser (a redirect to it); a wrong one says so.
    return client.post(
        reverse("intake:status"), {"reference": reference, "status_code": code}, follow=True
    )


def test_wrong_status_codes_from_many_addresses_do_not_lock_the_applicant_out(settings, submitted):
    settings.INTAKE_REFERENCE_GUESS_LIMIT = 5
    reference, code = submitted
    for number in range(1, 11):
        assert status(person(f"203.0.113.{number}"), reference, "AAAA-AAAA").status_code == 400
    # The reference is past its limit: those who failed on it (more than a typo) are refused...
    status(person("203.0.113.3"), reference, "AAAA-AAAB")
    status(person("203.0.113.3"), reference, "AAAA-AAAC")
    refused = status(person("203.0.113.3"), reference, code)
    assert refused.status_code == 429
    # ...one typo of the applicant's is forgiven...
    assert status(person("198.51.100.98"), reference, "AAAA-AAAD").status_code == 400
    assert status(person("198.51.100.98"), reference, code).status_code == 200
    # ...the applicant, from anywhere else, is let in.
    answer = status(person("198.51.100.99"), reference, code)
    assert answer.status_code == 200
    assert reference in answer.text


def test_status_guesses_from_one_address_are_limited(settings, submitted):
    settings.INTAKE_STATUS_GUESS_LIMIT = 3
    reference, code = submitted
    guesser = person("203.0.113.80")
    # One address trying many references (each once) is refused past its limit...
    others = [f"PP-0000-000{n}" for n in range(4)]
    codes = [status(guesser, other, "AAAA-AAAA").status_code for other in others]
    assert codes == [400, 400, 400, 429]
    assert "Too many tries from this connection" in status(guesser, reference, code).text
    # Right answers give their place back: the applicant may look as often as they like.
    applicant = person("198.51.100.81")
    assert [status(applicant, reference, code).status_code for _ in range(5)] == [200] * 5


def test_a_connection_over_its_limit_is_told_so_whatever_it_typed(settings, submitted):
    settings.INTAKE_STATUS_GUESS_LIMIT = 1
    guesser = person("203.0.113.85")
    assert status(guesser, "PP-0000-0001", "AAAA-AAAA").status_code == 400
    for reference in ("PP-0000-0002", "not a reference"):
        refused = status(guesser, reference, "AAAA-AAAA")
        assert refused.status_code == 429
        assert "Too many tries from this connection" in refused.text
        assert "for this reference" not in refused.text


def test_one_application_mistyped_again_and_again_waits_and_keeps_what_was_typed(
    settings, submitted
):
    settings.INTAKE_STATUS_CODE_LIMIT = 3
    reference, _code = submitted
    applicant = person("198.51.100.82")
    codes = [status(applicant, reference, "AAAA-AAAA").status_code for _ in range(3)]
    assert codes == [400, 400, 400]
    refused = status(applicant, reference, "AAAA-AAAB")
    assert refused.status_code == 429
    assert re.search(
        r"Too many wrong codes for this reference\. Please try again in \d+ minutes?\.",
        refused.text,
    )
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert f'value="{reference}"' in refused.text
    assert 'value="AAAA-AAAB"' in refused.text
    # Another application from the same connection is judged on its merits.
    assert status(applicant, "PP-0000-0000", "AAAA-AAAA").status_code == 400


def test_a_shared_office_network_is_not_refused_the_right_status_code(settings, submitted):
    """Ten people at one legal-aid office mistype their own codes, twice each: each of them, and
    an eleventh person, still get in with the right code (the defaults, not tuned)."""
    reference, code = submitted
    office = person("198.51.100.83")
    for number in range(10):
        for wrong in ("AAAA-AAAA", "AAAA-AAAB"):
            assert status(office, f"PP-0000-{number:04d}", wrong).status_code == 400
    assert status(office, reference, code).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_are_counted_exactly_and_cost_no_hashing(settings, monkeypatch):
    """Eight wrong codes at once from one address, with room for five: exactly five are judged
    (and counted), three refused (and not counted, so the time to wait stays true), and none
    runs Argon2 (a code that finds no application has nothing to unwrap)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    settings.INTAKE_GUESS_LIMIT = 5
    hashed = []
    real = services.drafts.unwrap_with_resume_code
    monkeypatch.setattr(
        services.drafts,
        "unwrap_with_resume_code",
        lambda *args, **kwargs: hashed.append(1) or real(*args, **kwargs),
    )
    results, barrier = [], threading.Barrier(8)

    def guess():
        try:
            barrier.wait()
            results.append(services.draft_resume(code=WRONG_RESUME, client="203.0.113.90"))
        except throttle.Throttled:
            results.append("throttled")
        finally:
            connection.close()

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results.count("throttled") == 3
    assert results.count(None) == 5
    assert hashed == []
    assert limits.peek(throttle.GUESS, "203.0.113.90").count == 6  # 5 counted, the 6th next


def test_a_right_resume_code_is_never_refused_for_others_traffic(settings):
    """Even with the global Argon2 budget spent and the address blocked, the code that finds its
    application opens it."""
    settings.CODE_CHECK_GLOBAL_LIMIT = 0
    settings.INTAKE_GUESS_LIMIT = 1
    code = started(person("198.51.100.120"))
    shared = person("198.51.100.121")
    assert [resume(shared, WRONG_RESUME).status_code for _ in range(2)] == [400, 429]
    assert resume(shared, code).status_code == 302


def test_ipv6_clients_count_by_their_64_and_their_48(settings):
    settings.INTAKE_START_LIMIT = 2
    settings.INTAKE_START_NETWORK_LIMIT = 3
    one = person("2001:db8:7:1::1")
    assert one.post(reverse("intake:start")).status_code == 200
    # Another address of the same /64 is the same client.
    assert person("2001:db8:7:1::ffff").post(reverse("intake:start")).status_code == 200
    assert person("2001:db8:7:1::2").post(reverse("intake:start")).status_code == 429
    # Another /64 of the same /48: its own count, but the /48 is full after one more.
    assert person("2001:db8:7:2::1").post(reverse("intake:start")).status_code == 200
    assert person("2001:db8:7:3::1").post(reverse("intake:start")).status_code == 429
    # Elsewhere, nothing is counted.
    assert person("2001:db8:8::1").post(reverse("intake:start")).status_code == 200
    assert Draft.objects.count() == 4


def test_a_malformed_reference_is_a_wrong_answer_not_an_error():
    for reference in ("PP-\x00", "PP-\u0000AAA-BBBB", "x" * 5000, "PP-ILOU-0000"):
        response = status(person("198.51.100.130"), reference, "AAAA-AAAA")
        assert response.status_code in (400, 429)
