import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.reference.settings"
application = get_wsgi_application()

# The configured Celery app (its broker is REFERENCE_BROKER_URL): without it, `.delay()` would use Celery's
# default app and its default broker.
from bench.reference.celery_app import app  # noqa: E402, F401
