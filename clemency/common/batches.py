"""Reading many rows a thousand at a time, one query a batch, whatever their number."""

from collections.abc import Iterator

from django.db.models import QuerySet

BATCH = 1000


def in_batches(queryset: QuerySet, size: int | None = None) -> Iterator[list]:
    """The rows of ``queryset``, in batches of ``size`` (BATCH unless given) in primary-key
    order, each batch one query that starts after the last row of the one before (so rows
    changed between batches are neither skipped nor read twice)."""
    size = size or BATCH
    ordered = queryset.order_by("pk")
    last = None
    while True:
        page = ordered if last is None else ordered.filter(pk__gt=last)
        batch = list(page[:size])
        if batch:
            yield batch
        if len(batch) < size:
            return
        last = batch[-1].pk
