from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("intake/start/", views.start, name="start"),
    path("intake/resume/", views.resume, name="resume"),
    path("intake/review/", views.review, name="review"),
    # Before the generic step pattern: uploads need their own view (an encrypting handler).
    path("intake/documents/", views.documents, name="documents"),
    path("intake/<slug:identifier>/", views.step, name="step"),
    path("status/", views.status, name="status"),
]
