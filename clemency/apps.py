from django.apps import AppConfig


class ClemencyConfig(AppConfig):
    """The project package itself, for project-wide management commands."""

    name = "clemency"
    verbose_name = "Pardon Project"
