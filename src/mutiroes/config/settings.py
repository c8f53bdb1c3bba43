"""Settings: the only module that reads the environment.

Two modes share this file. ``embedded`` (the default) needs no server: SQLite in the data directory,
e-mails written to files, a secret generated once and kept in the data directory. ``distributed``
expects real servers and refuses to boot without its secrets.
"""

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from corsheaders.defaults import default_headers as default_cors_headers
from django.core.exceptions import ImproperlyConfigured

from mutiroes import __version__


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (_env(name, default) or "").split(",") if item.strip()]


MODE = _env("MUTIROES_MODE", "embedded")
if MODE not in {"embedded", "distributed"}:
    raise ImproperlyConfigured(f"MUTIROES_MODE must be 'embedded' or 'distributed', not {MODE!r}")
EMBEDDED = MODE == "embedded"
VERSION = __version__
INSTANCE_ID = _env("MUTIROES_INSTANCE_ID", f"{os.uname().nodename}:{os.getpid()}")
# Which of the platform's processes this is (set by the `mutiroes` command): the traces' service name.
PROCESS_NAME = _env("MUTIROES_PROCESS", "mutiroes")

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(_env("MUTIROES_DATA_DIR", str(Path.cwd() / "var"))).resolve()


def _embedded_secret() -> str:
    # The embedded mode keeps one generated secret so tokens survive restarts of `mutiroes dev`.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _env("SECRET_KEY")
if SECRET_KEY is None:
    if not EMBEDDED:
        raise ImproperlyConfigured("SECRET_KEY is required when MUTIROES_MODE=distributed (see deploy/env/example.env)")
    SECRET_KEY = _embedded_secret()

DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if EMBEDDED else "")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when MUTIROES_MODE=distributed")
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS")
CORS_ALLOWED_ORIGINS = _env_list("CORS_ALLOWED_ORIGINS")
# CORS is answered here, not by the gateway (deploy/nginx/README.md): browsers on those origins may send
# Idempotency-Key and read Retry-After (429, 503) and Idempotent-Replayed.
CORS_ALLOW_HEADERS = (*default_cors_headers, "idempotency-key")
CORS_EXPOSE_HEADERS = ["Retry-After", "Idempotent-Replayed", "X-Request-ID"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "ninja",
    "ninja_jwt",
    "ninja_jwt.token_blacklist",
    "mutiroes.core",
    "mutiroes.accounts",
    "mutiroes.events",
    "mutiroes.impact",
    "mutiroes.certificates",
    "mutiroes.notifications",
    "mutiroes.jobs",
]

MIDDLEWARE = [
    # Outermost: request counts and latency include every middleware below (mutiroes.api.metrics).
    "mutiroes.api.metrics.RequestMetricsMiddleware",
    # Next: the request id (the gateway's X-Request-ID, or a new one) is on every log line of the request.
    "mutiroes.api.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Early, so that errors raised by the middlewares below (DisallowedHost...) also leave /api as JSON.
    "mutiroes.api.middleware.ApiHygieneMiddleware",
    # Before anything that reads the database: decides whether this request may read from the replica.
    "mutiroes.infra.db_router.ReplicaRoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "mutiroes.api.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "mutiroes.config.urls"
WSGI_APPLICATION = "mutiroes.config.wsgi.application"

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
            ],
        },
    },
]


def _breaker(name: str, failures: int, recovery_s: float) -> dict[str, float]:
    return {
        "failures": int(_env(f"{name}_BREAKER_FAILURES", str(failures)) or failures),
        "recovery_s": float(_env(f"{name}_BREAKER_RECOVERY_S", str(recovery_s)) or recovery_s),
    }


# Circuit breakers (resilience/breakers.py), one per dependency and process: a breaker opens after `failures`
# failures in a row and lets one call through `recovery_s` seconds later. <NAME>_BREAKER_FAILURES and
# <NAME>_BREAKER_RECOVERY_S set one (the fault tests use 1-2 s); database-<alias> breakers follow "database".
BREAKERS = {
    "database": _breaker("DATABASE", 5, 10),
    "cache": _breaker("CACHE", 3, 10),
    "broker": _breaker("BROKER", 5, 10),
    "smtp": _breaker("SMTP", 5, 30),
    "http": _breaker("HTTP", 5, 10),  # Consul's API
}

DATABASE_URL = _env("DATABASE_URL")
if DATABASE_URL is None and not EMBEDDED:
    raise ImproperlyConfigured("DATABASE_URL is required when MUTIROES_MODE=distributed")
DB_CONNECT_TIMEOUT_S = int(_env("DB_CONNECT_TIMEOUT_S", "5") or 5)
DB_STATEMENT_TIMEOUT_MS = int(_env("DB_STATEMENT_TIMEOUT_MS", "10000") or 10000)
if DATABASE_URL is None:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "mutiroes.sqlite3"),
            # The dev server's threads, the in-process worker and the scheduler write concurrently: WAL, a busy
            # timeout, and IMMEDIATE transactions (a deferred one that reads then writes fails at once with
            # "database is locked" instead of waiting for the lock).
            "OPTIONS": {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"},
        }
    }
else:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend plus the database circuit breaker (mutiroes.infra.postgresql).
        DATABASES["default"]["ENGINE"] = "mutiroes.infra.postgresql"
        DATABASES["default"]["OPTIONS"] = {
            "connect_timeout": DB_CONNECT_TIMEOUT_S,
            # Below the gateway's read timeout: a stuck statement becomes a 503, not a gateway 504.
            "options": f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS}",
        }
# Optional read replica (distributed mode only): safe requests read from it unless the client wrote in the
# last REPLICA_STICKY_S seconds (read-your-writes); replica down -> reads from the primary (infra/db_router.py).
DATABASE_REPLICA_URL = None if EMBEDDED or DATABASE_URL is None else _env("DATABASE_REPLICA_URL")
REPLICA_STICKY_S = int(_env("REPLICA_STICKY_S", "10") or 10)
if DATABASE_REPLICA_URL is not None:
    _replica = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=60, conn_health_checks=True)
    _replica["ENGINE"] = DATABASES["default"]["ENGINE"]
    _replica["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    # Tests never create a second test database: the replica alias reads the default's.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
DATABASE_ROUTERS = ["mutiroes.infra.db_router.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
ATOMIC_REQUESTS = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Tests lower the hashing cost; production keeps Django's default.
PASSWORD_HASHERS = _env_list("PASSWORD_HASHERS") or [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

LANGUAGE_CODE = _env("LANGUAGE_CODE", "pt-br")
LANGUAGES = [("pt-br", "Português"), ("en", "English")]
TIME_ZONE = _env("TIME_ZONE", "America/Sao_Paulo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(_env("STATIC_ROOT", str(DATA_DIR / "static")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(_env("MEDIA_ROOT", str(DATA_DIR / "media")))
# Serve collected-or-not static files from the package in embedded mode without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = EMBEDDED

DATA_UPLOAD_MAX_MEMORY_SIZE = int(_env("DATA_UPLOAD_MAX_MEMORY_SIZE", str(2 * 1024 * 1024)) or 0)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
# Event photos. Django limits only non-file form fields, so the photo service checks the file size itself (413);
# the pixel limit guards against decompression bombs (422) before anything is decoded.
PHOTO_MAX_BYTES = 8 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000
PHOTO_THUMBNAIL_PX = 400

EMAIL_BACKEND = _env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend" if EMBEDDED else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = str(DATA_DIR / "emails")
EMAIL_HOST = _env("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(_env("EMAIL_PORT", "25") or 25)
EMAIL_TIMEOUT = int(_env("EMAIL_TIMEOUT", "10") or 10)

DEFAULT_FROM_EMAIL = _env("DEFAULT_FROM_EMAIL", "Mutirões <nao-responda@mutiroes.org>")
# The web app's public address: links in e-mails (password reset, events) lead there.
PUBLIC_WEB_URL = (_env("PUBLIC_WEB_URL", "http://127.0.0.1:3000") or "").rstrip("/")
# E-mail verification links expire after this long; new ones may be asked for this often per account.
EMAIL_VERIFICATION_TIMEOUT_S = int(_env("EMAIL_VERIFICATION_TIMEOUT_S", str(3 * 86400)) or 3 * 86400)
EMAIL_VERIFICATION_RESEND_THROTTLE = _env("EMAIL_VERIFICATION_RESEND_THROTTLE", "5/h")
# Password-reset links expire after this long (and are single-use).
PASSWORD_RESET_TIMEOUT = int(_env("PASSWORD_RESET_TIMEOUT_S", "3600") or 3600)

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Distributed mode is served to the internet: the session and CSRF cookies (admin, dashboard) are Secure, so a
# browser never sends them over plain HTTP (COOKIE_SECURE=false only for a plain-HTTP test setup; the web app reads
# the same variable for its refresh cookie). On requests that came over TLS (as the gateway says, below) HSTS is sent.
COOKIE_SECURE = _env_bool("COOKIE_SECURE", not EMBEDDED)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = int(_env("HSTS_SECONDS", "0" if EMBEDDED else "31536000") or 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("HSTS_INCLUDE_SUBDOMAINS", False)
# Behind the gateway the client address is the one nginx appends (one proxy hop).
NINJA_NUM_PROXIES = int(_env("NINJA_NUM_PROXIES", "0" if EMBEDDED else "1") or 0)
if NINJA_NUM_PROXIES:
    # The gateway always overwrites X-Forwarded-Proto with the scheme the client used; without one, nobody is
    # trusted to say the request came over TLS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

NINJA_PAGINATION_MAX_LIMIT = 100
PAGE_SIZE_MAX = 100
IDEMPOTENCY_TTL = timedelta(hours=24)

ACCESS_TOKEN_MINUTES = int(_env("ACCESS_TOKEN_MINUTES", "15") or 15)
# Seconds, when set, win over minutes: the web app's end-to-end run uses a few seconds so that every journey
# goes through the silent refresh.
ACCESS_TOKEN_SECONDS = int(_env("ACCESS_TOKEN_SECONDS", "") or ACCESS_TOKEN_MINUTES * 60)
REFRESH_TOKEN_DAYS = int(_env("REFRESH_TOKEN_DAYS", "7") or 7)
NINJA_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=ACCESS_TOKEN_SECONDS),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=REFRESH_TOKEN_DAYS),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": SECRET_KEY,
    "AUDIENCE": _env("JWT_AUDIENCE", "mutiroes-api"),
    "ISSUER": _env("JWT_ISSUER", "mutiroes"),
    "LEEWAY": 0,
}

LOGIN_THROTTLE = _env("LOGIN_THROTTLE", "5/m")
# Bearer token that shows /health's detail to operators and monitoring (staff users' tokens do too); unset: staff only.
HEALTH_TOKEN = _env("HEALTH_TOKEN", "") or ""
# New accounts per client address (every attempt counts): a school registering a class at once stays under it.
REGISTER_THROTTLE = _env("REGISTER_THROTTLE", "30/h")
# Wrong check-in codes per person and event: against 8 hex characters, guessing is hopeless at this rate.
CHECK_IN_CODE_THROTTLE = _env("CHECK_IN_CODE_THROTTLE", "5/h")
# Public certificate verification (GET /api/v1/certificates/{code}), per address.
CERTIFICATE_LOOKUP_THROTTLE = _env("CERTIFICATE_LOOKUP_THROTTLE", "30/m")

# Redis: by URL, or through Sentinel when REDIS_SENTINELS=host:port,... is set.
REDIS_URL = _env("REDIS_URL")
REDIS_SENTINELS = [
    (host, int(port)) for host, _, port in (item.rpartition(":") for item in _env_list("REDIS_SENTINELS"))
]
REDIS_SENTINEL_MASTER = _env("REDIS_SENTINEL_MASTER", "mymaster")
REDIS_SOCKET_TIMEOUT_S = float(_env("REDIS_SOCKET_TIMEOUT_S", "2") or 2)
REDIS_RETRIES = int(_env("REDIS_RETRIES", "1") or 1)

# Cache: Redis (through Sentinel when configured) shared by the replicas; local memory in embedded mode.
CACHE_URL = _env("CACHE_URL", REDIS_URL)
CACHE_TIMEOUT_S = float(_env("CACHE_TIMEOUT_S", "0.5") or 0.5)
# Hot public reads (event lists, impact summary) are cached this long; writes invalidate them at once.
CACHE_HOT_TTL_S = int(_env("CACHE_HOT_TTL_S", "30") or 30)
if CACHE_URL or REDIS_SENTINELS:
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    _cache_options: dict = {
        "SOCKET_CONNECT_TIMEOUT": CACHE_TIMEOUT_S,
        "SOCKET_TIMEOUT": CACHE_TIMEOUT_S,
        # The cache is optional: no retries at this hop, the breaker decides when to try again.
        "CONNECTION_POOL_KWARGS": {"retry": Retry(NoBackoff(), 0)},
    }
    if REDIS_SENTINELS:
        DJANGO_REDIS_CONNECTION_FACTORY = "django_redis.pool.SentinelConnectionFactory"
        _cache_options |= {"CLIENT_CLASS": "django_redis.client.SentinelClient", "SENTINELS": REDIS_SENTINELS}
        _cache_location = f"redis://{REDIS_SENTINEL_MASTER}/{_env('CACHE_REDIS_DB', '1')}"
    else:
        _cache_location = CACHE_URL
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": _cache_location,
            "OPTIONS": _cache_options,
            "KEY_PREFIX": "mutiroes",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "mutiroes"}}

# Background jobs (Dramatiq). Embedded mode: a stub broker with a worker inside the process.
BROKER_URL = _env("BROKER_URL", "stub://" if EMBEDDED else REDIS_URL)
if BROKER_URL is None:
    raise ImproperlyConfigured("BROKER_URL (or REDIS_URL) is required when MUTIROES_MODE=distributed")
DRAMATIQ = {
    "url": BROKER_URL,
    "namespace": _env("DRAMATIQ_NAMESPACE", "dramatiq"),
    "heartbeat_timeout_ms": int(_env("DRAMATIQ_HEARTBEAT_TIMEOUT_MS", "15000") or 15000),
    "maintenance_chance": int(_env("DRAMATIQ_MAINTENANCE_CHANCE", "100000") or 100000),  # per million commands
    "dead_message_ttl_ms": int(_env("DRAMATIQ_DEAD_MESSAGE_TTL_MS", str(7 * 24 * 3600 * 1000)) or 0),
    "min_backoff_ms": int(_env("DRAMATIQ_MIN_BACKOFF_MS", "5000") or 5000),
    "max_backoff_ms": int(_env("DRAMATIQ_MAX_BACKOFF_MS", "300000") or 300000),
}
# The relay hands outbox rows to the broker every few seconds (besides right after each commit).
OUTBOX_RELAY_INTERVAL_S = float(_env("OUTBOX_RELAY_INTERVAL_S", "2") or 2)
# A relayed row that no worker has finished after this long is relayed again: the broker may lose what it
# accepted (a Redis failover discards the old master's late writes). Above the slowest job's attempts and backoffs.
OUTBOX_REDELIVER_AFTER_S = float(_env("OUTBOX_REDELIVER_AFTER_S", "3600") or 3600)
# Embedded mode runs the worker (and relay) inside `mutiroes dev`.
EMBEDDED_WORKER = _env_bool("EMBEDDED_WORKER", EMBEDDED)

# Scheduler (`mutiroes scheduler`): one leader fires the periodic jobs; the run ledger keeps one run per period.
SCHEDULER_TIME_ZONE = _env("SCHEDULER_TIME_ZONE", TIME_ZONE)
# A run found missing within this long after its fire time still runs once (catch-up); older ones are logged missed.
SCHEDULER_GRACE_S = int(_env("SCHEDULER_GRACE_S", "3600") or 3600)
# A paused or cut-off leader loses the lock after this long; a standby takes over within about this time.
SCHEDULER_LOCK_TTL_S = float(_env("SCHEDULER_LOCK_TTL_S", "15") or 15)
# Tests only: replace a job's cron fields, e.g. {"cleanup_expired_events": {"second": "*/2"}}.
SCHEDULER_CRON_OVERRIDES = json.loads(_env("SCHEDULER_CRON_OVERRIDES", "{}") or "{}")
if not isinstance(SCHEDULER_CRON_OVERRIDES, dict):
    raise ImproperlyConfigured("SCHEDULER_CRON_OVERRIDES must be a JSON object of job name -> cron fields")
# Embedded mode runs the scheduler inside `mutiroes dev` as well.
EMBEDDED_SCHEDULER = _env_bool("EMBEDDED_SCHEDULER", EMBEDDED)

# Consul (mutiroes.infra.consul): each process registers itself with a health check, and `mutiroes consul-render`
# writes the gateway's upstream list from the healthy instances. Off by default; never in the embedded mode.
CONSUL_ENABLED = _env_bool("CONSUL_ENABLED", False) and not EMBEDDED
CONSUL_HTTP_ADDR = _env("CONSUL_HTTP_ADDR", "http://127.0.0.1:8500") or ""
CONSUL_TOKEN = _env("CONSUL_TOKEN")
# How Consul's checks and the gateway reach this process; default: its own address, the port it is bound to.
CONSUL_SERVICE_ADDRESS = _env("CONSUL_SERVICE_ADDRESS")
CONSUL_SERVICE_PORT = int(_env("CONSUL_SERVICE_PORT", "0") or 0) or None
CONSUL_CHECK_INTERVAL_S = float(_env("CONSUL_CHECK_INTERVAL_S", "10") or 10)
# An instance critical this long is removed from Consul (Consul's minimum is 60 s).
CONSUL_DEREGISTER_AFTER_S = float(_env("CONSUL_DEREGISTER_AFTER_S", "60") or 60)

# Prometheus metrics (mutiroes.infra.metrics). The API serves /metrics on its own port (never routed by the
# gateway); workers, the scheduler and the exporter listen on METRICS_PORT (0: no metrics listener).
# PROMETHEUS_MULTIPROC_DIR is set by `mutiroes serve` and `mutiroes worker` for their processes' shared samples.
PROMETHEUS_MULTIPROC_DIR = _env("PROMETHEUS_MULTIPROC_DIR")
METRICS_HOST = _env("METRICS_HOST", "127.0.0.1") or "127.0.0.1"
METRICS_PORT = int(_env("METRICS_PORT", "0") or 0)

# Traces (OpenTelemetry, mutiroes.infra.tracing): on when an OTLP endpoint is configured or OTEL_TRACES_EXPORTER names
# an exporter (otlp, console); OTEL_SDK_DISABLED=true turns them off whatever else is set. The embedded mode sets
# neither, so `mutiroes dev` exports nothing. The exporter reads the other OTEL_* variables itself.
OTEL_SERVICE_NAME = _env("OTEL_SERVICE_NAME")
_otlp_endpoint = _env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", _env("OTEL_EXPORTER_OTLP_ENDPOINT"))
TRACES_EXPORTER = (_env("OTEL_TRACES_EXPORTER", "otlp" if _otlp_endpoint else "none") or "none").strip().lower()
if TRACES_EXPORTER not in {"otlp", "console", "none"}:
    raise ImproperlyConfigured(f"OTEL_TRACES_EXPORTER must be otlp, console or none, not {TRACES_EXPORTER!r}")
TRACING_ENABLED = TRACES_EXPORTER != "none" and not _env_bool("OTEL_SDK_DISABLED", False)

# Logs: one JSON object per line (LOG_FORMAT=json, the default outside the embedded mode) or the readable line of
# `mutiroes dev`; both carry the request, user, job, message and trace ids and are redacted (mutiroes.infra.logs).
LOG_FORMAT = _env("LOG_FORMAT", "plain" if EMBEDDED else "json")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'plain' or 'json', not {LOG_FORMAT!r}")
LOG_LEVEL = _env("LOG_LEVEL", "INFO")
# One line per request from the app (method, route, status, duration, ids) instead of gunicorn's access log.
LOG_REQUESTS = _env_bool("LOG_REQUESTS", LOG_FORMAT == "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "mutiroes.infra.logs.ContextFilter"},
        "require_debug_true": {"()": "django.utils.log.RequireDebugTrue"},
    },
    "formatters": {
        "plain": {
            "()": "mutiroes.infra.logs.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "mutiroes.infra.logs.RedactingJsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # APScheduler logs every job run at INFO; the scheduler's own module says what matters.
        "apscheduler": {"level": "WARNING"},
        # runserver's request line (`mutiroes dev` with DEBUG=1, as Django prints it) carries the query string,
        # unsubscribe and reset tokens included: Django's default handler for it redacts nothing, ours does.
        "django.server": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
            "filters": ["require_debug_true"],
        },
    },
}
