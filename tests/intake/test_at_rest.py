"""A whole application sent with its documents stored on a real S3 server: nothing readable at rest.

The database, the bucket's objects (names, bodies, metadata) and the session hold none of the
marker strings typed into the form or written in the uploaded document; the staff side reads the
document back whole.
"""

import re

import pytest
from django.db import connection
from django.urls import reverse

from cases.models import Document
from cases.services import document_read
from tests.intake.test_views import MARKER, PDF, fill_all, started, upload

pytestmark = pytest.mark.django_db


def _database_dump() -> bytes:
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from introspection)
            for row in cursor.fetchall():
                for value in row:
                    raw = bytes(value) if isinstance(value, bytes | memoryview) else None
                    parts.append(raw if raw is not None else str(value).encode())
    return b"|".join(parts)


def test_a_sent_application_leaves_nothing_readable_in_the_database_or_bucket(
    client, staff, documents_on_s3, django_capture_on_commit_callbacks
):
    s3, bucket = documents_on_s3
    started(client)
    assert "The file is added." in upload(client, f"{MARKER}.pdf", PDF).text
    fill_all(client)
    with django_capture_on_commit_callbacks(execute=True):
        confirmation = client.post(reverse("intake:review"))
    reference = re.search(r"PP-[0-9A-Z]{4}-[0-9A-Z]{4}", confirmation.text).group(0)

    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    assert len(listed) == 1
    for item in listed:
        assert MARKER not in item["Key"]
        head = s3.head_object(Bucket=bucket, Key=item["Key"])
        assert head["Metadata"] == {}
        assert MARKER not in repr(head)
        body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        assert len(body) > len(PDF)
        assert MARKER.encode() not in body
        assert b"certificate of disposition" not in body

    dump = _database_dump()
    assert reference.encode() in dump  # the dump does hold the rows
    assert MARKER.encode() not in dump
    assert b"718 555" not in dump
    assert b"certificate of disposition" not in dump

    document = Document.objects.get(case__reference=reference)
    assert b"".join(document_read(document=document, actor=staff)) == PDF
