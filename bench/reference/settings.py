"""The reference: the seed's stack (Django REST Framework, Celery) over the product's own tables and settings.

Same database, Redis, middleware and SMTP settings as the product (everything below is the product's settings
module), plus DRF with simplejwt reading the same bearer tokens. Only bench/ uses it; the product never
imports DRF or Celery (they are the optional `bench` extra).
"""

import os

from mutiroes.config.settings import *  # noqa: F403
from mutiroes.config.settings import INSTALLED_APPS, NINJA_JWT

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework"]
ROOT_URLCONF = "bench.reference.urls"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SIMPLE_JWT = {key: NINJA_JWT[key] for key in ("ALGORITHM", "SIGNING_KEY", "AUDIENCE", "ISSUER", "LEEWAY")}
# The benchmark's own Redis; without one, Celery's in-process transport: never a default server on this machine.
CELERY_BROKER_URL = os.environ.get("REFERENCE_BROKER_URL", "memory://")
CELERY_TASK_IGNORE_RESULT = True
