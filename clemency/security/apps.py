import sys
from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "clemency.security"
    label = "security"
    verbose_name = _("Security")

    def ready(self) -> None:
        # Production refuses to start without the keys its role needs (development creates them
        # with `manage.py keys init`, as make run does; a deployment's first start with
        # `python -m clemency.security.init_keys`); the public intake, in any mode, refuses to
        # start holding any key that decrypts. One staff-side command runs before the keys are
        # there because it brings them: `manage.py backup restore`.
        if settings.SITE_ROLE != "intake" and _restoring_a_backup():
            return
        if settings.PRODUCTION or settings.SITE_ROLE == "intake":
            from clemency.security.provider import check_keys

            problems = check_keys()
            if problems:
                raise ImproperlyConfigured("Encryption keys: " + " ".join(problems))


def _restoring_a_backup() -> bool:
    return Path(sys.argv[0]).name == "manage.py" and sys.argv[1:3] == ["backup", "restore"]
