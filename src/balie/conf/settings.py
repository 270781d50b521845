"""Balie's settings: one place, every environment variable declared where it is read.

The embedded default needs none of them: SQLite in WAL mode under ``./var/``, an in-memory
channel layer and the in-process worker. ``docs/configuration.md`` lists them all.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from balie.conf.env import env, env_bool, env_list
from balie.conf.logging import configure_logging

SRC_DIR = Path(__file__).resolve().parent.parent

DATA_DIR = Path(
    env("BALIE_DATA_DIR", "var", "Directory for the SQLite database, media and generated keys.")
).resolve()
if not DATA_DIR.exists():
    # Owner only: it holds the database, attachments and generated keys.
    DATA_DIR.mkdir(mode=0o700, parents=True)
    DATA_DIR.chmod(0o700)


def _generated_secret(filename: str) -> str:
    """A random key kept under DATA_DIR, so a demo or laptop install needs no configuration."""
    path = DATA_DIR / filename
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = env(
    "BALIE_SECRET_KEY",
    "",
    "Django's signing key. Empty: a random key is generated in DATA_DIR/secret_key.",
    secret=True,
) or _generated_secret("secret_key")

FIELD_ENCRYPTION_KEY = env(
    "BALIE_FIELD_ENCRYPTION_KEY",
    "",
    "Key for channel secrets at rest (any string; a Fernet key is derived). "
    "Empty: generated in DATA_DIR/field_key. Rotate by listing the old key after a comma.",
    secret=True,
) or _generated_secret("field_key")

DEBUG = env_bool("BALIE_DEBUG", False, "Django debug mode. Never in production.")
ALLOWED_HOSTS = env_list(
    "BALIE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver", "Host names Balie answers to."
)
CSRF_TRUSTED_ORIGINS = env_list(
    "BALIE_CSRF_TRUSTED_ORIGINS", "", "Origins (https://…) trusted for CSRF behind a proxy."
)

INSTALLED_APPS = [
    "balie.web.admin_site.BalieAdminConfig",  # django.contrib.admin + the 2FA rule
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "django_filters",
    "drf_spectacular",
    "django_tasks",
    "django_tasks_db",
    "balie.core",
    "balie.audit",
    "balie.organisations",
    "balie.routing",
    "balie.parties",
    "balie.channels",
    "balie.conversations",
    "balie.channels.whatsapp",
    "balie.channels.phone",
    "balie.channels.email",
    "balie.channels.webchat",
    "balie.privacy",
    "balie.privacy.retention",
    "balie.replies",
    "balie.conduct",
    "balie.sla",
    "balie.backoffice",
    "balie.api",
    "balie.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the TOTP step is done
    # The organisation's language and time zone, never Accept-Language's guess (not Django's
    # LocaleMiddleware): the user's saved choice, else the organisation's, else LANGUAGE_CODE.
    "balie.web.middleware.Language",
    "balie.web.middleware.TimeZone",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused for a locked-out user into the lockout answer (429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "balie.conf.urls"
ASGI_APPLICATION = "balie.conf.asgi.application"
WSGI_APPLICATION = "balie.conf.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ]
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env(
    "DATABASE_URL",
    "",
    "postgres://user:pass@host:5432/db for scale-out (psycopg 3). Empty: SQLite in DATA_DIR.",
    secret=True,
)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["TEST"] = {
        "NAME": env("BALIE_TEST_DB_NAME", "test_balie", "Test database name (tests only).")
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("BALIE_SQLITE_PATH", str(DATA_DIR / "balie.sqlite3"), "SQLite file."),
            "OPTIONS": {
                # WAL lets the worker write while web requests read; IMMEDIATE takes the write
                # lock at BEGIN so two writers queue instead of failing on upgrade.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            "TEST": {
                "NAME": env(
                    "BALIE_TEST_DB_NAME", str(DATA_DIR / "test.sqlite3"), "Test database (tests)."
                )
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Outgoing mail; channel layer (realtime) and cache (balie/conf/realtime.py) --------------
# Outgoing mail (back-office task notifications): Django's SMTP backend.
EMAIL_HOST = env("EMAIL_HOST", "localhost", "SMTP host for outgoing mail (task notifications).")
EMAIL_PORT = int(env("EMAIL_PORT", "25", "SMTP port for outgoing mail."))
DEFAULT_FROM_EMAIL = env(
    "DEFAULT_FROM_EMAIL",
    "balie@localhost",
    "Sender of Balie's mail unless an organisation sets one.",
)

from balie.conf.realtime import *  # noqa: E402,F403  (REDIS_URL, channel layers, cache)

# --- Background work -------------------------------------------------------------------------
# One task interface (django-tasks) with a durable backend: task rows live in the same database
# as the domain, so an event's handlers are enqueued in the transaction that caused it.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "outbound", "ingest"],
    }
}
IN_PROCESS_WORKER = env_bool(
    "BALIE_IN_PROCESS_WORKER",
    True,
    "Run the task worker and scheduler inside `balie serve`. Switch off when `balie worker` "
    "processes run separately (scale-out).",
)
WORKER_NICE = int(
    env(
        "BALIE_WORKER_NICE",
        "10",
        "CPU niceness a `balie worker` process takes at start (0 to 19; 0 keeps the "
        "scheduler's default): on a machine shared with `balie serve`, background work yields "
        "the CPU to answering requests, so webhook acknowledgements stay fast under load.",
    )
)

WHATSAPP_MAX_ATTEMPTS = int(
    env(
        "BALIE_WHATSAPP_MAX_ATTEMPTS",
        "5",
        "Failed attempts to apply a stored WhatsApp webhook event before it is parked for an "
        "administrator (the admin's 'process again'); retries wait 1, 4, 16, 64 … minutes.",
    )
)

# --- Auth (balie/conf/auth.py), i18n, static ---------------------------------------------
from balie.conf.auth import *  # noqa: E402,F403  (logins, lockout, sessions, 2FA, OIDC)

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", "Nederlands"), ("en", "English")]
LOCALE_PATHS = [SRC_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env("BALIE_TIME_ZONE", "Europe/Amsterdam", "Default time zone for display.")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = Path(env("BALIE_MEDIA_ROOT", str(DATA_DIR / "media"), "Where attachments live."))
MEDIA_URL = "/media/"  # never served directly: attachments go through an authorised view
# Owner only, whatever the process umask: attachments hold citizens' personal data.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
DATA_UPLOAD_MAX_MEMORY_SIZE = int(
    env("BALIE_MAX_BODY_BYTES", str(2 * 1024 * 1024), "Largest request body accepted.")
)
BALIE_MAX_UPLOAD_BYTES = int(
    env(
        "BALIE_MAX_UPLOAD_BYTES",
        str(17 * 1024 * 1024),
        "Largest request body accepted on file-upload paths (a 16 MB file plus multipart framing);"
        " larger bodies are refused with 413 before they are read.",
    )
)
BALIE_EMAIL_MAX_ATTACHMENT_BYTES = int(
    env(
        "BALIE_EMAIL_MAX_ATTACHMENT_BYTES",
        str(25 * 1024 * 1024),
        "Largest e-mail attachment kept; a larger one is left out with a note on the message.",
    )
)
EMAIL_WATCH = env_bool(
    "BALIE_EMAIL_WATCH",
    True,
    "Watch the IMAP mailboxes of the e-mail channels (IDLE, or polling where the server has "
    "none) from the worker of `balie serve` and `balie worker`, one process per mailbox.",
)
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("BALIE_SECURE_SSL_REDIRECT", False, "Redirect HTTP to HTTPS.")
TLS = env_bool(
    "BALIE_TLS",
    False,
    "Balie is served over HTTPS (directly or by a proxy): sends HSTS and marks the session "
    "and CSRF cookies Secure.",
)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = TLS or SECURE_SSL_REDIRECT
SECURE_HSTS_SECONDS = (
    int(env("BALIE_HSTS_SECONDS", "31536000", "HSTS max-age in seconds when BALIE_TLS is on."))
    if TLS
    else 0
)
PROXY_COUNT = int(
    env(
        "BALIE_PROXY_COUNT",
        "0",
        "Reverse proxies in front of Balie that set X-Forwarded-For and X-Forwarded-Proto. "
        "0: neither header is trusted. Balie must then be reachable only through them.",
    )
)
if PROXY_COUNT > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
AUDIT_RETENTION_DAYS = int(
    env(
        "BALIE_AUDIT_RETENTION_DAYS",
        "730",
        "Days the audit trail keeps an entry; older ones are pruned daily, the chain anchored.",
    )
)

# Content-Security-Policy on every response (django-csp): nothing inline, nothing foreign.
# The admin runs under it (its scripts are files). WebSockets go to the same hosts.
_WS_SCHEMES = ["wss"] if TLS else ["ws", "wss"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "connect-src": [SELF]
        + [
            f"{scheme}://{host.replace('.', '*.', 1) if host.startswith('.') else host}:*"
            for host in ALLOWED_HOSTS
            if host != "*"
            for scheme in _WS_SCHEMES
        ],
    }
}

# --- REST API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "balie.api.auth.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["balie.api.permissions.IsAgentOrStaff"],
    "DEFAULT_PAGINATION_CLASS": "balie.api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["balie.api.filtering.FilterBackend"],
    "DEFAULT_PARSER_CLASSES": [
        "balie.api.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "balie.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Balie API",
    "DESCRIPTION": "Conversations, messages, parties, agents and channels of a Balie centre.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "balie.api.schema.add_error_responses",  # every error status, in the one error shape
    ],
    # ``<id:…>`` (balie.core.converters): a database id
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
    },
}

METRICS_TOKEN = env(
    "BALIE_METRICS_TOKEN",
    "",
    "Bearer token required by /metrics. Empty: /metrics answers only requests from loopback.",
    secret=True,
)

# --- Logging ---------------------------------------------------------------------------------
LOG_LEVEL = env("BALIE_LOG_LEVEL", "INFO", "Log level: DEBUG, INFO, WARNING, ERROR.")
LOG_FORMAT = env("BALIE_LOG_FORMAT", "console", "console (readable) or json (one line an event).")
LOGGING_CONFIG = None
configure_logging(LOG_LEVEL, LOG_FORMAT)
