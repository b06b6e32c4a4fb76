"""Reading rows a batch at a time: every row once, in order, across batch boundaries."""

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext

from clemency.accounts.models import User
from clemency.common.batches import in_batches
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("rows", "sizes", "queries"), [(5, [2, 2, 1], 3), (4, [2, 2], 3), (0, [], 1)]
)
def test_every_row_once_in_batches_each_one_query(rows, sizes, queries):
    made = sorted(UserFactory(first_name="batch").pk for _ in range(rows))
    people = User.objects.filter(first_name="batch").order_by("-email")
    reset_queries()  # a full query log (9,000) would count nothing
    with CaptureQueriesContext(connection) as captured:
        batches = list(in_batches(people, 2))
    assert [len(batch) for batch in batches] == sizes
    assert [user.pk for batch in batches for user in batch] == made  # by key, not as asked
    assert len(captured) == queries  # a short batch ends it; a full one asks once more


def test_a_row_added_behind_the_reading_is_not_read_twice():
    first, second, third = (UserFactory() for _ in range(3))
    read = []
    for batch in in_batches(User.objects.all(), 1):
        read += [user.pk for user in batch]
        if len(read) == 1:
            User.objects.filter(pk=first.pk).update(first_name="changed")
    assert read == sorted([first.pk, second.pk, third.pk])
