"""Settings for the clemency project: one file, read from the environment.

DJANGO_ENV selects the mode:
- ``development`` (the default): safe local defaults, SQLite under var/, e-mail to the console.
- ``production``: no defaults for secrets; refuses to start without SECRET_KEY, ALLOWED_HOSTS and
  DATABASE_URL; HTTPS-only cookies, HSTS and the rest of ``check --deploy``.

Every variable can also be given as ``NAME_FILE`` (see clemency/env.py). README.md lists them.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from clemency.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

ENVIRONMENT = env_str("DJANGO_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'.")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env_bool("DJANGO_DEBUG", False)
if PRODUCTION and DEBUG:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DJANGO_DEBUG cannot be on in production.")

if PRODUCTION:
    SECRET_KEY = env_str("SECRET_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    DATABASE_URL = env_str("DATABASE_URL")
else:
    # A fixed key is acceptable only because development data is demo data.
    SECRET_KEY = env_str("SECRET_KEY", "development-only-" + "x" * 50)
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
    DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")

# --- Applications -------------------------------------------------------------------------------

# Which part of the system this process is: "all" (one process does everything: development,
# tests), "intake" (the public site: only the intake public key, no case code loaded at all) or
# "staff" (the staff site and the worker: KEKs, blind-index key, intake private key).
SITE_ROLE = env_str("SITE_ROLE", "all")
if SITE_ROLE not in {"all", "intake", "staff"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SITE_ROLE must be 'all', 'intake' or 'staff'.")
PUBLIC_ONLY = SITE_ROLE == "intake"
# The staff site's address (https://staff.example.org), for the public site's "staff sign in"
# link; the public site itself has no sign-in.
STAFF_SITE_URL = env_str("STAFF_SITE_URL", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "guardian",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "clemency",
    "clemency.security",
    "clemency.audit",
    "clemency.accounts",
    "intake",
    # Case code (and what decrypts cases or unseals submissions) is never loaded on the public side.
    *([] if PUBLIC_ONLY else ["cases"]),
]

MIDDLEWARE = [
    "clemency.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "clemency.middleware.PrivacyHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # A database or document storage that is down: a 503 page in the reader's language.
    "clemency.middleware.UnavailableMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Signed in with the password only: nothing but the second-factor pages until verified.
    "clemency.accounts.middleware.SecondFactorRequiredMiddleware",
    # Imports casekeys, which the public side never loads (it holds no case key to scope).
    *([] if PUBLIC_ONLY else ["clemency.security.middleware.CaseKeyScopeMiddleware"]),
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last: turns a sign-in refused for too many failures into the sign-in page saying when.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clemency.urls"
WSGI_APPLICATION = "clemency.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clemency.context_processors.sites",
                *([] if PUBLIC_ONLY else ["cases.context_processors.waiting_submissions"]),
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run`'s web server and worker share the file: a writer waits for the other instead
    # of failing ("database is locked"), and readers go on reading while one writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -----------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a sign-in while its account or address is locked (accounts/throttle.py).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# No guardian "anonymous user" row: anonymous visitors never hold object permissions here.
ANONYMOUS_USER_NAME = None

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "intake:landing"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour

# --- Sign-in: throttling, second factor (clemency/accounts; SECURITY.md "Sign-in") ---------------

# Failed sign-ins, counted by django-axes in the database, locked per key for AXES_COOLOFF_TIME
# after the last counted failure. Keys: one account from one client address (AXES_FAILURE_LIMIT);
# one account from every address (SIGNIN_ACCOUNT_FAILURE_LIMIT), so guessing spread over many
# addresses stops too; one address over every account (SIGNIN_ADDRESS_FAILURE_LIMIT), against
# password spraying, high enough for an office whose staff share one address.
AXES_HANDLER = "clemency.accounts.throttle.SignInThrottle"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username", "ip_address"]
AXES_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", 5)
SIGNIN_ACCOUNT_FAILURE_LIMIT = env_int("SIGNIN_ACCOUNT_FAILURE_LIMIT", 20)
SIGNIN_ADDRESS_FAILURE_LIMIT = env_int("SIGNIN_ADDRESS_FAILURE_LIMIT", 50)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SIGNIN_LOCKOUT_MINUTES", 60))
# Tries while locked are refused without being counted, so the time we show stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "clemency.accounts.throttle.signin_username"
AXES_CLIENT_IP_CALLABLE = "clemency.clientip.axes_client_address"
AXES_LOCKOUT_CALLABLE = "clemency.accounts.throttle.lockout_response"
# Nothing typed is kept: no form data (the handler stores none), no log of every sign-in, and
# log lines mask the account and the address.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "token", "recovery_code"]
AXES_VERBOSE = False

# Second factor: a passkey or an authenticator app, and recovery codes (accounts/twofactor.py).
OTP_TOTP_ISSUER = "Pardon Project"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Removing a device, adding one or making new recovery codes asks for the second factor again
# when it was last given longer ago than this.
SECOND_FACTOR_RECENT_MINUTES = env_int("SECOND_FACTOR_RECENT_MINUTES", 10)
# Passkeys belong to one host name and are accepted only from these origins. Browsers refuse an
# IP address as a passkey's host: in development, use http://localhost:8000.
OTP_WEBAUTHN_RP_ID = env_str(
    "PASSKEY_HOST", ALLOWED_HOSTS[0].lstrip(".") if PRODUCTION and ALLOWED_HOSTS else "localhost"
)
OTP_WEBAUTHN_RP_NAME = "Pardon Project"
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list(
    "PASSKEY_ORIGINS",
    [f"https://{OTP_WEBAUTHN_RP_ID}"] if PRODUCTION else ["http://localhost:8000"],
)
# The password always comes first (and is throttled); a passkey is the second factor only.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False

# Password reset requests per hour, from one client address and for one e-mail address.
PASSWORD_RESET_LIMIT = env_int("PASSWORD_RESET_LIMIT", 5)
PASSWORD_RESET_EMAIL_LIMIT = env_int("PASSWORD_RESET_EMAIL_LIMIT", 3)

# Staff sessions are short: they end after SESSION_IDLE_MINUTES without a request, and when the
# browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Internationalisation -----------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("fr", _("French")),
    ("ht", _("Haitian Creole")),
    ("ar", _("Arabic")),
    ("bn", _("Bengali")),
]
LANGUAGES_BIDI = ["ar"]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates and numbers in each language's own form; clemency/formats adds what Django lacks (ht).
FORMAT_MODULE_PATH = ["clemency.formats"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "America/New_York"

# --- Static files and storage -------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

DOCUMENT_STORAGE = env_str("DOCUMENT_STORAGE", "local")
if DOCUMENT_STORAGE == "s3":
    from clemency.security.s3 import transfer_config

    _documents = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "endpoint_url": env_str("S3_ENDPOINT_URL"),
            "bucket_name": env_str("S3_BUCKET"),
            "access_key": env_str("S3_ACCESS_KEY_ID"),
            "secret_key": env_str("S3_SECRET_ACCESS_KEY"),
            "region_name": env_str("S3_REGION", "us-east-1"),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "transfer_config": transfer_config(),
        },
    }
elif DOCUMENT_STORAGE == "local":
    _documents = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT / "documents", "base_url": None},
    }
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DOCUMENT_STORAGE must be 'local' or 's3'.")

STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT / "default", "base_url": None},
    },
    "documents": _documents,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}
# Uploaded files are accepted only by views that install the encrypting upload handler
# (clemency.security.storage); anywhere else a file is dropped before a byte of it is stored.
FILE_UPLOAD_HANDLERS = ["clemency.security.storage.RefuseFilesUploadHandler"]

# Outside production, WhiteNoise serves straight from the source folders (no collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

# --- Encryption keys (clemency/security/keys.py, SECURITY.md) -------------------------------------

# "directory": key files under KEY_DIR (mode 0600), which `keys schedule` rotates;
# "environment": KEKS, BLIND_INDEX_KEY, AUDIT_KEY, INTAKE_PRIVATE_KEY, INTAKE_PUBLIC_KEY (each also
# as *_FILE), rotated by hand.
KEY_SOURCE = env_str("KEY_SOURCE", "directory")
KEY_DIR = Path(env_str("KEY_DIR", str(VAR_DIR / "keys")))
# Which keys this process must hold follows SITE_ROLE (above): clemency/security/provider.py.
BLIND_INDEX_BITS = env_int("BLIND_INDEX_BITS", 16)
if not 1 <= BLIND_INDEX_BITS <= 31:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("BLIND_INDEX_BITS must be from 1 to 31.")
# Running processes re-read the keys this often (seconds), so that a rotation reaches them.
KEY_RELOAD_SECONDS = env_int("KEY_RELOAD_SECONDS", 60)
# `keys schedule` adds a KEK and an intake key pair this often and then deletes the older ones: a
# shredded case's key, left in PostgreSQL's dead rows, WAL and backups, cannot be unwrapped after
# that (ADR 0015).
KEK_ROTATION_DAYS = env_int("KEK_ROTATION_DAYS", 7)
# Where the staff side also publishes the current intake public key, for a public intake that
# runs apart (docker-compose: a volume the intake site mounts read-only as its KEY_DIR).
INTAKE_PUBLIC_KEY_EXPORT = env_str("INTAKE_PUBLIC_KEY_EXPORT", "")
# Backups are encrypted to this public key; its private key is kept offline (`manage.py keys
# backup-key`, ADR 0016).
BACKUP_PUBLIC_KEY = Path(env_str("BACKUP_PUBLIC_KEY", str(KEY_DIR / "backup.pub")))
# How long backups are kept (`backup create --keep-days`; docker-compose passes the same
# variable): a shredded case stays in older backups this long (SECURITY.md).
BACKUP_KEEP_DAYS = env_int("BACKUP_KEEP_DAYS", 30)
# An open case in one state longer than this is flagged on the lists, and coordinators are told
# (once per stay in that state).
STUCK_AFTER_DAYS = env_int("STUCK_AFTER_DAYS", 30)
# `manage.py daily --forever` (docker-compose's scheduler) runs the daily jobs at this hour, UTC.
DAILY_HOUR = env_int("DAILY_HOUR", 3)

# --- Public intake ------------------------------------------------------------------------------

# Unsubmitted drafts, and their files, are deleted this many days after they were last saved.
DRAFT_LIFETIME_DAYS = env_int("DRAFT_LIFETIME_DAYS", 30)
# The browser half of an open draft's key (clemency/security/drafts.py).
DRAFT_COOKIE_NAME = "__Host-draft" if PRODUCTION else "draft"
# Largest file an applicant may upload, in megabytes (stated on the upload page).
INTAKE_MAX_UPLOAD_MB = env_int("INTAKE_MAX_UPLOAD_MB", 20)

# --- Upload budgets (SECURITY.md "Uploads") -----------------------------------------------------

# One application's files together. A long record needs a certificate of disposition per
# conviction, a rap sheet, immigration papers, a few letters and photos: 20 files; phone photos
# are 2-5 MB and scans up to the 20 MB above, so 100 MB. Unsent applications keep their files
# for DRAFT_LIFETIME_DAYS, so this is what one robot's application can hold for a month.
INTAKE_MAX_FILES = env_int("INTAKE_MAX_FILES", 20)
INTAKE_MAX_TOTAL_MB = env_int("INTAKE_MAX_TOTAL_MB", 100)
# What an applicant sends from the status page when staff ask for something (intake/replies.py):
# files per reply (each up to INTAKE_MAX_UPLOAD_MB, in a day up to INTAKE_MAX_TOTAL_MB), the
# message's length, replies per application a day, and how long the right status code keeps
# the page open in that browser.
REPLY_MAX_FILES = env_int("REPLY_MAX_FILES", 10)
# Megabytes of files in one reply: the proxy holds a request whole before passing it on
# (deploy/Caddyfile allows replies 45 MB), so a day's files go in several replies.
REPLY_MAX_REQUEST_MB = env_int("REPLY_MAX_REQUEST_MB", 40)
REPLY_MESSAGE_CHARS = env_int("REPLY_MESSAGE_CHARS", 2000)
INTAKE_REPLY_LIMIT = env_int("INTAKE_REPLY_LIMIT", 10)
STATUS_ACCESS_MINUTES = env_int("STATUS_ACCESS_MINUTES", 30)
# Files from one client address per hour, refused ones included, counted before a byte is
# stored (clemency/limits.py): a legal-aid office filling three applications in an hour
# (3 x 20 files) gets through; a robot adds at most 60 x 20 MB an hour from one address.
INTAKE_UPLOAD_LIMIT = env_int("INTAKE_UPLOAD_LIMIT", 60)
# Largest file staff and attorneys may upload to a case: a scanned petition with its exhibits.
CASE_MAX_UPLOAD_MB = env_int("CASE_MAX_UPLOAD_MB", 50)
# One case's files together. A case runs for years (application files, records, drafts, the
# petition and its exhibits, letters, correspondence): a busy one has 50 files and 200 MB, so
# 200 files and 1 GB leave room while stopping a runaway script or a mistaken folder upload.
CASE_MAX_FILES = env_int("CASE_MAX_FILES", 200)
CASE_MAX_TOTAL_MB = env_int("CASE_MAX_TOTAL_MB", 1024)
# Every stored document together (cases and applications), in gigabytes: a thousand cases of
# 50 MB. Set it below what the documents' disk or bucket may hold; once it is reached, uploads
# are refused with a message until documents are shredded or the quota is raised. (A site
# running the public intake alone counts the applications' files, all it can see.)
DOCUMENT_STORAGE_QUOTA_GB = env_int("DOCUMENT_STORAGE_QUOTA_GB", 50)
# New York convictions one application or case lists: more than any petition argues; the intake
# says where to write about others (the story).
MAX_CONVICTIONS = env_int("MAX_CONVICTIONS", 20)

# --- Clients and limits (clemency/clientip.py, clemency/limits.py; SECURITY.md "Limits") -------

# Reverse proxies whose forwarding header is believed (addresses or networks). Empty: the header
# is ignored and the peer's address is the client's. The proxy must append to the header (nginx
# $proxy_add_x_forwarded_for, Caddy's reverse_proxy does), never pass a client's value alone.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
# Which header they write: "x-forwarded-for" or "forwarded" (RFC 7239).
CLIENT_ADDRESS_HEADER = env_str("CLIENT_ADDRESS_HEADER", "x-forwarded-for").lower()
if CLIENT_ADDRESS_HEADER not in {"x-forwarded-for", "forwarded"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("CLIENT_ADDRESS_HEADER must be 'x-forwarded-for' or 'forwarded'.")
# Per hour. Wrong resume codes from one client address (a code that finds its application is
# always let in): enough for a family or an office sharing one address to mistype, far too few
# to guess an 80-bit code.
INTAKE_GUESS_LIMIT = env_int("INTAKE_GUESS_LIMIT", 10)
# Per hour. Wrong status codes for one application from one client address ("per code": the one
# person mistyping waits, not the others on a shared network)...
INTAKE_STATUS_CODE_LIMIT = env_int("INTAKE_STATUS_CODE_LIMIT", 5)
# ...and wrong status codes from one client address for any applications (a legal-aid office's
# many clients), and from the /48 around an IPv6 client (a right code always counts back).
# Each wrong one costs an Argon2 check from the shared budget below, so this is also what one
# address can take of it (CODE_CHECK_GLOBAL_LIMIT / 30 = 200 addresses to spend it in an hour).
INTAKE_STATUS_GUESS_LIMIT = env_int("INTAKE_STATUS_GUESS_LIMIT", 30)
INTAKE_STATUS_NETWORK_LIMIT = env_int("INTAKE_STATUS_NETWORK_LIMIT", 120)
# IPv6 clients count by their /64 above, and also by the /48 around it (one site or customer
# can hold 65,536 /64s): generous for a carrier's many phones, tight for one attacker's block.
INTAKE_GUESS_NETWORK_LIMIT = env_int("INTAKE_GUESS_NETWORK_LIMIT", 60)
INTAKE_START_NETWORK_LIMIT = env_int("INTAKE_START_NETWORK_LIMIT", 60)
# Wrong status codes for one reference, from everyone together; beyond it only addresses that
# have not yet failed on that reference may try, so an attacker cannot lock the applicant out.
INTAKE_REFERENCE_GUESS_LIMIT = env_int("INTAKE_REFERENCE_GUESS_LIMIT", 20)
# New applications from one client address (families and legal-aid offices share one).
INTAKE_START_LIMIT = env_int("INTAKE_START_LIMIT", 30)
# New applications from everyone: about 50 times the busiest hour we expect, so that a flood of
# robots cannot fill the database and storage.
INTAKE_START_GLOBAL_LIMIT = env_int("INTAKE_START_GLOBAL_LIMIT", 600)
# Argon2 derivations running at once in one process (64 MiB each); more wait for a turn.
ARGON2_MAX_PARALLEL = env_int("ARGON2_MAX_PARALLEL", 4)
# Argon2 code checks (resume and status codes) from everyone: each takes 64 MiB and ~0.2 s.
CODE_CHECK_GLOBAL_LIMIT = env_int("CODE_CHECK_GLOBAL_LIMIT", 6000)

# Shared by every process (throttling must count across gunicorn workers).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "clemency_cache",
    }
}

# --- Background tasks ---------------------------------------------------------------------------

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- E-mail -------------------------------------------------------------------------------------

DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Pardon Project <no-reply@localhost>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
ADMINS = env_list("ADMINS", [])
if PRODUCTION:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env_str("EMAIL_HOST", "localhost"),
                "port": env_int("EMAIL_PORT", 587),
                "username": env_str("EMAIL_HOST_USER", "") or None,
                "password": env_str("EMAIL_HOST_PASSWORD", "") or None,
                "use_tls": env_bool("EMAIL_USE_TLS", True),
                "timeout": 30,
            },
        }
    }
else:
    # Development: every message is a file under var/mail/, for anyone to read what would go.
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    }
# The staff site's address, for links in the messages it sends.
SITE_URL = env_str("SITE_URL", STAFF_SITE_URL or "http://127.0.0.1:8000")
# A person to call now, for someone detained or facing removal this week: shown on the landing,
# confirmation and error pages of the public intake (hidden when empty). The number as people
# dial it, and the hours as they read them.
HOTLINE_NUMBER = env_str("HOTLINE_NUMBER", "" if PRODUCTION else "+1 212 555 0100")
HOTLINE_HOURS = env_str("HOTLINE_HOURS", "" if PRODUCTION else "Monday to Friday, 9:00 to 17:00")
# The public site's address, for "please check your status" messages to applicants.
PUBLIC_SITE_URL = env_str("PUBLIC_SITE_URL", SITE_URL)
# Who "please check your status" messages come from: a lock screen shows the name.
APPLICANT_FROM_EMAIL = env_str("APPLICANT_FROM_EMAIL", DEFAULT_FROM_EMAIL)
# Text messages to applicants who ask for them (clemency/texting.py). Development writes them
# to var/texts/; production sends none unless a provider is configured.
TEXT_MESSAGE_BACKEND = env_str(
    "TEXT_MESSAGE_BACKEND", "" if PRODUCTION else "clemency.texting.FileBackend"
)
TEXT_TWILIO_API_URL = env_str("TEXT_TWILIO_API_URL", "https://api.twilio.com")
TEXT_TWILIO_ACCOUNT = env_str("TEXT_TWILIO_ACCOUNT", "")
TEXT_TWILIO_TOKEN = env_str("TEXT_TWILIO_TOKEN", "")
TEXT_TWILIO_FROM = env_str("TEXT_TWILIO_FROM", "")
if TEXT_MESSAGE_BACKEND == "clemency.texting.TwilioBackend" and SITE_ROLE != "intake":
    # Both sites need the same choice: the public one offers a phone number only with a
    # provider, the worker sends only with one; only the staff side holds the credentials.
    from django.core.exceptions import ImproperlyConfigured

    if not (TEXT_TWILIO_ACCOUNT and TEXT_TWILIO_TOKEN and TEXT_TWILIO_FROM):
        raise ImproperlyConfigured(
            "TEXT_MESSAGE_BACKEND=clemency.texting.TwilioBackend needs TEXT_TWILIO_ACCOUNT, "
            "TEXT_TWILIO_TOKEN and TEXT_TWILIO_FROM."
        )
    if PRODUCTION and not TEXT_TWILIO_API_URL.startswith("https://"):
        raise ImproperlyConfigured("TEXT_TWILIO_API_URL must be an https:// address.")

# --- Security -----------------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
# Not "no-referrer": with it, browsers send "Origin: null" on form posts and CSRF checks fail
# (docs/adr/0005-referrer-policy-same-origin.md). Other sites still get no referrer.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "object-src": [CSP.NONE],
}
# Error reports and logged tracebacks never carry values (clemency/reporting.py).
DEFAULT_EXCEPTION_REPORTER = "clemency.reporting.ConfidentialExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "clemency.reporting.ConfidentialExceptionReporterFilter"

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("BEHIND_TLS_PROXY", False):
        # Only when a reverse proxy that terminates TLS sets this header and strips it from clients.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# --- Logging ------------------------------------------------------------------------------------

# Paths, status codes and exception types only; never bodies, never personal data.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "clemency.reporting.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "include_html": False,
            "filters": ["not_unavailable"],
        },
    },
    "filters": {"not_unavailable": {"()": "clemency.reporting.NotUnavailable"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"handlers": ["console", "mail_admins"], "propagate": False},
        "django.security": {"handlers": ["console", "mail_admins"], "propagate": False},
        # The scheduled jobs (manage.py daily): a failure there is someone's problem.
        "clemency.jobs": {"handlers": ["console", "mail_admins"], "propagate": False},
        # django-axes says "signed in" and "cleaned up" at INFO on every sign-in.
        "axes": {"level": "WARNING"},
    },
}
