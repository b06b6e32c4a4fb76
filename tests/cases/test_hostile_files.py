"""Hostile files uploaded to a case, and the names documents download under: always an
attachment, always the extension of the type found in the file, whatever name it came with."""

import re
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import Document, State
from cases.services import CaseError, document_store
from clemency.common import filetypes
from clemency.security import casekeys
from tests import documents
from tests.cases.conftest import add_document, make_case
from tests.cases.test_views import audited, stored_files, upload, url
from tests.intake.test_hostile_files import HOSTILE

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("name", "build", "message"), HOSTILE)
def test_hostile_files_are_refused_over_http(client_for, settings, name, build, message):
    case = make_case(State.REVIEW)
    response = upload(client_for("staff"), case, "rap_sheet", name, build())
    assert message in response.text
    assert "The file is added." not in response.text
    assert not Document.objects.filter(case=case).exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize(("name", "build", "message"), HOSTILE)
def test_the_service_refuses_them_too(staff, settings, name, build, message):
    case = make_case(State.REVIEW)
    key = casekeys.case_key(case)
    upload_ = documents.encrypted_upload(
        build(), name=name, key=key.key, case_id=case.pk, key_version=key.version
    )
    with pytest.raises(CaseError, match=re.escape(message)):
        document_store(case=case, actor=staff, kind="rap_sheet", upload=upload_)
    assert not Document.objects.filter(case=case).exists()
    assert stored_files(settings) == []


def download_name(response) -> str:
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    quoted = re.search(r'filename="((?:[^"\\]|\\.)*)"', disposition)
    if quoted:
        return re.sub(r"\\(.)", r"\1", quoted.group(1))
    return unquote(re.search(r"filename\*=utf-8''(.*)$", disposition).group(1))


def test_a_pdf_named_as_a_web_page_downloads_as_a_pdf(client_for):
    case = make_case(State.REVIEW)
    client = client_for("staff")
    upload(client, case, "rap_sheet", "polyglot.html", documents.pdf())
    document = Document.objects.get(case=case)
    assert document.original_name == "polyglot.html"  # kept as it came, for the record
    page = client.get(url("case", case)).text
    assert "<bdi>polyglot.pdf</bdi>" in page  # listed under the name it downloads as
    response = client.get(url("document-download", case, document_id=document.pk))
    assert download_name(response) == "polyglot.pdf"
    assert response["Content-Type"] == "application/pdf"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == documents.pdf()
    assert audited("document.downloaded", case) == 1


def test_a_bidi_name_is_stored_and_downloaded_as_it_looks(client_for, staff):
    case = make_case(State.REVIEW)
    key = casekeys.case_key(case)
    upload_ = documents.encrypted_upload(
        documents.pdf(), name="invoice\u202efdp.bat", key=key.key, case_id=case.pk
    )
    document = document_store(case=case, actor=staff, kind="rap_sheet", upload=upload_)
    assert document.original_name == "invoicefdp.bat"
    response = client_for("staff").get(url("document-download", case, document_id=document.pk))
    assert download_name(response) == "invoicefdp.pdf"


@pytest.mark.parametrize(
    ("stored_type", "sent_as"),
    [("text/html", "application/octet-stream"), ("", "application/octet-stream")],
)
def test_a_stored_type_that_is_not_served_goes_out_as_bytes(client_for, stored_type, sent_as):
    case = make_case(State.REVIEW)
    document = add_document(case, "rap_sheet", name="page.html", stored=True)
    document.content_type = stored_type  # an encrypted field: set through save()
    document.save()
    response = client_for("staff").get(url("document-download", case, document_id=document.pk))
    assert response["Content-Type"] == sent_as
    assert download_name(response) == "page.bin"


NAMES = st.one_of(
    st.text(max_size=120),
    st.lists(
        st.sampled_from(
            [
                *("a", "é", "ش", "ব", "张", ".", " ", "/", "\\", '"', ";", "%", "\u202e", "\u200d"),
                *(".html", ".htm", ".svg", ".exe", ".bat", ".pdf", ".docx", ".jpg", ".js"),
            ]
        ),
        max_size=25,
    ).map("".join),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=NAMES, content_type=st.sampled_from(sorted(filetypes.EXTENSIONS)))
def test_every_download_is_named_after_its_detected_type(client_for, name, content_type):
    case = make_case(State.REVIEW)
    document = add_document(case, "rap_sheet", name=name, stored=True)
    document.content_type = content_type
    document.save()
    response = client_for("staff").get(url("document-download", case, document_id=document.pk))
    assert response.status_code == 200
    downloaded = download_name(response)
    assert downloaded.endswith(filetypes.EXTENSIONS[content_type])
    assert downloaded == filetypes.download_name(name, content_type)
    assert response["Content-Type"] == content_type
