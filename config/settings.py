"""Settings for ENT-école conventions.

Every deployment value comes from the environment (or an optional `.env` file) through django-environ. The
defaults run the application locally: SQLite, console e-mail, tasks run in-process. Production (`DEBUG=False`)
refuses to start with the development secret key.
"""

import datetime
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from .proxies import lire_proxies

BASE_DIR = Path(__file__).resolve().parent.parent

DEV_SECRET_KEY = "dev-insecure-ent-ecole-conventions-ne-pas-utiliser-en-production"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _env(reader, name, **kwargs):
    """Read one variable, turning a malformed value into a message that names it."""
    try:
        return reader(name, **kwargs)
    except (ValueError, TypeError, ImproperlyConfigured, KeyError) as exc:
        raise ImproperlyConfigured(f"Variable d'environnement {name} invalide : {exc}") from exc


def _strict_bool(name, default):
    """django-environ reads any unknown word as False; a typo in DEBUG must not pass silently."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw not in {"true", "false", "1", "0", "yes", "no", "on", "off"}:
        raise ImproperlyConfigured(f"Variable d'environnement {name} invalide : « {raw} » n'est pas un booléen.")
    return raw in {"true", "1", "yes", "on"}


def _db_url(name, default):
    config = _env(env.db_url, name, default=default)
    if config["ENGINE"] not in environ.Env.DB_SCHEMES.values():
        raise ImproperlyConfigured(
            f"Variable d'environnement {name} invalide : moteur « {config['ENGINE']} » inconnu "
            "(postgres://… ou sqlite:///… attendu)."
        )
    return config


DEBUG = _strict_bool("DEBUG", default=False)
SECRET_KEY = _env(env.str, "SECRET_KEY", default=DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY doit être défini en production (DEBUG=False) : la clé de développement est refusée. "
        "Pour un usage local, définissez DEBUG=True."
    )
ALLOWED_HOSTS = _env(env.list, "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = _env(env.list, "CSRF_TRUSTED_ORIGINS", default=[])
# Absolute address of the portal, used in e-mails and in documents (no request there to build it from).
SITE_URL = _env(env.str, "SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Where to report a vulnerability (RFC 9116, /.well-known/security.txt): "mailto:…" or "https://…".
SECURITY_CONTACT = _env(env.str, "SECURITY_CONTACT", default="")
# Who hosts the service, as the legal notice names it: a fact of the deployment, not of one of its académies.
HEBERGEUR = _env(env.str, "HEBERGEUR", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "widget_tweaks",
    "dsfr",
    "csp",
    "axes",
    # From the bottom of the dependency chain to its top (docs/architecture.md).
    "jobs",
    "documents",
    "collectivites",
    "ecoles",
    "conventions",
    "facturation",
    "portail",
    "demo",
    "exploitation",
]

MIDDLEWARE = [
    # First: logs every answer, even those other middlewares make, with the request's id.
    "exploitation.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "collectivites.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout signalled during authentication into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portail.context_processors.portail",
            ],
        },
    },
]

DATABASES = {
    "default": _db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = _env(env.int, "CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "collectivites.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The collectivités' portal (/espace/): log in by e-mail; the admin keeps its own login page.
LOGIN_URL = "collectivites:connexion"
LOGIN_REDIRECT_URL = "portail:tableau_de_bord"
LOGOUT_REDIRECT_URL = "collectivites:connexion"
AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out account+address is refused before its password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Brute force: 5 failures for one account from one address lock that pair out for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "collectivites.views.axes_username"
AXES_LOCKOUT_TEMPLATE = "registration/verrouillage.html"
AXES_RESET_ON_SUCCESS = True
# Behind reverse proxies (config/proxies.py): how many, or their networks. Lockouts and rate limits count the client's
# real address; without a trusted proxy, X-Forwarded-For and X-Forwarded-Proto are ignored (anyone can send them).
TRUSTED_PROXIES = lire_proxies(_env(env.str, "TRUSTED_PROXIES", default=""))
AXES_CLIENT_IP_CALLABLE = "config.proxies.adresse_client"
RATELIMIT_IP_META_KEY = "config.proxies.adresse_client"
# Invitation links and password reset links expire (days / seconds).
INVITATION_VALIDITE_JOURS = _env(env.int, "INVITATION_VALIDITE_JOURS", default=7)
PASSWORD_RESET_TIMEOUT = _env(env.int, "PASSWORD_RESET_TIMEOUT", default=60 * 60 * 24)
# « Mot de passe oublié » requests allowed per client address and per e-mail address (django-ratelimit's syntax).
MOT_DE_PASSE_OUBLIE_RATE_IP = _env(env.str, "MOT_DE_PASSE_OUBLIE_RATE_IP", default="10/h")
MOT_DE_PASSE_OUBLIE_RATE_EMAIL = _env(env.str, "MOT_DE_PASSE_OUBLIE_RATE_EMAIL", default="3/h")
# Invitations sent (or sent again) from the portal per collectivité: a stolen account must not turn the académie's
# mail server into a sender of messages to any address.
INVITATIONS_RATE = _env(env.str, "INVITATIONS_RATE", default="20/h")
# django-dsfr: forms mark optional fields rather than required ones (the DSFR's current advice).
DSFR_MARK_OPTIONAL_FIELDS = True
# django-dsfr marks the text of its components (messages, alerts…) safe by default: a collectivité's contact named
# « <img src=x onerror=…> » would run in the page that announces it. Escaped like any other template text.
DSFR_CONTENT_IS_SAFE = False
# Uploads, in megabytes: refused beyond, before the body is read (documents/televersements.py). The signed convention a
# collectivité deposits (a scan of a few pages), and a document checked anonymously on /verifier/.
EXEMPLAIRE_SIGNE_TAILLE_MAX = _env(env.int, "EXEMPLAIRE_SIGNE_TAILLE_MAX_MO", default=20) * 1024 * 1024
VERIFICATION_TAILLE_MAX = _env(env.int, "VERIFICATION_TAILLE_MAX_MO", default=10) * 1024 * 1024

# French only, whatever the browser asks (no LocaleMiddleware): the admin, the portal and Django's own messages
# ("Ce champ est obligatoire.") speak the language of the French administration. Dates shown are local dates.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = _env(env.path, "STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = _env(env.path, "MEDIA_ROOT", default=BASE_DIR / "media")

EMAIL_CONFIG = _env(env.email_url, "EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# A mail server that does not answer: each network operation gives up after EMAIL_TIMEOUT seconds, and the
# sending task after EMAIL_LIMITE_S. A refused or unanswered e-mail is tried EMAIL_ESSAIS times, a growing delay apart
# (EMAIL_DELAI_BASE_S, then twice, four times…), before it is recorded as failed (conventions/notifications.py).
EMAIL_TIMEOUT = _env(env.int, "EMAIL_TIMEOUT", default=30)
EMAIL_LIMITE_S = _env(env.int, "EMAIL_LIMITE_S", default=120)
EMAIL_ESSAIS = _env(env.int, "EMAIL_ESSAIS", default=5)
EMAIL_DELAI_BASE_S = _env(env.int, "EMAIL_DELAI_BASE_S", default=60)
DEFAULT_FROM_EMAIL = _env(env.str, "DEFAULT_FROM_EMAIL", default="ENT-école <ne-pas-repondre@ac-montpellier.fr>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security: production values unless DEBUG; `check --deploy` stays clean with DEBUG=False.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = _strict_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# The load balancer probes each node over plain HTTP (README, « Exploitation »).
SECURE_REDIRECT_EXEMPT = [r"^sante/$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXIES else None
SECURE_HSTS_SECONDS = _env(env.int, "SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp 4): no inline script anywhere; DSFR's script and ours are static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}

# One line per request and per task, each with its request or task id (exploitation/logs.py); JSON objects, one per
# line, with LOG_FORMAT=json for a log collector.
LOG_FORMAT = _env(env.str, "LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"Variable d'environnement LOG_FORMAT invalide : « {LOG_FORMAT} » (text ou json).")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "exploitation.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(processName)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(processName)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger", "processName": "process"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": _env(env.str, "LOG_LEVEL", default="INFO")},
    # WeasyPrint logs each step of each PDF at INFO: seven lines per document, thousands in a campaign.
    # pikepdf and django-axes announce themselves at INFO on every start, factur-x at every titre.
    # django.request and django.server would repeat the request line that ent.requetes already writes.
    "loggers": {
        name: {"level": "WARNING"}
        for name in ["weasyprint.progress", "pikepdf", "axes.apps", "factur-x", "django.server"]
    }
    | {
        # Its 4xx warnings repeat the request line (with the raw path); its 5xx errors and tracebacks stay.
        "django.request": {"level": "ERROR"}
    },
}

# Errors reported to Sentry (or a compatible service such as GlitchTip) when SENTRY_DSN is set; nothing otherwise.
# No personal data is sent (send_default_pii stays off): no e-mail, address, cookie or request body.
SENTRY_DSN = _env(env.str, "SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        environment=_env(env.str, "SENTRY_ENVIRONMENT", default="production"),
        send_default_pii=False,
        traces_sample_rate=0,
    )

# Background work (Celery, config/celery.py). Several workers on several machines share one Redis broker; progress
# lives in the database, so no result backend is needed. Without CELERY_BROKER_URL, tasks run in-process.
CELERY_BROKER_URL = _env(env.str, "CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = _strict_bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
# The workers log through LOGGING like the web processes (same format, the task's id on each line).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged once done, so that a worker lost mid-task (machine stopped) has it redelivered to another;
# the tasks are idempotent, which makes the redelivery harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = _env(env.int, "CELERY_WORKER_PREFETCH_MULTIPLIER", default=1)
# Rendering PDFs grows a process's memory a little with each document: a child is replaced past this size (kB).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = _env(env.int, "CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=300_000)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task taken by a worker that disappeared with its machine (acks_late: not acknowledged) is given to another one
# after this many seconds. Longer than the longest task: a task still running would otherwise be given twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": _env(env.int, "CELERY_VISIBILITY_TIMEOUT", default=3600)}
CELERY_TASK_DEFAULT_QUEUE = _env(env.str, "CELERY_TASK_DEFAULT_QUEUE", default="ent-conventions")
CELERY_TIMEZONE = TIME_ZONE
# Celery's Django fixup closes the database connection before and after every task unless this is set: a new
# PostgreSQL connection, authentication included, for each of a campaign's 600 items. Kept instead, and closed as
# Django closes a web request's: past CONN_MAX_AGE or when unusable (config/celery.py, close_old_connections).
CELERY_DB_REUSE_MAX = 1_000_000
# The campaign: how many days after sending a convention for signature its return is reminded (once).
RELANCE_RETOUR_JOURS = _env(env.int, "RELANCE_RETOUR_JOURS", default=30)

# Files (frozen PDFs, signed copies) shared by every web process and worker: a local folder by default (MEDIA_ROOT,
# a network mount when there are several machines), or an S3-compatible bucket through django-storages (boto3).
STORAGE_BACKEND = _env(env.str, "STORAGE_BACKEND", default="local")
if STORAGE_BACKEND == "local":
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _env(env.str, "AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": _env(env.str, "AWS_S3_ENDPOINT_URL", default=None),
            "region_name": _env(env.str, "AWS_S3_REGION_NAME", default=None),
            "access_key": _env(env.str, "AWS_ACCESS_KEY_ID", default=None),
            "secret_key": _env(env.str, "AWS_SECRET_ACCESS_KEY", default=None),
            "location": _env(env.str, "AWS_LOCATION", default=""),
            # Conventions are personal data: private objects, reached only through short-lived signed links.
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 300,
            # A frozen PDF is never overwritten: a second file with the same name gets another name.
            "file_overwrite": False,
        },
    }
else:
    raise ImproperlyConfigured(
        f"Variable d'environnement STORAGE_BACKEND invalide : « {STORAGE_BACKEND} » (« local » ou « s3 » attendu)."
    )
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# /sante/ (exploitation/health.py): each worker writes its heartbeat every SANTE_BATTEMENT_PERIODE_S seconds; older
# than SANTE_BATTEMENT_MAX_S, the workers are reported late (the service « dégradé »).
SANTE_BATTEMENT_PERIODE_S = _env(env.int, "SANTE_BATTEMENT_PERIODE_S", default=15)
SANTE_BATTEMENT_MAX_S = _env(env.int, "SANTE_BATTEMENT_MAX_S", default=120)

# Retention of personal data (exploitation/personal_data.py, README « Données personnelles »), applied every night by
# the beat (purge_personal_data).
RGPD_INVITATIONS_JOURS = _env(env.int, "RGPD_INVITATIONS_JOURS", default=90)
RGPD_COMPTES_INACTIFS_ANS = _env(env.int, "RGPD_COMPTES_INACTIFS_ANS", default=3)
RGPD_CONNEXIONS_MOIS = _env(env.int, "RGPD_CONNEXIONS_MOIS", default=6)
RGPD_EMAILS_ANS = _env(env.int, "RGPD_EMAILS_ANS", default=3)
RGPD_CONTACTS_ANS = _env(env.int, "RGPD_CONTACTS_ANS", default=3)
RGPD_HISTORIQUE_ANS = _env(env.int, "RGPD_HISTORIQUE_ANS", default=5)

# Cache, used by the rate limit of the public verification page (/verifier/). The default, in-process memory, counts
# per process: with several gunicorn workers or machines set CACHE_URL to the shared Redis (redis://host:6379/1) so
# that the limit holds for the whole site.
CACHES = {"default": _env(env.cache_url, "CACHE_URL", default="locmemcache://")}

# Electronic signatures (documents/signatures.py): the académie's certificate and private key as a PKCS#12 file and
# its passphrase. Unset, documents are issued without an electronic signature (the admin says so).
SIGNATURE_PKCS12_PATH = _env(env.str, "SIGNATURE_PKCS12_PATH", default="")
SIGNATURE_PKCS12_PASSPHRASE = _env(env.str, "SIGNATURE_PKCS12_PASSPHRASE", default="")
# A timestamp authority (RFC 3161, e.g. the qualified TSA of the académie's certificate provider): set, the académie's
# signatures are PAdES B-LT (timestamped, with the certificates and the OCSP/CRL answers embedded, fetched from the
# addresses in the certificates), so that they can be checked after the certificate expires. Unset: PAdES B-B.
SIGNATURE_TSA_URL = _env(env.str, "SIGNATURE_TSA_URL", default="")
# Public verification page: requests allowed per client address (django-ratelimit's rate syntax, e.g. "20/m").
VERIFICATION_RATE = _env(env.str, "VERIFICATION_RATE", default="20/m")
