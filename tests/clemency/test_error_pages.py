from django.template.loader import get_template
from django.test import Client
from django.utils import translation


def test_not_found_page_is_translated(client, db):
    client.cookies["django_language"] = "fr"
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert '<html lang="fr" dir="ltr">' in response.text
    assert "Page not found" not in response.text


def test_expired_form_explains_and_keeps_nothing_secret(db):
    client = Client(enforce_csrf_checks=True)
    client.cookies["django_language"] = "es"
    response = client.post("/accounts/login/", {"username": "staff@example.org", "password": "x"})
    assert response.status_code == 403
    assert '<html lang="es" dir="ltr">' in response.text
    assert "staff@example.org" not in response.text
    assert "Please try again" not in response.text  # translated


def test_server_error_page_renders_without_a_request():
    with translation.override("ar"):
        html = get_template("500.html").render()
    assert '<html lang="ar" dir="rtl">' in html
    assert "Something went wrong" not in html
