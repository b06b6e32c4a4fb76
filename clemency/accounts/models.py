import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from clemency.accounts.roles import ROLE_HOMES, Role


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        return (email or "").strip().lower()

    def get_by_natural_key(self, email: str):
        # Addresses are stored as normalize_email makes them: an exact match. (A case-insensitive
        # one would let "\u017ftaff@" (long s) reach "staff@" in PostgreSQL while the sign-in limits
        # counted it as another account.)
        return self.get(email=self.normalize_email(email))

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra_fields)


def new_session_salt() -> str:
    return secrets.token_hex(16)


class User(AbstractUser):
    """A person on the project's team. Applicants never have accounts.

    ``is_staff`` keeps Django's meaning (may use the admin site); what a user may do with cases
    comes from their role groups (clemency/accounts/roles.py).
    """

    username = None
    email = models.EmailField(_("email address"), unique=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("The language of e-mails sent to this person."),
    )
    # Mixed into the hash every session keeps of its user: a new salt ends every session at once
    # ("sign out everywhere", a new password).
    session_salt = models.CharField(max_length=32, default=new_session_salt, editable=False)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            ("use_screening_workspace", _("Can use the intake screening workspace")),
            ("use_coordination_workspace", _("Can use the coordination workspace")),
            ("use_attorney_workspace", _("Can use the volunteer attorney workspace")),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = type(self).objects.normalize_email(self.email)

    def _get_session_auth_hash(self, secret=None) -> str:
        """What a session must match to stay signed in: the password hash and the session salt."""
        return salted_hmac(
            "clemency.accounts.User.get_session_auth_hash",
            f"{self.password}|{self.session_salt}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def end_sessions(self, *, save: bool = True) -> None:
        """End every session of this person, on every device (once the salt is saved)."""
        self.session_salt = new_session_salt()
        if save:
            self.save(update_fields=["session_salt"])

    def roles(self) -> list[Role]:
        names = {group.name for group in self.groups.all()}
        return [role for role in Role if role.value in names]

    def home_url_name(self) -> str | None:
        """The URL name of this user's landing page, or None if they hold no role."""
        held = set(self.roles())
        for role, url_name in ROLE_HOMES.items():
            if role in held:
                return url_name
        return None
