from django.urls import path

from cases import screening_views, views

app_name = "cases"

urlpatterns = [
    path("", views.pipeline, name="pipeline"),
    path("coordination/", views.coordination, name="coordination"),
    path("mine/", views.my_cases, name="my-cases"),
    path("calendar/", views.calendar, name="calendar"),
    path("notifications/", views.notification_choices, name="notification-choices"),
    path(
        "notifications/<uuid:notification_id>/done/",
        views.notification_done,
        name="notification-done",
    ),
    path("<uuid:case_id>/", views.case_detail, name="case"),
    path("<uuid:case_id>/notes/", views.case_note, name="case-note"),
    path("<uuid:case_id>/screening/", screening_views.case_screening, name="case-screening"),
    path("<uuid:case_id>/convictions/", screening_views.conviction_edit, name="conviction-add"),
    path(
        "<uuid:case_id>/convictions/<uuid:conviction_id>/",
        screening_views.conviction_edit,
        name="conviction",
    ),
    path("<uuid:case_id>/consent/", screening_views.case_consent, name="case-consent"),
    path("<uuid:case_id>/apply-again/", screening_views.case_apply_again, name="apply-again"),
    path("<uuid:case_id>/urgency/", views.case_urgency, name="case-urgency"),
    path("<uuid:case_id>/deadlines/", views.case_deadline_add, name="deadline-add"),
    path(
        "<uuid:case_id>/deadlines/<uuid:deadline_id>/",
        views.case_deadline,
        name="deadline",
    ),
    path("<uuid:case_id>/erase/", views.case_shred, name="case-shred"),
    path("<uuid:case_id>/erased/", views.case_tombstone, name="tombstone"),
    path("<uuid:case_id>/documents/", views.document_upload, name="document-upload"),
    path(
        "<uuid:case_id>/documents/<uuid:document_id>/",
        views.document_download,
        name="document-download",
    ),
    *(
        path(f"<uuid:case_id>/{slug}/", views.case_action, {"slug": slug}, name=f"case-{slug}")
        for slug in views.ACTIONS
    ),
]
