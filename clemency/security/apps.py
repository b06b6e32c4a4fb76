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
        # with `manage.py keys init`, as make run does); the public intake, in any mode, refuses
        # to start holding any key that decrypts.
        if settings.PRODUCTION or settings.SITE_ROLE == "intake":
            from clemency.security.provider import check_keys

            problems = check_keys()
            if problems:
                raise ImproperlyConfigured("Encryption keys: " + " ".join(problems))
