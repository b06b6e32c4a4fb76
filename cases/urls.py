from django.urls import path

from cases import views

app_name = "cases"

urlpatterns = [
    path("screening/", views.screening, name="screening"),
    path("coordination/", views.coordination, name="coordination"),
    path("mine/", views.my_cases, name="my-cases"),
]
