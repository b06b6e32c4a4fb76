"""Who may see and do what (DESIGN.md §7), URL by URL, persona by persona.

An attorney can never see, download from or act on another's case, by any URL: the case does not
exist for them (404). A persona who may see a case but not take an action gets 403.
"""

from datetime import date

import pytest
from django.urls import URLPattern, get_resolver, reverse

from cases import rules, workflow
from cases.models import Case, Document, State
from cases.services import document_store
from tests.cases.conftest import make_case

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n" + b"petition text\n" * 100

# URL names that change something (POST only, with what they need); the rest are pages (GET).
POSTS = {
    "case-note": {"text": "A note."},
    "case-consent": {"consent-on": "2026-11-30", "consent-how": "signed"},
    "case-urgency": {"urgency": "P1", "reason": "Hearing moved up."},
    "document-upload": {},
    "deadline-add": {"deadline-kind": "custom", "deadline-due_on": "2027-01-15"},
}


def _case_urls() -> list[str]:
    resolver = get_resolver().namespace_dict["cases"][1]
    return sorted(
        pattern.name
        for pattern in resolver.url_patterns
        if isinstance(pattern, URLPattern) and "case_id" in str(pattern.pattern)
    )


CASE_URLS = _case_urls()
SCREENING_ACTIONS = {"start-review", "request-info", "resume-review", "accept", "close"}


def expected_status(persona: str, name: str) -> int:
    """DESIGN.md §7 for a drafting case assigned to "attorney"."""
    if persona == "anonymous":
        return 302  # to sign in
    if persona in ("other_attorney", "administrator"):
        return 404  # an administrator sees no case without a role (ADR 0012)
    if name == "tombstone":
        return 404  # a live case has none (tests/cases/test_shred.py: a shredded one)
    if name == "case-shred":
        return 403  # only a closed case is erased, by a coordinator (test_shred.py)
    ok = 302 if name in POSTS else 200
    if name in ("case", "document-download", "case-note", "document-upload"):
        return ok
    if name in ("deadline-add", "deadline", "conviction", "conviction-add"):
        return ok  # staff, coordinators and the assigned attorney
    if persona == "coordinator":
        return ok
    if name in ("case-screening", "case-urgency", "case-consent", "apply-again"):
        return ok if persona == "staff" else 403
    slug = name.removeprefix("case-")
    if persona == "staff":
        return ok if slug in SCREENING_ACTIONS else 403
    return ok if slug == "request-review" else 403  # the assigned attorney


@pytest.fixture
def drafting(attorney):
    # The person's own consent still to be taken: recording it is one of the URLs walked.
    case = make_case(State.DRAFTING, attorney=attorney, consented=False)
    document = document_store(
        case=case,
        actor=None,
        content=PDF,
        original_name="draft.pdf",
        kind=Document.Kind.DRAFT_PETITION,
    )
    workflow.case_add_deadline(case=case, actor=None, kind="hearing", due_on=date(2027, 1, 10))
    return case, document


def test_every_case_url_is_walked():
    assert {"case", "document-download", "case-close", "case-assign"} <= set(CASE_URLS)
    assert {"case-shred", "tombstone"} <= set(CASE_URLS)
    assert {"deadline-add", "deadline"} <= set(CASE_URLS)
    assert {"case-screening", "conviction", "conviction-add", "case-consent"} <= set(CASE_URLS)
    assert len(CASE_URLS) == 14 + len({item.name for item in Case().get_all_state_transitions()})


@pytest.mark.parametrize(
    "persona", ["staff", "coordinator", "attorney", "other_attorney", "administrator", "anonymous"]
)
@pytest.mark.parametrize("name", CASE_URLS)
def test_each_url_as_each_persona(client_for, drafting, persona, name):
    case, document = drafting
    kwargs = {"case_id": case.pk}
    if name == "document-download":
        kwargs["document_id"] = document.pk
    if name == "deadline":
        kwargs["deadline_id"] = case.deadlines.get().pk
    if name == "conviction":
        kwargs["conviction_id"] = case.convictions.get().pk
    url = reverse(f"cases:{name}", kwargs=kwargs)
    client = client_for(persona)
    response = client.post(url, POSTS[name]) if name in POSTS else client.get(url)
    assert response.status_code == expected_status(persona, name), response.content[:500]
    if response.status_code == 302 and persona == "anonymous":
        assert response.url.startswith(reverse("accounts:login"))
    if name == "document-download" and response.status_code == 200:
        assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize(
    "name", [n for n in CASE_URLS if n not in ("document-download", "deadline")]
)
def test_an_unknown_case_is_404_for_everyone_signed_in(client_for, name):
    kwargs = {"case_id": "00000000-0000-4000-8000-0000000000ff"}
    if name == "conviction":
        kwargs["conviction_id"] = "00000000-0000-4000-8000-0000000000fe"
    url = reverse(f"cases:{name}", kwargs=kwargs)
    for persona in ("staff", "coordinator", "attorney"):
        client = client_for(persona)
        response = client.post(url, {}) if name in POSTS else client.get(url)
        assert response.status_code == 404, persona
        client.logout()


def test_a_document_is_only_reachable_through_its_own_case(client_for, attorney, drafting):
    _case, document = drafting
    mine = make_case(State.DRAFTING, attorney=attorney)
    url = reverse(
        "cases:document-download", kwargs={"case_id": mine.pk, "document_id": document.pk}
    )
    assert client_for("coordinator").get(url).status_code == 404


def test_lists_show_an_attorney_only_their_cases(client_for, attorney, other_attorney):
    mine = make_case(State.DRAFTING, attorney=attorney)
    theirs = make_case(State.DRAFTING, attorney=other_attorney)
    unassigned = make_case(State.ACCEPTED)
    assert set(Case.objects.visible_to(attorney)) == {mine}
    page = client_for("attorney").get(reverse("cases:my-cases")).text
    assert mine.reference in page
    assert theirs.reference not in page
    assert unassigned.reference not in page
    assert client_for("attorney").get(reverse("cases:pipeline")).status_code == 403


def test_the_visibility_rule_is_one_query(attorney, staff, django_assert_num_queries):
    for _ in range(5):
        make_case(State.DRAFTING, attorney=attorney)
        make_case(State.REVIEW)
    for user, count in ((attorney, 5), (staff, 10)):
        rules.sees_all(user)  # the user's role permissions, loaded once
        with django_assert_num_queries(1):
            assert len(list(Case.objects.visible_to(user))) == count


def test_inactive_and_anonymous_users_see_nothing(attorney):
    from django.contrib.auth.models import AnonymousUser

    make_case(State.DRAFTING, attorney=attorney)
    attorney.is_active = False
    assert not Case.objects.visible_to(attorney).exists()
    assert not Case.objects.visible_to(AnonymousUser()).exists()


# --- Revocation ---------------------------------------------------------------------------------


def _can_reach(client, case) -> bool:
    return client.get(reverse("cases:case", kwargs={"case_id": case.pk})).status_code == 200


@pytest.mark.parametrize(
    ("action", "arguments"),
    [
        ("release", {"reason": "Too busy."}),
        ("reassign", {"reason": "Too busy.", "attorney": "volunteer"}),
        ("close", {"reason": "Withdrawn.", "closure_reason": "withdrawn"}),
    ],
)
def test_release_reassign_and_close_revoke_access(
    client_for, attorney, coordinator, volunteer, action, arguments
):
    case = make_case(State.DRAFTING, attorney=attorney)
    client = client_for("attorney")
    assert _can_reach(client, case)
    if arguments.get("attorney") == "volunteer":
        arguments = {**arguments, "attorney": volunteer}
    getattr(workflow, f"case_{action}")(
        case=case, actor=coordinator, expected_state=State.DRAFTING, **arguments
    )
    assert not _can_reach(client, case)
    assert not attorney.has_perm("cases.view_case", case)
    assert not Case.objects.visible_to(attorney).filter(pk=case.pk).exists()
    if action == "reassign":
        assert Case.objects.visible_to(volunteer).filter(pk=case.pk).exists()
        assert case.assigned_attorney == volunteer
    else:
        assert case.assigned_attorney is None


def test_assigning_grants_access_to_that_case_only(client_for, coordinator, attorney):
    case = make_case(State.ACCEPTED)
    other = make_case(State.ACCEPTED)
    client = client_for("attorney")
    assert not _can_reach(client, case)
    workflow.case_assign(
        case=case, actor=coordinator, expected_state=State.ACCEPTED, attorney=attorney
    )
    assert _can_reach(client, case)
    assert not _can_reach(client, other)


def test_only_volunteer_attorneys_can_be_assigned(coordinator, staff):
    case = make_case(State.ACCEPTED)
    with pytest.raises(workflow.CaseError, match="Choose a volunteer attorney"):
        workflow.case_assign(
            case=case, actor=coordinator, expected_state=State.ACCEPTED, attorney=staff
        )
    case.refresh_from_db()
    assert case.state == State.ACCEPTED
