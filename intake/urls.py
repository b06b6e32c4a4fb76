from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("intake/start/", views.start, name="start"),
    path("intake/resume/", views.resume, name="resume"),
    path("intake/review/", views.review, name="review"),
    path("intake/sent/", views.sent, name="sent"),
    # Before the generic step pattern: a step that takes files needs its own view (the
    # encrypting upload handler is installed before the body is read).
    path(
        "intake/documents/",
        views.step_with_files,
        {"identifier": "documents"},
        name="documents",
    ),
    path("intake/<slug:identifier>/", views.step, name="step"),
    path("status/", views.status, name="status"),
    path("status/reply/", views.status_reply, name="status_reply"),
    path("status/news/", views.status_news, name="status_news"),
    path("status/close/", views.status_close, name="status_close"),
]
