"""The atomic counters behind every rate limit."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from clemency import limits
from clemency.models import Counter

pytestmark = pytest.mark.django_db
RULE = limits.Rule("test.rule", "INTAKE_GUESS_LIMIT")


def test_counts_up_to_the_limit_then_refuses_until_the_window_ends(settings):
    settings.INTAKE_GUESS_LIMIT = 2
    verdicts = [limits.hit(RULE, "192.0.2.1") for _ in range(3)]
    assert [v.allowed for v in verdicts] == [True, True, False]
    assert [v.count for v in verdicts] == [1, 2, 3]
    assert 0 < verdicts[2].retry_after <= RULE.window
    assert limits.hit(RULE, "192.0.2.2").allowed  # another value, its own count
    # The window ends: counting starts again.
    Counter.objects.update(window_start=timezone.now() - timedelta(hours=2))
    assert limits.hit(RULE, "192.0.2.1").count == 1


def test_peek_does_not_count_and_refund_gives_a_place_back(settings):
    settings.INTAKE_GUESS_LIMIT = 1
    assert limits.peek(RULE, "x").allowed
    limits.hit(RULE, "x")
    assert not limits.peek(RULE, "x").allowed
    limits.refund(RULE, "x")
    assert limits.peek(RULE, "x").allowed
    limits.refund(RULE, "x")  # never below zero
    assert Counter.objects.get().count == 0


def test_the_table_holds_no_address_in_the_clear():
    limits.hit(RULE, "198.51.100.77")
    (counter,) = Counter.objects.all()
    assert "198.51.100.77" not in counter.key
    assert len(counter.key) == 64


def test_stale_counters_are_deleted():
    limits.hit(RULE, "old")
    limits.hit(RULE, "new")
    Counter.objects.exclude(pk=limits._key(RULE, "new")).update(
        window_start=timezone.now() - timedelta(days=3)
    )
    call_command("delete_stale_counters", stdout=io.StringIO())
    assert list(Counter.objects.values_list("key", flat=True)) == [limits._key(RULE, "new")]
