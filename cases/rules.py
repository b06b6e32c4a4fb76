"""Who may see and do what on a case (DESIGN.md §7): every such decision, and only here.

Views, services and templates all ask this module. Views ask first, to choose between 404 (a
case the user may not see) and 403 (an action they may not take) and to show only the buttons
that work; services ask again before they change anything, so a command, a task or a future view
cannot skip a rule (ADR 0011). Each state-changing method of Case names its rule here as its
django-fsm ``permission``; the state machine itself is read only through django-fsm's public API.

Nothing here imports cases.models at module level: the models import these rules.
"""

from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django_fsm import ANY_STATE, can_proceed

# Staff and coordinators hold these through their group; attorneys hold view_case and
# work_on_case on the cases assigned to them only (django-guardian object permissions).
SCREEN = "cases.screen_case"
COORDINATE = "cases.coordinate_case"
VIEW_ALL = "cases.view_all_cases"
ATTORNEY_PERMISSIONS = ("view_case", "work_on_case")
# The workspaces: which list a role starts from.
COORDINATION_WORKSPACE = "accounts.use_coordination_workspace"
ATTORNEY_WORKSPACE = "accounts.use_attorney_workspace"


def holds(user, permission: str) -> bool:
    """Whether the user holds this permission through their role (their groups, or given to them
    directly), never through superuser status: an administrator manages accounts and sees no
    case unless also given a role (DESIGN.md §7, ADR 0012). Django's own ``has_perm`` says yes to
    every superuser, so the permissions are read here, once per user object (one query)."""
    if not user.is_active:
        return False
    held = getattr(user, "_role_permissions", None)
    if held is None:
        rows = (
            Permission.objects.filter(Q(user=user) | Q(group__user=user))
            .values_list("content_type__app_label", "codename")
            .distinct()
        )
        held = user._role_permissions = frozenset(f"{app}.{codename}" for app, codename in rows)
    return permission in held


def _works_on(case, user) -> bool:
    """The attorney's own permission on this case (a django-guardian row), superuser or not."""
    return case.user_permissions.filter(user=user, permission__codename="work_on_case").exists()


# --- Seeing cases ---------------------------------------------------------------------------------


def visible(queryset: QuerySet, user) -> QuerySet:
    """The cases of ``queryset`` this user may see, in one query (``Case.objects.visible_to``)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if sees_all(user):
        return queryset
    return queryset.filter(
        user_permissions__user=user,
        user_permissions__permission__codename="view_case",
        user_permissions__permission__content_type=ContentType.objects.get_for_model(
            queryset.model
        ),
    )


def sees_all(user) -> bool:
    """Staff and coordinators: the pipeline, every case, possible duplicates."""
    return holds(user, VIEW_ALL)


def coordinates(user) -> bool:
    """The coordination workspace: matching, review, filing, volunteers' caseloads."""
    return holds(user, COORDINATION_WORKSPACE)


def has_own_cases(user) -> bool:
    """The attorney's workspace: the cases assigned to them."""
    return holds(user, ATTORNEY_WORKSPACE)


def may_see(case, user) -> bool:
    """For services acting on a case they were handed: may this user see it at all?"""
    return type(case).objects.visible_to(user).live().filter(pk=case.pk).exists()


# --- Acting on one case (each a django-fsm permission as well) ------------------------------------


def may_screen(case, user) -> bool:
    return holds(user, SCREEN)


def may_coordinate(case, user) -> bool:
    return holds(user, COORDINATE)


def may_draft(case, user) -> bool:
    """A coordinator, or the attorney assigned to this case."""
    return holds(user, COORDINATE) or (
        case.assigned_attorney_id == user.pk and _works_on(case, user)
    )


def may_manage_deadlines(case, user) -> bool:
    """Staff, coordinators, and the attorney assigned to the case."""
    return may_screen(case, user) or may_draft(case, user)


def may_edit_convictions(case, user) -> bool:
    """The facts of the convictions: staff, coordinators and the assigned attorney."""
    return may_screen(case, user) or may_draft(case, user)


def may_record_consent(case, user) -> bool:
    """The person's own consent, taken by staff or a coordinator."""
    return may_screen(case, user) or may_coordinate(case, user)


def may_apply_again(case, user) -> bool:
    """After a denial, a new application linked to this one: staff and coordinators."""
    return may_screen(case, user)


def may_shred(case, user) -> bool:
    """Retention (DESIGN.md §2, §4.5): a coordinator erases a closed case."""
    # "closed" is State.CLOSED (models.py imports this module, not the other way round).
    return holds(user, COORDINATE) and case.state == "closed" and not case.is_shredded


def may_see_tombstone(user) -> bool:
    """What is left of a shredded case (reference, dates, state: no personal data)."""
    return coordinates(user)


def may_see_duplicates(case, user) -> bool:
    return sees_all(user)


def upload_kinds(case, user) -> list[tuple[str, str]]:
    """The kinds of document this user may add: petitions are the drafter's work."""
    from cases.models import Document

    if may_draft(case, user):
        return list(Document.Kind.choices)
    if may_screen(case, user):
        petitions = {Document.Kind.DRAFT_PETITION, Document.Kind.FINAL_PETITION}
        return [(value, label) for value, label in Document.Kind.choices if value not in petitions]
    return []


def may_upload(case, user, kind: str) -> bool:
    return kind in {value for value, _label in upload_kinds(case, user)}


@dataclass(frozen=True)
class CaseRights:
    """What the case page offers this user, worked out once per page."""

    screen: bool
    upload_kinds: list
    shred: bool
    deadlines: bool
    convictions: bool
    consent: bool


def rights(case, user) -> CaseRights:
    return CaseRights(
        screen=may_screen(case, user),
        upload_kinds=upload_kinds(case, user),
        shred=may_shred(case, user),
        deadlines=may_manage_deadlines(case, user),
        convictions=may_edit_convictions(case, user),
        consent=may_record_consent(case, user),
    )


# --- Transitions ----------------------------------------------------------------------------------


def transition(case, action: str):
    """The transition ``action`` from the case's current state, or None (django-fsm public API)."""
    return next(
        (
            item
            for item in case.get_all_state_transitions()
            if item.name == action and item.source in (case.state, ANY_STATE)
        ),
        None,
    )


def may(case, user, action: str) -> bool:
    """Whether the user holds the permission for this kind of action on this case, whatever its
    state (a transition's permission rule is the same from every source)."""
    item = next((t for t in case.get_all_state_transitions() if t.name == action), None)
    return item is not None and item.has_perm(case, user)


def possible_now(case, action: str) -> bool:
    """Whether the case's state allows this action (its conditions aside)."""
    return can_proceed(getattr(case, action), check_conditions=False)


def why_blocked(case, action: str, *, provided=()) -> str | None:
    """What to do before the action can go ahead from the case's current state, or None.

    ``provided``: conditions the action's own form fulfils (choosing the attorney, say).
    """
    item = transition(case, action)
    for condition in item.conditions if item else ():
        if condition not in provided and not condition(case):
            return str(condition.unmet)
    return None


def require(allowed: bool) -> None:
    """403 for an action the user may not take on a case they can see."""
    if not allowed:
        raise PermissionDenied
