"""Who may log in and how: passwords, lockout, sessions, two-factor and OIDC (part of the settings).

``balie.conf.settings`` imports everything here; every environment variable is declared where it
is read, as in the settings module itself.
"""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse_lazy

from balie.conf.env import env, env_list

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# django-axes counts failed password logins (the admin's and POST /api/v1/auth/token/) per
# username and client address and refuses that pair, even with the right password, for the
# cool-off period once the limit is reached. It needs the request in authenticate(); tests log
# in with force_login, which bypasses it.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(
    env(
        "BALIE_LOGIN_FAILURE_LIMIT",
        "5",
        "Failed password logins (admin, API token endpoint) for one username from one address "
        "before that pair is locked out.",
    )
)
AXES_COOLOFF_TIME = timedelta(
    minutes=int(
        env("BALIE_LOGIN_COOLOFF_MINUTES", "15", "Minutes a locked-out login stays locked.")
    )
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "balie.core.clientip.client_ip"
AXES_LOCKOUT_CALLABLE = "balie.api.login.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # Balie logs the lockout itself (login_locked_out)

# --- Workspace login ---------------------------------------------------------------------------
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:inbox"
SESSION_COOKIE_AGE = 60 * int(
    env("BALIE_SESSION_MINUTES", "480", "Minutes a workspace login lasts without activity.")
)
SESSION_SAVE_EVERY_REQUEST = True  # the timeout counts from the last request, not the login
BALIE_2FA_ROLES = frozenset(
    env_list(
        "BALIE_2FA_ROLES",
        "",
        "Workspace roles that log in with a TOTP code after the password (comma-separated: "
        "agent, supervisor, backoffice, administrator). Someone without an authenticator yet "
        "sets one up at their first login. Empty (the default, and the demo): none.",
    )
)
OTP_TOTP_ISSUER = env("BALIE_2FA_ISSUER", "Balie", "Issuer name shown in authenticator apps.")

# Login at the organisation's identity provider (OpenID Connect, mozilla-django-oidc): off
# unless BALIE_OIDC_CLIENT_ID is set. docs/configuration.md describes the claims used.
OIDC_RP_CLIENT_ID = env("BALIE_OIDC_CLIENT_ID", "", "OIDC client id. Empty: OIDC login off.")
BALIE_OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
OIDC_RP_CLIENT_SECRET = env("BALIE_OIDC_CLIENT_SECRET", "", "OIDC client secret.", secret=True)
OIDC_OP_AUTHORIZATION_ENDPOINT = env(
    "BALIE_OIDC_AUTHORIZATION_ENDPOINT", "", "The provider's authorization endpoint URL."
)
OIDC_OP_TOKEN_ENDPOINT = env("BALIE_OIDC_TOKEN_ENDPOINT", "", "The provider's token endpoint.")
OIDC_OP_USER_ENDPOINT = env("BALIE_OIDC_USERINFO_ENDPOINT", "", "The provider's userinfo URL.")
OIDC_OP_JWKS_ENDPOINT = env("BALIE_OIDC_JWKS_ENDPOINT", "", "The provider's JWKS URL (keys).")
OIDC_RP_SIGN_ALGO = env("BALIE_OIDC_SIGN_ALGO", "RS256", "ID token signature algorithm.")
OIDC_RP_SCOPES = env("BALIE_OIDC_SCOPES", "openid email profile", "Scopes asked for.")
OIDC_USERNAME_CLAIM = env(
    "BALIE_OIDC_USERNAME_CLAIM",
    "preferred_username",
    "Claim that names the Balie username; an existing user is linked by it, else by e-mail.",
)
OIDC_ROLE_CLAIM = env(
    "BALIE_OIDC_ROLE_CLAIM", "roles", "Claim (a string or list) mapped to a Balie role."
)
OIDC_ROLE_MAP = dict(
    pair.split("=", 1)
    for pair in env_list(
        "BALIE_OIDC_ROLE_MAP",
        "",
        "Claim value = Balie role, comma-separated (e.g. kcc-teamleider=supervisor,"
        "kcc-backoffice=backoffice,kcc-medewerker=agent). A login whose claim maps to no role "
        "is refused.",
    )
    if "=" in pair
)
OIDC_ORGANISATION = env(
    "BALIE_OIDC_ORGANISATION", "", "Slug of the organisation new OIDC users' agents join."
)
OIDC_CREATE_USER = True
OIDC_STORE_ID_TOKEN = False
OIDC_AUTHENTICATION_CALLBACK_URL = "web:oidc_callback"
LOGIN_REDIRECT_URL_FAILURE = reverse_lazy("web:login")
if BALIE_OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append("balie.web.oidc.Backend")
