from django.db import models


class Counter(models.Model):
    """One rate-limit counter (clemency/limits.py): attempts in the current window."""

    key = models.CharField(max_length=64, primary_key=True)  # HMAC of the rule and the value
    window_start = models.DateTimeField(db_index=True)
    count = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.count} since {self.window_start:%Y-%m-%d %H:%M}"
